"""The analysts' DuckDB catalog: every table under its layer, readable while runs write, no lock fights."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from pathlib import Path

import duckdb

from contracts.registry import BRONZE_CONTRACTS, contract_for_table
from pipelines.ingest.bronze import ingest_bronze
from pipelines.storage.catalog import refresh_catalog
from pipelines.storage.delta import DeltaStore

NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)


def _load(store: DeltaStore, landing: Path) -> None:
    for c in BRONZE_CONTRACTS:
        ingest_bronze(c, store=store, landing_root=landing, run_id="run-1", now=NOW)


def test_catalog_exposes_every_table_under_readable_schemas(tmp_path: Path, vendor_landing: Path) -> None:
    store = DeltaStore(str(tmp_path / "lakehouse"))
    _load(store, vendor_landing)
    catalog = tmp_path / "catalog.duckdb"
    refresh_catalog(store, catalog)
    with duckdb.connect(str(catalog), read_only=True) as con:
        names = {f"{s}.{t}" for s, t in con.sql(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema <> 'meta'"
        ).fetchall()}
        assert names == set(store.tables())
        assert {"audit.manifest", "quarantine.records"} <= names
        assert {f"bronze.{c.table}" for c in BRONZE_CONTRACTS} <= names
        for table in names:
            assert con.sql(f"SELECT count(*) FROM {table}").fetchone()[0] == store.read(table).height
        # String filters work (plain strings, not string_view).
        assert con.sql("SELECT count(*) FROM bronze.salesforce_lead WHERE last_name = 'Müller'").fetchone()[0] >= 0


def test_plain_duckdb_process_reads_the_catalog(tmp_path: Path, vendor_landing: Path) -> None:
    store = DeltaStore(str(tmp_path / "lakehouse"))
    _load(store, vendor_landing)
    catalog = tmp_path / "catalog.duckdb"
    refresh_catalog(store, catalog)
    code = ("import duckdb,sys; c=duckdb.connect(sys.argv[1], read_only=True);"
            "print(c.sql('select count(*) from quarantine.records').fetchone()[0])")
    out = subprocess.run([sys.executable, "-c", code, str(catalog)], capture_output=True, text=True, check=True)
    assert int(out.stdout) == store.read("quarantine.records").height


def test_readers_and_a_writing_run_do_not_fight(tmp_path: Path, vendor_landing: Path) -> None:
    store = DeltaStore(str(tmp_path / "lakehouse"))
    contract = contract_for_table("salesforce_lead")
    ingest_bronze(contract, store=store, landing_root=vendor_landing, run_id="run-1", now=NOW)
    catalog = tmp_path / "catalog.duckdb"
    refresh_catalog(store, catalog)

    reader = duckdb.connect(str(catalog), read_only=True)  # an analyst keeps a session open
    before = reader.sql("SELECT count(*) FROM bronze.salesforce_lead").fetchone()[0]

    errors: list[BaseException] = []
    counts: list[int] = []
    stop = threading.Event()

    def analyst() -> None:
        try:
            while not stop.is_set():
                with duckdb.connect(str(catalog), read_only=True) as con:
                    counts.append(con.sql("SELECT count(*) FROM bronze.salesforce_lead").fetchone()[0])
        except BaseException as exc:  # noqa: BLE001 - surfaced below
            errors.append(exc)

    thread = threading.Thread(target=analyst)
    thread.start()
    try:
        src = vendor_landing / "salesforce" / "Lead_2026-11-20_full.csv"
        lines = src.read_text().splitlines()
        (src.parent / "Lead_2026-11-22_incremental.csv").write_text("\n".join(lines[:3]) + "\n")
        for _ in range(3):
            ingest_bronze(contract, store=store, landing_root=vendor_landing, run_id="run-2", now=NOW)
            _, replaced = refresh_catalog(store, catalog)
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert counts, "the analyst thread never got a result"
    # The open session keeps its consistent snapshot; a new session sees the new rows.
    assert reader.sql("SELECT count(*) FROM bronze.salesforce_lead").fetchone()[0] == before
    reader.close()
    with duckdb.connect(str(catalog), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM bronze.salesforce_lead").fetchone()[0] == before + 2
    assert set(counts) <= {before, before + 2}


def test_refresh_is_skipped_when_no_table_moved(tmp_path: Path, vendor_landing: Path) -> None:
    store = DeltaStore(str(tmp_path / "lakehouse"))
    _load(store, vendor_landing)
    catalog = tmp_path / "catalog.duckdb"
    assert refresh_catalog(store, catalog)[1] is True
    assert refresh_catalog(store, catalog)[1] is False
