"""The compiled forest scores exactly what XGBoost's predictor scores, and declines what it cannot score."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import xgboost as xgb

import models.model as model_module
from models import explain, predict, train
from models.forest import compile_forest


def _data(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Numeric columns with NaN and ±big values, a 5-level, a 30-level and a 150-level categorical code."""
    rng = np.random.default_rng(seed)
    x = np.empty((rows, 6), dtype=np.float32)
    x[:, 0] = rng.normal(size=rows)
    x[:, 1] = rng.exponential(3.0, size=rows)
    x[:, 2] = rng.integers(0, 5, size=rows)
    x[:, 3] = rng.integers(0, 30, size=rows)
    x[:, 4] = rng.integers(0, 150, size=rows)
    x[:, 5] = rng.uniform(-1e6, 1e6, size=rows)
    logit = x[:, 0] + 0.3 * x[:, 1] + (x[:, 2] == 3) + np.isin(x[:, 3], [1, 4, 9, 16, 25]) + (x[:, 4] % 7 == 0)
    y = (rng.uniform(size=rows) < 1 / (1 + np.exp(-(logit - 1.5)))).astype(np.float32)
    for col, share in ((0, 0.2), (1, 0.1), (3, 0.15), (4, 0.1)):
        x[rng.uniform(size=rows) < share, col] = np.nan
    return x, y


def _booster(depth: int, **params: object) -> xgb.Booster:
    x, y = _data(20_000, seed=depth)
    dtrain = xgb.DMatrix(x, label=y, feature_types=["q", "q", "c", "c", "c", "q"], enable_categorical=True)
    return xgb.train({"objective": "binary:logistic", "tree_method": "hist", "max_depth": depth, "eta": 0.3,
                      "max_cat_to_onehot": 4, "max_cat_threshold": 64, "seed": 1, **params},
                     dtrain, num_boost_round=40)


def _unseen(rows: int) -> np.ndarray:
    """New rows, plus codes XGBoost treats specially: negative, beyond the levels seen, fractional."""
    x, _ = _data(rows, seed=99)
    x[::11, 3] = -1.0
    x[::13, 4] = 400.0
    x[::17, 2] = 2.7
    x[::19, 3] = 64.0
    x[::23, :] = np.nan
    return x


def _reference(booster: xgb.Booster, x: np.ndarray, **kwargs: object) -> np.ndarray:
    """XGBoost's prediction with ±inf as missing (XGBoost refuses inf; models treats it as missing)."""
    return booster.inplace_predict(np.where(np.isinf(x), np.nan, x), **kwargs)


@pytest.mark.parametrize("depth", [1, 3, 6])
def test_margins_match_xgboost(depth: int) -> None:
    booster = _booster(depth)
    forest = compile_forest(booster)
    assert forest is not None
    assert forest.clears.dtype == (np.uint32 if depth <= 5 else np.uint64)
    x = _unseen(30_000)
    x[::29, 1] = np.inf
    x[::31, 5] = -np.inf
    expected = _reference(booster, x, predict_type="margin")
    for matrix in (x, np.asfortranarray(x)):  # float32 sums: equal to the last bits or two
        np.testing.assert_allclose(forest.margin(matrix, threads=2), expected, rtol=0, atol=2e-6)
    np.testing.assert_allclose(forest.probability(x, threads=1), _reference(booster, x), rtol=0, atol=2e-7)


@pytest.mark.parametrize("depth", [1, 3, 6])
def test_contributions_match_xgboost_approximate_ones(depth: int) -> None:
    booster = _booster(depth)
    forest = compile_forest(booster)
    assert forest is not None
    x = _unseen(20_000)
    x[::29, 1] = np.inf
    data = xgb.DMatrix(np.where(np.isinf(x), np.nan, x), feature_types=["q", "q", "c", "c", "c", "q"],
                       enable_categorical=True)
    expected = booster.predict(data, pred_contribs=True, approx_contribs=True)[:, :-1]
    for matrix in (x, np.asfortranarray(x)):  # float32 sums of a path's steps in order: equal or within bits
        got = forest.contributions(matrix, threads=2)
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=0, atol=5e-6)
    # the contributions and the bias add up to the margin
    bias = booster.predict(data, pred_contribs=True, approx_contribs=True)[:, -1]
    total = forest.contributions(x).sum(axis=1) + bias
    np.testing.assert_allclose(total, forest.margin(x), rtol=0, atol=5e-5)


