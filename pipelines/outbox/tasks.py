"""The CRM outbox: handoffs + briefs → Salesforce Task rows and Lead owner updates, staged in Delta.

The outbox tables are the durable queue between the pipeline and the CRM (transactional outbox): a handoff is
staged once, keyed by its ``handoff_id`` as ``external_id``, and :func:`pipelines.outbox.dispatch.dispatch`
delivers the pending rows and records what happened on the same rows. Staging is insert-only, so restaging
the same handoffs (a rerun, a backfill) never resets the delivery state of a row already staged or sent.
"""

from __future__ import annotations

import polars as pl

from pipelines.briefs.render import wall_clock
from pipelines.storage.delta import DeltaStore, _plain_strings

__all__ = ["CRM_TASKS", "CRM_TASK_SCHEMA", "DEAD_LETTER", "DEAD_LETTER_SCHEMA", "DELIVERY_STATE",
           "DESCRIPTION_LIMIT", "OUTBOX_INPUT_COLUMNS", "OWNER_UPDATES", "OWNER_UPDATE_SCHEMA", "build_outbox",
           "stage_outbox"]

CRM_TASKS = "outbox.crm_tasks"
OWNER_UPDATES = "outbox.lead_owner_updates"
DEAD_LETTER = "outbox.dead_letter"
DESCRIPTION_LIMIT = 32_000  # Salesforce Task.Description (long text area) holds at most 32,000 characters
SUBJECT_LIMIT = 255
_TRUNCATED = "\n\n[brief truncated: the full brief is in the handoff record]"
_TS = pl.Datetime("us", "UTC")

DELIVERY_STATE = pl.Schema({"delivery_status": pl.String, "attempts": pl.Int32, "last_error": pl.String,
                            "sent_at": _TS, "crm_id": pl.String, "payload_hash": pl.String})
CRM_TASK_SCHEMA = pl.Schema({
    "external_id": pl.String, "subject": pl.String, "who_id": pl.String, "owner_id": pl.String,
    "activity_date": pl.Date, "priority": pl.String, "status": pl.String, "task_subtype": pl.String,
    "description": pl.String, **DELIVERY_STATE})
OWNER_UPDATE_SCHEMA = pl.Schema({"external_id": pl.String, "lead_id": pl.String, "owner_id": pl.String,
                                 **DELIVERY_STATE})
DEAD_LETTER_SCHEMA = pl.Schema({"kind": pl.String, "external_id": pl.String, "payload": pl.String,
                                "error": pl.String, "attempts": pl.Int32, "dead_at": _TS})
OUTBOX_INPUT_COLUMNS = ("handoff_id", "tier", "first_name", "last_name", "company", "owner_id", "owner_kind",
                        "owner_time_zone", "sla_due_at", "sf_lead_id", "sf_contact_id")


def _pending_state(payload: list[pl.Expr]) -> list[pl.Expr]:
    # Polars' row hash is stable for a given Polars version (the lock file pins it): enough to tell whether a
    # staged payload differs from what was built, which is all it is used for
    digest = pl.concat_str([e.cast(pl.String).fill_null("\x00") for e in payload], separator="\x1f")
    return [pl.lit("pending").alias("delivery_status"), pl.lit(0, pl.Int32).alias("attempts"),
            pl.lit(None, pl.String).alias("last_error"), pl.lit(None, _TS).alias("sent_at"),
            pl.lit(None, pl.String).alias("crm_id"),
            digest.hash(seed=61).cast(pl.String).str.zfill(20).alias("payload_hash")]


