"""One settings object for every path and endpoint, read from ``HANDOFF_*`` environment variables or ``.env``.

The embedded default is local folders under the working directory (the repo root); the same code accepts
object-store URIs for the lakehouse (``HANDOFF_LAKEHOUSE_ROOT=s3://bucket/lakehouse``).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "get_settings"]


class Settings(BaseSettings):
    """Where things live.

    Examples
    --------
    >>> s = Settings(home=Path("/srv/handoff"))
    >>> s.landing_dir, s.lakehouse_uri
    (PosixPath('/srv/handoff/data/landing'), '/srv/handoff/var/lakehouse')
    """

    model_config = SettingsConfigDict(env_prefix="HANDOFF_", env_file=".env", extra="ignore")

    home: Path = Field(default_factory=Path.cwd, description="base folder for the embedded defaults")
    landing_root: Path | None = Field(default=None, description="landing zone: one folder per source system")
    lakehouse_root: str | None = Field(default=None, description="Delta tables root: a folder or s3://... URI")
    catalog_path: Path | None = Field(default=None, description="the analysts' DuckDB catalog file")
    models_root: Path | None = Field(default=None, description="model registry files (XGBoost JSON + metadata)")
    crm_endpoint: str = Field(default="http://127.0.0.1:8765", description="Salesforce-compatible REST base URL")
    rules_root: Path | None = Field(default=None, description="routing rules versions (v0001.yaml, ...)")
    roster_path: Path | None = Field(default=None, description="RevOps' roster YAML")
    intake_address: str = Field(default="127.0.0.1:8088", description="host:port of the event intake service")
    ingest_workers: int = Field(default=2, ge=1, description="landing files ingested at a time (one per core)")

    @property
    def landing_dir(self) -> Path:
        return self.landing_root or self.home / "data" / "landing"

    @property
    def truth_dir(self) -> Path:
        """Generated worlds put their ground truth beside the landing zone; the pipeline never reads it."""
        return self.landing_dir.parent / "truth"

    @property
    def lakehouse_uri(self) -> str:
        return self.lakehouse_root or str(self.home / "var" / "lakehouse")

    @property
    def dagster_home(self) -> Path:
        """DAGSTER_HOME: run history lives here; its dagster.yaml links to the repo's ``dagster.yaml``."""
        return self.home / "var" / "dagster"

    def prepare_dagster_home(self) -> Path:
        """Create DAGSTER_HOME with a link to ``dagster.yaml`` (the home's own, else the one shipped here)."""
        home = self.dagster_home
        home.mkdir(parents=True, exist_ok=True)
        link = home / "dagster.yaml"
        config = self.home / "dagster.yaml"
        if not config.exists():
            config = Path(__file__).resolve().parents[1] / "dagster.yaml"
        if not link.exists():
            link.symlink_to(config.resolve())
        return home.resolve()

    @property
    def rules_dir(self) -> Path:
        """The home's ``rules/routing`` when it has one, else the versions shipped with handoff."""
        if self.rules_root:
            return self.rules_root
        local = self.home / "rules" / "routing"
        return local if local.is_dir() else Path(__file__).resolve().parents[1] / "rules" / "routing"

    @property
    def roster_file(self) -> Path:
        return self.roster_path or self.landing_dir / "roster" / "roster.yaml"

    @property
    def models_dir(self) -> Path:
        return self.models_root or self.home / "var" / "models"

    @property
    def catalog_file(self) -> Path:
        return self.catalog_path or self.home / "var" / "catalog.duckdb"


def get_settings() -> Settings:
    return Settings()
