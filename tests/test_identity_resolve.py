"""Person resolution on a small generated world: accuracy, persistent ids, overrides, incremental matching."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from contracts.registry import BRONZE_CONTRACTS
from handoff.evaluation import truth_person_records
from handoff.world import generate_world
from pipelines.identity.evaluate import pairwise_scores
from pipelines.identity.incremental import IdentityIndex
from pipelines.identity.records import read_person_records
from pipelines.identity.resolve import OVERRIDE_SCHEMA, ResolverOptions, resolve_persons
from pipelines.ingest.bronze import ingest_bronze_all
from pipelines.storage.delta import DeltaStore

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, Path]:
    root = tmp_path_factory.mktemp("identity")
    generate_world(root, persons=2_000, seed=11)
    store = DeltaStore(str(root / "lake"))
    ingest_bronze_all(BRONZE_CONTRACTS, store=store, landing_root=root / "landing", run_id="t")
    return read_person_records(store), root / "truth"


@pytest.fixture(scope="module")
def first_run(world: tuple[pl.DataFrame, Path]):  # noqa: ANN201
    records, _ = world
    return resolve_persons(records, now=T0, options=ResolverOptions(threads=2))


def test_accuracy_against_the_generators_truth(world, first_run) -> None:  # noqa: ANN001
    _, truth_dir = world
    scores = pairwise_scores(first_run.crosswalk, truth_person_records(truth_dir), on=["source", "record_id"])
    assert scores.records == first_run.crosswalk.height
    assert scores.precision >= 0.98
    assert scores.recall >= 0.95


def test_every_record_gets_exactly_one_person(world, first_run) -> None:  # noqa: ANN001
    records, _ = world
    xw = first_run.crosswalk
    assert xw.height == records.height
    assert xw.select("source", "record_id").is_duplicated().sum() == 0
    assert xw["person_id"].null_count() == 0
    assert set(xw["link_method"].unique()) <= {"override", "crm_id", "email", "event_identity", "probabilistic",
                                              "none"}


def test_rerun_keeps_every_person_id(world, first_run) -> None:  # noqa: ANN001
    records, _ = world
    again = resolve_persons(records, previous=first_run.crosswalk, now=T0 + timedelta(days=1),
                            options=ResolverOptions(model=first_run.model, threads=2))
    joined = first_run.crosswalk.join(again.crosswalk, on=["source", "record_id"], suffix="_2")
    assert joined.height == records.height
    assert (joined["person_id"] == joined["person_id_2"]).all()
    assert (joined["person_since"] == joined["person_since_2"]).all()
    assert again.changes.height == 0


def test_a_new_file_moves_no_id_except_through_recorded_merges(world) -> None:  # noqa: ANN001
    records, _ = world
    before = records.filter(pl.col("source") != "marketo_lead")
    old = resolve_persons(before, now=T0, options=ResolverOptions(threads=2))
    new = resolve_persons(records, previous=old.crosswalk, now=T0 + timedelta(days=1),
                          options=ResolverOptions(model=old.model, threads=2))
    moved = old.crosswalk.join(new.crosswalk, on=["source", "record_id"], suffix="_new").filter(
        pl.col("person_id") != pl.col("person_id_new"))
    recorded = new.changes.select(pl.col("other_person_id").alias("person_id"),
                                  pl.col("person_id").alias("person_id_new"))
    unexplained = moved.join(recorded, on=["person_id", "person_id_new"], how="anti")
    assert unexplained.height == 0
    # a merge keeps the older id
    for change in new.changes.filter(pl.col("change") == "merge").iter_rows(named=True):
        since = new.crosswalk.filter(pl.col("person_id") == change["person_id"])["person_since"][0]
        assert since <= T0


def _override(rule: str, a: tuple[str, str], b: tuple[str, str]) -> pl.DataFrame:
    return pl.DataFrame([{"rule": rule, "source_l": a[0], "record_id_l": a[1], "source_r": b[0],
                          "record_id_r": b[1], "reason": "test", "created_by": "analyst"}], schema=OVERRIDE_SCHEMA)


def test_overrides_hold_in_every_later_run(world, first_run) -> None:  # noqa: ANN001
    records, _ = world
    xw = first_run.crosswalk
    big = xw.group_by("person_id").len().filter(pl.col("len") >= 3)["person_id"][0]
    together = xw.filter(pl.col("person_id") == big).sort("source", "record_id")
    a, b = together.row(0, named=True), together.row(1, named=True)
    other = xw.filter(pl.col("person_id") != big).row(0, named=True)
    overrides = pl.concat([
        _override("cannot_link", (a["source"], a["record_id"]), (b["source"], b["record_id"])),
        _override("must_link", (a["source"], a["record_id"]), (other["source"], other["record_id"])),
    ])
    previous = xw
    for day in (1, 2):
        run = resolve_persons(records, previous=previous, overrides=overrides, now=T0 + timedelta(days=day),
                              options=ResolverOptions(model=first_run.model, threads=2))
        pid = dict(zip(zip(run.crosswalk["source"], run.crosswalk["record_id"]), run.crosswalk["person_id"],
                       strict=True))
        if run.override_conflicts.height == 0:
            assert pid[(a["source"], a["record_id"])] != pid[(b["source"], b["record_id"])]
        assert pid[(a["source"], a["record_id"])] == pid[(other["source"], other["record_id"])]
        previous = run.crosswalk


def test_incremental_batch_matches_existing_persons(world) -> None:  # noqa: ANN001
    records, truth_dir = world
    held = records.filter(pl.col("source") == "hubspot_contact").head(200)
    rest = records.join(held.select("source", "record_id"), on=["source", "record_id"], how="anti")
    base = resolve_persons(rest, now=T0, options=ResolverOptions(threads=2))
    index = IdentityIndex(base.records, base.crosswalk, base.model, threads=2)
    result = index.match(held, now=T0 + timedelta(hours=1))
    batch = result.crosswalk.join(held.select("source", "record_id"), on=["source", "record_id"])
    assert batch.height == held.height
    # judged against the truth: a held-out record joins the person holding its true duplicates
    truth = truth_person_records(truth_dir)
    full = pl.concat([base.crosswalk.select("source", "record_id", "person_id"),
                      batch.select("source", "record_id", "person_id")])
    scores = pairwise_scores(full, truth, on=["source", "record_id"])
    assert scores.precision >= 0.98
    assert scores.recall >= 0.95
    # a second delivery of the same batch changes nothing
    again = index.match(held, now=T0 + timedelta(hours=2))
    assert again.crosswalk.sort("source", "record_id")["person_id"].to_list() == \
        result.crosswalk.sort("source", "record_id")["person_id"].to_list()


def test_link_method_probabilistic_only_where_a_probabilistic_link_joined_the_person(first_run) -> None:  # noqa: ANN001
    xw = first_run.crosswalk
    prob = xw.filter(pl.col("link_method") == "probabilistic")
    assert prob["match_probability"].null_count() == 0
    assert (prob["match_probability"] >= 0.95).all()
    # a person reached only by probabilistic links has more than one record
    sizes = xw.group_by("person_id").len()
    assert prob.join(sizes, on="person_id")["len"].min() > 1
