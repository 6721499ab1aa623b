"""The bronze stage: every new landing file of one contract, conformed and committed once.

Order of commits per run: bronze rows, then quarantine rows, then the manifest rows that mark the files done.
A crash before the manifest commit leaves rows whose file hash the manifest does not know; the next run deletes
them first and loads the file again, so a crash and a re-run converge on the same tables as a clean run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from contracts.spec import BronzeContract
from pipelines.ingest.conform import MANIFEST_SCHEMA, QUARANTINE_SCHEMA, FileConformance
from pipelines.ingest.readers import UnparseableFileError
from pipelines.storage.delta import DeltaStore

__all__ = ["BronzeReport", "ingest_bronze", "ingest_bronze_all", "landing_files", "file_sha256", "MANIFEST",
           "QUARANTINE"]

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
        return self.versions_before != self.versions_after or self.recovered_rows_deleted > 0


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
    return ingest_bronze_all([contract], store=store, landing_root=landing_root, run_id=run_id, now=now,
                             workers=1)[contract.table]


def ingest_bronze_all(
    contracts: Sequence[BronzeContract],
    *,
    store: DeltaStore,
    landing_root: Path,
    run_id: str,
    now: dt.datetime | None = None,
    workers: int = 2,
) -> dict[str, BronzeReport]:
    """:func:`ingest_bronze` for several contracts, ``workers`` of them at a time (threads).

    Polars, DuckDB and delta-rs release the GIL, so two workers use both cores. Each contract writes its own
    bronze table; the commits to the shared quarantine and manifest tables are serialised by a lock, and crash
    leftovers are removed for all contracts before any worker starts.
    """
    now = now or dt.datetime.now(dt.UTC)
    manifest = store.read_or_empty(MANIFEST, MANIFEST_SCHEMA, columns=["source_file_hash", "source_file"])
    known = dict(zip(manifest["source_file_hash"].to_list(), manifest["source_file"].to_list(), strict=True))
    reports: dict[str, BronzeReport] = {}
    for contract in contracts:
        bronze_table = f"bronze.{contract.table}"
        report = BronzeReport(contract=contract.name, table=bronze_table)
        report.versions_before = {t: store.version(t) for t in (bronze_table, QUARANTINE, MANIFEST)}
        report.versions_after = dict(report.versions_before)  # replaced by the versions this run commits
        report.recovered_rows_deleted = _delete_leftovers(store, contract, bronze_table, set(known))
        reports[contract.table] = report
    lock = threading.Lock()

    def run(contract: BronzeContract) -> None:
        _ingest_contract(contract, reports[contract.table], store=store, landing_root=landing_root,
                         run_id=run_id, now=now, known=known, audit_lock=lock)

    if workers <= 1 or len(contracts) <= 1:
        for contract in contracts:
            run(contract)
    else:
        # Largest landing folders first, so the long ones do not end up running alone at the end.
        def pending_bytes(c: BronzeContract) -> int:
            return sum(p.stat().st_size for p in landing_files(landing_root, c))

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bronze") as pool:
            list(pool.map(run, sorted(contracts, key=pending_bytes, reverse=True)))
    return reports


def _ingest_contract(contract: BronzeContract, report: BronzeReport, *, store: DeltaStore, landing_root: Path,
                     run_id: str, now: dt.datetime, known: dict[str, str], audit_lock: threading.Lock) -> None:
    """Each new file streams into bronze as one commit; quarantine and manifest rows follow, under the lock."""
    bronze_table = report.table
    schema = pl.Schema({n: c.dtype.type for n, c in contract.schema.columns.items()})
    quarantines: list[pl.DataFrame] = []
    manifests: list[pl.DataFrame] = []
    written: dict[str, tuple[int | None, int | None]] = {}
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
        conformance = FileConformance(path, contract, source_file=rel, file_hash=digest, run_id=run_id,
                                      ingested_at=now)
        if conformance.rejected:
            for _ in conformance.bronze_batches():  # quarantines every row with the file's reason
                pass
        else:
            before = store.version(bronze_table)
            try:
                after = store.append_batches(bronze_table, conformance.bronze_batches(), schema)
                written[bronze_table] = (written.get(bronze_table, (before, None))[0], after)
            except UnparseableFileError as exc:
                conformance.fail(exc)
        manifest = conformance.manifest()
        quarantines.append(conformance.quarantine())
        manifests.append(manifest)
        report.messages.append(conformance.message)
        if conformance.rejected:
            report.files_rejected[rel] = conformance.message
        else:
            report.files_loaded.append(rel)
            if conformance.extras:
                report.drift_columns[rel] = list(conformance.extras)
    if not manifests:
        return
    quarantine = pl.concat(quarantines, how="vertical_relaxed").cast(QUARANTINE_SCHEMA)
    manifest_rows = pl.concat(manifests, how="vertical_relaxed").cast(MANIFEST_SCHEMA)
    if store.table(bronze_table) is None:  # every file rejected: still create the (empty) table
        written[bronze_table] = (None, store.append(bronze_table, schema.to_frame()))
    with audit_lock:  # the exact versions of this contract's own commits, for lineage
        for table, frame in ((QUARANTINE, quarantine), (MANIFEST, manifest_rows)):
            written[table] = (store.version(table), store.append(table, frame))
    report.versions_before.update({t: before for t, (before, _) in written.items()})
    report.versions_after.update({t: after for t, (_, after) in written.items()})
    report.rows_raw = int(manifest_rows["rows_raw"].fill_null(0).sum())
    report.rows_bronze = int(manifest_rows["rows_bronze"].sum())
    report.rows_quarantined = quarantine.height
    counts = quarantine.group_by("reason").len().sort("reason")
    report.quarantined_by_reason = dict(zip(counts["reason"].to_list(), counts["len"].to_list(), strict=True))


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
