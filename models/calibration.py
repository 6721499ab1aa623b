"""Probability calibration kept as plain arrays: isotonic regression (pool-adjacent-violators) or Platt.

A :class:`Calibrator` maps the booster's raw probability to a calibrated one. It is fitted on the calibration
slice (rows neither the trees nor early stopping saw) and kept as JSON-ready numbers:

- ``isotonic``: knots ``x`` (raw probabilities) and ``y`` (calibrated), a non-decreasing step function with
  linear ramps between blocks (``np.interp``), flat beyond the end knots;
- ``platt``: ``sigmoid(a * logit(p) + b)`` with Platt's smoothed targets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Calibrator", "fit_calibrator", "isotonic_fit", "platt_fit"]

CalibrationKind = Literal["isotonic", "platt", "none"]
_EPS = 1e-7


def _logit(p: np.ndarray) -> np.ndarray:
    pc = np.clip(p, _EPS, 1 - _EPS)
    return np.log(pc) - np.log1p(-pc)


@dataclass(frozen=True)
class Calibrator:
    """A fitted calibration map; ``kind`` is ``"isotonic"``, ``"platt"`` or ``"none"`` (identity).

    Examples
    --------
    >>> c = Calibrator("isotonic", x=[0.1, 0.9], y=[0.2, 0.6])
    >>> c.apply(np.array([0.0, 0.5, 1.0])).round(2).tolist()
    [0.2, 0.4, 0.6]
    >>> Calibrator.from_dict(c.to_dict()) == c
    True
    """

    kind: CalibrationKind
    x: list[float] = field(default_factory=list)
    y: list[float] = field(default_factory=list)
    a: float = 1.0
    b: float = 0.0

    def apply(self, p: ArrayLike) -> np.ndarray:
        """Calibrated probabilities (float64) for raw probabilities ``p``."""
        raw = np.asarray(p, dtype=np.float64)
        if self.kind == "isotonic":
            return np.interp(raw, np.asarray(self.x), np.asarray(self.y))
        if self.kind == "platt":
            return 1.0 / (1.0 + np.exp(-(self.a * _logit(raw) + self.b)))
        return raw

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "x": list(self.x), "y": list(self.y), "a": self.a, "b": self.b}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibrator:
        return cls(data["kind"], x=[float(v) for v in data.get("x", [])],
                   y=[float(v) for v in data.get("y", [])], a=float(data.get("a", 1.0)),
                   b=float(data.get("b", 0.0)))


def isotonic_fit(p: ArrayLike, y: ArrayLike) -> Calibrator:
    """Isotonic regression of ``y`` on ``p`` by pool-adjacent-violators; knots at each block's ends.

    Examples
    --------
    >>> c = isotonic_fit([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1])
    >>> c.x, c.y
    ([0.1, 0.2, 0.3, 0.4], [0.0, 0.5, 0.5, 1.0])
    """
    pa = np.asarray(p, dtype=np.float64).ravel()
    ya = np.asarray(y, dtype=np.float64).ravel()
    if pa.size == 0 or pa.size != ya.size:
        msg = (f"isotonic calibration needs one label per probability and at least one row, "
               f"got {pa.size}/{ya.size}")
        raise ValueError(msg)
    # tied scores form one point (weight = count) so the blocks only depend on distinct scores
    xs, inverse, weights = np.unique(pa, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse, weights=ya)
    # the stack of blocks: value (mean), weight, first and last distinct-score index
    value, weight, first, last = [], [], [], []
    for i in range(xs.size):
        v, w, f = sums[i] / weights[i], float(weights[i]), i
        while value and value[-1] >= v:  # pool with the previous block while it violates monotonicity
            pw = weight.pop()
            v = (value.pop() * pw + v * w) / (pw + w)
            w += pw
            f = first.pop()
            last.pop()
        value.append(v)
        weight.append(w)
        first.append(f)
        last.append(i)
    knots_x: list[float] = []
    knots_y: list[float] = []
    for v, f, la in zip(value, first, last, strict=True):
        for xi in (xs[f], xs[la]) if la != f else (xs[f],):
            knots_x.append(float(xi))
            knots_y.append(float(v))
    return Calibrator("isotonic", x=knots_x, y=knots_y)


def platt_fit(p: ArrayLike, y: ArrayLike, *, iterations: int = 50) -> Calibrator:
    """Platt scaling: logistic regression of ``y`` on ``logit(p)`` (Newton steps, Platt's smoothed targets).

    Examples
    --------
    >>> c = platt_fit([0.2, 0.4, 0.6, 0.8] * 25, [0, 0, 1, 1] * 25)
    >>> bool(c.a > 1.0), abs(c.b) < 1e-6
    (True, True)
    """
    z = _logit(np.asarray(p, dtype=np.float64).ravel())
    ya = np.asarray(y, dtype=np.float64).ravel()
    if z.size != ya.size or z.size == 0:
        msg = (f"Platt calibration needs one label per probability and at least one row, "
               f"got {z.size}/{ya.size}")
        raise ValueError(msg)
    positives = ya.sum()
    negatives = ya.size - positives
    target = np.where(ya == 1, (positives + 1) / (positives + 2), 1 / (negatives + 2))
    a, b = 1.0, 0.0
    for _ in range(iterations):
        q = 1.0 / (1.0 + np.exp(-(a * z + b)))
        g = np.array([np.dot(q - target, z), np.sum(q - target)])
        w = q * (1 - q) + 1e-12
        h = np.array([[np.dot(w, z * z), np.dot(w, z)], [np.dot(w, z), w.sum()]]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-10:
            break
    return Calibrator("platt", a=float(a), b=float(b))


def fit_calibrator(p: ArrayLike, y: ArrayLike, *, kind: CalibrationKind = "isotonic") -> Calibrator:
    """Fit the calibration ``kind`` (``"isotonic"``, ``"platt"`` or ``"none"``) on raw probabilities ``p``.

    Examples
    --------
    >>> fit_calibrator([0.3, 0.7], [0, 1], kind="none").kind
    'none'
    """
    if kind == "isotonic":
        return isotonic_fit(p, y)
    if kind == "platt":
        return platt_fit(p, y)
    if kind == "none":
        return Calibrator("none")
    msg = f"calibration must be 'isotonic', 'platt' or 'none', got {kind!r}"
    raise ValueError(msg)
