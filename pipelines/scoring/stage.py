"""Lead scoring over a lakehouse: point-in-time training frames, nightly challenger training, scored leads.

The model code is generic (:mod:`models`); this module supplies our features (:mod:`pipelines.features`), the
plain-words phrases for reasons, the tiers, and the Delta reads and writes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from models import (SHARES, ModelRegistry, TrainedModel, confidence, explain, fit_calibrator, needs_review, predict,
                    train)
from pipelines.features import KEY_FEATURES, FeatureInputs, conversion_labels, person_features, snapshots
from pipelines.features.inputs import FEATURE_INPUT_TABLES, read_feature_inputs
from pipelines.storage.delta import DeltaStore

from .current import LEAD_SCORES, fold_score_updates
from .phrases import PHRASES

__all__ = ["LEAD_SCORES", "TIERS", "PHRASES", "MAX_TRAINING_ROWS", "training_frame", "split_holdout",
           "train_challenger", "train_lead_model", "score_leads", "run_scoring_stage", "ScoringReport",
           "registry_for", "tier_of"]

LABEL, TIME, ID = "converted", "as_of", "person_id"
HORIZON_DAYS = 90
HOLDOUT_SHARE = 0.1
# Platt scaling: two parameters stay stable across a slice's noise; isotonic steps measured worse on the holdout
# (ECE 0.027 against 0.016 on the 100k world, same model)
CALIBRATION = "platt"
# deeper trees than the generic default: account-level interactions carry the signal (100k world: AUC 0.862
# against 0.851 at depth 5 / eta 0.1, same holdout). At 1M persons (776k training rows) early stopping never
# fired within 400 rounds; eta 0.2 for 250 rounds matches eta 0.08 for 400 on the holdout (AUC 0.8238 against
# 0.8242, ECE 0.014 both) in 68 s of training against 97 s (/tmp/h1m, docs/benchmarks.md)
PARAMS = {"max_depth": 6, "eta": 0.2, "num_boost_round": 250}
# the booster trains on at most this many rows (a seeded sample across all snapshots; the holdout stays
# whole). 1M-person world, 1.19M rows before the holdout: 700k trained in 40.8 s against 95.5 s for all of
# them, holdout AUC 0.8230 against 0.8239, ECE 0.012 against 0.014 (400k: AUC 0.8182, a drop beyond the
# promotion bar's 0.005)
MAX_TRAINING_ROWS = 700_000
SCORE_SCHEMA = pl.Schema({ID: pl.String, TIME: pl.Datetime("us", "UTC"), "probability": pl.Float64,
                          "tier": pl.String, "reasons": pl.List(pl.String),
                          "top_features": pl.List(pl.String), "confidence": pl.Float64,
                          "needs_review": pl.Boolean, "model_version": pl.String, "feature_hash": pl.String})
# calibrated probability of an opportunity within 90 days → tier (routing reads these)
TIERS = (("hot", 0.7), ("warm", 0.4), ("nurture", 0.0))




def tier_of(probability: pl.Expr) -> pl.Expr:
    """Tier of a calibrated probability (:data:`TIERS`)."""
    expr = pl.when(probability.is_null()).then(pl.lit(None, dtype=pl.String))
    for name, floor in TIERS:
        expr = expr.when(probability >= floor).then(pl.lit(name))
    return expr.otherwise(pl.lit("nurture"))


def registry_for(store: DeltaStore, root: str | Path) -> ModelRegistry:
    return ModelRegistry(Path(root), store, name="lead_score")


def training_frame(inputs: FeatureInputs, *, every_days: int = 7, horizon_days: int = HORIZON_DAYS) -> pl.DataFrame:
    """Features at snapshots every ``every_days`` whose label window has fully passed, with ``converted``."""
    start = inputs.engagements["occurred_at"].min()
    end = inputs.engagements["occurred_at"].max()
    if start is None or end is None:
        msg = "no engagements in the graph yet: run the ingest, identity and graph assets before training"
        raise ValueError(msg)
    dates = snapshots(start + timedelta(days=30), end - timedelta(days=horizon_days), every_days=every_days)
    if len(dates) < 2:
        msg = (f"engagement history {start:%Y-%m-%d} to {end:%Y-%m-%d} is too short: training needs 30 days of "
               f"history plus a {horizon_days}-day label window, twice")
        raise ValueError(msg)
    features = person_features(inputs, dates)
    labels = conversion_labels(inputs, features.select(ID, TIME), horizon_days=horizon_days)
    return features.join(labels, on=[ID, TIME])


def train_lead_model(fit_rows: pl.DataFrame, *, max_rows: int = MAX_TRAINING_ROWS) -> TrainedModel:
    """Train on ``fit_rows`` (a seeded sample of ``max_rows`` of them when there are more), then re-fit the
    calibrator on the latest snapshot among the rows the booster never saw (its calibration and test slices):
    the closest in time to what it will score, so base-rate drift between snapshots does not show up as
    miscalibration (fresh 100k world, weekly snapshots: ECE 0.033 → 0.017)."""
    if fit_rows.height > max_rows:
        fit_rows = fit_rows.sample(max_rows, seed=7).sort(TIME, maintain_order=True)
    model = train(fit_rows, label=LABEL, time_column=TIME, id_columns=[ID], calibration=CALIBRATION, params=PARAMS)
    unseen = fit_rows.sort(TIME, maintain_order=True).tail(int(fit_rows.height * (SHARES["calibration"]
                                                                                  + SHARES["test"])))
    latest = unseen.filter(pl.col(TIME) == unseen[TIME].max())
    if latest[LABEL].n_unique() < 2:
        return model
    raw = predict(model, latest, calibrated=False).to_numpy()
    calibrator = fit_calibrator(raw, latest[LABEL].to_numpy(), kind=CALIBRATION)
    metrics = {**model.metrics, "recalibrated_on_rows": latest.height}
    return dataclasses.replace(model, calibrator=calibrator, metrics=metrics)


def split_holdout(frame: pl.DataFrame, *, share: float = HOLDOUT_SHARE) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(training rows, the most recent ``share`` of rows): champion and challenger are judged on that holdout.

    Rows are ordered by ``as_of``, ties (one snapshot holds many persons) by a stable hash of the person id, so
    the holdout is the latest time and the same rows on every run over the same data.
    """
    ordered = frame.with_columns(_k=pl.col(ID).hash(seed=11)).sort(TIME, "_k").drop("_k")
    cut = int(round(ordered.height * (1 - share)))
    return ordered.head(cut), ordered.tail(ordered.height - cut)


