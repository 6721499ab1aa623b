"""Counts a person checks after a run: rows per table, quarantined rows per reason, files per status."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.ingest.bronze import MANIFEST, QUARANTINE
from pipelines.storage.delta import DeltaStore

__all__ = ["LakehouseSummary", "summarize"]


@dataclass(frozen=True)
class LakehouseSummary:
    tables: pl.DataFrame  # table_name, rows, delta_version
    quarantine_by_reason: pl.DataFrame  # contract, reason, rows
    files: pl.DataFrame  # source_file, status, rows_raw, rows_bronze, rows_quarantined, message
    balanced: bool  # rows_raw == rows_bronze + rows_quarantined for every parsed file


def summarize(store: DeltaStore) -> LakehouseSummary:
    """Summarise the lakehouse as the Delta tables hold it now."""
    rows = []
    for table in store.tables():
        dt = store.table(table)
        if dt is not None:
            rows.append({"table_name": table, "rows": dt.count(), "delta_version": dt.version()})
    tables = pl.DataFrame(rows, schema={"table_name": pl.String, "rows": pl.Int64, "delta_version": pl.Int64})
    if store.table(QUARANTINE) is not None:
        q = store.read(QUARANTINE, columns=["contract", "reason"])
        by_reason = q.group_by("contract", "reason").agg(rows=pl.len()).sort("contract", "reason")
    else:
        by_reason = pl.DataFrame(schema={"contract": pl.String, "reason": pl.String, "rows": pl.UInt32})
    if store.table(MANIFEST) is not None:
        files = store.read(MANIFEST, columns=["source_file", "status", "rows_raw", "rows_bronze",
                                              "rows_quarantined", "message"]).sort("source_file")
    else:
        files = pl.DataFrame(schema={"source_file": pl.String, "status": pl.String, "rows_raw": pl.Int64,
                                     "rows_bronze": pl.Int64, "rows_quarantined": pl.Int64, "message": pl.String})
    parsed = files.filter(pl.col("rows_raw").is_not_null())
    balanced = bool((parsed["rows_raw"] == parsed["rows_bronze"] + parsed["rows_quarantined"]).all())
    return LakehouseSummary(tables, by_reason, files, balanced)
