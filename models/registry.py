"""A model registry: versioned model folders plus an append-only Delta audit table of every decision.

Files: ``<root>/<name>/<version>/model.ubj`` and ``metadata.json`` (features and their hash, calibration,
metrics, and under ``extra.registry`` the training data's Delta versions and the registration time).
Versions are ``v0001``, ``v0002``...: one more than any version ever seen in the audit table or on disk, and
each folder is created exclusively, so a number is never handed out twice.

Events (table :data:`EVENTS_TABLE`, one row each, never updated): ``registered``, ``promoted``, ``rejected``,
``rolled_back``. The champion is the version of the latest ``promoted`` or ``rolled_back`` event.

The promotion rule (:meth:`ModelRegistry.evaluate_challenger`): champion and challenger are scored on the same
holdout; the challenger is promoted when its AUC ≥ champion AUC − :data:`MAX_AUC_DROP` (0.005) and its ECE ≤
:data:`MAX_ECE` (0.03). Without a champion, a challenger with ECE ≤ 0.03 is promoted. Otherwise the champion
stays. The holdout should be rows neither model was trained on (e.g. labels that arrived after both).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from pipelines.storage.delta import DeltaStore

from .metrics import expected_calibration_error, roc_auc
from .model import METADATA_FILE, TrainedModel
from .predict import predict
from .train import binary_labels

__all__ = ["ModelRegistry", "Decision", "EVENTS_TABLE", "EVENT_SCHEMA", "MAX_AUC_DROP", "MAX_ECE", "EVENTS"]

EVENTS_TABLE = "audit.model_registry"
EVENTS = ("registered", "promoted", "rejected", "rolled_back")
MAX_AUC_DROP = 0.005
MAX_ECE = 0.03
EVENT_SCHEMA = pl.Schema({
    "model_name": pl.String, "version": pl.String, "event": pl.String, "reason": pl.String,
    "auc": pl.Float64, "ece": pl.Float64, "champion_version": pl.String, "champion_auc": pl.Float64,
    "champion_ece": pl.Float64, "feature_hash": pl.String, "training_data_versions": pl.String,
    "at": pl.Datetime("us", "UTC"),
})


@dataclass(frozen=True)
class Decision:
    """The outcome of :meth:`ModelRegistry.evaluate_challenger` (also recorded as an event)."""

    version: str
    event: str
    reason: str
    auc: float
    ece: float
    champion: str | None = None
    champion_auc: float | None = None
    champion_ece: float | None = None

    @property
    def promoted(self) -> bool:
        return self.event == "promoted"


def _number(version: str) -> int:
    if not (version.startswith("v") and version[1:].isdigit()):
        msg = f"model version {version!r} is not of the form 'v0001'"
        raise ValueError(msg)
    return int(version[1:])


class ModelRegistry:
    """Versions of one model under ``root``, their audit trail in ``store`` (table ``audit.model_registry``).

    Examples
    --------
    >>> import tempfile
    >>> from models import train
    >>> frame = pl.DataFrame({"x": [float(i % 10) for i in range(2000)],
    ...                       "y": [int(i % 10 > 6) for i in range(2000)]})
    >>> model = train(frame, label="y", params={"num_boost_round": 20})
    >>> registry = ModelRegistry(tempfile.mkdtemp(), DeltaStore(tempfile.mkdtemp()))
    >>> registry.register(model, training_data_versions={"gold.lead_features": 3})
    'v0001'
    >>> decision = registry.evaluate_challenger("v0001", frame, label="y")
    >>> decision.event, registry.champion()
    ('promoted', 'v0001')
    >>> registry.history()["event"].to_list()
    ['registered', 'promoted']
    """

    def __init__(self, root: str | Path, store: DeltaStore, *, name: str = "lead_score") -> None:
        if not name or "/" in name or name.startswith("."):
            msg = f"model name {name!r} must be a plain folder name like 'lead_score'"
            raise ValueError(msg)
        self.root = Path(root)
        self.store = store
        self.name = name

    # ---- reading ----------------------------------------------------------------------------------------
    def history(self) -> pl.DataFrame:
        """Every event of this model, oldest first (columns of :data:`EVENT_SCHEMA`)."""
        events = self.store.read_or_empty(EVENTS_TABLE, EVENT_SCHEMA)
        return events.filter(pl.col("model_name") == self.name).sort("at", maintain_order=True)

    def versions(self) -> list[str]:
        """Registered versions, oldest first."""
        h = self.history().filter(pl.col("event") == "registered")
        return sorted(set(h["version"].to_list()), key=_number)

    def champion(self) -> str | None:
        """The version of the latest ``promoted`` or ``rolled_back`` event, ``None`` before any promotion."""
        h = self.history().filter(pl.col("event").is_in(["promoted", "rolled_back"]))
        return None if h.height == 0 else h["version"][-1]

    def path(self, version: str) -> Path:
        return self.root / self.name / version

    def load(self, version: str | None = None) -> TrainedModel:
        """The model of ``version``, or of the champion by default."""
        chosen = version or self.champion()
        if chosen is None:
            msg = (f"model {self.name!r} has no champion yet; pass version= or promote one with "
                   f"evaluate_challenger")
            raise LookupError(msg)
        self._require(chosen)
        return TrainedModel.load(self.path(chosen))

    # ---- writing ----------------------------------------------------------------------------------------
    def register(self, model: TrainedModel, *, training_data_versions: Mapping[str, int | None]) -> str:
        """Save ``model`` as the next version and record a ``registered`` event; returns the version.

        ``training_data_versions``: the Delta version of each table the training frame was read from,
        e.g. ``{"gold.lead_features": 12}`` (``DeltaStore.version``), so the model can be retrained exactly.
        """
        seen = [_number(v) for v in self.history()["version"].unique().to_list()]
        folder = self.root / self.name
        folder.mkdir(parents=True, exist_ok=True)
        seen += [_number(p.name) for p in folder.iterdir() if p.name.startswith("v") and p.name[1:].isdigit()]
        number = max(seen, default=0) + 1
        while True:
            version = f"v{number:04d}"
            try:
                self.path(version).mkdir()
                break
            except FileExistsError:  # another process took it: never reuse
                number += 1
        data_versions = {str(k): (None if v is None else int(v)) for k, v in training_data_versions.items()}
        extra = {**model.extra, "registry": {"name": self.name, "version": version,
                                             "training_data_versions": data_versions,
                                             "registered_at": datetime.now(UTC).isoformat()}}
        dataclasses.replace(model, extra=extra).save(self.path(version))
        self._record(version, "registered",
                     f"registered; test-slice AUC {model.metrics.get('auc')}, ECE {model.metrics.get('ece')}",
                     auc=model.metrics.get("auc"), ece=model.metrics.get("ece"))
        return version

    def evaluate_challenger(self, version: str, holdout: pl.DataFrame, *, label: str) -> Decision:
        """Score ``version`` and the champion on ``holdout``; promote or reject it and record the decision."""
        self._require(version)
        current = self.champion()
        if current == version:
            msg = f"{version} is already the champion of {self.name!r}; register a new version to challenge"
            raise ValueError(msg)
        y = binary_labels(holdout, label)
        challenger = self.load(version)
        challenger_scores = predict(challenger, holdout).to_numpy()
        auc, ece = roc_auc(y, challenger_scores), expected_calibration_error(y, challenger_scores)
        champ_auc = champ_ece = None
        if current is None:
            ok = ece <= MAX_ECE
            reason = (f"first champion: ECE {ece:.4f} ≤ {MAX_ECE}" if ok else
                      f"no champion and ECE {ece:.4f} > {MAX_ECE}: not promoted")
        else:
            champion = self.load(current)
            scores = predict(champion, holdout).to_numpy()
            champ_auc, champ_ece = roc_auc(y, scores), expected_calibration_error(y, scores)
            auc_ok, ece_ok = auc >= champ_auc - MAX_AUC_DROP, ece <= MAX_ECE
            ok = auc_ok and ece_ok
            problems = []
            if not auc_ok:
                problems.append(f"AUC {auc:.4f} < champion {current} AUC {champ_auc:.4f} − {MAX_AUC_DROP}")
            if not ece_ok:
                problems.append(f"ECE {ece:.4f} > {MAX_ECE}")
            reason = (f"AUC {auc:.4f} vs champion {current} {champ_auc:.4f}, ECE {ece:.4f} ≤ {MAX_ECE}: "
                      f"promoted" if ok else "; ".join(problems) + f": champion {current} stays")
        reason += f" (holdout {holdout.height:,} rows)"
        event = "promoted" if ok else "rejected"
        self._record(version, event, reason, auc=auc, ece=ece, champion=current, champion_auc=champ_auc,
                     champion_ece=champ_ece)
        return Decision(version=version, event=event, reason=reason, auc=auc, ece=ece, champion=current,
                        champion_auc=champ_auc, champion_ece=champ_ece)

    def promote(self, version: str, *, reason: str) -> None:
        """Make ``version`` champion by hand, bypassing the bar (recorded as a ``promoted`` event with ``reason``;
        for a first model on a small dataset, or after a human review of the metrics)."""
        self._require(version)
        if not reason.strip():
            msg = "a manual promotion needs a reason (it is recorded in the registry)"
            raise ValueError(msg)
        current = self.champion()
        auc, ece = self._last_metrics(version)
        champ_auc, champ_ece = self._last_metrics(current) if current else (None, None)
        self._record(version, "promoted", f"manual: {reason}", auc=auc, ece=ece, champion=current,
                     champion_auc=champ_auc, champion_ece=champ_ece)

    def rollback(self, version: str, *, reason: str | None = None) -> None:
        """Make the earlier registered ``version`` champion again; recorded as a ``rolled_back`` event."""
        self._require(version)
        current = self.champion()
        if current is None:
            msg = f"model {self.name!r} has no champion to roll back from"
            raise LookupError(msg)
        if _number(version) >= _number(current):
            msg = (f"rollback goes to an earlier version than the champion {current}, got {version}; "
                   f"use evaluate_challenger for newer versions")
            raise ValueError(msg)
        auc, ece = self._last_metrics(version)
        champ_auc, champ_ece = self._last_metrics(current)
        why = reason or "manual rollback"
        self._record(version, "rolled_back", f"{why}: champion {current} → {version}", auc=auc, ece=ece,
                     champion=current, champion_auc=champ_auc, champion_ece=champ_ece)

    # ---- internals --------------------------------------------------------------------------------------
    def _require(self, version: str) -> None:
        _number(version)
        if version not in self.versions() or not (self.path(version) / METADATA_FILE).is_file():
            msg = f"{version} is not a registered version of {self.name!r}; registered: {self.versions()}"
            raise LookupError(msg)

    def _metadata(self, version: str) -> dict[str, Any]:
        return json.loads((self.path(version) / METADATA_FILE).read_text())

    def _last_metrics(self, version: str) -> tuple[float | None, float | None]:
        """The latest recorded (auc, ece) of ``version`` (a holdout evaluation, else its test slice)."""
        rows = self.history().filter((pl.col("version") == version) & pl.col("auc").is_not_null())
        if rows.height == 0:
            return None, None
        return rows["auc"][-1], rows["ece"][-1]

    def _record(self, version: str, event: str, reason: str, *, auc: float | None, ece: float | None,
                champion: str | None = None, champion_auc: float | None = None,
                champion_ece: float | None = None) -> None:
        meta = self._metadata(version)
        at = datetime.now(UTC)
        history = self.history()
        if history.height and history["at"][-1] is not None and at <= history["at"][-1]:
            at = history["at"][-1] + timedelta(microseconds=1)  # keep events strictly ordered
        row = {
            "model_name": self.name, "version": version, "event": event, "reason": reason, "auc": auc,
            "ece": ece, "champion_version": champion, "champion_auc": champion_auc,
            "champion_ece": champion_ece,
            "feature_hash": meta["feature_hash"],
            "training_data_versions": json.dumps(meta.get("extra", {}).get("registry", {})
                                                 .get("training_data_versions", {}), sort_keys=True),
            "at": at,
        }
        self.store.append(EVENTS_TABLE, pl.DataFrame([row], schema=EVENT_SCHEMA))
