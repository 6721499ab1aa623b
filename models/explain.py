"""Per-lead reasons: the top positive SHAP contributions of XGBoost, in plain words.

Contributions come from the booster itself (``pred_contribs=True``, in log-odds). Exact TreeSHAP costs about
a millisecond a row for a few hundred deep trees, so above :data:`APPROX_ABOVE` rows the approximate
contributions (``approx_contribs=True``, Saabas: the change of the expected value along each row's path)
are used; they rank the top reasons almost alike at a hundred times the speed. ``approximate=`` chooses.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import polars as pl
import xgboost as xgb

from .model import TrainedModel, cores

__all__ = ["explain", "APPROX_ABOVE", "describe"]

APPROX_ABOVE = 5_000


def describe(feature: str, value: Any) -> str:
    """The generic reason: ``"<feature> = <value>"`` (numbers to 6 significant digits), or "is missing".

    Examples
    --------
    >>> describe("employees", 250.0), describe("visits_7d", 3.14159265), describe("industry", "Software")
    ('employees = 250', 'visits_7d = 3.14159', 'industry = Software')
    >>> describe("seniority", None)
    'seniority is missing'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"{feature} is missing"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return f"{feature} = {int(value)}"
        return f"{feature} = {value:.6g}"
    return f"{feature} = {value}"


def _reason(feature: str, value: Any, phrase: Callable[[Any], str] | None) -> str:
    if phrase is None or value is None or (isinstance(value, float) and math.isnan(value)):
        return describe(feature, value)
    try:
        return str(phrase(value))
    except Exception as exc:
        msg = f"the phrase for feature {feature!r} failed on value {value!r}: {exc!r}; fix the phrase"
        raise ValueError(msg) from exc


def contributions(model: TrainedModel, frame: pl.DataFrame, *, approximate: bool | None = None) -> np.ndarray:
    """SHAP contributions (rows × features, log-odds, without the bias column).

    Approximate ones for :data:`~models.model.COMPILED_MIN_ROWS` rows or more come from the compiled forest
    (:meth:`~models.forest.CompiledForest.contributions`: XGBoost's numbers, 2-4x faster; see
    docs/benchmarks.md).
    """
    approx = frame.height > APPROX_ABOVE if approximate is None else approximate
    if approx and (forest := model.forest_for(frame.height)) is not None:
        return forest.contributions(model.matrix_for_scoring(frame), threads=cores())
    matrix = model.matrix(frame)
    if matrix.shape[0] == 0:
        return np.empty((0, len(model.features)), dtype=np.float32)
    data = xgb.DMatrix(matrix, feature_names=model.features, feature_types=model.feature_types,
                       enable_categorical=True, nthread=int(model.params.get("nthread", 0)))
    out = model.booster.predict(data, pred_contribs=True, approx_contribs=approx, validate_features=False)
    return np.asarray(out)[:, :-1]


def explain(model: TrainedModel, frame: pl.DataFrame, *, top: int = 3,
            phrases: Mapping[str, Callable[[Any], str]] | None = None,
            approximate: bool | None = None) -> pl.DataFrame:
    """The ``top`` features pushing each row's score up, with a reason in words per feature.

    ``phrases[feature](value)`` words a reason when given (called with the row's raw, non-missing value;
    phrases for features the model lacks are ignored), else :func:`describe`. Rows with fewer than ``top``
    positive contributions get nulls in the last reason columns.

    Returns one row per input row: ``reason_1`` .. ``reason_<top>`` (str), ``reasons`` (list of str, the
    non-null ones in order), ``top_features`` (list of str) and ``top_contributions`` (list of float,
    log-odds).

    Examples
    --------
    >>> from models import train
    >>> frame = pl.DataFrame({"demo_days": [float(i % 30) for i in range(600)],
    ...                       "noise": [float(i % 7) for i in range(600)],
    ...                       "won": [int(i % 30 < 5) for i in range(600)]})
    >>> model = train(frame, label="won", params={"num_boost_round": 20})
    >>> out = explain(model, pl.DataFrame({"demo_days": [2.0], "noise": [1.0]}), top=1,
    ...               phrases={"demo_days": lambda v: f"requested a demo {v:.0f} days ago"})
    >>> out["reason_1"][0], out["top_features"][0].to_list()
    ('requested a demo 2 days ago', ['demo_days'])
    """
    if top < 1:
        msg = f"top must be at least 1, got {top}"
        raise ValueError(msg)
    phrases = phrases or {}
    contrib = contributions(model, frame, approximate=approximate)
    n, width = contrib.shape
    k = min(top, width)
    if n and width > k:
        best = np.argpartition(-contrib, k - 1, axis=1)[:, :k]
    else:
        best = np.tile(np.arange(width), (n, 1))
    order = np.argsort(-np.take_along_axis(contrib, best, axis=1), axis=1, kind="stable")
    best = np.take_along_axis(best, order, axis=1)
    values = np.take_along_axis(contrib, best, axis=1)
    positive = values > 0

    columns: dict[str, pl.Series] = {}
    for rank in range(top):
        reasons = np.full(n, None, dtype=object)
        if rank < k:
            index, keep = best[:, rank], positive[:, rank]
            for f in np.unique(index[keep]):
                rows = np.flatnonzero(keep & (index == f))
                feature = model.features[int(f)]
                phrase = phrases.get(feature)
                raw = frame[feature].gather(rows).to_list()
                reasons[rows] = [_reason(feature, v, phrase) for v in raw]
        columns[f"reason_{rank + 1}"] = pl.Series(f"reason_{rank + 1}", reasons.tolist(), dtype=pl.String)
    # positives come first in each row (sorted descending): keep that prefix of the top-k lists
    count = pl.Series("n", positive.sum(axis=1), dtype=pl.UInt32)
    flat_names = pl.Series("top_features", model.features, dtype=pl.String).gather(best.ravel())
    flat_values = pl.Series("top_contributions", values.ravel(), dtype=pl.Float64)
    lists = pl.DataFrame([
        s.reshape((n, k)).cast(pl.List(s.dtype)) if n else pl.Series(s.name, [], dtype=pl.List(s.dtype))
        for s in (flat_names, flat_values)
    ]).with_columns(count).select(pl.col("top_features", "top_contributions").list.head(pl.col("n")))
    out = pl.DataFrame(columns, schema={c: pl.String for c in columns})
    reasons = pl.concat_list(list(columns)).list.drop_nulls().alias("reasons")
    return out.with_columns(reasons, *lists.get_columns())
