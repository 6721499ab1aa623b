"""A person's current score: ``gold.lead_scores`` (the batch's, one row per person) with the real-time path's
later rescoring applied from ``gold.lead_score_updates``, an append-only log.

Why a log: a micro-batch rescores a hundred persons. Upserting them into ``gold.lead_scores`` rewrote the
files holding them, which for random persons is every file: 1.4 s a micro-batch at 1M persons, growing with
the table. Appending to the log costs one small file, whatever the table's size. The log stays short: the
batch scoring stage rescores everyone and drops the updates it supersedes, and the hourly maintenance run
folds the rest into ``gold.lead_scores`` (:func:`fold_score_updates`).

Readers that need today's score (routing, briefs, the analysts' ``gold.current_lead_scores`` view) read
through :func:`current_lead_scores`; ``gold.lead_scores`` alone lags by at most an hour of real-time
rescoring.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence

import polars as pl

from pipelines.storage.delta import DeltaStore
from pipelines.storage.reads import TableReader

__all__ = ["LEAD_SCORES", "LEAD_SCORE_UPDATES", "current_lead_scores", "fold_score_updates",
           "current_scores_view"]

LEAD_SCORES = "gold.lead_scores"
LEAD_SCORE_UPDATES = "gold.lead_score_updates"
ID, TIME = "person_id", "as_of"


def _latest(updates: pl.DataFrame) -> pl.DataFrame:
    """Each person's latest update (ties: the one appended last)."""
    return updates.with_row_index("_n").sort(TIME, "_n").unique(ID, keep="last").drop("_n")


def current_lead_scores(reader: TableReader, *, columns: Sequence[str] | None = None,
                        persons: Collection[str] | None = None) -> pl.DataFrame:
    """Each person's current score row (``columns`` of it): their latest update when it is at least as recent
    as their ``gold.lead_scores`` row, else that row; ``persons`` limits the read to them.

    Examples
    --------
    >>> import datetime as dt, tempfile
    >>> store = DeltaStore(tempfile.mkdtemp())
    >>> day = lambda d: dt.datetime(2026, 11, d, tzinfo=dt.UTC)
    >>> _ = store.append(LEAD_SCORES, pl.DataFrame({"person_id": ["a", "b"], "as_of": [day(1), day(1)],
    ...                                             "probability": [0.2, 0.3]}))
    >>> _ = store.append(LEAD_SCORE_UPDATES, pl.DataFrame({"person_id": ["b"], "as_of": [day(2)],
    ...                                                    "probability": [0.9]}))
    >>> current = current_lead_scores(store, columns=["person_id", "probability"])
    >>> current.sort("person_id")["probability"].to_list()
    [0.2, 0.9]
    """
    wanted = None if columns is None else list(dict.fromkeys([ID, TIME, *columns]))
    where = None if persons is None else {ID: list(persons)}
    if reader.table(LEAD_SCORES) is None:
        msg = (f"{LEAD_SCORES} does not exist yet: materialize the lead-score asset (handoff run) before "
               "routing or reading scores")
        raise ValueError(msg)
    base = reader.read(LEAD_SCORES, columns=wanted, where=where)
    log = reader.table(LEAD_SCORE_UPDATES)
    # columns a newer model added to the batch's table are null in older updates (and the other way round)
    logged = None if log is None else {f.name for f in log.schema().fields}
    narrowed = None if wanted is None or logged is None else [c for c in wanted if c in logged]
    updates = None if logged is None else reader.read(LEAD_SCORE_UPDATES, columns=narrowed, where=where)
    if updates is not None and updates.height:
        shared = [c for c in base.columns if c in updates.columns]
        latest = _latest(updates.select(shared).cast({c: base.schema[c] for c in shared}))
        batch_at = base.select(ID, pl.col(TIME).alias("_batch"))
        # an update the batch has since superseded (it rescored everyone later) no longer counts
        newer = latest.join(batch_at, on=ID, how="left").filter(
            pl.col("_batch").is_null() | (pl.col(TIME) >= pl.col("_batch"))).drop("_batch")
        base = pl.concat([base.join(newer.select(ID), on=ID, how="anti"), newer], how="diagonal")
    return base if columns is None else base.select(list(columns))


def fold_score_updates(store: DeltaStore, *, scored_everyone_at: dt.datetime | None = None) -> int:
    """Take the log's rows off it; returns how many. Each person's latest update replaces their
    ``gold.lead_scores`` row where it is more recent; with ``scored_everyone_at`` (the batch stage has just
    rescored everyone as of then) updates up to that time are superseded and dropped, later ones stay logged.

    Call it holding the lakehouse's write pool: a micro-batch appending between the read and the clearing
    would lose its rows. Folding twice changes nothing the second time.
    """
    if store.table(LEAD_SCORE_UPDATES) is None:
        return 0
    updates = store.read(LEAD_SCORE_UPDATES)
    if updates.height == 0:
        return 0
    if scored_everyone_at is None:
        latest = _latest(updates)
        current = store.read(LEAD_SCORES, columns=[ID, TIME], where={ID: latest[ID].to_list()})
        newer = latest.join(current.rename({TIME: "_current"}), on=ID, how="left").filter(
            pl.col("_current").is_null() | (pl.col(TIME) >= pl.col("_current"))).drop("_current")
        if newer.height:  # first: a crash before the clearing loses nothing (folding again is a no-op)
            store.merge(LEAD_SCORES, newer, keys=[ID])
        remaining = updates.clear()
    else:
        remaining = updates.filter(pl.col(TIME) > scored_everyone_at)
    if remaining.height < updates.height:
        store.overwrite(LEAD_SCORE_UPDATES, remaining)
    return updates.height - remaining.height


def current_scores_view(*, with_updates: bool) -> str:
    """DuckDB SQL for the analysts' ``gold.current_lead_scores`` view (catalog views are named by table)."""
    if not with_updates:
        return "CREATE OR REPLACE VIEW gold.current_lead_scores AS SELECT * FROM gold.lead_scores"
    return f"""
CREATE OR REPLACE VIEW gold.current_lead_scores AS
SELECT * EXCLUDE (_logged) FROM (
    SELECT *, 0 AS _logged FROM gold.lead_scores
    UNION ALL BY NAME
    SELECT *, 1 AS _logged FROM gold.lead_score_updates)
QUALIFY row_number() OVER (PARTITION BY {ID} ORDER BY {TIME} DESC, _logged DESC) = 1
"""
