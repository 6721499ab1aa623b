"""Gold lead scores: the champion model applied to every person as of now; nightly challengers behind a bar."""

import datetime as dt

import dagster as dg

from assets.graph import graph_assets
from assets.identity import identity_assets
from assets.resources import Lakehouse
from pipelines.lineage import lineage_row, record_lineage
from pipelines.scoring import LEAD_SCORES, run_scoring_stage

__all__ = ["scoring_assets", "ScoringConfig", "LEAD_SCORES_KEY"]

LEAD_SCORES_KEY = dg.AssetKey(LEAD_SCORES.split("."))


class ScoringConfig(dg.Config):
    """``retrain``: train a challenger first (the nightly schedule sets it); the registry promotes it only if, on
    the same recent holdout, its AUC ≥ the champion's − 0.005 and its ECE ≤ 0.03."""

    retrain: bool = False


@dg.asset(
    key=LEAD_SCORES_KEY,
    check_specs=[dg.AssetCheckSpec(
        "scored_by_a_champion", asset=LEAD_SCORES_KEY,
        description="A promoted model scored the leads. Without a champion nothing is scored (a warning: a small "
                    "world's holdout is too small to pass the ECE ≤ 0.03 bar, and routing checks for scores).")],
    group_name="gold",
    kinds={"xgboost", "polars", "deltalake"},
    deps=[k for a in [*identity_assets, *graph_assets] for k in a.keys],
    description="Per person: calibrated probability of an opportunity within 90 days, tier, three plain-words "
                "reasons, confidence and review flag, model version (champion of the lead_score registry).",
    pool="lakehouse_writes",
)
def lead_scores(context: dg.AssetExecutionContext, config: ScoringConfig,
                lakehouse: Lakehouse):
    started = dt.datetime.now(dt.UTC)
    store = lakehouse.store
    report = run_scoring_stage(store, lakehouse.models, as_of=started, retrain=config.retrain)
    if report.challenger:
        context.log.info(f"challenger {report.challenger}: {report.decision} ({report.reason})")
    before, after = report.outputs[LEAD_SCORES]
    if before != after:
        record_lineage(store, lineage_row(
            run_id=context.run.run_id, asset=LEAD_SCORES_KEY.to_user_string(), inputs={},
            outputs=report.outputs, rows_in=report.scored, rows_out=report.scored, rows_quarantined=0,
            started_at=started, finished_at=dt.datetime.now(dt.UTC),
            details={"model_version": report.champion, "challenger": report.challenger,
                     "decision": report.decision}))
    metrics = report.metrics
    if report.champion is None:
        context.log.warning(f"no champion model, nothing scored: {report.reason}")
    yield dg.MaterializeResult(metadata={
        "model_version": report.champion or "",
        "auc": float(metrics.get("auc") or 0.0),
        "ece": float(metrics.get("ece") or 0.0),
        "feature_importances": dg.MetadataValue.json(report.importances),
        "challenger": report.challenger or "",
        "challenger_decision": f"{report.decision}: {report.reason}" if report.decision else "",
        "persons_scored": report.scored,
        "tiers": dg.MetadataValue.json(report.tiers),
        "flagged_for_review": report.review,
        "delta_version_after": after if after is not None else -1,
        "seconds": dg.MetadataValue.json(report.seconds),
    })
    yield dg.AssetCheckResult(
        check_name="scored_by_a_champion", passed=report.champion is not None, severity=dg.AssetCheckSeverity.WARN,
        metadata={"reason": report.reason or "", "champion": report.champion or ""})


scoring_assets: list[dg.AssetsDefinition] = [lead_scores]
