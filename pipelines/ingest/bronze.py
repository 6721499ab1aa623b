"""The bronze stage: every new landing file of one contract, conformed and committed once.

Order of commits per run: bronze rows, then quarantine rows, then the manifest rows that mark the files done.
A crash before the manifest commit leaves rows whose file hash the manifest does not know; the next run deletes
them first and loads the file again, so a crash and a re-run converge on the same tables as a clean run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from contracts.spec import BronzeContract
from pipelines.ingest.conform import MANIFEST_SCHEMA, QUARANTINE_SCHEMA, FileIngest, conform_file
from pipelines.storage.delta import DeltaStore

__all__ = ["BronzeReport", "ingest_bronze", "landing_files", "file_sha256", "MANIFEST", "QUARANTINE"]

MANIFEST = "audit.manifest"
QUARANTINE = "quarantine.records"


@dataclass
class BronzeReport:
    """What one bronze materialization did; everything the asset reports as metadata and lineage."""

    contract: str
    table: str
    files_seen: int = 0
    files_skipped: list[str] = field(default_factory=list)
    files_loaded: list[str] = field(default_factory=list)
    files_rejected: dict[str, str] = field(default_factory=dict)
    rows_raw: int = 0
    rows_bronze: int = 0
    rows_quarantined: int = 0
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    drift_columns: dict[str, list[str]] = field(default_factory=dict)
    recovered_rows_deleted: int = 0
    versions_before: dict[str, int | None] = field(default_factory=dict)
    versions_after: dict[str, int | None] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.versions_before != self.versions_after


def file_sha256(path: Path) -> str:
    """Content hash of a landing file: the manifest key, so a re-delivered file is recognised by content."""
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def landing_files(landing_root: Path, contract: BronzeContract) -> list[Path]:
    """The contract's files in its source folder, in name order (full extracts sort before later deltas)."""
    folder = landing_root / contract.source
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and contract.file_pattern.match(p.name))


def ingest_bronze(
    contract: BronzeContract,
    *,
    store: DeltaStore,
    landing_root: Path,
    run_id: str,
    now: dt.datetime | None = None,
) -> BronzeReport:
    """Load every landing file of ``contract`` not yet in the manifest into bronze and quarantine.

    Re-running with no new files writes nothing. Returns a :class:`BronzeReport`.
    """
    now = now or dt.datetime.now(dt.UTC)
    bronze_table = f"bronze.{contract.table}"
    touched = (bronze_table, QUARANTINE, MANIFEST)
    report = BronzeReport(contract=contract.name, table=bronze_table)
    report.versions_before = {t: store.version(t) for t in touched}

    manifest = store.read_or_empty(MANIFEST, MANIFEST_SCHEMA, columns=["source_file_hash", "source_file"])
    known = dict(zip(manifest["source_file_hash"].to_list(), manifest["source_file"].to_list(), strict=True))
    report.recovered_rows_deleted = _delete_leftovers(store, contract, bronze_table, set(known))

    outcomes: list[FileIngest] = []
    for path in landing_files(landing_root, contract):
        report.files_seen += 1
        rel = path.relative_to(landing_root).as_posix()
        digest = file_sha256(path)
        if digest in known:
            report.files_skipped.append(rel)
            if known[digest] != rel:
                report.messages.append(f"{rel}: same content as already ingested {known[digest]}; skipped")
            continue
        known[digest] = rel
        outcome = conform_file(path, contract, source_file=rel, file_hash=digest, run_id=run_id, ingested_at=now)
        outcomes.append(outcome)
        report.messages.append(outcome.message)
        if outcome.status == "rejected":
            report.files_rejected[rel] = outcome.message
        else:
            report.files_loaded.append(rel)
            extras = outcome.manifest["extra_columns"][0].to_list()
            if extras:
                report.drift_columns[rel] = extras

    if outcomes:
        bronze = pl.concat([o.bronze for o in outcomes], how="vertical_relaxed")
        quarantine = pl.concat([o.quarantine for o in outcomes], how="vertical_relaxed")
        manifest_rows = pl.concat([o.manifest for o in outcomes], how="vertical_relaxed")
        store.append(bronze_table, bronze)
        store.append(QUARANTINE, quarantine.cast(QUARANTINE_SCHEMA))
        store.append(MANIFEST, manifest_rows.cast(MANIFEST_SCHEMA))
        report.rows_raw = int(manifest_rows["rows_raw"].fill_null(0).sum())
        report.rows_bronze = bronze.height
        report.rows_quarantined = quarantine.height
        counts = quarantine.group_by("reason").len().sort("reason")
        report.quarantined_by_reason = dict(zip(counts["reason"].to_list(), counts["len"].to_list(), strict=True))
    report.versions_after = {t: store.version(t) for t in touched}
    return report


def _delete_leftovers(store: DeltaStore, contract: BronzeContract, bronze_table: str, done: set[str]) -> int:
    """Rows of files a crashed run wrote to bronze or quarantine but never marked done in the manifest."""
    deleted = 0
    for table, where in ((bronze_table, None), (QUARANTINE, contract.name)):
        if store.table(table) is None:
            continue
        cols = ["source_file_hash"] if where is None else ["source_file_hash", "contract"]
        hashes = store.read(table, columns=cols)
        if where is not None:
            hashes = hashes.filter(pl.col("contract") == where)
        orphans = set(hashes["source_file_hash"].unique().to_list()) - done
        deleted += store.delete_where_in(table, "source_file_hash", orphans)
    return deleted
