"""The trained model: an XGBoost booster plus what it takes to read a frame, calibrate and judge confidence.

Saved as two files, never a pickle: ``model.ubj`` (XGBoost's own format, its binary JSON, written by
``Booster.save_model``) and ``metadata.json`` (features, kinds, levels, calibrator, metrics, importances,
summaries, hash, params). The binary form loads in a few milliseconds against about 0.1 s for the text JSON,
which every real-time run pays; folders written with ``model.json`` (earlier versions) still load.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl
import xgboost as xgb

from .calibration import Calibrator
from .features import FeatureKind, feature_hash, feature_matrix
from .forest import CompiledForest, compile_forest

__all__ = ["TrainedModel", "MODEL_FILE", "METADATA_FILE", "FORMAT_VERSION", "COMPILED_MIN_ROWS", "cores"]

MODEL_FILE = "model.ubj"
_TEXT_MODEL_FILE = "model.json"  # what earlier versions wrote; still read
METADATA_FILE = "metadata.json"
FORMAT_VERSION = 1
# from this many rows on, the compiled forest scores instead of XGBoost's predictor: it is 4-5x faster, but its
# first use in a process costs about 1.5 s (importing numba, loading the cached kernel)
COMPILED_MIN_ROWS = 200_000


def cores() -> int:
    """CPU cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN/inf become null, numpy scalars become Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass
