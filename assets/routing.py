"""Routing, briefs, the CRM outbox and SLAs: the batch assets, the sensor-driven real-time asset, and dispatch.

Both cadences call the same stage (:func:`pipelines.routing.stage.run_routing_stage`): the batch asset over every
scored person, the real-time asset (one dynamic partition per intake batch) over the persons a batch touched.
"""

import datetime as dt
import time
from pathlib import Path

import dagster as dg
import polars as pl

from assets.resources import Lakehouse, RealtimeWarmUp
from assets.scoring import LEAD_SCORES_KEY
from pipelines.lineage import lineage_row, record_lineage
from pipelines.routing import BRIEFS, DECISIONS, SLA_STATUS, check_slas, run_routing_stage

__all__ = ["routing_assets", "intake_sensor", "batch_files", "realtime_job", "INTAKE_BATCHES", "REALTIME_KEY", "DISPATCH_KEY"]

DECISIONS_KEY = dg.AssetKey(DECISIONS.split("."))
BRIEFS_KEY = dg.AssetKey(BRIEFS.split("."))
TASKS_KEY = dg.AssetKey(["outbox", "crm_tasks"])
OWNER_UPDATES_KEY = dg.AssetKey(["outbox", "lead_owner_updates"])
SLA_KEY = dg.AssetKey(SLA_STATUS.split("."))
REALTIME_KEY = dg.AssetKey(["realtime", "intake_handoffs"])
DISPATCH_KEY = dg.AssetKey(["outbox", "crm_deliveries"])
INTAKE_BATCHES = dg.DynamicPartitionsDefinition(name="intake_batches")
INTAKE_PREFIX = "events_intake_"
BATCH_SEPARATOR = "~"
MAX_FILES_PER_BATCH = 200
# the sensor daemon evaluates sensors every 5 s; a tick long-polls the landing folder for most of that
INTAKE_POLL_SECONDS = 4.0
MAX_ALIVE_RUNS = 2
ALIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
         dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def _capacity_check(store, roster, now: dt.datetime) -> tuple[bool, dict]:
    """No rep got more decisions today (UTC) than their daily capacity."""
    from pipelines.routing.decisions import read_assigned_today

    used = read_assigned_today(store, now=now)
    over = used.join(roster.reps.select("rep_id", "daily_capacity"), on="rep_id").filter(
        pl.col("assigned") > pl.col("daily_capacity"))
    return over.height == 0, {"reps_over_capacity": over.height, "reps_with_leads_today": used.height}


@dg.multi_asset(
    name="handoff_routing",
    specs=[
        dg.AssetSpec(DECISIONS_KEY, group_name="routing", deps=[LEAD_SCORES_KEY], kinds={"polars", "deltalake"},
                     description="Append-only decision log: owner, rule and version, model version, every "
                                 "candidate with the reason it was passed over, inputs snapshot, run id."),
        dg.AssetSpec(BRIEFS_KEY, group_name="routing", deps=[DECISIONS_KEY], kinds={"jinja", "deltalake"},
                     description="A Markdown and HTML brief per hot or warm handoff (who, why now, what was "
                                 "considered, next step and content, SLA deadline)."),
        dg.AssetSpec(TASKS_KEY, group_name="routing", deps=[BRIEFS_KEY], kinds={"salesforce", "deltalake"},
                     description="One Salesforce Task per handoff keyed by external id = handoff_id, with its "
                                 "delivery state."),
        dg.AssetSpec(OWNER_UPDATES_KEY, group_name="routing", deps=[DECISIONS_KEY], kinds={"salesforce"},
                     description="Lead owner updates for handoffs to a rep, keyed by handoff_id."),
    ],
    check_specs=[dg.AssetCheckSpec(
        "capacity_respected", asset=DECISIONS_KEY, blocking=True,
        description="No rep has been given more leads today than their daily capacity.")],
    pool="lakehouse_writes",
)
def handoff_routing(context: dg.AssetExecutionContext, lakehouse: Lakehouse):
    """Route every scored lead without an active handoff under the active rules version."""
    started = dt.datetime.now(dt.UTC)
    store = lakehouse.store
    rules, roster = lakehouse.rule_book().active(), lakehouse.roster()
    if store.table("gold.lead_scores") is None:
        context.log.warning("no lead scores yet (no champion model): nothing to route")
        for key in (DECISIONS_KEY, BRIEFS_KEY, TASKS_KEY, OWNER_UPDATES_KEY):
            yield dg.MaterializeResult(asset_key=key, metadata={"skipped": "no gold.lead_scores yet"})
        yield dg.AssetCheckResult(asset_key=DECISIONS_KEY, check_name="capacity_respected", passed=True)
        return
    before = {t: store.version(t) for t in (DECISIONS, BRIEFS, "outbox.crm_tasks", "outbox.lead_owner_updates")}
    report = run_routing_stage(store, rules=rules, roster=roster, now=started, run_id=context.run.run_id)
    after = {t: store.version(t) for t in before}
    if before != after:
        record_lineage(store, lineage_row(
            run_id=context.run.run_id, asset=DECISIONS_KEY.to_user_string(),
            inputs={"gold.lead_scores": store.version("gold.lead_scores")},
            outputs={t: (before[t], after[t]) for t in before}, rows_in=report.leads, rows_out=report.decisions,
            rows_quarantined=0, started_at=started, finished_at=dt.datetime.now(dt.UTC),
            details={"rule_version": rules.version, "by_rule": report.by_rule}))
    common = {"rule_version": rules.version, "seconds": dg.MetadataValue.json(report.seconds)}
    yield dg.MaterializeResult(asset_key=DECISIONS_KEY, metadata={
        **common, "leads_considered": report.leads, "decisions_new": report.decisions,
        "by_rule": dg.MetadataValue.json(report.by_rule), "by_tier": dg.MetadataValue.json(report.by_tier)})
    yield dg.MaterializeResult(asset_key=BRIEFS_KEY, metadata={"briefs_rendered": report.briefs})
    yield dg.MaterializeResult(asset_key=TASKS_KEY, metadata={"tasks_staged": report.tasks})
    yield dg.MaterializeResult(asset_key=OWNER_UPDATES_KEY, metadata={})
    ok, meta = _capacity_check(store, roster, started)
    yield dg.AssetCheckResult(asset_key=DECISIONS_KEY, check_name="capacity_respected", passed=ok, metadata=meta)


