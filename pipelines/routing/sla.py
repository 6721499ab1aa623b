"""SLAs in business hours: due times in each owner's working hours and time zone, first contact from Salesforce
Tasks, and the status of every open handoff (met, breached, pending, at risk).

A rep's first contact is their first Task of subtype Email or Call on the lead (``WhoId`` is one of the person's
Lead or Contact ids), created at or after the decision.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

__all__ = ["add_business_hours", "first_contacts", "sla_status", "SLA_STATUS_SCHEMA"]

SLA_STATUS_SCHEMA = pl.Schema({
    "handoff_id": pl.String, "person_id": pl.String, "tier": pl.String, "owner_id": pl.String,
    "owner_kind": pl.String, "decision_id": pl.String, "decided_at": pl.Datetime("us", "UTC"),
    "due_at": pl.Datetime("us", "UTC"), "first_contact_at": pl.Datetime("us", "UTC"), "status": pl.String,
    "escalations": pl.Int32, "checked_at": pl.Datetime("us", "UTC"),
})
_MAX_DAYS = 60


def _local_due(start: np.ndarray, minutes: np.ndarray, open_min: np.ndarray, close_min: np.ndarray,
               day_mask: np.ndarray) -> np.ndarray:
    """Naive local datetime64[m] arrays: walk day by day (a loop over days, vectorised over leads)."""
    cursor = start.astype("datetime64[m]")
    left = minutes.astype(np.int64)
    due = np.full(start.shape, np.datetime64("NaT"), dtype="datetime64[m]")
    todo = np.ones(start.shape, dtype=bool)
    for _ in range(_MAX_DAYS):
        if not todo.any():
            break
        day = cursor.astype("datetime64[D]")
        weekday = (day.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        works = (day_mask >> weekday) & 1 == 1
        opens = day.astype("datetime64[m]") + open_min.astype("timedelta64[m]")
        closes = day.astype("datetime64[m]") + close_min.astype("timedelta64[m]")
        begin = np.maximum(cursor, opens)
        avail = np.where(works & (begin < closes), (closes - begin).astype(np.int64), 0)
        done = todo & (avail >= left) & (avail > 0)
        due[done] = begin[done] + left[done].astype("timedelta64[m]")
        left = np.where(todo & ~done, left - avail, left)
        todo &= ~done
        cursor = np.where(todo, (day + np.timedelta64(1, "D")).astype("datetime64[m]"), cursor)
    return due


def add_business_hours(frame: pl.DataFrame, *, start: str, hours: str, time_zone: str, open_minute: str,
                       close_minute: str, work_days: str, out: str = "due_at") -> pl.DataFrame:
    """Add column ``out``: ``start`` (UTC) plus ``hours`` business hours of each row's own calendar.

    The calendar is ``time_zone`` (IANA), the working window ``open_minute``-``close_minute`` (minutes after
    local midnight) on ``work_days`` (0 = Monday). Work is counted in local time, so DST shifts are honoured.

    Examples
    --------
    >>> f = pl.DataFrame({"t": [dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)], "h": [4.0],
    ...                   "tz": ["Europe/London"], "o": [540], "c": [1020], "d": [[0, 1, 2, 3, 4]]})
    >>> add_business_hours(f, start="t", hours="h", time_zone="tz", open_minute="o", close_minute="c",
    ...                    work_days="d")["due_at"].to_list()  # Friday 15:00 + 4 h → Monday 11:00
    [datetime.datetime(2026, 11, 23, 11, 0, tzinfo=zoneinfo.ZoneInfo(key='UTC'))]
    """
    frame = frame.with_row_index("_row")
    parts = []
    for (zone,), group in frame.group_by(time_zone):  # one pass per time zone (a few dozen at most)
        local = group.select(pl.col(start).dt.convert_time_zone(str(zone)).dt.replace_time_zone(None))[start]
        mask = group.select(pl.col(work_days).list.eval(pl.lit(2, dtype=pl.Int64).pow(pl.element().cast(pl.Int64))).list.sum())
        due = _local_due(local.to_numpy().astype("datetime64[m]"), (group[hours] * 60).round().to_numpy(),
                         group[open_minute].to_numpy(), group[close_minute].to_numpy(),
                         mask.to_series().fill_null(0).to_numpy().astype(np.int64))
        parts.append(group.select("_row").with_columns(
            pl.Series(out, due.astype("datetime64[us]")).dt.replace_time_zone(
                str(zone), ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")))
    if not parts:
        return frame.drop("_row").with_columns(pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias(out))
    return frame.join(pl.concat(parts), on="_row", how="left").sort("_row").drop("_row")


def first_contacts(tasks: pl.DataFrame, sf_ids: pl.DataFrame, decisions: pl.DataFrame) -> pl.DataFrame:
    """``decision_id, first_contact_at``: the owner's first Email or Call Task on the person after the decision.

    ``tasks``: bronze Salesforce Tasks (``who_id, owner_id, task_subtype, created_at``); ``sf_ids``:
    ``person_id, sf_id`` (every Lead and Contact id of a person); ``decisions``: ``decision_id, person_id,
    owner_id, decided_at``.
    """
    calls = tasks.filter(pl.col("task_subtype").is_in(["Email", "Call"])).select(
        "who_id", pl.col("owner_id").alias("_task_owner"), "created_at")
    hits = (decisions.join(sf_ids, on="person_id").join(calls, left_on="sf_id", right_on="who_id")
            .filter((pl.col("_task_owner") == pl.col("owner_id")) & (pl.col("created_at") >= pl.col("decided_at"))))
    return hits.group_by("decision_id").agg(pl.col("created_at").min().alias("first_contact_at"))


def sla_status(open_decisions: pl.DataFrame, contacts: pl.DataFrame, *, now: dt.datetime,
               at_risk_hours: float = 1.0) -> pl.DataFrame:
    """Status per handoff: ``met`` (contact by the due time), ``breached`` (contact late, or none and past due),
    ``at_risk`` (no contact, due within ``at_risk_hours``), else ``pending``."""
    frame = open_decisions.join(contacts, on="decision_id", how="left")
    due, contact = pl.col("due_at"), pl.col("first_contact_at")
    status = (pl.when(contact.is_not_null() & (contact <= due)).then(pl.lit("met"))
              .when(contact.is_not_null() | (due < now)).then(pl.lit("breached"))
              .when(due < now + dt.timedelta(hours=at_risk_hours)).then(pl.lit("at_risk"))
              .otherwise(pl.lit("pending")))
    return frame.with_columns(status.alias("status"), pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("checked_at"))
