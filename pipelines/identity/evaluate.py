"""Pairwise precision and recall of a clustering against a reference clustering of the same records."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = ["PairwiseScores", "pairwise_scores"]


@dataclass(frozen=True)
class PairwiseScores:
    records: int
    predicted_pairs: int
    true_pairs: int
    true_positive_pairs: int

    @property
    def precision(self) -> float:
        return self.true_positive_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.true_positive_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _pairs(counts: pl.Expr) -> pl.Expr:
    return (counts.cast(pl.Int64) * (counts.cast(pl.Int64) - 1) // 2).sum()


def pairwise_scores(predicted: pl.DataFrame, truth: pl.DataFrame, *, on: list[str],
                    predicted_cluster: str = "person_id", true_cluster: str = "true_person_id") -> PairwiseScores:
    """Score the pairs of records put together by ``predicted`` against those together in ``truth``.

    Only records present in both frames (joined ``on``) count.

    Examples
    --------
    >>> pred = pl.DataFrame({"r": [1, 2, 3, 4], "person_id": ["a", "a", "a", "b"]})
    >>> true = pl.DataFrame({"r": [1, 2, 3, 4], "true_person_id": [1, 1, 2, 2]})
    >>> s = pairwise_scores(pred, true, on=["r"])
    >>> (s.predicted_pairs, s.true_pairs, s.true_positive_pairs)
    (3, 2, 1)
    """
    both = predicted.select(*on, pl.col(predicted_cluster).alias("_p")).join(
        truth.select(*on, pl.col(true_cluster).alias("_t")), on=on)
    return PairwiseScores(
        records=both.height,
        predicted_pairs=int(both.group_by("_p").len().select(_pairs(pl.col("len"))).item() or 0),
        true_pairs=int(both.group_by("_t").len().select(_pairs(pl.col("len"))).item() or 0),
        true_positive_pairs=int(both.group_by("_p", "_t").len().select(_pairs(pl.col("len"))).item() or 0),
    )
