"""The routing stage: scored leads → decisions (appended to the log) → briefs → CRM outbox, and SLA checks.

One function for both cadences (``persons=None``: every scored person, the scheduled batch; ``persons=[...]``:
the persons a micro-batch touched, the sensor-driven run). Handoffs that have a decision but no brief yet (a run
that crashed between the two) are completed by the next run, so a crash and a re-run converge.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.scoring.current import current_lead_scores
from pipelines.storage.delta import DeltaStore
from pipelines.storage.reads import ReadCache

from .decisions import (
    DECISION_CONTRACT,
    DECISION_SCHEMA,
    DECISIONS,
    INPUT_COLUMNS,
    active_handoffs,
    append_decisions,
    assigned_today,
    handoff_ids,
    latest_decisions,
    log_decisions,
    read_assigned_today,
    read_decisions,
)
from .engine import route_leads
from .inputs import PERSONS, brief_context, routing_inputs
from .roster import Roster
from .rules import RoutingRules
from .sla import add_business_hours

__all__ = ["BRIEFS", "SLA_STATUS", "RoutingReport", "run_routing_stage", "with_sla_due", "complete_handoffs",
           "check_slas"]

BRIEFS = "gold.briefs"
SLA_STATUS = "gold.sla_status"
BRIEF_CHUNK = 25_000


@dataclass
class RoutingReport:
    leads: int = 0
    decisions: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    by_tier: dict[str, int] = field(default_factory=dict)
    briefs: int = 0
    tasks: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def roster_hash(roster: Roster) -> str:
    return hashlib.sha256(roster.spec.model_dump_json().encode()).hexdigest()[:16]


def with_sla_due(decisions: pl.DataFrame, roster: Roster, rules: RoutingRules, *, start: str = "decided_at"
                 ) -> pl.DataFrame:
    """Add ``sla_due_at``: hot/warm SLA hours counted in the owner's working hours (queues: the rules' queue
    hours); nurture has none."""
    cal = roster.reps.select(pl.col("rep_id").alias("owner_id"), pl.col("time_zone").alias("_tz"),
                             pl.col("work_start_minute").alias("_open"), pl.col("work_end_minute").alias("_close"),
                             pl.col("work_days").alias("_days"))
    sla = rules.sla
    hours = (pl.when(pl.col("tier") == "hot").then(pl.lit(sla.hot_business_hours))
             .when(pl.col("tier") == "warm").then(pl.lit(sla.warm_business_hours)))
    frame = decisions.drop("sla_due_at", strict=False).join(cal, on="owner_id", how="left").with_columns(
        pl.col("_tz").fill_null(sla.queue_time_zone), pl.col("_open").fill_null(sla.queue_hours[0] * 60),
        pl.col("_close").fill_null(sla.queue_hours[1] * 60),
        pl.col("_days").fill_null(pl.lit([0, 1, 2, 3, 4], dtype=pl.List(pl.Int8))), hours.alias("_hours"))
    frame = add_business_hours(frame.with_columns(pl.col("_hours").fill_null(0.0)), start=start, hours="_hours",
                               time_zone="_tz", open_minute="_open", close_minute="_close", work_days="_days",
                               out="sla_due_at")
    return frame.with_columns(pl.when(pl.col("_hours") > 0).then(pl.col("sla_due_at")).alias("sla_due_at")).drop(
        "_tz", "_open", "_close", "_days", "_hours")


def _owner_names(decisions: pl.DataFrame, roster: Roster) -> pl.DataFrame:
    names = pl.concat([roster.reps.select(pl.col("rep_id").alias("owner_id"), pl.col("name").alias("owner_name"),
                                          pl.col("time_zone").alias("owner_time_zone")),
                       roster.queues.select(pl.col("queue_id").alias("owner_id"), pl.col("name").alias("owner_name"),
                                            pl.lit(None, dtype=pl.String).alias("owner_time_zone"))])
    return decisions.drop("owner_name", "owner_time_zone", strict=False).join(names.unique("owner_id"), on="owner_id", how="left")


def run_routing_stage(store: DeltaStore, *, rules: RoutingRules, roster: Roster, now: dt.datetime, run_id: str,
                      persons: Collection[str] | None = None, scores: pl.DataFrame | None = None,
                      edges: pl.DataFrame | None = None, templates: Path | None = None,
                      reads: ReadCache | None = None) -> RoutingReport:
    """Route the scored leads in scope that have no active handoff; then brief and stage the new handoffs.

    ``scores`` (the persons' fresh ``gold.lead_scores`` rows), ``edges`` (their
    :func:`~pipelines.features.inputs.scope_edges`) and ``reads`` (their scope's rows,
    :func:`~pipelines.features.inputs.prefetch_scope`) spare re-reading what a micro-batch already holds.
    """
    import time

    report = RoutingReport()
    t = time.perf_counter()
    inputs = routing_inputs(reads or store, rules, persons=persons, scores=scores, edges=edges)
    log = read_decisions(store, ["person_id", "trigger", "seq", "decided_at", "owner_id", "owner_kind"],
                         persons=persons)
    # every rep's load today: from the whole log in a batch, else from the log's rep decisions since midnight
    assigned = assigned_today(log, now=now) if persons is None else read_assigned_today(store, now=now)
    inputs = inputs.with_columns(
        pl.when(pl.col("probability") >= rules.tiers.warm).then(pl.lit("qualified")).otherwise(pl.lit("nurture"))
        .alias("lead_class"))
    fresh = inputs.join(active_handoffs(log, now=now), on=["person_id", "lead_class"], how="anti")
    report.leads = fresh.height
    report.seconds["inputs"] = time.perf_counter() - t
    t = time.perf_counter()
    core = route_leads(fresh, roster.reps, rules, now=now, assigned_today=assigned)
    report.seconds["route"] = time.perf_counter() - t
    t = time.perf_counter()
    snap = fresh.select("person_id", "lead_class", "model_version", *INPUT_COLUMNS)
    decided = core.join(snap, on="person_id", how="left").with_columns(
        (pl.col("lead_class") + pl.lit(":" + now.astimezone(dt.UTC).date().isoformat())).alias("trigger"),
        pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("decided_at"))
    decided = decided.with_columns(
        handoff_ids(pl.col("person_id"), pl.col("trigger")).alias("handoff_id"),
        pl.struct(INPUT_COLUMNS).hash().cast(pl.String).alias("inputs_hash"))
    decided = decided.with_columns(
        (pl.col("handoff_id") + pl.lit(":0")).alias("decision_id"), pl.lit(0, dtype=pl.Int32).alias("seq"),
        pl.lit("route").alias("kind"), pl.lit(None, dtype=pl.String).alias("reason"),
        pl.lit(rules.version).alias("rule_version"), pl.lit(DECISION_CONTRACT).alias("contract_version"),
        pl.lit(roster_hash(roster)).alias("roster_hash"), pl.lit(run_id).alias("run_id"))
    decided = with_sla_due(_owner_names(decided, roster), roster, rules)
    logged = log_decisions(store, decided)
    report.decisions = logged.height
    report.by_rule = dict(decided.group_by("rule_id").len().iter_rows())
    report.by_tier = dict(decided.group_by("tier").len().iter_rows())
    report.seconds["log"] = time.perf_counter() - t
    del inputs, log, fresh, core, snap, decided  # 1M decisions with their candidate lists: free before the briefs
    if persons is None:  # the batch's briefs read the log in chunks; a micro-batch's take these rows
        logged = None
    t = time.perf_counter()
    report.briefs, report.tasks = complete_handoffs(store, now=now, persons=persons, templates=templates,
                                                    edges=edges, scores=scores, reads=reads, logged=logged)
    report.seconds["briefs_outbox"] = time.perf_counter() - t
    return report


def complete_handoffs(store: DeltaStore, *, now: dt.datetime, persons: Collection[str] | None = None,
                      templates: Path | None = None, redo: Collection[str] = (), edges: pl.DataFrame | None = None,
                      scores: pl.DataFrame | None = None, reads: ReadCache | None = None,
                      logged: pl.DataFrame | None = None) -> tuple[int, int]:
    """Render briefs and stage CRM tasks for qualified handoffs whose current decision has no brief yet
    (and for the handoff ids in ``redo``: escalated ones, whose owner changed). Returns (briefs, tasks).
    ``reads``: the micro-batch's scope, as :func:`run_routing_stage` takes it. With ``persons``, the log is
    read narrow first; whole rows come from ``logged`` (decisions the caller just appended) and only the
    rest from the log (its candidate lists cost about 1 s to read for 100 persons at 1M)."""
    if persons is None:
        log = _qualified_log(store)
    else:
        narrow = ["decision_id", "handoff_id", "seq", "trigger", "person_id"]
        log = read_decisions(store, narrow, persons=persons)
    current = latest_decisions(log).filter(pl.col("trigger").str.starts_with("qualified:"))
    del log
    if store.table(BRIEFS) is None:
        done = pl.DataFrame(schema={"handoff_id": pl.String, "decision_id": pl.String})
    elif persons is not None:
        done = store.read(BRIEFS, columns=["handoff_id", "decision_id"],
                          where={"handoff_id": current["handoff_id"].to_list()})
    else:
        done = store.read(BRIEFS, columns=["handoff_id", "decision_id"])
    todo = current.join(done, on=["handoff_id", "decision_id"], how="anti")
    if redo:
        todo = pl.concat([todo, current.filter(pl.col("handoff_id").is_in(list(redo)))]).unique("handoff_id")
    todo = todo.with_columns(pl.col("handoff_id").is_in(done["handoff_id"].implode()).alias("briefed"))
    if todo.height == 0:
        return 0, 0
    if persons is not None:
        todo = _whole_decisions(store, todo, logged)
    chunks: list[tuple[pl.DataFrame, pl.DataFrame | None]] = [(todo, edges)]
    if todo.height > BRIEF_CHUNK:  # bounded memory: a brief is a few KB, twice
        # many chunks: read each input table once rather than once a chunk (at 1M persons, 51 filtered scans of
        # 6.2M edges alone took 67 of the routing step's 250 s); each chunk then filters them in memory
        reads = ReadCache(store, whole=True)
        if edges is None:
            from pipelines.features.inputs import EDGE_COLUMNS
            from pipelines.graph.stage import GRAPH_EDGES

            edges = store.read(GRAPH_EDGES, columns=EDGE_COLUMNS,
                               where={"edge_type": ["engaged_with", "surging_on"]})
        everyone = reads.read(PERSONS, columns=["person_id", "account_id"])
        chunks = account_chunks(todo, everyone, edges, size=BRIEF_CHUNK)
        del edges
    briefs_n = tasks_n = 0
    pending: Callable[[], tuple[int, int]] | None = None
    while chunks:  # many chunks: the workers render the next chunk's briefs while this process writes one's
        part, part_edges = chunks.pop(0)
        started = _brief_chunk(store, part, now=now, templates=templates, redo=redo, edges=part_edges,
                               scores=scores, reads=reads, background=len(chunks) > 0 or pending is not None)
        if pending is not None:
            b, t = pending()
            briefs_n, tasks_n = briefs_n + b, tasks_n + t
        pending = started
    if pending is not None:
        b, t = pending()
        briefs_n, tasks_n = briefs_n + b, tasks_n + t
    return briefs_n, tasks_n


def _whole_decisions(store: DeltaStore, todo: pl.DataFrame, logged: pl.DataFrame | None) -> pl.DataFrame:
    """``todo`` (narrow decision rows and ``briefed``) as whole decision rows: from ``logged`` where it holds
    them, else from the log, reading only those persons."""
    keys = todo.select("decision_id", "briefed")
    known = pl.DataFrame(schema=DECISION_SCHEMA) if logged is None else logged.select(DECISION_SCHEMA.names())
    here = known.join(keys, on="decision_id")
    missing = todo.join(here, on="decision_id", how="anti")
    if missing.height:
        older = read_decisions(store, persons=missing["person_id"].unique().to_list()).join(
            missing.select("decision_id", "briefed"), on="decision_id")
        here = pl.concat([here, older.select(here.columns)])
    return here.sort("decision_id")


def account_chunks(todo: pl.DataFrame, persons: pl.DataFrame, edges: pl.DataFrame, *, size: int = BRIEF_CHUNK
                   ) -> list[tuple[pl.DataFrame, pl.DataFrame]]:
    """``todo`` in chunks of about ``size`` handoffs that keep each account whole, each with the only edges
    its briefs read: the engagements of its accounts' persons (the handed-off and their buying group) and its
    accounts' surges. One pass over the edges instead of three filtered scans a chunk (1.4 s each at 1M).

    ``persons`` is ``person_id, account_id`` for everyone; ``edges`` the graph's ``engaged_with`` and
    ``surging_on`` edges. A chunk may exceed ``size`` by its last account's handoffs.
    """
    row, account = pl.col("_row"), pl.col("_account")
    people = persons.select("person_id", pl.col("account_id").alias("_account"))  # todo may hold account_id
    ranked = (todo.join(people, on="person_id", how="left").sort("_account", "person_id", nulls_last=True)
              .with_row_index("_row")
              .with_columns(chunk=pl.when(account.is_null()).then(row // size)
                            .otherwise(row.min().over("_account") // size).cast(pl.Int64)).drop("_row"))
    by_account = ranked.select("_account", "chunk").drop_nulls("_account").unique("_account")
    by_person = pl.concat([people.join(by_account, on="_account").select("person_id", "chunk"),
                           ranked.filter(account.is_null()).select("person_id", "chunk")])
    engaged = (edges.filter(pl.col("edge_type") == "engaged_with")
               .join(by_person, left_on=pl.col("src").str.strip_prefix("person:"), right_on="person_id"))
    surges = (edges.filter(pl.col("edge_type") == "surging_on")
              .join(by_account, left_on=pl.col("src").str.strip_prefix("account:"), right_on="_account"))
    parts = pl.concat([engaged.select(*edges.columns, "chunk"), surges.select(*edges.columns, "chunk")]
                      ).partition_by("chunk", as_dict=True, include_key=False)
    handoffs = ranked.drop("_account").partition_by("chunk", as_dict=True, include_key=False)
    return [(handoffs[key], parts.get(key, edges.clear())) for key in sorted(handoffs)]


def _qualified_log(store: DeltaStore) -> pl.DataFrame:
    """The decisions of qualified handoffs only (nurture rows, often half the log, are never briefed)."""
    table = store.table(DECISIONS)
    if table is None:
        return read_decisions(store)
    return pl.scan_delta(table).filter(pl.col("trigger").str.starts_with("qualified:")).collect()


def _brief_chunk(store: DeltaStore, todo: pl.DataFrame, *, now: dt.datetime, templates: Path | None,
                 redo: Collection[str], edges: pl.DataFrame | None, scores: pl.DataFrame | None,
                 reads: ReadCache | None = None, background: bool = False) -> Callable[[], tuple[int, int]]:
    """Start one chunk: its briefs' context, then their rendering (in the worker processes when
    ``background``). Returns the function that waits for the briefs, stages the outbox, appends the briefs and
    returns (briefs, tasks)."""
    from pipelines.briefs import submit_briefs

    who = todo["person_id"].unique().to_list()
    context = brief_context(reads or store, who, now=now, edges=edges)
    fresh = scores.select("person_id", "reasons") if scores is not None else None
    if fresh is None or not set(who) <= set(fresh["person_id"].to_list()):
        fresh = current_lead_scores(reads or store, columns=["person_id", "reasons"], persons=who)
    reasons = fresh.filter(pl.col("person_id").is_in(who))
    handoffs = (todo.join(context, on="person_id", how="left").join(reasons, on="person_id", how="left")
                .with_columns(pl.col("model_version").fill_null("none"),
                              pl.col("reasons").fill_null(pl.lit([], dtype=pl.List(pl.String)))))
    rendered = submit_briefs(handoffs, templates=templates, background=background)
    briefed = todo.select("handoff_id", "decision_id", "person_id", "briefed")
    del context, todo

    def finish() -> tuple[int, int]:
        from pipelines.outbox import build_outbox, stage_outbox

        briefs = rendered()
        tasks, owner_updates = build_outbox(handoffs, briefs)
        stage_outbox(store, tasks, owner_updates)
        if redo:  # escalated: the same task (external id = handoff id) goes to the new owner
            again = tasks.filter(pl.col("external_id").is_in(list(redo)))
            if again.height:
                store.merge("outbox.crm_tasks", again, keys=["external_id"])
        rows = briefs.join(briefed, on="handoff_id")
        # a handoff never briefed is appended; one with a brief of an earlier decision (escalated) replaces it
        rebriefed = rows.filter(pl.col("briefed")).drop("briefed")
        if rebriefed.height:
            store.merge(BRIEFS, rebriefed, keys=["handoff_id"])
        store.append(BRIEFS, rows.filter(~pl.col("briefed")).drop("briefed"))
        return briefs.height, tasks.height

    return finish


def check_slas(store: DeltaStore, *, rules: RoutingRules, roster: Roster, now: dt.datetime, run_id: str
               ) -> pl.DataFrame:
    """SLA status of every qualified handoff (``gold.sla_status``); a breach without contact escalates, as a new
    decision, to the owner's manager (a rep's ``manager_id``), else to the fallback queue, at most
    ``rules.escalation.max_escalations`` times. Returns the status frame."""
    from .inputs import sf_ids_of
    from .sla import SLA_STATUS_SCHEMA, first_contacts, sla_status

    log = read_decisions(store)
    current = latest_decisions(log.filter(pl.col("trigger").str.starts_with("qualified:")))
    if current.height == 0:
        return SLA_STATUS_SCHEMA.to_frame()
    ids = sf_ids_of(store, current["person_id"].unique().to_list())
    sf = pl.concat([ids.select("person_id", pl.col("sf_lead_id").alias("sf_id")),
                    ids.select("person_id", pl.col("sf_contact_id").alias("sf_id"))]).drop_nulls()
    tasks = store.read("bronze.salesforce_task", columns=["who_id", "owner_id", "task_subtype", "created_at"])
    contacts = first_contacts(tasks, sf, current.select("decision_id", "person_id", "owner_id", "decided_at"))
    status = sla_status(current.rename({"sla_due_at": "due_at"}), contacts, now=now).with_columns(
        pl.col("seq").cast(pl.Int32).alias("escalations"))
    breached = status.filter((pl.col("status") == "breached") & pl.col("first_contact_at").is_null()
                             & (pl.col("owner_kind") == "rep")
                             & (pl.col("escalations") < rules.escalation.max_escalations))
    if breached.height:
        managers = roster.reps.select(pl.col("rep_id").alias("owner_id"), "manager_id")
        up = current.join(breached.select("handoff_id"), on="handoff_id").join(managers, on="owner_id", how="left")
        up = up.with_columns(
            pl.col("owner_id").alias("_was"),
            pl.coalesce("manager_id", pl.lit(rules.queues.fallback)).alias("owner_id"),
            pl.when(pl.col("manager_id").is_not_null()).then(pl.lit("rep")).otherwise(pl.lit("queue"))
            .alias("owner_kind"),
            (pl.col("seq") + 1).cast(pl.Int32).alias("seq"), pl.lit("escalation").alias("kind"),
            pl.lit("escalation").alias("rule_id"), pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("decided_at"),
            pl.lit(run_id).alias("run_id"), pl.lit(rules.version).alias("rule_version"))
        up = up.with_columns(
            (pl.lit("SLA breached: no Email or Call by ") + pl.col("_was") + pl.lit(" before ")
             + pl.col("sla_due_at").dt.strftime("%Y-%m-%d %H:%M UTC")).alias("reason"),
            (pl.col("handoff_id") + pl.lit(":") + pl.col("seq").cast(pl.String)).alias("decision_id"),
            pl.col("rule_path").list.concat(pl.concat_list(pl.lit("escalation: to ") + pl.col("owner_id"))))
        up = with_sla_due(_owner_names(up.drop("manager_id", "_was"), roster), roster, rules)
        append_decisions(store, up)
        complete_handoffs(store, now=now, redo=up["handoff_id"].to_list())
        esc = up.select("handoff_id", "decision_id", "owner_id", "owner_kind", pl.col("sla_due_at").alias("due_at"),
                        "decided_at", "seq")
        status = status.join(esc, on="handoff_id", how="left", suffix="_new").with_columns(
            *[pl.coalesce(f"{c}_new", c).alias(c) for c in ("decision_id", "owner_id", "owner_kind", "due_at",
                                                             "decided_at")],
            pl.when(pl.col("seq_new").is_not_null()).then(pl.lit("escalated")).otherwise(pl.col("status"))
            .alias("status"),
            pl.coalesce(pl.col("seq_new").cast(pl.Int32), pl.col("escalations")).alias("escalations"))
    out = status.select(SLA_STATUS_SCHEMA.names()).cast(dict(SLA_STATUS_SCHEMA))  # type: ignore[arg-type]
    store.merge(SLA_STATUS, out, keys=["handoff_id"], full_state=True)
    return out
