"""models/: the generic trainer, prediction, reasons, confidence and the registry, on synthetic leads with a
known signal (``models.synthetic``): numeric, boolean and categorical columns with nulls, a time column, an
oracle probability."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from models import (
    REVIEW_THRESHOLD,
    ModelRegistry,
    TrainedModel,
    confidence,
    explain,
    needs_review,
    predict,
    roc_auc,
    train,
)
from models.confidence import KEY_MISSING_FACTOR
from models.synthetic import synthetic_leads
from pipelines.storage.delta import DeltaStore

IDS = ["lead_id", "oracle"]
FAST = {"num_boost_round": 120}


@pytest.fixture(scope="module")
def leads() -> pl.DataFrame:
    return synthetic_leads(20_000, features=12, seed=11)


@pytest.fixture(scope="module")
def fresh() -> pl.DataFrame:
    """An independent sample of the same population (another seed)."""
    return synthetic_leads(20_000, features=12, seed=12)


@pytest.fixture(scope="module")
def model(leads: pl.DataFrame) -> TrainedModel:
    return train(leads, label="won", id_columns=[*IDS, "created_at"], params=FAST)


@pytest.fixture(scope="module")
def timed(leads: pl.DataFrame) -> TrainedModel:
    return train(leads, label="won", time_column="created_at", id_columns=IDS, params=FAST)


# ---- training -------------------------------------------------------------------------------------------
def test_features_kinds_and_levels(model: TrainedModel) -> None:
    assert not {"won", "lead_id", "created_at", "oracle"} & set(model.features)
    assert model.kinds["demo_days"] == "numeric" and model.kinds["opened_email"] == "numeric"
    assert model.kinds["industry"] == "categorical" and model.kinds["c5"] == "categorical"
    assert model.levels["industry"] == [f"industry_{i:02d}" for i in range(12)]
    assert model.feature_types == ["c" if model.kinds[f] == "categorical" else "q" for f in model.features]
    assert set(model.importances) == set(model.features) and model.importances["demo_days"] > 0
    assert model.booster.num_boosted_rounds() == model.best_iteration + 1
    assert model.metrics["rows"] == {"train": 13_000, "validation": 3_000, "calibration": 2_000,
                                     "test": 2_000}
    s = model.summaries["employees"]
    assert s["p01"] < s["p99"] and 0.15 < s["missing_rate"] < 0.25
    assert model.summaries["industry"]["levels"] == model.levels["industry"]


def test_learns_the_signal_near_the_oracle(model: TrainedModel, fresh: pl.DataFrame) -> None:
    assert model.metrics["auc"] > 0.72
    oracle = roc_auc(fresh["won"], fresh["oracle"])
    mine = roc_auc(fresh["won"], predict(model, fresh))
    assert mine > 0.72 and mine > oracle - 0.04, (mine, oracle)  # 13k training rows


def test_time_split_puts_the_latest_rows_in_test(timed: TrainedModel, leads: pl.DataFrame) -> None:
    ranges = timed.metrics["time_ranges"]
    assert timed.metrics["split"] == "time"
    order = ["train", "validation", "calibration", "test"]
    for earlier, later in itertools.pairwise(order):
        assert ranges[earlier][1] <= ranges[later][0], (earlier, later, ranges)
    cutoff = leads["created_at"].sort()[leads.height - timed.metrics["rows"]["test"]]
    assert ranges["test"][0] == str(cutoff) and ranges["test"][1] == str(leads["created_at"].max())
    assert timed.metrics["auc"] > 0.72


def test_random_split_is_stratified_and_seeded(leads: pl.DataFrame) -> None:
    small = leads.head(4_000)
    a = train(small, label="won", id_columns=[*IDS, "created_at"], params={"num_boost_round": 10}, seed=3)
    b = train(small, label="won", id_columns=[*IDS, "created_at"], params={"num_boost_round": 10}, seed=3)
    assert abs(a.metrics["base_rate"] - small["won"].mean()) < 0.01  # stratified: test keeps the rate
    assert (predict(a, small) == predict(b, small)).all()


def test_mixed_dtypes_unseen_levels_and_nulls() -> None:
    rng = np.random.default_rng(0)
    n = 3_000
    tier = rng.integers(0, 3, n)
    frame = pl.DataFrame({
        "tier": pl.Series([["gold", "silver", "bronze"][t] for t in tier]).cast(pl.Categorical),
        "region": pl.Series(rng.choice(["eu", "us", None], n).tolist()).cast(pl.Enum(["eu", "us", "apac"])),
        "visits": pl.Series(rng.poisson(3, n)).cast(pl.Int32),
        "score": pl.Series(np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n))),
        "trial": pl.Series(rng.random(n) < 0.3),
        "age": pl.Series(rng.integers(0, 100, n)).cast(pl.Duration("ms")) * 86_400_000,
        "won": (tier == 0) | (rng.random(n) < 0.1),
    })
    m = train(frame, label="won", params={"num_boost_round": 30})
    assert m.kinds == {"tier": "categorical", "region": "categorical", "visits": "numeric",
                       "score": "numeric", "trial": "numeric", "age": "numeric"}
    assert m.levels["tier"] == ["bronze", "gold", "silver"] and m.levels["region"] == ["eu", "us"]
    assert m.summaries["age"]["p99"] <= 99.0  # durations in days
    new = pl.DataFrame({"tier": ["gold", "copper", None], "region": ["apac", "us", None],
                        "visits": [1, None, 2], "score": [float("inf"), 0.0, None],
                        "trial": [True, None, False], "age": [timedelta(days=3)] * 3})
    scores = predict(m, new)
    assert scores.null_count() == 0 and scores[0] > scores[1]  # gold beats an unseen level (= missing)
    as_strings = predict(m, frame.with_columns(pl.col("tier", "region").cast(pl.String)))
    assert (as_strings == predict(m, frame)).all()


def test_calibration_keeps_ece_small_and_fixes_a_skewed_booster() -> None:
    big = synthetic_leads(50_000, features=10, seed=21)
    skewed = {"num_boost_round": 80, "scale_pos_weight": 6.0}  # raw probabilities far too high
    iso = train(big, label="won", id_columns=[*IDS, "created_at"], params=skewed)
    assert iso.metrics["raw_ece"] > 0.1 and iso.metrics["ece"] <= 0.03, iso.metrics
    platt = train(big, label="won", id_columns=[*IDS, "created_at"], params={"num_boost_round": 80},
                  calibration="platt")
    assert platt.calibrator.kind == "platt" and platt.metrics["ece"] <= 0.03
    assert json.dumps(iso.calibrator.to_dict())  # plain arrays


# ---- prediction -----------------------------------------------------------------------------------------
def test_predict_is_booster_plus_calibrator(model: TrainedModel, fresh: pl.DataFrame) -> None:
    import xgboost as xgb  # here, not at the top: models must be imported first (see models/__init__.py)

    rows = fresh.head(2_000)
    data = xgb.DMatrix(model.matrix(rows), feature_names=model.features, feature_types=model.feature_types,
                       enable_categorical=True)
    expected = model.calibrator.apply(model.booster.predict(data))
    np.testing.assert_allclose(predict(model, rows).to_numpy(), expected, rtol=1e-6, atol=1e-7)
    raw = predict(model, rows, calibrated=False)
    assert not np.allclose(raw.to_numpy(), expected)
    assert predict(model, rows.select(reversed(rows.columns))).equals(predict(model, rows))  # by name
    assert predict(model, rows.clear()).len() == 0


def test_a_folder_saved_with_text_json_still_loads(model: TrainedModel, fresh: pl.DataFrame, tmp_path: Path) -> None:
    """Registries written before the binary format keep working: ``model.json`` is read when there is no
    ``model.ubj``, and scores the same."""
    model.save(tmp_path / "m")
    (tmp_path / "m" / "model.ubj").unlink()
    model.booster.save_model(str(tmp_path / "m" / "model.json"))
    again = TrainedModel.load(tmp_path / "m")
    assert predict(again, fresh).equals(predict(model, fresh))


def test_save_load_round_trip(model: TrainedModel, fresh: pl.DataFrame, tmp_path: Path) -> None:
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["metadata.json", "model.ubj"]
    meta = json.loads((tmp_path / "m" / "metadata.json").read_text())
    assert meta["feature_hash"] == model.feature_hash
    assert meta["levels"]["industry"] == model.levels["industry"]
    assert meta["calibration"]["kind"] == "isotonic" and len(meta["calibration"]["x"]) > 2
    again = TrainedModel.load(tmp_path / "m")
    assert again.feature_hash == model.feature_hash and again.metrics == json.loads(json.dumps(model.metrics))
    assert predict(again, fresh).equals(predict(model, fresh))
    meta["levels"]["industry"] = ["changed"]
    (tmp_path / "m" / "metadata.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="feature_hash"):
        TrainedModel.load(tmp_path / "m")


# ---- explanations ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("approximate", [False, True])
def test_explain_finds_the_planted_feature_and_uses_phrases(model: TrainedModel, fresh: pl.DataFrame,
                                                            approximate: bool) -> None:
    hot = fresh.head(300).with_columns(pl.lit(1.0).alias("demo_days"))  # a demo yesterday: the strongest push
    out = explain(model, hot, top=3, approximate=approximate,
                  phrases={"demo_days": lambda v: f"requested a demo {v:.0f} days ago", "unknown": str})
    assert out.columns == ["reason_1", "reason_2", "reason_3", "reasons", "top_features", "top_contributions"]
    assert out.height == 300
    assert (out["top_features"].list.first() == "demo_days").mean() > 0.95
    assert (out["reason_1"] == "requested a demo 1 days ago").mean() > 0.95
    assert (out["reasons"].list.len() == out["top_features"].list.len()).all()
    assert (out["top_contributions"].list.eval(pl.element() > 0).list.all()).all()
    generic = out["reason_2"].drop_nulls()
    assert generic.len() and generic.str.contains(r" = | is missing").all()


def test_explain_without_positive_contributions_gives_nulls(model: TrainedModel, fresh: pl.DataFrame) -> None:
    cold = fresh.head(50).with_columns(pl.lit(None, dtype=pl.Float64).alias("demo_days"),
                                       pl.lit(5).alias("employees"), pl.lit(False).alias("opened_email"))
    out = explain(model, cold, top=12)
    assert out["reasons"].list.len().max() < 12 and out["reason_12"].null_count() == 50


# ---- confidence -----------------------------------------------------------------------------------------
def typical_row(model: TrainedModel) -> pl.DataFrame:
    row: dict[str, object] = {}
    for f in model.features:
        s = model.summaries[f]
        row[f] = s["levels"][0] if model.kinds[f] == "categorical" else (s["p01"] + s["p99"]) / 2
    return pl.DataFrame([row]).with_columns(pl.col("opened_email").cast(pl.Boolean).fill_null(True))


def test_confidence_drops_for_missing_and_out_of_range(model: TrainedModel) -> None:
    base = typical_row(model)
    rows = pl.concat([
        base,
        base.with_columns(pl.lit(None, dtype=pl.Float64).alias("employees")),      # missing key feature
        base.with_columns(pl.lit(None, dtype=pl.Float64).alias("x0")),             # missing other feature
        base.with_columns(pl.lit(1e9).alias("employees")),                         # key out of range
        base.with_columns(pl.lit(-50.0).alias("x0")),                              # other out of range
        base.with_columns(pl.lit("industry_99").alias("industry")),                # unseen category
    ], how="vertical_relaxed")
    conf = confidence(model, rows, key_features=["employees", "industry"])
    full, key_missing, other_missing, key_out, other_out, unseen = conf.to_list()
    assert full == 1.0
    assert key_missing == KEY_MISSING_FACTOR
    assert key_missing < other_missing < 1.0 and other_out < 1.0
    assert key_out < 1.0 and unseen < 1.0
    assert needs_review(conf).to_list() == [c < REVIEW_THRESHOLD for c in conf.to_list()]
    assert needs_review(conf)[1] and not needs_review(conf)[0]
    many = confidence(model, pl.concat([rows] * 1000), key_features=["employees"])
    assert many.len() == 6000 and many.min() >= 0.0 and many.max() <= 1.0


# ---- registry -------------------------------------------------------------------------------------------
def test_registry_promotes_rejects_and_rolls_back(leads: pl.DataFrame, fresh: pl.DataFrame,
                                                  model: TrainedModel, tmp_path: Path) -> None:
    store = DeltaStore(str(tmp_path / "lake"))
    registry = ModelRegistry(tmp_path / "models", store)
    assert registry.champion() is None and registry.history().height == 0
    drop = [*IDS, "created_at"]
    first = train(leads.drop("industry"), label="won", id_columns=drop, params=FAST)
    v1 = registry.register(first, training_data_versions={"gold.lead_features": 4})
    assert v1 == "v0001"
    d1 = registry.evaluate_challenger(v1, fresh, label="won")
    assert d1.promoted and d1.champion is None and registry.champion() == v1

    worse = train(leads.drop("demo_days", "employees"), label="won", id_columns=drop, params=FAST)
    v2 = registry.register(worse, training_data_versions={"gold.lead_features": 5})
    d2 = registry.evaluate_challenger(v2, fresh, label="won")
    assert not d2.promoted and d2.event == "rejected" and "AUC" in d2.reason and registry.champion() == v1
    assert d2.champion == v1 and d2.champion_auc is not None and d2.auc < d2.champion_auc - 0.005

    v3 = registry.register(model, training_data_versions={"gold.lead_features": 6, "silver.leads": 2})
    d3 = registry.evaluate_challenger(v3, fresh, label="won")
    assert d3.promoted and registry.champion() == v3 and d3.auc > d3.champion_auc
    assert predict(registry.load(), fresh).equals(predict(model, fresh))

    registry.rollback(v1, reason="v0003 mis-scores a new lead source")
    assert registry.champion() == v1
    assert predict(registry.load(), fresh).equals(predict(first, fresh))

    h = registry.history()
    assert h["event"].to_list() == ["registered", "promoted", "registered", "rejected", "registered",
                                    "promoted", "rolled_back"]
    last = h.row(-1, named=True)
    assert last["version"] == v1 and "mis-scores" in last["reason"] and last["champion_version"] == v3
    assert json.loads(h.filter(pl.col("version") == v3)["training_data_versions"][0]) == {
        "gold.lead_features": 6, "silver.leads": 2}
    assert h["feature_hash"].filter(h["version"] == v3).unique().to_list() == [model.feature_hash]
    assert h["at"].is_sorted()
    meta = json.loads((tmp_path / "models" / "lead_score" / v3 / "metadata.json").read_text())
    assert meta["extra"]["registry"]["training_data_versions"]["silver.leads"] == 2

    (tmp_path / "models" / "lead_score" / "v0004").mkdir()  # a crashed registration left a folder behind
    assert registry.register(model, training_data_versions={}) == "v0005"
    assert registry.versions() == ["v0001", "v0002", "v0003", "v0005"]
    with pytest.raises(ValueError, match="earlier version"):
        registry.rollback("v0005")
    with pytest.raises(LookupError, match="not a registered version"):
        registry.evaluate_challenger("v0004", fresh, label="won")
    with pytest.raises(ValueError, match="already the champion"):
        registry.evaluate_challenger(v1, fresh, label="won")


def test_registry_rejects_a_miscalibrated_challenger(leads: pl.DataFrame, fresh: pl.DataFrame,
                                                     model: TrainedModel, tmp_path: Path) -> None:
    registry = ModelRegistry(tmp_path / "models", DeltaStore(str(tmp_path / "lake")), name="lead_score_b")
    skewed = train(leads, label="won", id_columns=[*IDS, "created_at"], calibration="none",
                   params={"num_boost_round": 60, "scale_pos_weight": 6.0})
    v1 = registry.register(skewed, training_data_versions={})
    d1 = registry.evaluate_challenger(v1, fresh, label="won")
    assert d1.event == "rejected" and "ECE" in d1.reason and registry.champion() is None
    v2 = registry.register(model, training_data_versions={})
    assert registry.evaluate_challenger(v2, fresh, label="won").promoted
    assert registry.champion() == "v0002"
    other = ModelRegistry(tmp_path / "models", registry.store)  # another model name in the same audit table
    assert other.champion() is None and other.history().height == 0


# ---- clear errors ---------------------------------------------------------------------------------------
def test_clear_errors(leads: pl.DataFrame, model: TrainedModel) -> None:
    small = leads.head(500)
    with pytest.raises(ValueError, match="label column 'converted' is not in the frame"):
        train(small, label="converted")
    with pytest.raises(ValueError, match="one class only"):
        train(small.with_columns(pl.lit(0).alias("won")), label="won", id_columns=IDS)
    with pytest.raises(ValueError, match="not binary"):
        train(small.with_columns(pl.lit(2).alias("won")), label="won", id_columns=IDS)
    with pytest.raises(ValueError, match="nulls; drop unlabeled rows"):
        unlabeled = pl.when(pl.col("won") == 1).then(None).otherwise(0).alias("won")
        train(small.with_columns(unlabeled), label="won")
    with pytest.raises(ValueError, match=r"'created_at' is a .*age in days"):
        train(small, label="won", id_columns=IDS)
    with pytest.raises(ValueError, match="'lead_id' looks like an identifier"):
        train(small, label="won", id_columns=["oracle", "created_at"])
    with pytest.raises(ValueError, match=r"feature columns \['nope'\] are not in the frame"):
        train(small, label="won", features=["nope"])
    with pytest.raises(ValueError, match="at least 100"):
        train(small.head(50), label="won", id_columns=[*IDS, "created_at"])
    lacking = small.drop("employees", "industry")
    for call in (lambda: predict(model, lacking), lambda: explain(model, lacking),
                 lambda: confidence(model, lacking)):
        with pytest.raises(ValueError, match=r"feature columns \['employees', 'industry'\]; add them"):
            call()
    with pytest.raises(ValueError, match="numeric in the model but String"):
        predict(model, small.with_columns(pl.col("employees").cast(pl.String)))
    with pytest.raises(ValueError, match=r"key_features \['nope'\]"):
        confidence(model, small, key_features=["nope"])


def test_training_data_time_column_ordering_is_respected() -> None:
    """A frame whose rows arrive newest first still gets its latest rows in the test slice."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    n = 1_000
    frame = pl.DataFrame({"at": [start + timedelta(hours=n - i) for i in range(n)],
                          "x": [float(i % 13) for i in range(n)], "won": [int(i % 13 > 8) for i in range(n)]})
    m = train(frame, label="won", time_column="at", params={"num_boost_round": 5})
    assert m.metrics["time_ranges"]["test"][1] == str(start + timedelta(hours=n))
    assert m.metrics["time_ranges"]["train"][0] == str(start + timedelta(hours=1))
