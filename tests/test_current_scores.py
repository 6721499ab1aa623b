"""The real-time path's score log: current scores, folding (maintenance, the batch), the analysts' view."""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl
import pytest

from pipelines.scoring import LEAD_SCORE_UPDATES, LEAD_SCORES, current_lead_scores, fold_score_updates
from pipelines.scoring.current import current_scores_view
from pipelines.storage.catalog import refresh_catalog
from pipelines.storage.delta import DeltaStore


def _day(d: int) -> dt.datetime:
    return dt.datetime(2026, 11, d, 9, tzinfo=dt.UTC)


def _scores(rows: list[tuple[str, int, float]]) -> pl.DataFrame:
    return pl.DataFrame({"person_id": [r[0] for r in rows], "as_of": [_day(r[1]) for r in rows],
                         "probability": [r[2] for r in rows], "reasons": [[f"r{r[2]}"] for r in rows]},
                        schema={"person_id": pl.String, "as_of": pl.Datetime("us", "UTC"),
                                "probability": pl.Float64, "reasons": pl.List(pl.String)})


@pytest.fixture
def store(tmp_path) -> DeltaStore:
    lake = DeltaStore(str(tmp_path / "lake"))
    lake.append(LEAD_SCORES, _scores([("a", 10, 0.1), ("b", 10, 0.2), ("c", 12, 0.3)]))
    # b rescored twice after the batch; c's update predates the batch's row (superseded); d is a new person
    lake.append(LEAD_SCORE_UPDATES, _scores([("b", 11, 0.5), ("c", 11, 0.9), ("d", 11, 0.4)]))
    lake.append(LEAD_SCORE_UPDATES, _scores([("b", 13, 0.8)]))
    return lake


def _probabilities(frame: pl.DataFrame) -> dict[str, float]:
    return dict(frame.select("person_id", "probability").iter_rows())


def test_current_scores_take_each_persons_latest_row(store) -> None:
    assert _probabilities(current_lead_scores(store)) == {"a": 0.1, "b": 0.8, "c": 0.3, "d": 0.4}
    two = current_lead_scores(store, columns=["person_id", "reasons"], persons=["b", "c"])
    assert two.columns == ["person_id", "reasons"]
    assert dict(two.iter_rows()) == {"b": ["r0.8"], "c": ["r0.3"]}


def test_current_scores_without_a_log_are_the_table(tmp_path) -> None:
    lake = DeltaStore(str(tmp_path / "lake"))
    with pytest.raises(ValueError, match="gold.lead_scores does not exist yet"):
        current_lead_scores(lake)
    lake.append(LEAD_SCORES, _scores([("a", 10, 0.1)]))
    assert _probabilities(current_lead_scores(lake)) == {"a": 0.1}


def test_a_column_a_newer_model_added_is_null_in_older_updates(store) -> None:
    later = _scores([("a", 14, 0.7)]).with_columns(pl.lit("v2").alias("model_version"))
    store.merge(LEAD_SCORES, later, keys=["person_id"])  # the batch's table gains a column
    current = current_lead_scores(store, columns=["person_id", "probability", "model_version"])
    assert dict(current.select("person_id", "model_version").iter_rows()) == {
        "a": "v2", "b": None, "c": None, "d": None}
    assert _probabilities(current) == {"a": 0.7, "b": 0.8, "c": 0.3, "d": 0.4}


def test_maintenance_folds_the_log_once(store) -> None:
    before = current_lead_scores(store).sort("person_id")
    assert fold_score_updates(store) == 4
    assert store.read(LEAD_SCORE_UPDATES).height == 0
    # the table now holds what current scores showed; the superseded update of c did not overwrite it
    assert store.read(LEAD_SCORES).sort("person_id").equals(before)
    versions = (store.version(LEAD_SCORES), store.version(LEAD_SCORE_UPDATES))
    assert fold_score_updates(store) == 0
    assert (store.version(LEAD_SCORES), store.version(LEAD_SCORE_UPDATES)) == versions


def test_the_batch_drops_only_the_updates_it_superseded(store) -> None:
    # the batch rescored everyone as of day 12: b's day-13 update stays logged and still counts
    assert fold_score_updates(store, scored_everyone_at=_day(12)) == 3
    assert store.read(LEAD_SCORE_UPDATES)["person_id"].to_list() == ["b"]
    assert _probabilities(current_lead_scores(store))["b"] == 0.8


def test_the_analysts_view_matches_current_scores(store, tmp_path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    refresh_catalog(store, catalog, views=[current_scores_view(with_updates=True)])
    with duckdb.connect(str(catalog), read_only=True) as con:
        rows = con.sql("SELECT person_id, probability FROM gold.current_lead_scores").fetchall()
    assert dict(rows) == _probabilities(current_lead_scores(store))
