"""The identity stage over a real lakehouse: silver tables written, re-runs change nothing, overrides hold."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from handoff.evaluation import account_accuracy
from pipelines.identity.resolve import OVERRIDE_SCHEMA
from pipelines.identity.stage import (ACCOUNTS, CROSSWALK, IDENTITY_TABLES, MODEL_REGISTRY, OVERRIDES,
                                      PERSON_ACCOUNTS, PERSON_RECORDS, PERSONS, run_identity_stage)
from pipelines.storage.delta import DeltaStore
from worlds import world_lakehouse


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> tuple[DeltaStore, Path]:
    root = tmp_path_factory.mktemp("stage")
    return world_lakehouse(root, persons=1_000, seed=5, through="bronze"), root / "truth"


def test_stage_writes_silver_and_a_rerun_changes_nothing(lake) -> None:  # noqa: ANN001
    store, truth = lake
    first = run_identity_stage(store, run_id="r1", now=datetime(2026, 11, 1, tzinfo=UTC), threads=2)
    for table in IDENTITY_TABLES:
        if table != "silver.identity_changes":
            assert store.version(table) is not None, table
    xw = store.read(CROSSWALK)
    assert xw.height == store.read(PERSON_RECORDS).height == first.stats["records"]
    persons = store.read(PERSONS)
    assert persons["person_id"].n_unique() == persons.height == xw["person_id"].n_unique()
    assert set(store.read(PERSON_ACCOUNTS)["person_id"]) == set(persons["person_id"])
    assert store.read(ACCOUNTS)["account_id"].is_unique().all()
    assert store.read(MODEL_REGISTRY).height == 1
    accuracy = account_accuracy(store.read(PERSON_ACCOUNTS), truth,
                                records=xw.select("source", "record_id", "person_id"))
    assert accuracy["accuracy"] >= 0.97

    versions = {t: store.version(t) for t in [*IDENTITY_TABLES, MODEL_REGISTRY]}
    second = run_identity_stage(store, run_id="r2", now=datetime(2026, 11, 2, tzinfo=UTC), threads=2)
    assert {t: store.version(t) for t in versions} == versions
    assert second.model_id == first.model_id
    assert store.read(CROSSWALK).sort("source", "record_id").equals(xw.sort("source", "record_id"))


def test_overrides_table_is_honoured(lake) -> None:  # noqa: ANN001
    store, _ = lake
    run_identity_stage(store, run_id="r1", threads=2)
    xw = store.read(CROSSWALK).sort("source", "record_id")
    persons = xw["person_id"].unique(maintain_order=True)
    a = xw.filter(pl.col("person_id") == persons[0]).row(0, named=True)
    b = xw.filter(pl.col("person_id") == persons[1]).row(0, named=True)
    store.append(OVERRIDES, pl.DataFrame([{
        "rule": "must_link", "source_l": a["source"], "record_id_l": a["record_id"], "source_r": b["source"],
        "record_id_r": b["record_id"], "reason": "same person, confirmed by the rep", "created_by": "steward"}],
        schema=OVERRIDE_SCHEMA))
    report = run_identity_stage(store, run_id="r3", threads=2)
    after = store.read(CROSSWALK)
    ids = {(s, r): p for s, r, p in after.select("source", "record_id", "person_id").iter_rows()}
    assert ids[(a["source"], a["record_id"])] == ids[(b["source"], b["record_id"])]
    assert report.stats["merges"] >= 1
    assert store.read("silver.identity_changes").filter(pl.col("change") == "merge").height >= 1


def test_graph_stage_builds_and_a_rerun_changes_nothing(lake, tmp_path) -> None:  # noqa: ANN001
    import duckdb

    from pipelines.graph import GRAPH_VIEWS
    from pipelines.graph.stage import GRAPH_EDGES, GRAPH_NODES, run_graph_stage
    from pipelines.storage.catalog import refresh_catalog

    store, _ = lake
    run_identity_stage(store, run_id="r1", threads=2)
    report = run_graph_stage(store)
    assert {"works_at", "engaged_with", "owns"} <= set(report.edges_by_type)
    edges = store.read(GRAPH_EDGES)
    assert edges["edge_id"].is_unique().all()
    people = set(store.read(CROSSWALK)["person_id"])
    works_at = edges.filter(pl.col("edge_type") == "works_at")
    assert set(works_at["src"].str.strip_prefix("person:")) <= people
    versions = (store.version(GRAPH_NODES), store.version(GRAPH_EDGES))
    run_graph_stage(store)
    assert (store.version(GRAPH_NODES), store.version(GRAPH_EDGES)) == versions
    catalog = tmp_path / "catalog.duckdb"
    refresh_catalog(store, catalog, views=GRAPH_VIEWS)
    con = duckdb.connect(str(catalog), read_only=True)
    try:
        assert con.sql("SELECT count(*) FROM silver.graph_edges").fetchone()[0] == edges.height
        con.sql("SELECT * FROM graph.buying_group LIMIT 5").fetchall()
    finally:
        con.close()
