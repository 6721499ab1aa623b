"""Silver identity: the person crosswalk, golden persons and accounts, downstream of the person-bearing bronze.

One multi-asset runs :func:`pipelines.identity.stage.run_identity_stage` and reports each table, the share of
records linked by each method, and two checks: manual overrides respected (blocking: a violated cannot-link
must not flow on to routing) and cluster-size outliers (a warning for a data steward to review).
"""


import datetime as dt

import dagster as dg

from assets.resources import Lakehouse
from pipelines.identity.records import PERSON_SOURCES
from pipelines.identity.stage import (ACCOUNTS, CROSSWALK, IDENTITY_CHANGES, PERSON_ACCOUNTS, PERSON_RECORDS,
                                      PERSONS, run_identity_stage)
from pipelines.lineage import lineage_row, record_lineage

__all__ = ["identity_assets", "CROSSWALK_KEY", "PERSONS_KEY", "ACCOUNTS_KEY", "PERSON_RECORDS_KEY"]


def _key(table: str) -> dg.AssetKey:
    return dg.AssetKey(table.split("."))


CROSSWALK_KEY, PERSONS_KEY, ACCOUNTS_KEY = _key(CROSSWALK), _key(PERSONS), _key(ACCOUNTS)
PERSON_RECORDS_KEY = _key(PERSON_RECORDS)
_DESCRIPTIONS = {
    CROSSWALK: "(source, source record id) → persistent person_id, with the link method and probability.",
    PERSON_RECORDS: "Every person-bearing bronze record, normalised (emails, E.164 phones, names, domains), "
                    "with its person_id.",
    IDENTITY_CHANGES: "Merges and splits of earlier person ids, appended per run.",
    PERSON_ACCOUNTS: "Each person's account, how it was matched and with what confidence.",
    PERSONS: "Golden person records (survivorship: most trusted source, then most recent non-null).",
    ACCOUNTS: "Golden accounts: Salesforce accounts with learned alias domains, plus prospects by domain.",
}
_BRONZE_DEPS = [dg.AssetKey(["bronze", s.table]) for s in PERSON_SOURCES] + [
    dg.AssetKey(["bronze", "salesforce_account"])]


@dg.multi_asset(
    name="identity_resolution",
    specs=[dg.AssetSpec(_key(t), group_name="silver", description=d, deps=_BRONZE_DEPS,
                        kinds={"splink", "duckdb", "deltalake"}) for t, d in _DESCRIPTIONS.items()],
    check_specs=[
        dg.AssetCheckSpec("overrides_respected", asset=CROSSWALK_KEY, blocking=True,
                          description="Every cannot-link override holds (must-links always do)."),
        dg.AssetCheckSpec("cluster_size_outliers", asset=CROSSWALK_KEY,
                          description="Persons with over 60 non-event records or over 2 surnames, for review."),
    ],
    pool="lakehouse_writes",
)
def identity_resolution(context: dg.AssetExecutionContext, lakehouse: Lakehouse):
    """Resolve persons across every system, match them to accounts, and refresh the golden records."""
    started = dt.datetime.now(dt.UTC)
    store = lakehouse.store
    report = run_identity_stage(store, run_id=context.run.run_id, now=started)
    records = report.stats.get("records", 0)
    share = {k.removeprefix("records_linked_by_"): round(v / records, 4) if records else 0.0
             for k, v in report.stats.items() if k.startswith("records_linked_by_")}
    for table in _DESCRIPTIONS:
        before, after = report.outputs[table]
        row = lineage_row(run_id=context.run.run_id, asset=_key(table).to_user_string(), inputs=report.inputs,
                          outputs={table: (before, after)}, rows_in=records, rows_out=records, rows_quarantined=0,
                          started_at=started, finished_at=dt.datetime.now(dt.UTC),
                          details={"model_id": report.model_id} if table == CROSSWALK else None)
        if before != after:
            record_lineage(store, row)
        metadata: dict[str, object] = {"delta_version_before": before if before is not None else -1,
                                       "delta_version_after": after if after is not None else -1}
        if table == CROSSWALK:
            metadata |= {"share_linked_by_method": dg.MetadataValue.json(share),
                         "linkage_model_id": report.model_id,
                         "stats": dg.MetadataValue.json(report.stats)}
        if table == PERSON_ACCOUNTS:
            metadata |= {"persons_by_match_method": dg.MetadataValue.json(report.account_methods)}
        yield dg.MaterializeResult(asset_key=_key(table), metadata=metadata)
    conflicts = report.override_conflicts
    yield dg.AssetCheckResult(
        asset_key=CROSSWALK_KEY, check_name="overrides_respected", passed=conflicts.height == 0,
        metadata={"violated_cannot_links": conflicts.height})
    outliers = report.cluster_outliers
    yield dg.AssetCheckResult(
        asset_key=CROSSWALK_KEY, check_name="cluster_size_outliers", passed=outliers.height == 0,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"outliers": outliers.height,
                  "largest": dg.MetadataValue.json(outliers.head(10).to_dicts())})


identity_assets: list[dg.AssetsDefinition] = [identity_resolution]