@dg.asset(key=SLA_KEY, group_name="routing", deps=[DECISIONS_KEY], kinds={"polars", "deltalake"},
          description="SLA status per qualified handoff (met, pending, at risk, breached, escalated); a breach "
                      "without first contact escalates to the owner's manager as a new decision.",
          pool="lakehouse_writes")
def sla_status(context: dg.AssetExecutionContext, lakehouse: Lakehouse) -> dg.MaterializeResult:
    store = lakehouse.store
    status = check_slas(store, rules=lakehouse.rule_book().active(), roster=lakehouse.roster(),
                        now=dt.datetime.now(dt.UTC), run_id=context.run.run_id)
    return dg.MaterializeResult(metadata={"by_status": dg.MetadataValue.json(
        dict(status.group_by("status").len().sort("status").iter_rows()))})


@dg.asset(key=REALTIME_KEY, group_name="realtime", partitions_def=INTAKE_BATCHES, kinds={"polars", "deltalake"},
          description="One intake batch (a partition) taken from landing to briefs and CRM tasks: bronze, "
                      "identity, graph, features and scores for the persons it touched, then routing.",
          pool="lakehouse_writes")
def intake_handoffs(context: dg.AssetExecutionContext, lakehouse: Lakehouse,
                    realtime_warm_up: RealtimeWarmUp) -> dg.MaterializeResult:
    from pipelines.realtime import route_event_batch

    files = batch_files(lakehouse.landing / "events", context.partition_key)
    warm = len(lakehouse.store.open_tables())  # opened by the warm-up, before the step held the pool
    report = route_event_batch(lakehouse.store, batch_files=files, landing_root=lakehouse.landing,
                               rules=lakehouse.rule_book().active(), roster=lakehouse.roster(),
                               models_root=lakehouse.models, now=dt.datetime.now(dt.UTC), run_id=context.run.run_id)
    routing = report.routing
    return dg.MaterializeResult(metadata={
        "events_new": report.events_new, "events_duplicate": report.events_duplicate,
        "events_quarantined": report.events_quarantined, "events_unattributed": report.events_unattributed,
        "persons": report.persons, "persons_new": report.persons_new, "scored": report.scored,
        "decisions_new": routing.decisions if routing else 0, "briefs": routing.briefs if routing else 0,
        "tables_compacted": ", ".join(report.compacted) or "none",
        "handed_off_at": report.handed_off_at.isoformat() if report.handed_off_at else "",
        "tables_open_at_start": warm, "warm_up": dg.MetadataValue.json(
            {k: round(v, 3) for k, v in realtime_warm_up.seconds.items()}),
        "seconds": dg.MetadataValue.json({**report.seconds, **(routing.seconds if routing else {})})})


realtime_job = dg.define_asset_job(
    "realtime_job", selection=[REALTIME_KEY],
    description="One intake batch from landing to briefs and CRM tasks (launched by intake_sensor).")


