"""Field builders shared by the bronze models, and the provenance columns every bronze row carries."""

from __future__ import annotations

from typing import Any

import pandera.polars as pa
import polars as pl
from pandera.engines import polars_engine as pe

from contracts.spec import ID_PATTERNS, SALESFORCE_ID, vendor

__all__ = ["Provenance", "req", "opt", "ts", "sfid", "sfid_any", "numeric_id", "UTC_TS", "DateTime"]

DateTime = pe.DateTime
UTC_TS = {"time_unit": "us", "time_zone": "UTC"}


def req(name: str, **checks: Any) -> Any:
    """A required (non-null) column read from vendor column ``name``."""
    return pa.Field(nullable=False, metadata=vendor(name), **checks)


def opt(name: str, **checks: Any) -> Any:
    """An optional (nullable) column read from vendor column ``name``."""
    return pa.Field(nullable=True, metadata=vendor(name), **checks)


def numeric_id(name: str, *, required: bool = True) -> Any:
    """A numeric vendor id (Marketo lead id): a value that is not a whole number is a malformed key."""
    return pa.Field(nullable=not required, ge=1, metadata=vendor(name, parse_reason="invalid_format"))


def ts(name: str, *, required: bool = False) -> Any:
    """A UTC timestamp column; vendor values are ISO 8601 with ``Z``, an offset, or naive (read as UTC)."""
    return pa.Field(nullable=not required, metadata=vendor(name), dtype_kwargs=UTC_TS)


def sfid(name: str, obj: str, *, required: bool = False) -> Any:
    """An 18-character Salesforce id whose key prefix says it is an ``obj`` record."""
    pattern = SALESFORCE_ID.format(prefix=ID_PATTERNS[obj])
    return pa.Field(nullable=not required, metadata=vendor(name), str_matches=pattern)


def sfid_any(name: str, *objs: str) -> Any:
    """A Salesforce id that may point at any of ``objs`` (a polymorphic lookup such as Task.WhoId)."""
    prefixes = "|".join(ID_PATTERNS[o] for o in objs)
    return pa.Field(nullable=True, metadata=vendor(name), str_matches=rf"^({prefixes})[0-9A-Za-z]{{15}}$")


class Provenance(pa.DataFrameModel):
    """Columns the ingest engine adds to every bronze row: where it came from and which run wrote it."""

    source_system: str = pa.Field(nullable=False)
    source_file: str = pa.Field(nullable=False)
    source_file_hash: str = pa.Field(nullable=False)
    source_row: pl.Int64 = pa.Field(nullable=False, ge=1)
    ingested_at: DateTime = pa.Field(nullable=False, dtype_kwargs=UTC_TS)
    run_id: str = pa.Field(nullable=False)
    contract: str = pa.Field(nullable=False)
    extras: str = pa.Field(nullable=True, description="unknown vendor columns of the row, as a JSON object")

    class Config:
        strict = True
        coerce = False
