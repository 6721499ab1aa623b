"""Table maintenance: compaction, checkpoints and vacuum of the Delta tables, hourly (see
:mod:`pipelines.storage.maintenance`). It shares the ``lakehouse_writes`` pool, so it never rewrites files under
a running writer."""

import datetime as dt

import dagster as dg
import polars as pl

from assets.resources import Lakehouse
from pipelines.scoring.current import fold_score_updates
from pipelines.storage.maintenance import MAINTENANCE_SCHEMA, maintain_tables

__all__ = ["table_maintenance", "maintenance_job", "maintenance_schedule", "MAINTENANCE_LOG"]

MAINTENANCE_LOG = "audit.table_maintenance"


@dg.asset(key=dg.AssetKey(MAINTENANCE_LOG.split(".")), group_name="maintenance", kinds={"deltalake"},
          pool="lakehouse_writes",
          description="One row per table compacted (small files rewritten into large ones), checkpointed and "
                      "vacuumed by a maintenance run. Micro-batches leave a small file in a dozen tables each; "
                      "without this every read slows down as they pile up. First, the real-time path's score "
                      "log (gold.lead_score_updates) is folded into gold.lead_scores.")
def table_maintenance(context: dg.AssetExecutionContext, lakehouse: Lakehouse) -> dg.MaterializeResult:
    store = lakehouse.store
    folded = fold_score_updates(store)
    done = maintain_tables(store, store.tables())
    rows = pl.DataFrame([vars(m) for m in done], schema=MAINTENANCE_SCHEMA).with_columns(
        pl.lit(context.run.run_id).alias("run_id"), pl.lit(dt.datetime.now(dt.UTC)).alias("maintained_at"))
    if rows.height:
        store.append(MAINTENANCE_LOG, rows)
    return dg.MaterializeResult(metadata={
        "tables_compacted": len(done), "files_before": sum(m.files_before for m in done),
        "files_after": sum(m.files_after for m in done),
        "seconds": round(sum(m.seconds for m in done), 2), "score_updates_folded": folded})


maintenance_job = dg.define_asset_job(
    "maintenance_job", selection=dg.AssetSelection.groups("maintenance"),
    description="Compact, checkpoint and vacuum the Delta tables (the real-time path leaves small files).")
maintenance_schedule = dg.ScheduleDefinition(
    name="table_maintenance_hourly", job=maintenance_job, cron_schedule="41 * * * *",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