class TrainedModel:
    """A booster with its feature specification, calibrator, metrics and training-distribution summaries.

    ``features`` is the ordered feature list; ``kinds[f]`` is ``"numeric"`` or ``"categorical"``;
    ``levels[f]`` the categorical levels (code = position); ``summaries[f]`` the training-slice p01/p99/
    missing rate (numeric) or levels (categorical); ``metrics`` the test-slice metrics and rows per slice;
    ``importances`` the gain importance per feature (0 for unused features).

    Examples
    --------
    >>> import tempfile
    >>> from models import train, predict
    >>> frame = pl.DataFrame({"x": [float(i % 10) for i in range(400)],
    ...                       "y": [int(i % 10 > 6) for i in range(400)]})
    >>> model = train(frame, label="y", params={"num_boost_round": 5})
    >>> folder = tempfile.mkdtemp()
    >>> model.save(folder)
    >>> again = TrainedModel.load(folder)
    >>> again.features, again.feature_hash == model.feature_hash
    (['x'], True)
    >>> bool((predict(again, frame) == predict(model, frame)).all())
    True
    """

    booster: xgb.Booster
    features: list[str]
    kinds: dict[str, FeatureKind]
    levels: dict[str, list[str]]
    calibrator: Calibrator
    label: str
    metrics: dict[str, Any] = field(default_factory=dict)
    importances: dict[str, float] = field(default_factory=dict)
    total_gain: dict[str, float] = field(default_factory=dict)
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)
    best_iteration: int = 0
    time_column: str | None = None
    id_columns: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    _forests: dict[int, CompiledForest | None] = field(default_factory=dict, init=False, repr=False,
                                                       compare=False)

    @property
    def forest(self) -> CompiledForest | None:
        """The booster compiled for fast scoring (:mod:`models.forest`), or ``None`` where it cannot be."""
        key = id(self.booster)
        if key not in self._forests:
            self._forests.clear()
            self._forests[key] = compile_forest(self.booster)
        return self._forests[key]

    def forest_for(self, rows: int) -> CompiledForest | None:
        """The compiled forest where it applies and pays off: from :data:`COMPILED_MIN_ROWS` rows on."""
        return self.forest if rows >= COMPILED_MIN_ROWS else None

    @property
    def feature_hash(self) -> str:
        """sha256 of the ordered feature names, kinds and levels (:func:`models.features.feature_hash`)."""
        return feature_hash(self.features, self.kinds, self.levels)

    @property
    def feature_types(self) -> list[str]:
        """XGBoost feature types: ``"q"`` numeric, ``"c"`` categorical."""
        return ["c" if self.kinds[f] == "categorical" else "q" for f in self.features]

    def matrix(self, frame: pl.DataFrame, *, order: Literal["c", "fortran"] = "c",
               finite: bool = True) -> np.ndarray:
        """The float32 feature matrix of ``frame`` in this model's feature order and encoding
        (:func:`models.features.feature_matrix`)."""
        return feature_matrix(frame, self.features, self.kinds, self.levels, order=order, finite=finite)

    def matrix_for_scoring(self, frame: pl.DataFrame) -> np.ndarray:
        """:meth:`matrix` as :meth:`raw_probability` reads it fastest for this many rows: for the compiled
        forest column-ordered and with ±inf left in (it reads them as missing), else XGBoost's."""
        if self.forest_for(frame.height) is not None:
            return self.matrix(frame, order="fortran", finite=False)
        return self.matrix(frame)

    def raw_probability(self, matrix: np.ndarray) -> np.ndarray:
        """Uncalibrated booster probabilities for a feature matrix.

        From :data:`COMPILED_MIN_ROWS` rows on, the compiled forest scores them (the same numbers as XGBoost's
        predictor to float32 rounding); smaller matrices go to ``Booster.inplace_predict``.
        """
        if matrix.shape[0] == 0:
            return np.empty(0, dtype=np.float32)
        if (forest := self.forest_for(matrix.shape[0])) is not None:
            return forest.probability(matrix, threads=cores())
        return np.asarray(self.booster.inplace_predict(np.ascontiguousarray(matrix), validate_features=False))

    def metadata(self) -> dict[str, Any]:
        """Everything but the booster, JSON-ready."""
        return _clean({
            "format_version": FORMAT_VERSION, "label": self.label, "time_column": self.time_column,
            "id_columns": self.id_columns, "features": self.features, "kinds": self.kinds,
            "levels": self.levels, "feature_hash": self.feature_hash,
            "calibration": self.calibrator.to_dict(), "metrics": self.metrics,
            "importances": self.importances, "total_gain": self.total_gain, "summaries": self.summaries,
            "params": self.params, "best_iteration": self.best_iteration,
            "xgboost_version": xgb.__version__, "extra": self.extra,
        })

    def save(self, directory: str | Path) -> None:
        """Write ``model.ubj`` (XGBoost's binary JSON) and ``metadata.json`` into ``directory`` (made if
        needed)."""
        folder = Path(directory)
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / MODEL_FILE))
        (folder / METADATA_FILE).write_text(json.dumps(self.metadata(), indent=1, sort_keys=True))

    @classmethod
    def load(cls, directory: str | Path) -> TrainedModel:
        """Read a model written by :meth:`save`; checks the stored feature hash against the features."""
        folder = Path(directory)
        model_file = folder / MODEL_FILE
        if not model_file.is_file() and (folder / _TEXT_MODEL_FILE).is_file():
            model_file = folder / _TEXT_MODEL_FILE
        for path in (model_file, folder / METADATA_FILE):
            if not path.is_file():
                msg = f"no {path.name} in {folder}: point at a folder written by TrainedModel.save"
                raise FileNotFoundError(msg)
        meta = json.loads((folder / METADATA_FILE).read_text())
        if meta.get("format_version") != FORMAT_VERSION:
            msg = (f"{folder / METADATA_FILE} has format_version {meta.get('format_version')}, "
                   f"expected {FORMAT_VERSION}")
            raise ValueError(msg)
        booster = xgb.Booster(model_file=str(model_file))
        model = cls(
            booster=booster, features=list(meta["features"]), kinds=dict(meta["kinds"]),
            levels={k: list(v) for k, v in meta["levels"].items()},
            calibrator=Calibrator.from_dict(meta["calibration"]), label=meta["label"],
            metrics=meta["metrics"], importances=meta["importances"], total_gain=meta.get("total_gain", {}),
            summaries=meta["summaries"], params=meta["params"], best_iteration=int(meta["best_iteration"]),
            time_column=meta["time_column"],
            id_columns=list(meta["id_columns"]), extra=meta.get("extra", {}),
        )
        if model.feature_hash != meta["feature_hash"]:
            msg = f"{folder / METADATA_FILE}: feature_hash does not match its features; the file was altered"
            raise ValueError(msg)
        model.booster.set_param({"nthread": cores()})  # this machine's cores, not the training machine's
        return model
