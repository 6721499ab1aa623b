"""The declarative part of a bronze contract: which vendor file, which Pandera model, which keys.

A bronze contract is a Pandera ``DataFrameModel`` whose fields carry their vendor column name in
``metadata={"vendor": ...}`` plus a :class:`BronzeContract` that says where the files land and how
the table is keyed. Nothing here reads or writes data: :mod:`pipelines.ingest` executes contracts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import pandera.polars as pa
import polars as pl

__all__ = ["BronzeContract", "Column", "ID_PATTERNS", "SALESFORCE_ID", "vendor"]

FileFormat = Literal["csv", "jsonl"]

SALESFORCE_ID = r"^{prefix}[0-9A-Za-z]{{15}}$"
ID_PATTERNS = {
    "Lead": "00Q",
    "Contact": "003",
    "Account": "001",
    "Opportunity": "006",
    "User": "005",
    "Task": "00T",
    "Campaign": "701",
}


def vendor(name: str, **kwargs: object) -> dict[str, object]:
    """Field metadata naming the vendor column a canonical column comes from.

    Examples
    --------
    >>> vendor("FirstName")
    {'vendor': 'FirstName'}
    """
    return {"vendor": name, **kwargs}


@dataclass(frozen=True, slots=True)
class Column:
    """One canonical column as the ingest engine needs it (derived from the Pandera model)."""

    name: str
    vendor: str
    dtype: pl.DataType
    required: bool
    parse_reason: str = "type_mismatch"


@dataclass(frozen=True)
class BronzeContract:
    """Where a vendor object lands, how it maps to its canonical table, and how rows are keyed.

    Parameters
    ----------
    source
        Landing folder of the source system (``salesforce``, ``hubspot``, ...).
    object
        Vendor object name (``Lead``, ``contacts``, ...), shown to users.
    file_prefix
        Files in the source folder whose name starts with this prefix belong to this object.
    table
        Canonical bronze table name, also the Dagster asset name.
    model
        The Pandera model: canonical columns, dtypes, nullability and checks, vendor names in metadata.
    key
        Canonical columns that identify a record within one file (duplicates are quarantined).
    key_is_global
        The key identifies a record for good (immutable events: Segment ``messageId``): a row whose key any
        earlier file already brought is quarantined as a duplicate too, so a resent event adds nothing.
    version
        Contract version; bumped by a new model module, never by editing a released one.
    file_format
        ``csv`` or ``jsonl``.
    email_column, freshness_column, freshness_max_age_days
        What the Great Expectations suite measures for this table.
    """

    source: str
    object: str
    file_prefix: str
    table: str
    model: type[pa.DataFrameModel]
    key: tuple[str, ...]
    version: int = 1
    file_format: FileFormat = "csv"
    email_column: str | None = None
    freshness_column: str | None = None
    freshness_max_age_days: float = 3.0
    description: str = ""
    deprecated_after: str | None = field(default=None)
    key_is_global: bool = False

    @property
    def name(self) -> str:
        """``<table>@v<version>``, the id recorded on every bronze row and in lineage."""
        return f"{self.table}@v{self.version}"

    @property
    def file_pattern(self) -> re.Pattern[str]:
        suffix = r"\.jsonl$" if self.file_format == "jsonl" else r"\.csv$"
        return re.compile("^" + re.escape(self.file_prefix) + r".*" + suffix)

    @property
    def schema(self) -> pa.DataFrameSchema:
        return self.model.to_schema()

    @property
    def columns(self) -> tuple[Column, ...]:
        cols = []
        for name, col in self.schema.columns.items():
            meta = col.metadata or {}
            if "vendor" not in meta:
                continue  # provenance columns added by the engine
            reason = str(meta.get("parse_reason", "type_mismatch"))
            cols.append(Column(name, str(meta["vendor"]), col.dtype.type, not col.nullable, reason))
        return tuple(cols)

    @property
    def required_vendor_columns(self) -> tuple[str, ...]:
        return tuple(c.vendor for c in self.columns if c.required)

    def vendor_column(self, canonical: str) -> str:
        for c in self.columns:
            if c.name == canonical:
                return c.vendor
        return canonical
