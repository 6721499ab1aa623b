"""Each vendor object's adapter against a small hand-written file: counts, reasons, drift, rejection."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import yaml

from contracts.registry import BRONZE_CONTRACTS, contract_for_file
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
