"""One bronze asset per vendor object, all built by one factory from the contract registry."""


import datetime as dt

import dagster as dg

from assets.resources import Lakehouse
from contracts.registry import BRONZE_CONTRACTS
from contracts.spec import BronzeContract
from pipelines.ingest.bronze import BronzeReport, ingest_bronze
from pipelines.lineage import LINEAGE, lineage_row, record_lineage

__all__ = ["bronze_assets", "bronze_key"]

QUARANTINE_WARN_RATE = 0.05


def bronze_key(contract: BronzeContract) -> dg.AssetKey:
    return dg.AssetKey(["bronze", contract.table])


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


def _build(contract: BronzeContract) -> dg.AssetsDefinition:
    key = bronze_key(contract)

    @dg.asset(
        key=key,
        group_name="bronze",
        kinds={"polars", "pandera", "deltalake"},
        description=f"{contract.source} {contract.object} extracts conformed to contract {contract.name}; "
                    f"bad rows go to quarantine.records with a reason.",
        check_specs=[dg.AssetCheckSpec(
            "contract", asset=key,
            description=f"Pandera contract {contract.name}: no file rejected, quarantine rate "
                        f"≤ {QUARANTINE_WARN_RATE:.0%} of raw rows")],
        pool="lakehouse_writes",
        metadata={"contract": contract.name, "landing_folder": contract.source,
                  "file_prefix": contract.file_prefix},
    )
    def _bronze(context: dg.AssetExecutionContext, lakehouse: Lakehouse) -> dg.MaterializeResult:
        started = dt.datetime.now(dt.UTC)
        store = lakehouse.store
        report = ingest_bronze(contract, store=store, landing_root=lakehouse.landing, run_id=context.run.run_id,
                               now=started)
        for message in report.messages:
            context.log.info(message)
        for rel, message in report.files_rejected.items():
            context.log.error(f"rejected {rel}: {message}")
        lineage_version = None
        if report.changed:
            outputs = {t: (report.versions_before[t], report.versions_after[t]) for t in report.versions_after}
            row = lineage_row(
                run_id=context.run.run_id, asset=key.to_user_string(), contract=contract.name,
                inputs={f"landing/{rel}": None for rel in [*report.files_loaded, *report.files_rejected]},
                outputs=outputs, rows_in=report.rows_raw, rows_out=report.rows_bronze,
                rows_quarantined=report.rows_quarantined, started_at=started,
                finished_at=dt.datetime.now(dt.UTC), details={"drift": report.drift_columns})
            lineage_version = record_lineage(store, row)
        rate = report.rows_quarantined / report.rows_raw if report.rows_raw else 0.0
        passed = not report.files_rejected and rate <= QUARANTINE_WARN_RATE
        check = dg.AssetCheckResult(
            check_name="contract", passed=passed, severity=dg.AssetCheckSeverity.WARN,
            metadata={"rejected_files": dg.MetadataValue.json(report.files_rejected),
                      "quarantine_rate": rate, "quarantined_by_reason":
                      dg.MetadataValue.json(report.quarantined_by_reason)})
        return dg.MaterializeResult(metadata={**_metadata(report, lineage_version), LINEAGE: "audit.lineage"},
                                    check_results=[check])

    return _bronze


bronze_assets: list[dg.AssetsDefinition] = [_build(c) for c in BRONZE_CONTRACTS]
