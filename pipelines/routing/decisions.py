"""The decision log: append-only, one row per decision, with everything needed to explain and replay it.

``handoff_id`` = hash(person_id, trigger), where the trigger is the lead's class and the UTC day it qualified
(``qualified:2026-11-22`` or ``nurture:2026-11-22``). A person with a handoff of the same class decided within
``ACTIVE_DAYS`` gets no new one, so re-running a batch, replaying events, or the sensor and the schedule
meeting on the same person decide nothing twice. An escalation is a new decision of the same handoff
(``seq`` + 1, ``kind = "escalation"``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import polars as pl

from pipelines.storage.delta import DeltaStore

from .engine import CANDIDATE, LEAD_INPUT_SCHEMA

__all__ = ["DECISIONS", "DECISION_SCHEMA", "DECISION_CONTRACT", "ACTIVE_DAYS", "read_decisions", "active_handoffs",
           "latest_decisions", "append_decisions", "log_decisions", "handoff_ids", "assigned_today",
           "read_assigned_today"]

DECISIONS = "audit.routing_decisions"
DECISION_CONTRACT = "routing_decisions@v1"
ACTIVE_DAYS = 90
_NARROW_ROWS = 50_000  # up to this many new decisions, the dedupe reads only their persons' rows
INPUT_COLUMNS = [c for c in LEAD_INPUT_SCHEMA.names() if c != "person_id"]
DECISION_SCHEMA = pl.Schema({
    "decision_id": pl.String, "handoff_id": pl.String, "seq": pl.Int32, "kind": pl.String, "trigger": pl.String,
    "person_id": pl.String, "tier": pl.String, "segment": pl.String, "owner_id": pl.String,
    "owner_kind": pl.String, "owner_name": pl.String, "owner_time_zone": pl.String, "rule_id": pl.String, "rule_path": pl.List(pl.String),
    "candidates": pl.List(CANDIDATE), "proposed_owner_id": pl.String, "reason": pl.String,
    "rule_version": pl.String, "model_version": pl.String, "contract_version": pl.String,
    "inputs_hash": pl.String, "roster_hash": pl.String, "run_id": pl.String,
    "decided_at": pl.Datetime("us", "UTC"), "sla_due_at": pl.Datetime("us", "UTC"),
    **{c: LEAD_INPUT_SCHEMA[c] for c in INPUT_COLUMNS},
})


def handoff_ids(person: pl.Expr, trigger: pl.Expr) -> pl.Expr:
    """Deterministic handoff id (32 hex chars) from person and trigger: the CRM task's external id too."""
    return pl.concat_str(person, pl.lit("|"), trigger).map_batches(
        lambda s: pl.Series(s.name, [None] * len(s), pl.String) if len(s) == 0 else _md5(s),
        return_dtype=pl.String)


def _md5(s: pl.Series) -> pl.Series:
    import duckdb

    con = duckdb.connect()
    try:
        con.register("keys", pl.DataFrame({"v": s}).to_arrow())
        return con.execute("SELECT md5(v) AS h FROM keys").pl()["h"].alias(s.name)
    finally:
        con.close()


def read_decisions(store: DeltaStore, columns: list[str] | None = None, *,
                   persons: Collection[str] | None = None) -> pl.DataFrame:
    """The log (``columns`` of it); with ``persons`` only those persons' decisions, read with the filter
    pushed into the scan."""
    cols = columns or DECISION_SCHEMA.names()
    schema = pl.Schema({c: DECISION_SCHEMA[c] for c in cols})
    dt_ = store.table(DECISIONS)
    if dt_ is None:
        return schema.to_frame()
    if persons is None:
        return store.read(DECISIONS, columns=cols)
    return pl.scan_delta(dt_).filter(pl.col("person_id").is_in(list(persons))).select(cols).collect()


def latest_decisions(log: pl.DataFrame) -> pl.DataFrame:
    """The current decision of each handoff (its highest ``seq``)."""
    return log.sort("seq").unique("handoff_id", keep="last", maintain_order=True)


def active_handoffs(log: pl.DataFrame, *, now: dt.datetime) -> pl.DataFrame:
    """``person_id, lead_class``: persons with a handoff of that class decided within ``ACTIVE_DAYS``."""
    first = log.filter((pl.col("seq") == 0) & (pl.col("decided_at") >= now - dt.timedelta(days=ACTIVE_DAYS)))
    return first.select("person_id", pl.col("trigger").str.extract(r"^([a-z]+):").alias("lead_class")).unique()


def assigned_today(log: pl.DataFrame | pl.LazyFrame, *, now: dt.datetime) -> pl.DataFrame:
    """``rep_id, assigned``: decisions given to each rep since UTC midnight (their used daily capacity).
    ``log`` may be a scan, into which the filter is then pushed."""
    midnight = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return (log.lazy().filter((pl.col("owner_kind") == "rep") & (pl.col("decided_at") >= midnight))
            .group_by(pl.col("owner_id").alias("rep_id")).agg(pl.len().cast(pl.Int64).alias("assigned"))
            .collect())


def read_assigned_today(store: DeltaStore, *, now: dt.datetime) -> pl.DataFrame:
    """:func:`assigned_today` over the whole log, reading only the reps' decisions since UTC midnight.

    A micro-batch needs every rep's load but not every decision of the day: after a batch run at 1M persons
    that is 958k rows, of which 8k went to reps (computing the handoffs still active from all of them cost
    0.3-0.4 s a micro-batch)."""
    table = store.table(DECISIONS)
    if table is None:
        return pl.DataFrame(schema={"rep_id": pl.String, "assigned": pl.Int64})
    return assigned_today(pl.scan_delta(table), now=now)


def append_decisions(store: DeltaStore, decisions: pl.DataFrame) -> int:
    """Append the decisions not yet in the log (by ``decision_id``); returns how many were new."""
    return log_decisions(store, decisions).height


def log_decisions(store: DeltaStore, decisions: pl.DataFrame) -> pl.DataFrame:
    """:func:`append_decisions`, returning the rows it appended (as :data:`DECISION_SCHEMA`)."""
    frame = decisions.select(DECISION_SCHEMA.names()).cast(dict(DECISION_SCHEMA))  # type: ignore[arg-type]
    if store.table(DECISIONS) is not None and frame.height:
        ids = frame["decision_id"]
        # a decision id belongs to one person: a micro-batch reads its persons' rows only (stats prune files)
        where = {"person_id": frame["person_id"].unique().to_list()} if frame.height <= _NARROW_ROWS else None
        have = store.read(DECISIONS, columns=["decision_id"], where=where).filter(
            pl.col("decision_id").is_in(ids.implode()))
        frame = frame.join(have, on="decision_id", how="anti")
    if frame.height:
        store.append(DECISIONS, frame)
    return frame
