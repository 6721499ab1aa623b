"""Binary-classification metrics in numpy: ROC AUC by ranks, expected calibration error, log loss, Brier.

Every function takes 0/1 labels ``y`` and probabilities ``p`` of the same length (anything ``np.asarray``
accepts: lists, numpy arrays, Polars Series).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["roc_auc", "expected_calibration_error", "log_loss", "brier_score", "binary_metrics"]


def _arrays(y: ArrayLike, p: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    ya = np.asarray(y, dtype=np.float64).ravel()
    pa = np.asarray(p, dtype=np.float64).ravel()
    if ya.shape != pa.shape:
        msg = f"labels and probabilities differ in length ({ya.size} vs {pa.size}); pass one score per label"
        raise ValueError(msg)
    if ya.size == 0:
        msg = "no rows to score: pass at least one label and probability"
        raise ValueError(msg)
    if not np.isin(ya, (0.0, 1.0)).all():
        msg = "labels must be 0/1 (or booleans); map the outcome to 0/1 first"
        raise ValueError(msg)
    if np.isnan(pa).any():
        msg = "probabilities contain NaN; score every row before computing metrics"
        raise ValueError(msg)
    return ya, pa


def roc_auc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve (the Mann-Whitney statistic over average ranks; ties count one half).

    Raises ``ValueError`` when ``y`` holds one class only (the AUC is undefined).

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    >>> roc_auc([0, 1], [0.5, 0.5])
    0.5
    """
    ya, pa = _arrays(y, p)
    positives = int(ya.sum())
    negatives = ya.size - positives
    if positives == 0 or negatives == 0:
        msg = f"AUC needs both classes, got {positives} positives and {negatives} negatives"
        raise ValueError(msg)
    from scipy.stats import rankdata  # imported here: scipy.stats costs 2 s at start-up

    ranks = rankdata(pa)
    return float((ranks[ya == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def expected_calibration_error(y: ArrayLike, p: ArrayLike, bins: int = 10) -> float:
    """Expected calibration error: ``bins`` equal-width bins, |mean(p) - mean(y)| weighted by bin size.

    Examples
    --------
    >>> expected_calibration_error([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])
    0.0
    >>> round(expected_calibration_error([0, 0, 1, 1], [0.1, 0.1, 0.9, 0.7]), 3)
    0.15
    """
    ya, pa = _arrays(y, p)
    if bins < 1:
        msg = f"bins must be at least 1, got {bins}"
        raise ValueError(msg)
    index = np.clip((pa * bins).astype(np.int64), 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    predicted = np.bincount(index, weights=pa, minlength=bins)
    gap = np.abs(predicted - np.bincount(index, weights=ya, minlength=bins))
    return float(gap.sum() / counts.sum())


def log_loss(y: ArrayLike, p: ArrayLike, *, eps: float = 1e-15) -> float:
    """Mean negative log-likelihood, probabilities clipped to ``[eps, 1 - eps]``.

    Examples
    --------
    >>> round(log_loss([0, 1], [0.5, 0.5]), 4)
    0.6931
    """
    ya, pa = _arrays(y, p)
    pc = np.clip(pa, eps, 1 - eps)
    return float(-np.mean(ya * np.log(pc) + (1 - ya) * np.log1p(-pc)))


def brier_score(y: ArrayLike, p: ArrayLike) -> float:
    """Mean squared difference between probability and outcome.

    Examples
    --------
    >>> brier_score([0, 1], [0.0, 0.5])
    0.125
    """
    ya, pa = _arrays(y, p)
    return float(np.mean((pa - ya) ** 2))


def binary_metrics(y: ArrayLike, p: ArrayLike) -> dict[str, float | None]:
    """AUC, ECE (10 bins), log loss, Brier, base rate and rows; ``auc`` is ``None`` when one class only.

    Examples
    --------
    >>> m = binary_metrics([0, 0, 1, 1], [0.2, 0.3, 0.6, 0.9])
    >>> m["auc"], m["base_rate"], m["rows"]
    (1.0, 0.5, 4)
    """
    ya, pa = _arrays(y, p)
    try:
        auc: float | None = roc_auc(ya, pa)
    except ValueError:
        auc = None
    out: dict[str, float | None] = {
        "auc": auc,
        "ece": expected_calibration_error(ya, pa),
        "log_loss": log_loss(ya, pa),
        "brier": brier_score(ya, pa),
        "base_rate": float(ya.mean()),
        "mean_prediction": float(pa.mean()),
        "rows": ya.size,
    }
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}