def batch_files(folder: Path, batch: str) -> list[Path]:
    """The intake files of micro-batch ``batch`` (``first~last`` file stems, or one stem), in arrival order."""
    first, _, last = batch.partition(BATCH_SEPARATOR)
    last = last or first
    files = [p for p in sorted(folder.glob(f"{INTAKE_PREFIX}*.jsonl")) if first <= p.stem <= last]
    if not files or files[0].stem != first or files[-1].stem != last:
        msg = (f"intake batch {batch}: its files are missing from {folder} (the landing zone is append-only: "
               "restore them from backup, then re-run the partition)")
        raise FileNotFoundError(msg)
    return files


def _intake_after(folder: Path, cursor: str) -> list[str]:
    """Stems of the intake files after ``cursor``, in arrival (name) order."""
    if not folder.is_dir():
        return []
    return sorted(n for n in (p.stem for p in folder.glob(f"{INTAKE_PREFIX}*.jsonl")) if n > cursor)


def _alive_runs(instance: dg.DagsterInstance) -> list[dg.DagsterRun]:
    alive = dg.RunsFilter(job_name=realtime_job.name, statuses=ALIVE)
    return list(instance.get_runs(alive, limit=MAX_ALIVE_RUNS))


def _next_batch(folder: Path, cursor: str, instance: dg.DagsterInstance,
                seconds: float) -> tuple[list[str], str]:
    """Long poll for up to ``seconds``: ``(files, "")`` as soon as there are intake files after ``cursor`` and
    fewer than MAX_ALIVE_RUNS real-time runs alive, else ``([], why)``.

    The folder's mtime is checked every 50 ms and its listing read when it changed, and at least every 0.5 s
    (two renames within one mtime tick look like one change); the instance is asked every 0.2 s."""
    deadline = time.monotonic() + seconds
    stamp: int | None = None
    listed = asked = float("-inf")
    fresh: list[str] = []
    alive: list[dg.DagsterRun] = []
    while True:
        now = time.monotonic()
        mtime = folder.stat().st_mtime_ns if folder.is_dir() else None
        if mtime != stamp or now - listed >= 0.5:
            stamp, listed = mtime, now
            fresh = _intake_after(folder, cursor)
        if fresh and now - asked >= 0.2:
            asked = now
            alive = _alive_runs(instance)
            if len(alive) < MAX_ALIVE_RUNS:
                return fresh, ""
        if now >= deadline:
            if fresh:  # back-pressure: the files join a later, larger micro-batch instead of queueing runs
                return [], f"{len(fresh)} new intake file(s) wait for run {alive[0].run_id} to finish"
            return [], f"no intake batch after {cursor or 'the start'}"
        time.sleep(0.05)


@dg.sensor(job=realtime_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING,
           description="The intake files that arrived since the cursor become one micro-batch: a partition and "
                       "one run of realtime/intake_handoffs (run_key = batch id = first~last file), at most "
                       "MAX_FILES_PER_BATCH files each. At most MAX_ALIVE_RUNS runs live at once (one holding"
                       " "
                       "the lakehouse, one starting up behind it); under load batches grow instead of runs "
                       "queueing. A tick long-polls for up to INTAKE_POLL_SECONDS, so a new file (or a freed "
                       "slot) starts a run at once instead of at the daemon's next tick five seconds later.")
def intake_sensor(context: dg.SensorEvaluationContext, lakehouse: Lakehouse) -> dg.SensorResult:
    cursor = context.cursor or ""
    fresh, why = _next_batch(lakehouse.landing / "events", cursor, context.instance, INTAKE_POLL_SECONDS)
    if not fresh:
        return dg.SensorResult(skip_reason=why)
    chunks = [fresh[i:i + MAX_FILES_PER_BATCH] for i in range(0, len(fresh), MAX_FILES_PER_BATCH)]
    batches = [c[0] if len(c) == 1 else f"{c[0]}{BATCH_SEPARATOR}{c[-1]}" for c in chunks]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=b, partition_key=b) for b in batches],
        dynamic_partitions_requests=[INTAKE_BATCHES.build_add_request(batches)],
        cursor=fresh[-1])


@dg.asset(key=DISPATCH_KEY, group_name="crm", deps=[TASKS_KEY, OWNER_UPDATES_KEY, SLA_KEY], kinds={"salesforce"},
          description="Upsert pending tasks and owner updates to the CRM by external id (retries with backoff, "
                      "then dead letter). Dispatching twice never makes a second task.")
def crm_deliveries(lakehouse: Lakehouse) -> dg.MaterializeResult:
    from pipelines.outbox import dispatch

    report = dispatch(lakehouse.store, endpoint=lakehouse.crm_endpoint)
    return dg.MaterializeResult(metadata={k: v for k, v in vars(report).items() if isinstance(v, int | float)})


routing_assets: list[dg.AssetsDefinition] = [handoff_routing, sla_status, intake_handoffs, crm_deliveries]