@dataclass(frozen=True)
class ScoringReport:
    challenger: str | None
    decision: str | None
    reason: str | None
    champion: str | None
    metrics: dict[str, Any]
    importances: dict[str, float]
    scored: int
    tiers: dict[str, int]
    review: int
    outputs: dict[str, tuple[int | None, int | None]]
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)


def train_challenger(store: DeltaStore, registry: ModelRegistry, *,
                     inputs: FeatureInputs | None = None) -> tuple[str, Any, TrainedModel]:
    """Train on all snapshots but the latest, register, and let the registry judge it on the latest."""
    inputs = inputs or read_feature_inputs(store)
    frame = training_frame(inputs)
    fit_rows, holdout = split_holdout(frame)
    model = train_lead_model(fit_rows)
    versions = {t: store.version(t) for t in FEATURE_INPUT_TABLES}
    version = registry.register(model, training_data_versions=versions)
    decision = registry.evaluate_challenger(version, holdout, label=LABEL)
    return version, decision, model


def score_leads(inputs: FeatureInputs, model: TrainedModel, *, version: str, as_of: datetime,
                persons: Sequence[str] | None = None) -> pl.DataFrame:
    """Calibrated probability, tier, three plain-words reasons, confidence and review flag per person."""
    features = person_features(inputs, [as_of], persons=persons)
    if features.height == 0:  # e.g. a person first seen after ``as_of`` (an event stamped by a fast clock)
        return pl.DataFrame(schema=SCORE_SCHEMA)
    probability = predict(model, features)
    # approximate contributions whatever the row count: a lead's reasons must not depend on how many leads
    # were scored with it (the nightly batch is always above APPROX_ABOVE; a micro-batch of 100 events at 1M
    # persons spent 1.1 s on exact TreeSHAP, and could word the same lead differently than the batch had)
    reasons = explain(model, features, top=3, phrases=PHRASES, approximate=True)
    conf = confidence(model, features, key_features=[f for f in KEY_FEATURES if f in model.features])
    return features.select(ID, TIME).with_columns(
        probability.alias("probability"), tier_of(probability).alias("tier"),
        reasons["reasons"], reasons["top_features"], conf.alias("confidence"),
        needs_review(conf).alias("needs_review"), pl.lit(version).alias("model_version"),
        pl.lit(model.feature_hash).alias("feature_hash"))


def run_scoring_stage(store: DeltaStore, models_root: str | Path, *, as_of: datetime,
                      retrain: bool = False) -> ScoringReport:
    """Train a challenger when asked (or when no champion exists), then score every person as of ``as_of``.
    The report's ``seconds`` time each phase: ``read``, ``train`` (when it ran), ``score``, ``write``."""
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        seconds[phase] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()

    registry = registry_for(store, models_root)
    inputs = read_feature_inputs(store)
    lap("read")
    challenger = decision = None
    if retrain or registry.champion() is None:
        challenger, decision, _ = train_challenger(store, registry, inputs=inputs)
        lap("train")
    champion = registry.champion()
    if champion is None:  # nothing is scored; the caller reports why (the asset check blocks routing)
        return ScoringReport(challenger=challenger, decision=decision.event if decision else None,
                             reason=decision.reason if decision else "no model trained", champion=None,
                             metrics={}, importances={}, scored=0, tiers={}, review=0,
                             outputs={LEAD_SCORES: (store.version(LEAD_SCORES), store.version(LEAD_SCORES))},
                             seconds=seconds)
    model = registry.load(champion)
    scores = score_leads(inputs, model, version=champion, as_of=as_of)
    lap("score")
    before = store.version(LEAD_SCORES)
    store.merge(LEAD_SCORES, scores, keys=[ID], full_state=True)
    fold_score_updates(store, scored_everyone_at=as_of)  # the real-time rescoring it has just superseded
    lap("write")
    return ScoringReport(
        challenger=challenger, decision=decision.event if decision else None,
        reason=decision.reason if decision else None, champion=champion, metrics=dict(model.metrics),
        importances=dict(sorted(model.importances.items(), key=lambda kv: -kv[1])[:15]), scored=scores.height,
        tiers=dict(scores.group_by("tier").len().iter_rows()) if scores.height else {},
        review=int(scores["needs_review"].sum()) if scores.height else 0,
        outputs={LEAD_SCORES: (before, store.version(LEAD_SCORES))}, seconds=seconds)
