"""Lead scoring models: a generic calibrated XGBoost trainer, scoring, reasons, confidence and a registry.

Pure Python + Polars + numpy + XGBoost (no Dagster). The facade::

    from models import train, predict, explain, confidence, needs_review, ModelRegistry

    model = train(frame, label="converted", time_column="as_of", id_columns=["person_id"])
    scores = predict(model, new_leads)                       # calibrated probabilities
    why = explain(model, new_leads, top=3, phrases={...})    # reason_1..3, reasons, top_features
    conf = confidence(model, new_leads, key_features=["employees"])
    model.save("folder"); TrainedModel.load("folder")        # model.ubj + metadata.json, no pickle
    compile_forest(model.booster).probability(matrix)         # XGBoost's numbers, 6-10x faster in bulk
"""

from __future__ import annotations

import os

# XGBoost's OpenMP threads spin while they wait at barriers. On a machine whose cores are shared with other
# jobs, that spinning steals the core the other thread needs: training with nthread=2 measured 10-17 s
# against 0.5-0.7 s with passive waiting on the same 20k rows (this project's 2-core VM, both cores busy
# with other work). libgomp reads the setting once, when XGBoost is first imported, so it is set here before
# any import of xgboost; an explicit OMP_WAIT_POLICY in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .calibration import Calibrator, fit_calibrator
from .confidence import REVIEW_THRESHOLD, confidence, needs_review
from .explain import APPROX_ABOVE, describe, explain
from .forest import CompiledForest, compile_forest
from .metrics import binary_metrics, brier_score, expected_calibration_error, log_loss, roc_auc
from .model import TrainedModel
from .predict import predict
from .registry import Decision, ModelRegistry
from .split import SHARES
from .train import DEFAULT_PARAMS, train

__all__ = [
    "train", "TrainedModel", "predict", "explain", "describe", "confidence", "needs_review", "ModelRegistry",
    "Decision", "Calibrator", "fit_calibrator", "roc_auc", "expected_calibration_error", "log_loss",
    "brier_score", "binary_metrics", "SHARES", "DEFAULT_PARAMS", "REVIEW_THRESHOLD", "APPROX_ABOVE",
    "CompiledForest", "compile_forest",
]
