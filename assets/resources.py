"""Configuration bound as Dagster resources; defaults come from :class:`handoff.settings.Settings`."""


from pathlib import Path

import dagster as dg

from handoff.settings import get_settings
from pipelines.storage.delta import DeltaStore

__all__ = ["Lakehouse"]


class Lakehouse(dg.ConfigurableResource):
    """Where the landing zone, the Delta tables and the analysts' DuckDB catalog live."""

    landing_root: str
    lakehouse_root: str
    catalog_path: str
    models_root: str
    ingest_workers: int = 2

    @classmethod
    def from_settings(cls) -> "Lakehouse":
        s = get_settings()
        return cls(landing_root=str(s.landing_dir), lakehouse_root=s.lakehouse_uri,
                   catalog_path=str(s.catalog_file), models_root=str(s.models_dir),
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
