"""The handoff code location: every asset, check, job, schedule and resource. The only place Dagster is wired."""

from __future__ import annotations

import dagster as dg

from assets.bronze import bronze_assets
from assets.catalog import analyst_catalog
from assets.graph import graph_assets
from assets.identity import identity_assets
from assets.maintenance import maintenance_job, maintenance_schedule, table_maintenance
from assets.pools import pool_watchdog
from assets.quality import bronze_quality_checks
from assets.resources import Lakehouse, RealtimeWarmUp
from assets.routing import DISPATCH_KEY, intake_sensor, realtime_job, routing_assets
from assets.scoring import scoring_assets
from pipelines.storage.delta import release_unused_memory

__all__ = ["defs", "build_definitions", "INGEST_JOB", "MAIN_JOB"]

INGEST_JOB = "ingest_job"
MAIN_JOB = "main_job"



@dg.success_hook(name="release_unused_memory_after_success")
def _release_after_success(context: dg.HookContext) -> None:
    release_unused_memory()


@dg.failure_hook(name="release_unused_memory_after_failure")
def _release_after_failure(context: dg.HookContext) -> None:
    release_unused_memory()


# every step of a batch job hands Arrow's freed pages back, so an in-process run's peak is its largest step's,
# not that step's on top of what earlier steps' reads left in the pool (the graph step at 1M: 11.1 GiB)
RELEASE_MEMORY = {_release_after_success, _release_after_failure}

ingest_job = dg.define_asset_job(
    INGEST_JOB, hooks=RELEASE_MEMORY,
    selection=dg.AssetSelection.groups("bronze", "catalog"),
    description="Landing files to bronze and quarantine, GX checks, then the analysts' catalog.",
)

main_job = dg.define_asset_job(
    MAIN_JOB, selection=dg.AssetSelection.all() - dg.AssetSelection.groups("realtime", "crm", "maintenance"),
    hooks=RELEASE_MEMORY,
    description="The batch graph: landing to bronze, identity and accounts, graph, scores, routing with briefs "
                "and CRM tasks, SLA status, then the analysts' catalog (CRM dispatch and table maintenance are "
                "their own jobs).",
)

routing_job = dg.define_asset_job(
    "routing_job", selection=dg.AssetSelection.groups("routing"), hooks=RELEASE_MEMORY,
    description="Route every scored lead without an active handoff; briefs, outbox, SLA status and escalations.",
)
routing_schedule = dg.ScheduleDefinition(
    name="routing_every_15_minutes", job=routing_job, cron_schedule="*/15 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
crm_dispatch_job = dg.define_asset_job(
    "crm_dispatch_job", selection=dg.AssetSelection.assets(DISPATCH_KEY),
    description="Upsert pending CRM tasks and owner updates to the configured endpoint.",
)
crm_dispatch_schedule = dg.ScheduleDefinition(
    name="crm_dispatch_every_5_minutes", job=crm_dispatch_job, cron_schedule="*/5 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

nightly_retrain_job = dg.define_asset_job(
    "nightly_retrain_job", selection=dg.AssetSelection.groups("gold"), hooks=RELEASE_MEMORY,
    config={"ops": {"gold__lead_scores": {"config": {"retrain": True}}}},
    description="Train a challenger lead-score model, promote it only past the bar, rescore everyone.",
)
nightly_retrain = dg.ScheduleDefinition(
    name="nightly_retrain", job=nightly_retrain_job, cron_schedule="30 2 * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)

ingest_schedule = dg.ScheduleDefinition(
    name="ingest_hourly", job=ingest_job, cron_schedule="7 * * * *",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)



def build_definitions(lakehouse: Lakehouse) -> dg.Definitions:
    """The code location bound to ``lakehouse`` (tests bind temporary folders; production reads settings)."""
    return dg.Definitions(
        assets=[*bronze_assets, *identity_assets, *graph_assets, *scoring_assets, *routing_assets,
                analyst_catalog, table_maintenance],
        asset_checks=bronze_quality_checks,
        jobs=[ingest_job, main_job, nightly_retrain_job, routing_job, crm_dispatch_job, realtime_job,
              maintenance_job],
        schedules=[ingest_schedule, nightly_retrain, routing_schedule, crm_dispatch_schedule,
                   maintenance_schedule],
        sensors=[intake_sensor, pool_watchdog],
        resources={"lakehouse": lakehouse, "realtime_warm_up": RealtimeWarmUp.of(lakehouse)},
        executor=dg.in_process_executor,
    )


defs = build_definitions(Lakehouse.from_settings())
