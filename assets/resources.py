"""Configuration bound as Dagster resources; defaults come from :class:`handoff.settings.Settings`."""


from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
from pydantic import PrivateAttr

from handoff.settings import get_settings
from pipelines.storage.delta import DeltaStore

__all__ = ["Lakehouse", "RealtimeWarmUp"]

if TYPE_CHECKING:
    from pipelines.routing import Roster, RuleBook


class Lakehouse(dg.ConfigurableResource):
    """Where the landing zone, the Delta tables and the analysts' DuckDB catalog live."""

    landing_root: str
    lakehouse_root: str
    catalog_path: str
    models_root: str
    rules_root: str = ""
    roster_path: str = ""
    crm_endpoint: str = "http://127.0.0.1:8765"
    ingest_workers: int = 2

    @classmethod
    def from_settings(cls) -> "Lakehouse":
        s = get_settings()
        return cls(landing_root=str(s.landing_dir), lakehouse_root=s.lakehouse_uri,
                   catalog_path=str(s.catalog_file), models_root=str(s.models_dir),
                   rules_root=str(s.rules_dir), roster_path=str(s.roster_file), crm_endpoint=s.crm_endpoint,
                   ingest_workers=s.ingest_workers)

    @property
    def store(self) -> DeltaStore:
        return DeltaStore(self.lakehouse_root)

    @property
    def landing(self) -> Path:
        return Path(self.landing_root)

    @property
    def models(self) -> Path:
        return Path(self.models_root)

    @property
    def catalog(self) -> Path:
        return Path(self.catalog_path)

    def rule_book(self) -> "RuleBook":
        from pipelines.routing import RuleBook

        folder = Path(self.rules_root) if self.rules_root else Path(__file__).resolve().parents[1] / "rules" / "routing"
        return RuleBook(folder, self.store)

    def roster(self) -> "Roster":
        from pipelines.routing import read_roster

        return read_roster(Path(self.roster_path) if self.roster_path else self.landing / "roster" / "roster.yaml")


class RealtimeWarmUp(dg.ConfigurableResource):
    """The real-time path's first-use costs, paid when a real-time run starts.

    Dagster sets a run's resources up before its steps claim their pools, so this runs while an earlier
    micro-batch may still hold the ``lakehouse_writes`` pool (:func:`pipelines.realtime.warm_up`: the Delta
    tables a micro-batch touches, the public suffix list, the templates, the champion model). The run's step
    then holds the pool that much shorter. Only the real-time asset requires it. (It takes the lakehouse's
    paths rather than the :class:`Lakehouse` resource itself: a nested resource trips a deprecation inside
    Dagster 1.13's resource setup.)
    """

    lakehouse_root: str
    models_root: str
    _seconds: dict[str, float] = PrivateAttr(default_factory=dict)

    @classmethod
    def of(cls, lakehouse: Lakehouse) -> "RealtimeWarmUp":
        return cls(lakehouse_root=lakehouse.lakehouse_root, models_root=lakehouse.models_root)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        from pipelines.realtime import warm_up

        self._seconds = warm_up(DeltaStore(self.lakehouse_root), models_root=self.models_root)

    @property
    def seconds(self) -> dict[str, float]:
        """Seconds per part of this run's warm-up."""
        return dict(self._seconds)
