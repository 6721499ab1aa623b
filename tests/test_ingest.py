"""Bronze ingest over a landing zone: balance per file, idempotency, crash recovery, re-delivery, lineage."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

from contracts.registry import BRONZE_CONTRACTS, contract_for_table
from pipelines.ingest.bronze import MANIFEST, QUARANTINE, file_sha256, ingest_bronze
from pipelines.storage.delta import DeltaStore
from pipelines.summary import summarize

NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)


def ingest_all(store: DeltaStore, landing: Path, run_id: str) -> dict[str, object]:
    return {c.table: ingest_bronze(c, store=store, landing_root=landing, run_id=run_id, now=NOW)
            for c in BRONZE_CONTRACTS}


def versions(store: DeltaStore) -> dict[str, int | None]:
    return {t: store.version(t) for t in store.tables()}


@pytest.fixture
def store(tmp_path: Path) -> DeltaStore:
    return DeltaStore(str(tmp_path / "lakehouse"))


def test_every_raw_row_is_in_bronze_or_quarantine(store: DeltaStore, vendor_landing: Path) -> None:
    ingest_all(store, vendor_landing, "run-1")
    manifest = store.read(MANIFEST)
    bronze_counts = pl.concat([
        store.read(f"bronze.{c.table}", columns=["source_file"]) for c in BRONZE_CONTRACTS
    ]).group_by("source_file").len("bronze")
    quarantine_counts = store.read(QUARANTINE, columns=["source_file"]).group_by("source_file").len("quarantined")
    per_file = (manifest.select("source_file", "rows_raw")
                .join(bronze_counts, on="source_file", how="left")
                .join(quarantine_counts, on="source_file", how="left")
                .fill_null(0))
    assert per_file.height == len(list(vendor_landing.rglob("*.*")))
    assert (per_file["rows_raw"] == per_file["bronze"] + per_file["quarantined"]).all(), per_file
    assert summarize(store).balanced


def test_rejected_file_is_reported_not_half_loaded(store: DeltaStore, vendor_landing: Path) -> None:
    reports = ingest_all(store, vendor_landing, "run-1")
    contact = reports["salesforce_contact"]
    rel = "salesforce/Contact_2026-11-21_missing_column.csv"
    assert rel in contact.files_rejected and "LastName" in contact.files_rejected[rel]
    bronze = store.read("bronze.salesforce_contact", columns=["source_file"])
    assert rel not in bronze["source_file"].to_list()
    manifest = store.read(MANIFEST).filter(pl.col("source_file") == rel).row(0, named=True)
    assert manifest["status"] == "rejected" and manifest["rows_bronze"] == 0
    assert manifest["rows_quarantined"] == manifest["rows_raw"] == 6


def test_ingesting_the_same_landing_zone_twice_changes_no_table(store: DeltaStore, vendor_landing: Path) -> None:
    ingest_all(store, vendor_landing, "run-1")
    before = versions(store)
    reports = ingest_all(store, vendor_landing, "run-2")
    assert versions(store) == before
    assert not any(r.changed for r in reports.values())
    assert all(r.files_seen == len(r.files_skipped) for r in reports.values())


def test_redelivered_file_under_a_new_name_is_a_no_op(store: DeltaStore, vendor_landing: Path) -> None:
    ingest_all(store, vendor_landing, "run-1")
    before = versions(store)
    src = vendor_landing / "salesforce" / "Lead_2026-11-20_full.csv"
    shutil.copy(src, src.with_name("Lead_2026-11-20_full_resent.csv"))
    report = ingest_bronze(contract_for_table("salesforce_lead"), store=store, landing_root=vendor_landing,
                           run_id="run-2", now=NOW)
    assert versions(store) == before
    assert any("same content" in m for m in report.messages)


def test_new_file_appends_only_its_rows(store: DeltaStore, vendor_landing: Path) -> None:
    contract = contract_for_table("salesforce_lead")
    ingest_bronze(contract, store=store, landing_root=vendor_landing, run_id="run-1", now=NOW)
    before = store.read("bronze.salesforce_lead").height
    src = vendor_landing / "salesforce" / "Lead_2026-11-20_full.csv"
    lines = src.read_text().splitlines()
    (src.parent / "Lead_2026-11-22_incremental.csv").write_text("\n".join([lines[0], lines[1]]) + "\n")
    report = ingest_bronze(contract, store=store, landing_root=vendor_landing, run_id="run-2", now=NOW)
    assert report.files_loaded == ["salesforce/Lead_2026-11-22_incremental.csv"]
    assert store.read("bronze.salesforce_lead").height == before + 1


def test_crash_before_manifest_commit_converges_on_a_clean_run(tmp_path: Path, vendor_landing: Path) -> None:
    clean = DeltaStore(str(tmp_path / "clean"))
    crashed = DeltaStore(str(tmp_path / "crashed"))
    ingest_all(clean, vendor_landing, "run-1")

    contract = contract_for_table("salesforce_lead")
    # A run that died after writing bronze and quarantine but before the manifest marked the files done.
    ingest_all(crashed, vendor_landing, "run-1")
    lead_files = crashed.read(MANIFEST).filter(pl.col("contract") == contract.name)["source_file_hash"]
    crashed.delete_where_in(MANIFEST, "source_file_hash", lead_files.to_list())
    report = ingest_bronze(contract, store=crashed, landing_root=vendor_landing, run_id="run-1", now=NOW)
    assert report.recovered_rows_deleted > 0

    def snapshot(store: DeltaStore, table: str) -> pl.DataFrame:
        frame = store.read(table)
        return frame.drop([c for c in frame.columns if c in {"ingested_at", "quarantined_at"}]).sort(
            [c for c in frame.columns if c in {"source_file", "source_row"}])

    for table in ("bronze.salesforce_lead", QUARANTINE, MANIFEST):
        a, b = snapshot(clean, table), snapshot(crashed, table)
        assert a.sort(a.columns).equals(b.sort(b.columns)), table


def test_bronze_rows_carry_provenance_and_contract_version(store: DeltaStore, vendor_landing: Path) -> None:
    ingest_all(store, vendor_landing, "run-7")
    lead = store.read("bronze.salesforce_lead")
    assert set(lead["run_id"].unique()) == {"run-7"}
    assert set(lead["contract"].unique()) == {"salesforce_lead@v1"}
    assert lead["source_row"].min() >= 1
    assert lead.schema["created_at"] == pl.Datetime("us", "UTC")


def test_a_stream_failing_midway_commits_nothing(store: DeltaStore) -> None:
    schema = pl.Schema({"a": pl.Int64})
    store.append("bronze.t", schema.to_frame())
    before = store.version("bronze.t")

    def frames():
        yield pl.DataFrame({"a": [1, 2]})
        msg = "file turned out malformed at row 3"
        raise ValueError(msg)

    with pytest.raises(ValueError, match="malformed at row 3"):
        store.append_batches("bronze.t", frames(), schema)
    assert store.version("bronze.t") == before
    assert store.read("bronze.t").height == 0


def test_malformed_csv_is_rejected_whole(store: DeltaStore, vendor_landing: Path) -> None:
    path = vendor_landing / "salesforce" / "Campaign_2026-11-22_full.csv"
    good = "\n".join(f"701000000000000A{i:02d},Campaign {i}" for i in range(20))
    path.write_text("Id,Name\n" + good + "\n701000000000000AZZ,broken,with,extra,fields\n")
    report = ingest_bronze(contract_for_table("salesforce_campaign"), store=store, landing_root=vendor_landing,
                           run_id="run-1", now=NOW)
    rel = "salesforce/Campaign_2026-11-22_full.csv"
    assert rel in report.files_rejected and "malformed CSV" in report.files_rejected[rel]
    bronze = store.read("bronze.salesforce_campaign")
    assert rel not in bronze["source_file"].to_list()
    q = store.read(QUARANTINE).filter(pl.col("source_file") == rel)
    assert q.select("reason", "field").rows() == [("unparseable_file", "file")]
    manifest = store.read(MANIFEST).filter(pl.col("source_file") == rel).row(0, named=True)
    assert manifest["status"] == "rejected" and manifest["rows_bronze"] == 0


def test_non_utf8_file_is_rejected_with_a_clear_message(store: DeltaStore, vendor_landing: Path) -> None:
    path = vendor_landing / "salesforce" / "Campaign_2026-11-23_full.csv"
    path.write_bytes("Id,Name\n701000000000000A01,Campaña Düsseldorf\n".encode("latin-1"))
    report = ingest_bronze(contract_for_table("salesforce_campaign"), store=store, landing_root=vendor_landing,
                           run_id="run-1", now=NOW)
    rel = "salesforce/Campaign_2026-11-23_full.csv"
    assert rel in report.files_rejected
    assert "UTF-8" in report.files_rejected[rel] or "utf-8" in report.files_rejected[rel].lower()
    assert rel not in store.read("bronze.salesforce_campaign")["source_file"].to_list()


def test_a_micro_batch_recovers_its_own_crash_leftovers(tmp_path: Path, vendor_landing: Path) -> None:
    """ingest_bronze(only=[...]) (the real-time path) cleans up what a crashed run left of those files."""
    contract = contract_for_table("segment_event")
    files = sorted((vendor_landing / "events").glob("events_*.jsonl"))
    store = DeltaStore(str(tmp_path / "lake"))
    first = ingest_bronze(contract, store=store, landing_root=vendor_landing, run_id="r1", now=NOW, only=files[:1])
    assert first.files_loaded == [f"events/{files[0].name}"] and first.rows_bronze > 0
    rows = store.read("bronze.segment_event").height
    store.delete_where_in(MANIFEST, "source_file_hash", [file_sha256(files[0])])  # died before the manifest
    again = ingest_bronze(contract, store=store, landing_root=vendor_landing, run_id="r2", now=NOW, only=files[:1])
    assert again.recovered_rows_deleted > 0 and again.rows_bronze == first.rows_bronze
    assert again.quarantined_by_reason.get("duplicate_key", 0) == first.quarantined_by_reason.get("duplicate_key", 0)
    assert store.read("bronze.segment_event").height == rows


def test_repeated_event_ids_across_files_keep_the_same_copy_whatever_the_workers(tmp_path: Path) -> None:
    """Segment files are read and checked in parallel, then deduplicated one at a time in the run's file
    order (largest first): the copy of a repeated messageId that is kept does not depend on thread speed."""
    import json

    from pipelines.ingest.bronze import ingest_bronze_all

    landing = tmp_path / "landing"
    (landing / "events").mkdir(parents=True)

    def line(i: int, event: str) -> str:
        return json.dumps({"type": "track", "messageId": f"msg-{i:05d}", "event": event,
                           "userId": f"u{i % 7}", "timestamp": "2026-11-20T09:03:11Z",
                           "properties": {"n": i}})

    for f, (start, count) in enumerate([(0, 40), (30, 25), (50, 12), (55, 8)]):  # each overlaps the last
        lines = [line(i, f"file {f}") for i in range(start, start + count)]
        (landing / "events" / f"events_2026-11-20_{f:04d}.jsonl").write_text("\n".join(lines) + "\n")
    bad = landing / "events" / "events_2026-11-20_0009.jsonl"
    bad.write_bytes(line(99, "x").encode() + b"\n\xff\xfe\n")
    kept = {}
    for workers in (1, 2, 2):
        store = DeltaStore(str(tmp_path / f"lake-{workers}-{len(kept)}"))
        report = ingest_bronze_all([contract_for_table("segment_event")], store=store, landing_root=landing,
                                   run_id="r1", now=NOW, workers=workers)["segment_event"]
        assert list(report.files_rejected) == ["events/events_2026-11-20_0009.jsonl"]
        assert report.quarantined_by_reason["duplicate_key"] == 10 + 5 + 7
        assert summarize(store).balanced
        kept[len(kept)] = store.read("bronze.segment_event").select("message_id", "event").sort("message_id")
    assert kept[0].height == 63 and kept[0]["message_id"].n_unique() == 63
    assert kept[0].equals(kept[1]) and kept[0].equals(kept[2])
    # the largest file goes first: its copies win, then the next largest's, ...
    assert kept[0].filter(pl.col("message_id") == "msg-00035")["event"].to_list() == ["file 0"]
    assert kept[0].filter(pl.col("message_id") == "msg-00056")["event"].to_list() == ["file 2"]
