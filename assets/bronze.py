"""Bronze: one asset per vendor object, materialized together by one subsettable multi-asset.

One op ingests the selected contracts two at a time (threads; the heavy work is in Rust and releases the GIL),
so a run uses both cores without Dagster's per-step process start-up. Each asset still reports its own
metadata, lineage row and Pandera contract check.
"""

import datetime as dt

import dagster as dg

from assets.resources import Lakehouse
from contracts.registry import BRONZE_CONTRACTS
from contracts.spec import BronzeContract
from pipelines.ingest.bronze import BronzeReport, ingest_bronze_all
from pipelines.lineage import lineage_row, record_lineage

__all__ = ["bronze_assets", "bronze_key", "BRONZE_KEYS"]

QUARANTINE_WARN_RATE = 0.05


def bronze_key(contract: BronzeContract) -> dg.AssetKey:
    return dg.AssetKey(["bronze", contract.table])


BRONZE_KEYS = [bronze_key(c) for c in BRONZE_CONTRACTS]
_BY_KEY = {bronze_key(c): c for c in BRONZE_CONTRACTS}


def _spec(contract: BronzeContract) -> dg.AssetSpec:
    return dg.AssetSpec(
        bronze_key(contract),
        group_name="bronze",
        kinds={"polars", "pandera", "deltalake"},
        description=f"{contract.source} {contract.object} extracts conformed to contract {contract.name}; "
                    f"bad rows go to quarantine.records with a reason.",
        metadata={"contract": contract.name, "landing_folder": contract.source,
                  "file_prefix": contract.file_prefix},
        skippable=True,
    )


def _check_spec(contract: BronzeContract) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        "contract", asset=bronze_key(contract),
        description=f"Pandera contract {contract.name}: no file rejected, quarantine rate "
                    f"≤ {QUARANTINE_WARN_RATE:.0%} of raw rows")


def _metadata(report: BronzeReport, lineage_version: int | None) -> dict[str, object]:
    return {
        "contract": report.contract,
        "files_seen": report.files_seen,
        "files_loaded": len(report.files_loaded),
        "files_skipped_already_ingested": len(report.files_skipped),
        "files_rejected": dg.MetadataValue.json(report.files_rejected),
        "rows_raw": report.rows_raw,
        "rows_bronze": report.rows_bronze,
        "rows_quarantined": report.rows_quarantined,
        "quarantined_by_reason": dg.MetadataValue.json(report.quarantined_by_reason),
        "schema_drift": dg.MetadataValue.json(report.drift_columns),
        "crash_leftover_rows_deleted": report.recovered_rows_deleted,
        "delta_versions_before": dg.MetadataValue.json(report.versions_before),
        "delta_versions_after": dg.MetadataValue.json(report.versions_after),
        "lineage_version": lineage_version if lineage_version is not None else -1,
    }


@dg.multi_asset(
    name="bronze_ingest",
    specs=[_spec(c) for c in BRONZE_CONTRACTS],
    check_specs=[_check_spec(c) for c in BRONZE_CONTRACTS],
    can_subset=True,
    pool="lakehouse_writes",
)
def bronze_ingest(context: dg.AssetExecutionContext, lakehouse: Lakehouse):
    """New landing files of the selected objects → bronze, quarantine and manifest (Delta), plus lineage."""
    contracts = [_BY_KEY[k] for k in BRONZE_KEYS if k in context.selected_asset_keys]
    run_id = context.run.run_id
    started = dt.datetime.now(dt.UTC)
    store = lakehouse.store
    reports = ingest_bronze_all(contracts, store=store, landing_root=lakehouse.landing, run_id=run_id,
                                now=started, workers=lakehouse.ingest_workers)
    for contract in contracts:
        report = reports[contract.table]
        key = bronze_key(contract)
        for message in report.messages:
            context.log.info(message)
        for message in report.files_rejected.values():
            context.log.error(f"rejected: {message}")
        lineage_version = None
        if report.changed:
            outputs = {t: (report.versions_before[t], report.versions_after[t]) for t in report.versions_after}
            row = lineage_row(
                run_id=run_id, asset=key.to_user_string(), contract=contract.name,
                inputs={f"landing/{rel}": None for rel in [*report.files_loaded, *report.files_rejected]},
                outputs=outputs, rows_in=report.rows_raw, rows_out=report.rows_bronze,
                rows_quarantined=report.rows_quarantined, started_at=started,
                finished_at=dt.datetime.now(dt.UTC), details={"drift": report.drift_columns})
            lineage_version = record_lineage(store, row)
        rate = report.rows_quarantined / report.rows_raw if report.rows_raw else 0.0
        yield dg.MaterializeResult(asset_key=key, metadata=_metadata(report, lineage_version))
        yield dg.AssetCheckResult(
            asset_key=key, check_name="contract", severity=dg.AssetCheckSeverity.WARN,
            passed=not report.files_rejected and rate <= QUARANTINE_WARN_RATE,
            metadata={"rejected_files": dg.MetadataValue.json(report.files_rejected), "quarantine_rate": rate,
                      "quarantined_by_reason": dg.MetadataValue.json(report.quarantined_by_reason)})


bronze_assets: list[dg.AssetsDefinition] = [bronze_ingest]
