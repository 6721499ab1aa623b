"""The handoff code location: every asset, check, job, schedule and resource. The only place Dagster is wired."""

from __future__ import annotations

import dagster as dg

from assets.bronze import bronze_assets
from assets.catalog import analyst_catalog
from assets.graph import graph_assets
from assets.identity import identity_assets
from assets.quality import bronze_quality_checks
from assets.resources import Lakehouse
from assets.scoring import scoring_assets

__all__ = ["defs", "build_definitions", "INGEST_JOB", "MAIN_JOB"]

INGEST_JOB = "ingest_job"
MAIN_JOB = "main_job"

ingest_job = dg.define_asset_job(
    INGEST_JOB,
    selection=dg.AssetSelection.groups("bronze", "catalog"),
    description="Landing files to bronze and quarantine, GX checks, then the analysts' catalog.",
)

main_job = dg.define_asset_job(
    MAIN_JOB, selection=dg.AssetSelection.all(),
    description="Everything: landing to bronze, identity and accounts (silver), then the analysts' catalog.",
)

nightly_retrain_job = dg.define_asset_job(
    "nightly_retrain_job", selection=dg.AssetSelection.groups("gold"),
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
        assets=[*bronze_assets, *identity_assets, *graph_assets, *scoring_assets, analyst_catalog],
        asset_checks=bronze_quality_checks,
        jobs=[ingest_job, main_job, nightly_retrain_job],
        schedules=[ingest_schedule, nightly_retrain],
        resources={"lakehouse": lakehouse},
        executor=dg.in_process_executor,
    )


defs = build_definitions(Lakehouse.from_settings())
