"""Routing rules as code: one YAML file per version, validated, immutable, with an active-version pointer.

Versions live in a folder (``rules/routing/v0001.yaml``, ``v0002.yaml``, ...). A version is never edited: the
first time a version is used its content hash is recorded in ``audit.rule_versions``, and a file whose content
no longer matches is refused with what to do (copy it to a new version). The active version is the latest row of
``audit.rule_activations`` (append-only, so the history of who activated what stays); with no activation yet, the
highest version in the folder is active. Rolling back is activating an earlier version.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Literal

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from pipelines.storage.delta import DeltaStore

from .roster import field_problems

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10× faster

__all__ = ["RoutingRules", "RuleBook", "RULE_VERSIONS", "RULE_ACTIVATIONS", "RulesError", "parse_rules"]

RULE_VERSIONS = "audit.rule_versions"
RULE_ACTIVATIONS = "audit.rule_activations"
_VERSION = re.compile(r"^v\d{4}$")


class RulesError(ValueError):
    """A rules file is invalid, changed after use, or missing; the message says which and what to do."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tiers(_Strict):
    hot: float = Field(0.7, gt=0, le=1, description="calibrated probability at or above which a lead is hot")
    warm: float = Field(0.4, gt=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> Tiers:
        if self.warm >= self.hot:
            msg = f"tiers.warm ({self.warm}) must be below tiers.hot ({self.hot})"
            raise ValueError(msg)
        return self


class ExistingOwner(_Strict):
    open_opportunity: bool = True
    account_owner: bool = True


class NamedAccounts(_Strict):
    rep_id: str
    account_ids: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=list)


class Distribution(_Strict):
    method: Literal["least_loaded", "round_robin"] = "least_loaded"
    hot_within_working_hours: bool = True


class Review(_Strict):
    low_confidence: bool = Field(True, description="send leads the model flags for review (low confidence)")
    high_impact_segments: list[Literal["SMB", "MID", "ENT"]] = Field(default_factory=lambda: ["ENT"])
    high_impact_tiers: list[Literal["hot", "warm"]] = Field(default_factory=lambda: ["hot"])


class Queues(_Strict):
    fallback: str = "sdr_pool"
    nurture: str = "nurture"
    review: str = "review"


class Sla(_Strict):
    hot_business_hours: float = Field(4, gt=0)
    warm_business_hours: float = Field(16, gt=0)
    queue_time_zone: str = "UTC"
    queue_hours: tuple[int, int] = (9, 17)


class Escalation(_Strict):
    max_escalations: int = Field(2, ge=0, description="escalations per handoff; then it stays with the last owner")


class RoutingRules(_Strict):
    """One version of the routing policy; see ``rules/routing/v0001.yaml`` for a commented example."""

    version: str = Field(pattern=_VERSION.pattern)
    description: str = ""
    tiers: Tiers = Field(default_factory=Tiers)
    segments: dict[Literal["MID", "ENT"], int] = Field(default_factory=lambda: {"MID": 200, "ENT": 1000})
    unknown_segment: Literal["SMB", "MID", "ENT"] = "SMB"
    existing_owner: ExistingOwner = Field(default_factory=ExistingOwner)
    named_accounts: list[NamedAccounts] = Field(default_factory=list)
    languages: dict[str, str] = Field(default_factory=dict, description="country (ISO2) -> language a rep needs")
    products: dict[str, str] = Field(default_factory=dict, description="URL/form substring -> product line")
    distribution: Distribution = Field(default_factory=Distribution)
    review: Review = Field(default_factory=Review)
    queues: Queues = Field(default_factory=Queues)
    queue_owners: dict[str, str] = Field(default_factory=dict, description="queue -> CRM owner id for its tasks")
    sla: Sla = Field(default_factory=Sla)
    escalation: Escalation = Field(default_factory=Escalation)


def parse_rules(text: str, *, source: str = "<rules>") -> RoutingRules:
    """Validate one rules version from its YAML text.

    Examples
    --------
    >>> parse_rules("version: v0003\\ntiers: {hot: 0.8, warm: 0.5}").tiers.hot
    0.8
    >>> parse_rules("version: v3")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pipelines.routing.rules.RulesError: rules <rules> are invalid; fix these fields:
      version: String should match pattern ...
    """
    try:
        data = yaml.load(text, Loader=_LOADER) or {}
        return RoutingRules.model_validate(data)
    except yaml.YAMLError as exc:
        msg = f"rules {source} are not valid YAML: {exc}"
        raise RulesError(msg) from None
    except ValidationError as exc:
        msg = f"rules {source} are invalid; fix these fields:\n{field_problems(exc)}"
        raise RulesError(msg) from None


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class RuleBook:
    """The rules folder plus the registry tables: load versions, know the active one, activate (or roll back)."""

    def __init__(self, folder: Path, store: DeltaStore) -> None:
        self.folder = Path(folder)
        self.store = store

    def versions(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("v*.yaml") if _VERSION.match(p.stem))

    def _text(self, version: str) -> str:
        path = self.folder / f"{version}.yaml"
        if not path.exists():
            msg = f"no rules version {version} in {self.folder} (have: {', '.join(self.versions()) or 'none'})"
            raise RulesError(msg)
        return path.read_text(encoding="utf-8")

    def load(self, version: str) -> RoutingRules:
        """Validate ``version`` and check it is unchanged since first used (recording it if new)."""
        text = self._text(version)
        rules = parse_rules(text, source=str(self.folder / f"{version}.yaml"))
        if rules.version != version:
            msg = f"{self.folder / f'{version}.yaml'} says version {rules.version}; the file name and version must agree"
            raise RulesError(msg)
        digest = _hash(text)
        known = self.store.read_or_empty(RULE_VERSIONS, pl.Schema({"version": pl.String, "content_hash": pl.String}),
                                         columns=["version", "content_hash"]).filter(pl.col("version") == version)
        if known.height and known["content_hash"][0] != digest:
            msg = (f"rules {version} changed after it was first used (hash {known['content_hash'][0]} → {digest}); "
                   f"versions are immutable: restore the file and copy your change to a new version file "
                   f"(e.g. v{int(self.versions()[-1][1:]) + 1:04d}.yaml), then `handoff rules activate` it")
            raise RulesError(msg)
        if not known.height:
            self.store.append(RULE_VERSIONS, pl.DataFrame({
                "version": [version], "content_hash": [digest], "content": [text],
                "registered_at": [dt.datetime.now(dt.UTC)]}))
        return rules

    def activations(self) -> pl.DataFrame:
        schema = pl.Schema({"version": pl.String, "activated_at": pl.Datetime("us", "UTC"), "reason": pl.String})
        return self.store.read_or_empty(RULE_ACTIVATIONS, schema, columns=list(schema)).sort("activated_at")

    def active_version(self) -> str:
        acts = self.activations()
        if acts.height:
            return str(acts["version"][-1])
        versions = self.versions()
        if not versions:
            msg = f"no routing rules in {self.folder}: add v0001.yaml (see docs/routing.md)"
            raise RulesError(msg)
        return versions[-1]

    def active(self) -> RoutingRules:
        return self.load(self.active_version())

    def activate(self, version: str, *, reason: str = "") -> RoutingRules:
        """Point the active version at ``version`` (validated first); earlier versions stay as they were."""
        rules = self.load(version)
        self.store.append(RULE_ACTIVATIONS, pl.DataFrame({
            "version": [version], "activated_at": [dt.datetime.now(dt.UTC)], "reason": [reason]},
            schema={"version": pl.String, "activated_at": pl.Datetime("us", "UTC"), "reason": pl.String}))
        return rules