def test_wide_and_narrow_category_sets_are_both_compiled() -> None:
    forest = compile_forest(_booster(6))
    assert forest is not None
    kinds = set(np.unique(forest.kind).tolist())
    assert kinds == {0, 1, 2}, "numeric, ≤ 64-code and wider category splits should all occur"


def test_declines_what_it_cannot_score() -> None:
    x, y = _data(2_000, seed=3)
    deep = xgb.train({"objective": "binary:logistic", "max_depth": 9, "min_child_weight": 0, "eta": 0.5},
                     xgb.DMatrix(x, label=y), num_boost_round=3)
    assert max(tree.count("leaf=") for tree in deep.get_dump()) > 64
    assert compile_forest(deep) is None  # more than 64 leaves a tree
    regression = xgb.train({"objective": "reg:squarederror"}, xgb.DMatrix(x, label=y), num_boost_round=2)
    assert compile_forest(regression) is None
    forest_of_trees = xgb.train({"objective": "binary:logistic", "num_parallel_tree": 3},
                                xgb.DMatrix(x, label=y), num_boost_round=2)
    assert compile_forest(forest_of_trees) is None


def _spy_on_forest(monkeypatch: pytest.MonkeyPatch, model, method: str) -> list[int]:
    """Count the rows of each call of the compiled forest's ``method``; it applies from 1,000 rows on."""
    calls: list[int] = []
    forest = model.forest
    assert forest is not None
    original = getattr(type(forest), method)

    def counted(self, matrix, *, threads=None):  # a spy with the same signature
        calls.append(matrix.shape[0])
        return original(self, matrix, threads=threads)

    monkeypatch.setattr(type(forest), method, counted)
    monkeypatch.setattr(model_module, "COMPILED_MIN_ROWS", 1_000)
    return calls


def test_predict_uses_the_compiled_forest_from_the_threshold_on(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    n = 6_000
    frame = pl.DataFrame({
        "visits": rng.poisson(3, n).astype(float),
        "industry": rng.choice(["saas", "retail", "bank", "gov", "edu", "health"], n).tolist(),
        "won": (rng.uniform(size=n) < 0.3).astype(int),
    }).with_columns(pl.when(pl.int_range(n) % 9 == 0).then(None).otherwise(pl.col("industry")).alias("industry"),
                    pl.when(pl.int_range(n) % 13 == 0).then(float("inf")).otherwise(pl.col("visits")).alias("visits"))
    model = train(frame, label="won", params={"num_boost_round": 30})
    slow = predict(model, frame)
    calls = _spy_on_forest(monkeypatch, model, "probability")
    fast = predict(model, frame)
    assert calls == [n]
    # equal, not close, on this model: the same float32 sums in the same order and XGBoost's expf
    np.testing.assert_allclose(fast.to_numpy(), slow.to_numpy(), rtol=0, atol=1e-9)


def test_explain_uses_the_compiled_forest_from_the_threshold_on(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(6)
    n = 3_000
    frame = pl.DataFrame({"visits": rng.poisson(3, n).astype(float), "age": rng.uniform(0, 90, n),
                          "industry": rng.choice(["saas", "retail", "bank", "gov"], n).tolist()}
                         ).with_columns(won=((pl.col("visits") > 3) & (pl.col("age") < 30)).cast(int))
    model = train(frame, label="won", params={"num_boost_round": 30})
    slow = explain(model, frame, approximate=True)
    calls = _spy_on_forest(monkeypatch, model, "contributions")
    fast = explain(model, frame, approximate=True)
    assert calls == [n]
    assert fast.select("reasons", "top_features").equals(slow.select("reasons", "top_features"))
    np.testing.assert_allclose(fast["top_contributions"].explode().to_numpy(),
                               slow["top_contributions"].explode().to_numpy(), rtol=0, atol=1e-5)
