"""How far to trust a score: 1.0 for a complete row inside the training distribution, lower otherwise.

For each row, the product of three factors (all constants below):

- each missing key feature (``key_features``): × :data:`KEY_MISSING_FACTOR` (0.5, so one missing key feature
  sends the lead to review at the default threshold);
- each key feature out of range (numeric below the training p01 or above p99; a categorical level unseen in
  training): × :data:`KEY_OUT_OF_RANGE_FACTOR` (0.8);
- the other features together: × ``1 - OTHER_WEIGHT × share``, where ``share`` is the importance-weighted
  (total gain) share of those features that are out of range, or missing, each missing one counted by how
  rarely it was missing in training (a feature missing in 90 % of training rows costs a tenth). At most
  ``OTHER_WEIGHT`` (0.3) is lost this way: missing non-key features lower confidence less than key ones.

:func:`needs_review` flags rows under :data:`REVIEW_THRESHOLD` (0.6).
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from .features import categorical_codes, numeric_expr
from .model import TrainedModel

__all__ = ["confidence", "needs_review", "KEY_MISSING_FACTOR", "KEY_OUT_OF_RANGE_FACTOR", "OTHER_WEIGHT",
           "REVIEW_THRESHOLD", "CONFIDENCE"]

KEY_MISSING_FACTOR = 0.5
KEY_OUT_OF_RANGE_FACTOR = 0.8
OTHER_WEIGHT = 0.3
REVIEW_THRESHOLD = 0.6
CONFIDENCE = "confidence"


def _flags(model: TrainedModel, frame: pl.DataFrame, feature: str) -> tuple[pl.Expr, pl.Expr]:
    """(missing, out of range) boolean expressions for one feature."""
    summary = model.summaries[feature]
    if model.kinds[feature] == "categorical":
        raw_missing = pl.col(feature).is_null()
        unseen = ~raw_missing & categorical_codes(feature, model.levels[feature]).is_null()
        return raw_missing, unseen
    value = numeric_expr(feature, frame.schema[feature])
    missing = value.is_nan()
    out = pl.lit(False)
    if summary.get("p01") is not None:
        out = out | (value < summary["p01"])
    if summary.get("p99") is not None:
        out = out | (value > summary["p99"])
    return missing, ~missing & out


def confidence(model: TrainedModel, frame: pl.DataFrame, *, key_features: Sequence[str] = ()) -> pl.Series:
    """Confidence in [0, 1] for each row's score (a Float64 Series named ``confidence``; see the module doc).

    Examples
    --------
    >>> from models import train
    >>> frame = pl.DataFrame({"a": [float(i % 50) for i in range(500)],
    ...                       "b": [float(i % 9) for i in range(500)],
    ...                       "won": [int(i % 50 > 30) for i in range(500)]})
    >>> model = train(frame, label="won", params={"num_boost_round": 10})
    >>> rows = pl.DataFrame({"a": [20.0, None, 1e6], "b": [4.0, 4.0, 4.0]})
    >>> confidence(model, rows, key_features=["a"]).to_list()
    [1.0, 0.5, 0.8]
    >>> needs_review(confidence(model, rows, key_features=["a"])).to_list()
    [False, True, False]
    """
    unknown = [f for f in key_features if f not in model.features]
    if unknown:
        msg = f"key_features {unknown} are not features of the model; pick from {model.features[:20]}"
        raise ValueError(msg)
    absent = [f for f in model.features if f not in frame.columns]
    if absent:
        msg = (f"the frame lacks the model's feature columns {absent}; add them (null where unknown) "
               f"before scoring")
        raise ValueError(msg)
    key_features = list(dict.fromkeys(key_features))  # a key listed twice counts once
    keys = set(key_features)
    others = [f for f in model.features if f not in keys]
    gains = {f: max(float(model.total_gain.get(f, 0.0)), 0.0) for f in others}
    total = sum(gains.values())
    weights = {f: (gains[f] / total if total > 0 else 1.0 / len(others)) for f in others} if others else {}

    factor = pl.repeat(1.0, frame.height, dtype=pl.Float64)  # full length even with nothing to check
    for f in key_features:
        missing, out = _flags(model, frame, f)
        factor = factor * pl.when(missing).then(KEY_MISSING_FACTOR).when(out).then(KEY_OUT_OF_RANGE_FACTOR) \
            .otherwise(1.0)
    share = pl.lit(0.0, dtype=pl.Float64)
    for f in others:
        if weights[f] <= 0:
            continue
        missing, out = _flags(model, frame, f)
        usual = 1.0 - float(model.summaries[f].get("missing_rate", 0.0))
        share = share + pl.when(missing).then(weights[f] * usual).when(out).then(weights[f]).otherwise(0.0)
    score = (factor * (1.0 - OTHER_WEIGHT * share.clip(0.0, 1.0))).clip(0.0, 1.0)
    return frame.select(score.alias(CONFIDENCE)).to_series()


def needs_review(conf: pl.Series, threshold: float = REVIEW_THRESHOLD) -> pl.Series:
    """Rows whose confidence is under ``threshold`` (a Boolean Series named ``needs_review``).

    Examples
    --------
    >>> needs_review(pl.Series([0.9, 0.59, 0.6])).to_list()
    [False, True, False]
    """
    return (conf < threshold).alias("needs_review")
