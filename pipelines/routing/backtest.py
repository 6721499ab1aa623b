"""Backtest a candidate rules version against the decisions the log holds, without writing anything.

The log keeps each decision's inputs (:data:`~pipelines.routing.decisions.INPUT_COLUMNS`), so the last N days
are replayed exactly: each logged run is routed again under the candidate at its own decision time, with the
capacity each rep had used earlier that (UTC) day in the replay. The diff says what would change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from pipelines.storage.delta import DeltaStore

from .decisions import INPUT_COLUMNS, read_decisions
from .engine import route_leads
from .roster import Roster
from .rules import RoutingRules

__all__ = ["BacktestReport", "backtest", "replay"]


@dataclass
class BacktestReport:
    candidate: str
    decisions: int
    owners_changed: int
    changes: pl.DataFrame           # person_id, handoff_id, tier, owner_before, owner_after, rule_before, rule_after
    load: pl.DataFrame              # owner_id, day, before, after, capacity
    capacity_violations: dict[str, int]  # before/after: (rep, day) pairs over daily capacity
    hot_without_rep: dict[str, int]      # before/after: hot leads left to a queue (SLA risk)

    def summary(self) -> str:
        moved = self.changes.group_by("rule_before", "rule_after").len().sort("len", descending=True)
        lines = [f"backtest of rules {self.candidate} over {self.decisions:,} logged decisions",
                 f"owners changed: {self.owners_changed:,}",
                 f"capacity violations (rep-days over capacity): before {self.capacity_violations['before']}, "
                 f"after {self.capacity_violations['after']}",
                 f"hot leads left to a queue (SLA risk): before {self.hot_without_rep['before']}, "
                 f"after {self.hot_without_rep['after']}", "changes by rule (before → after):"]
        lines += [f"  {a} → {b}: {n:,}" for a, b, n in moved.iter_rows()]
        return "\n".join(lines)


def replay(log: pl.DataFrame, rules: RoutingRules, roster: Roster) -> pl.DataFrame:
    """Route every logged first decision again under ``rules``: ``person_id, handoff_id, owner_id, rule_id,
    owner_kind, decided_at`` (one call per logged run, in time order)."""
    out = []
    used = pl.DataFrame(schema={"rep_id": pl.String, "assigned": pl.Int64, "day": pl.Date})
    for (run_id, decided_at), rows in log.sort("decided_at").group_by(["run_id", "decided_at"],
                                                                       maintain_order=True):
        day = decided_at.date()
        today = used.filter(pl.col("day") == day).group_by("rep_id").agg(pl.col("assigned").sum())
        routed = route_leads(rows.select("person_id", *INPUT_COLUMNS), roster.reps, rules, now=decided_at,
                             assigned_today=today)
        got = routed.filter(pl.col("owner_kind") == "rep").group_by(pl.col("owner_id").alias("rep_id")).agg(
            pl.len().cast(pl.Int64).alias("assigned")).with_columns(pl.lit(day).alias("day"))
        used = pl.concat([used, got])
        out.append(routed.join(rows.select("person_id", "handoff_id"), on="person_id").with_columns(
            pl.lit(decided_at).cast(pl.Datetime("us", "UTC")).alias("decided_at"), pl.lit(run_id).alias("run_id")))
    if not out:
        return pl.DataFrame(schema={"person_id": pl.String, "handoff_id": pl.String, "owner_id": pl.String,
                                    "rule_id": pl.String, "owner_kind": pl.String, "tier": pl.String,
                                    "decided_at": pl.Datetime("us", "UTC")})
    return pl.concat(out).select("person_id", "handoff_id", "owner_id", "rule_id", "owner_kind", "tier",
                                 "decided_at")


def _load(frame: pl.DataFrame) -> pl.DataFrame:
    return (frame.filter(pl.col("owner_kind") == "rep")
            .group_by("owner_id", pl.col("decided_at").dt.date().alias("day")).len())


def backtest(store: DeltaStore, candidate: RoutingRules, roster: Roster, *, days: int, now: dt.datetime
             ) -> BacktestReport:
    """Replay the first decisions of the last ``days`` days under ``candidate`` and diff them with the log."""
    log = read_decisions(store).filter((pl.col("seq") == 0) & (pl.col("decided_at") >= now - dt.timedelta(days=days)))
    after = replay(log, candidate, roster)
    before = log.select("person_id", "handoff_id", "owner_id", "rule_id", "owner_kind", "tier", "decided_at")
    both = before.join(after.select("handoff_id", pl.col("owner_id").alias("owner_after"),
                                    pl.col("rule_id").alias("rule_after"),
                                    pl.col("owner_kind").alias("kind_after")), on="handoff_id", how="left")
    changes = both.filter(pl.col("owner_id") != pl.col("owner_after")).select(
        "person_id", "handoff_id", "tier", pl.col("owner_id").alias("owner_before"), "owner_after",
        pl.col("rule_id").alias("rule_before"), "rule_after")
    cap = roster.reps.select(pl.col("rep_id").alias("owner_id"), pl.col("daily_capacity").alias("capacity"))
    load = (_load(before).rename({"len": "before"})
            .join(_load(after).rename({"len": "after"}), on=["owner_id", "day"], how="full", coalesce=True)
            .with_columns(pl.col("before", "after").fill_null(0)).join(cap, on="owner_id", how="left")
            .sort("owner_id", "day"))
    over = {k: int(load.filter(pl.col(k) > pl.col("capacity")).height) for k in ("before", "after")}
    hot_q = {"before": int(both.filter((pl.col("tier") == "hot") & (pl.col("owner_kind") == "queue")).height),
             "after": int(both.filter((pl.col("tier") == "hot") & (pl.col("kind_after") == "queue")).height)}
    return BacktestReport(candidate=candidate.version, decisions=log.height, owners_changed=changes.height,
                          changes=changes, load=load, capacity_violations=over, hot_without_rep=hot_q)
