"""Calibrated probabilities for a frame: the feature matrix, ``Booster.inplace_predict``, the calibrator."""

from __future__ import annotations

import numpy as np
import polars as pl

from .model import TrainedModel

__all__ = ["predict", "SCORE"]

SCORE = "score"


def predict(model: TrainedModel, frame: pl.DataFrame, *, calibrated: bool = True) -> pl.Series:
    """Calibrated probability of the label for each row of ``frame`` (a Float64 Series named ``score``).

    ``frame`` needs every feature column of the model (extra columns are ignored); a ``ValueError`` names the
    missing ones. Categorical levels unseen in training and nulls are scored as missing. ``calibrated=False``
    returns the booster's raw probability.

    Examples
    --------
    >>> from models import train
    >>> frame = pl.DataFrame({"x": [float(i % 10) for i in range(400)],
    ...                       "y": [int(i % 10 > 6) for i in range(400)]})
    >>> model = train(frame, label="y", params={"num_boost_round": 10})
    >>> scores = predict(model, pl.DataFrame({"x": [1.0, 9.0]}))
    >>> scores.name, bool(scores[1] > scores[0])
    ('score', True)
    >>> predict(model, pl.DataFrame({"z": [1.0]}))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: the frame lacks the model's feature columns ['x']; add them (null where unknown) ...
    """
    raw = model.raw_probability(model.matrix_for_scoring(frame))
    out = model.calibrator.apply(raw) if calibrated else raw.astype(np.float64)
    return pl.Series(SCORE, out, dtype=pl.Float64)
