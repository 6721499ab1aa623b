"""Great Expectations suites on every bronze table, as Dagster asset checks (blocking where bad data must stop)."""


import dagster as dg

from assets.bronze import bronze_key
from assets.resources import Lakehouse
from contracts.quality import bronze_suite, suite_checks
from contracts.registry import BRONZE_CONTRACTS
from contracts.spec import BronzeContract
from pipelines.quality import columns_needed, run_suite

__all__ = ["bronze_quality_checks"]


def _build(contract: BronzeContract) -> dg.AssetChecksDefinition:
    key = bronze_key(contract)
    specs = [dg.AssetCheckSpec(c.name, asset=key, blocking=c.blocking, description=c.description)
             for c in suite_checks(contract).values()]

    @dg.multi_asset_check(name=f"gx_{contract.table}", specs=specs, pool="gx")
    def _checks(context: dg.AssetCheckExecutionContext, lakehouse: Lakehouse):
        suite = bronze_suite(contract)  # here, not at import: it builds the contract's Pandera schema
        frame = lakehouse.store.read(f"bronze.{contract.table}", columns=columns_needed(suite))
        outcomes = run_suite(frame, suite, name=contract.table)
        for name, outcome in outcomes.items():
            failing = [d for d in outcome.details if not d["success"]]
            if failing:
                context.log.warning(f"{key.to_user_string()} {name} failed: {failing}")
            yield dg.AssetCheckResult(
                asset_key=key, check_name=name, passed=outcome.passed,
                severity=dg.AssetCheckSeverity.ERROR if outcome.blocking else dg.AssetCheckSeverity.WARN,
                metadata={"rows_checked": frame.height, "expectations": dg.MetadataValue.json(outcome.details)},
            )

    return _checks


bronze_quality_checks: list[dg.AssetChecksDefinition] = [_build(c) for c in BRONZE_CONTRACTS]