def build_outbox(handoffs: pl.DataFrame, briefs: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Task rows (``CRM_TASK_SCHEMA``) and Lead owner updates (``OWNER_UPDATE_SCHEMA``), all ``pending``.

    Parameters
    ----------
    handoffs
        One row per handoff with at least :data:`OUTBOX_INPUT_COLUMNS` (the brief input columns plus
        ``sf_lead_id`` / ``sf_contact_id``, nullable).
    briefs
        :func:`pipelines.briefs.render_briefs` output: ``handoff_id``, ``brief_markdown``; one per handoff.

    Returns
    -------
    tasks, owner_updates
        A Task per handoff (``who_id`` is the Lead, else the Contact; ``activity_date`` is the SLA due date in
        the owner's time zone; the Markdown brief as ``description``, cut to 32,000 characters), and an owner
        update for every handoff with a Salesforce Lead id that went to a rep (queues keep Lead assignment rules).

    Examples
    --------
    >>> from pipelines.briefs import render_briefs, sample_handoffs
    >>> h = sample_handoffs(4)
    >>> tasks, owners = build_outbox(h, render_briefs(h))
    >>> tasks.height, tasks["delivery_status"].unique().to_list(), owners.height <= tasks.height
    (4, ['pending'], True)
    """
    missing = [c for c in OUTBOX_INPUT_COLUMNS if c not in handoffs.columns]
    missing += [f"briefs.{c}" for c in ("handoff_id", "brief_markdown") if c not in briefs.columns]
    if missing:
        msg = f"build_outbox: missing columns {missing}; handoffs need {list(OUTBOX_INPUT_COLUMNS)}, briefs " \
              f"need handoff_id and brief_markdown (render_briefs output)"
        raise ValueError(msg)
    frame = handoffs.select(OUTBOX_INPUT_COLUMNS).join(
        briefs.select("handoff_id", "brief_markdown").unique("handoff_id", keep="first"), on="handoff_id",
        how="left", maintain_order="left")
    lacking = frame.filter(pl.col("brief_markdown").is_null())["handoff_id"].to_list()
    if lacking:
        msg = f"build_outbox: {len(lacking)} handoffs have no brief (e.g. {lacking[:5]}); render_briefs them first"
        raise ValueError(msg)
    desc = pl.col("brief_markdown")
    description = (pl.when(desc.str.len_chars() > DESCRIPTION_LIMIT)
                   .then(desc.str.slice(0, DESCRIPTION_LIMIT - len(_TRUNCATED)) + pl.lit(_TRUNCATED))
                   .otherwise(desc))
    name = pl.concat_str("first_name", "last_name", separator=" ", ignore_nulls=True).replace("", "unnamed contact")
    subject = pl.concat_str(pl.lit("Follow up: "), pl.col("tier"), pl.lit(" lead "), name,
                            pl.format(" ({})", "company"), ignore_nulls=True).str.slice(0, SUBJECT_LIMIT)
    local_date = wall_clock(frame, "sla_due_at", "owner_time_zone", "%Y-%m-%d").str.to_date("%Y-%m-%d")
    task_payload = [subject.alias("subject"), pl.coalesce("sf_lead_id", "sf_contact_id").alias("who_id"),
                    pl.col("owner_id"), local_date.alias("activity_date"),
                    pl.when(pl.col("tier") == "hot").then(pl.lit("High")).otherwise(pl.lit("Normal"))
                    .alias("priority"),
                    pl.lit("Not Started").alias("status"), pl.lit("Task").alias("task_subtype"),
                    description.alias("description")]
    tasks = frame.select(pl.col("handoff_id").alias("external_id"), *task_payload, *_pending_state(task_payload))
    owner_payload = [pl.col("sf_lead_id").alias("lead_id"), pl.col("owner_id")]
    owners = (frame.filter(pl.col("sf_lead_id").is_not_null() & (pl.col("owner_kind") == "rep"))
              .select(pl.col("handoff_id").alias("external_id"), *owner_payload, *_pending_state(owner_payload)))
    return tasks.cast(dict(CRM_TASK_SCHEMA)), owners.cast(dict(OWNER_UPDATE_SCHEMA))  # type: ignore[arg-type]


def _insert_new(store: DeltaStore, table: str, frame: pl.DataFrame, schema: pl.Schema) -> dict[str, int | None]:
    frame = frame.select(list(schema)).cast(dict(schema))  # type: ignore[arg-type]
    frame = frame.unique("external_id", keep="first", maintain_order=True)
    before = store.version(table)
    dt = store.table(table)
    if dt is None:
        version = store.append(table, frame)
        return {"inserted": frame.height, "version_before": before, "version": version}
    have = store.read(table, columns=["external_id"], where={"external_id": frame["external_id"].to_list()})
    new = frame.join(have, on="external_id", how="anti")
    if new.height == 0:
        return {"inserted": 0, "version_before": before, "version": before}
    # the outbox has one writer at a time (the lakehouse_writes pool): the ids checked above are still new
    version = store.append(table, new)
    return {"inserted": new.height, "version_before": before, "version": version}


def stage_outbox(store: DeltaStore, tasks: pl.DataFrame, owner_updates: pl.DataFrame) -> dict[str, dict]:
    """Insert rows whose ``external_id`` is new into the outbox tables; existing rows are left untouched.

    One insert-only MERGE per table (no commit at all when nothing is new), so staging the same handoffs
    twice changes nothing and never resets a row's delivery state. Creates the tables on first use.
    Returns ``{table: {"inserted", "version_before", "version"}}``.
    """
    return {CRM_TASKS: _insert_new(store, CRM_TASKS, tasks, CRM_TASK_SCHEMA),
            OWNER_UPDATES: _insert_new(store, OWNER_UPDATES, owner_updates, OWNER_UPDATE_SCHEMA)}
