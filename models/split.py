"""Train / validation / calibration / test slices.

Shares (:data:`SHARES`): train 65 %, validation 15 % (early stopping), calibration 10 %, test 10 % (metrics
only). With a time column the rows are sorted by it (ties kept in input order) and cut in that order, so the
test slice holds the latest rows; without one the split is random, stratified by label and seeded.
"""

from __future__ import annotations

import numpy as np
import polars as pl

__all__ = ["SHARES", "SLICES", "split_indices"]

SLICES = ("train", "validation", "calibration", "test")
SHARES: dict[str, float] = {"train": 0.65, "validation": 0.15, "calibration": 0.10, "test": 0.10}


def _cuts(n: int) -> list[int]:
    cumulative = np.cumsum([SHARES[s] for s in SLICES])
    return [round(float(c) * n) for c in cumulative[:-1]]


def split_indices(labels: np.ndarray, *, order: pl.Series | None = None,
                  seed: int = 0) -> dict[str, np.ndarray]:
    """Row indices of each slice (:data:`SLICES`), sorted ascending within a slice.

    ``order``: the time column; rows are cut in time order (oldest in train, latest in test). Without it a
    stratified random split: each class is shuffled with ``seed`` and cut at the same shares.

    Examples
    --------
    >>> s = split_indices(np.array([0, 1] * 50), order=pl.Series(range(100)))
    >>> [len(s[k]) for k in SLICES], int(s["test"].min())
    ([65, 15, 10, 10], 90)
    >>> r = split_indices(np.array([0] * 80 + [1] * 20), seed=1)
    >>> [int(np.isin(r[k], np.arange(80, 100)).sum()) for k in SLICES]
    [13, 3, 2, 2]
    """
    n = labels.shape[0]
    if order is not None:
        ranked = np.argsort(order.to_physical().to_numpy(), kind="stable")  # ties stay in input order
        parts = np.split(ranked, _cuts(n))
        return {s: np.sort(p) for s, p in zip(SLICES, parts, strict=True)}
    rng = np.random.default_rng(seed)
    pieces: dict[str, list[np.ndarray]] = {s: [] for s in SLICES}
    for value in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == value))
        for s, part in zip(SLICES, np.split(members, _cuts(members.size)), strict=True):
            pieces[s].append(part)
    return {s: np.sort(np.concatenate(pieces[s])) for s in SLICES}
