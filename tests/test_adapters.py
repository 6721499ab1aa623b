"""Each vendor object's adapter against a small hand-written file: counts, reasons, drift, rejection."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import yaml

from contracts.registry import BRONZE_CONTRACTS, contract_for_file, contract_for_table
from pipelines.ingest.bronze import file_sha256
from pipelines.ingest.conform import conform_file

FIXTURES = Path(__file__).parent / "fixtures" / "vendor"
EXPECTED = yaml.safe_load((FIXTURES / "expected.yaml").read_text())["files"]
NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)


def _conform(rel: str):
    path = FIXTURES / rel
    contract = contract_for_file(path.parent.name, path.name)
    assert contract is not None, f"no contract claims {rel}"
    return contract, conform_file(path, contract, source_file=rel, file_hash=file_sha256(path), run_id="test",
                                  ingested_at=NOW)


def test_every_contract_has_a_fixture() -> None:
    covered = {contract_for_file(Path(f["path"]).parent.name, Path(f["path"]).name).table for f in EXPECTED}
    assert covered == {c.table for c in BRONZE_CONTRACTS}


@pytest.mark.parametrize("case", EXPECTED, ids=[f["path"] for f in EXPECTED])
def test_adapter_matches_hand_counted_outcome(case: dict) -> None:
    contract, result = _conform(case["path"])
    manifest = result.manifest.row(0, named=True)
    assert manifest["rows_raw"] == case["rows"]
    assert manifest["rows_bronze"] + manifest["rows_quarantined"] == case["rows"]
    if case["rejected"]:
        assert result.status == "rejected"
        assert result.bronze.height == 0
        assert set(result.quarantine["reason"].to_list()) == {case["reject_reason"]}
        for column in case["missing"]:
            assert column in result.message
        return
    assert result.status == "loaded"
    got = sorted(zip(result.quarantine["source_row"], result.quarantine["field"], result.quarantine["reason"],
                     strict=True))
    want = sorted((b["row"], b["field"], b["reason"]) for b in case["bad"])
    assert got == want
    assert manifest["extra_columns"] == case["extra_columns"]
    # Good rows are typed by the contract and keep provenance pointing back at their file and row.
    assert result.bronze.schema == pl.Schema({n: c.dtype.type for n, c in contract.schema.columns.items()})
    bad_rows = {b["row"] for b in case["bad"]}
    assert sorted(result.bronze["source_row"].to_list()) == [r for r in range(1, case["rows"] + 1)
                                                             if r not in bad_rows]
    assert (result.bronze["source_file"] == case["path"]).all()
    contract.model.validate(result.bronze)


def test_drift_column_is_kept_in_extras() -> None:
    _, result = _conform("salesforce/Lead_2026-11-21_incremental.csv")
    extras = result.bronze["extras"].str.json_decode(pl.Struct({"Lead_Score__c": pl.String}))
    assert result.bronze["extras"].str.contains("\"Lead_Score__c\"").all()
    assert extras.struct.field("Lead_Score__c").is_not_null().sum() >= 1


def test_quarantine_rows_say_where_and_what_to_do() -> None:
    _, result = _conform("salesforce/Lead_2026-11-20_full.csv")
    for row in result.quarantine.iter_rows(named=True):
        assert row["source_file"] == "salesforce/Lead_2026-11-20_full.csv"
        assert row["field"] in row["detail"]
        assert row["remedy"]
        assert row["raw"].startswith("{")


def test_rejected_file_message_names_file_and_column() -> None:
    _, result = _conform("salesforce/Contact_2026-11-21_missing_column.csv")
    assert "Contact_2026-11-21_missing_column.csv" in result.message
    assert "LastName" in result.message
    assert "re-deliver" in result.message


@pytest.mark.parametrize("case", EXPECTED, ids=[f["path"] for f in EXPECTED])
def test_results_do_not_depend_on_batch_size(case: dict) -> None:
    """Big extracts are conformed in batches; duplicates across batches are still caught."""
    path = FIXTURES / case["path"]
    contract = contract_for_file(path.parent.name, path.name)
    kwargs = {"source_file": case["path"], "file_hash": "h", "run_id": "test", "ingested_at": NOW}
    whole = conform_file(path, contract, **kwargs)
    batched = conform_file(path, contract, batch_rows=3, **kwargs)
    assert batched.bronze.equals(whole.bronze)
    assert batched.quarantine.sort("source_row").equals(whole.quarantine.sort("source_row"))
    assert batched.manifest.equals(whole.manifest)


def test_events_with_unexpected_shapes_fall_back_without_losing_rows(tmp_path: Path) -> None:
    """A trait that is an object, a number where text is expected: the line still loads, field by field."""
    lines = [
        '{"type":"identify","messageId":"m1","timestamp":"2026-11-20T10:00:00Z","anonymousId":"a1",'
        '"traits":{"email":"a@example.com","phone":4155550134}}',
        '{"type":"identify","messageId":"m2","timestamp":"2026-11-20T10:00:01Z","anonymousId":"a2",'
        '"traits":"not-an-object","context":{"page":{"url":{"nested":true}}}}',
        '{"type":"track","messageId":"m3","timestamp":"2026-11-20T10:00:02Z","userId":"u3","event":"Demo Requested",'
        '"properties":{"form_name":"demo","plan":"pro"}}',
    ]
    path = tmp_path / "events_2026-11-20_0001.jsonl"
    path.write_text("\n".join(lines) + "\n")
    contract = contract_for_file("events", path.name)
    result = conform_file(path, contract, source_file="events/x.jsonl", file_hash="h", run_id="t", ingested_at=NOW)
    assert result.bronze.height == 3 and result.quarantine.height == 0
    assert result.bronze.filter(pl.col("message_id") == "m1")["phone"].item() == "4155550134"
    assert result.bronze.filter(pl.col("message_id") == "m2")["email"].item() is None
    # Custom keys are schema drift: reported, and the row keeps its whole line in `extras`.
    assert result.manifest["extra_columns"][0].to_list() == ["properties.plan"]
    assert result.bronze.filter(pl.col("message_id") == "m3")["extras"].item().startswith('{"type":"track"')
    assert result.bronze.filter(pl.col("message_id") == "m1")["extras"].item() is None


def test_event_line_numbers_count_blank_lines_and_odd_bytes(tmp_path: Path) -> None:
    good = '{"type":"track","messageId":"m%d","timestamp":"2026-11-20T10:00:00Z","userId":"u","event":"Page Viewed"}'
    path = tmp_path / "events_2026-11-20_0002.jsonl"
    path.write_text("\n".join([good % 1, "", good % 3, "not json \x1f at all", good % 5]) + "\n")
    contract = contract_for_file("events", path.name)
    result = conform_file(path, contract, source_file="events/x.jsonl", file_hash="h", run_id="t", ingested_at=NOW)
    assert result.bronze["source_row"].to_list() == [1, 3, 5]
    assert result.quarantine.select("source_row", "reason").rows() == [(4, "invalid_json")]


def test_windows_line_endings_and_a_bom_change_nothing(tmp_path: Path) -> None:
    rel = "salesforce/Lead_2026-11-20_full.csv"
    text = (FIXTURES / rel).read_text()
    windows = tmp_path / "Lead_2026-11-20_windows.csv"
    windows.write_bytes(("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"))
    contract = contract_for_table("salesforce_lead")
    kwargs = {"source_file": rel, "file_hash": "h", "run_id": "t", "ingested_at": NOW}
    plain = conform_file(FIXTURES / rel, contract, **kwargs)
    crlf = conform_file(windows, contract, **kwargs)
    assert crlf.bronze.drop("extras").equals(plain.bronze.drop("extras"))
    assert crlf.quarantine.select("source_row", "field", "reason").equals(
        plain.quarantine.select("source_row", "field", "reason"))
    assert crlf.manifest["extra_columns"][0].to_list() == []
