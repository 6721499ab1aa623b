"""Lineage: one append-only row per materialization that changed the lakehouse.

A row names the run, the asset, every Delta table read (with the version read) and written (version before and
after), row counts and timing. A materialization that found nothing to do writes nothing here (so re-running
changes no table); Dagster's run history still records it, with the same figures as metadata.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

import polars as pl

from pipelines.storage.delta import DeltaStore

__all__ = ["LINEAGE", "LINEAGE_SCHEMA", "lineage_row", "record_lineage"]

LINEAGE = "audit.lineage"
LINEAGE_SCHEMA = pl.Schema({
    "run_id": pl.String, "asset": pl.String, "status": pl.String,
    "inputs": pl.String, "outputs": pl.String,
    "rows_in": pl.Int64, "rows_out": pl.Int64, "rows_quarantined": pl.Int64,
    "contract": pl.String, "started_at": pl.Datetime("us", "UTC"), "finished_at": pl.Datetime("us", "UTC"),
    "details": pl.String,
})


def lineage_row(
    *,
    run_id: str,
    asset: str,
    inputs: Mapping[str, int | None],
    outputs: Mapping[str, tuple[int | None, int | None]],
    rows_in: int,
    rows_out: int,
    rows_quarantined: int,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    contract: str | None = None,
    status: str = "success",
    details: Mapping[str, object] | None = None,
) -> pl.DataFrame:
    """One lineage row. ``inputs`` maps table → version read; ``outputs`` table → (version before, after).

    Examples
    --------
    >>> now = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    >>> row = lineage_row(run_id="r1", asset="bronze/salesforce_lead", inputs={"landing/salesforce": None},
    ...                   outputs={"bronze.salesforce_lead": (None, 0)}, rows_in=10, rows_out=9,
    ...                   rows_quarantined=1, started_at=now, finished_at=now)
    >>> json.loads(row["outputs"][0])
    [{'table': 'bronze.salesforce_lead', 'version_before': None, 'version_after': 0}]
    """
    ins = [{"table": t, "version": v} for t, v in sorted(inputs.items())]
    outs = [{"table": t, "version_before": b, "version_after": a} for t, (b, a) in sorted(outputs.items())]
    return pl.DataFrame([{
        "run_id": run_id, "asset": asset, "status": status, "inputs": json.dumps(ins),
        "outputs": json.dumps(outs), "rows_in": rows_in, "rows_out": rows_out,
        "rows_quarantined": rows_quarantined, "contract": contract, "started_at": started_at,
        "finished_at": finished_at, "details": json.dumps(dict(details or {}), default=str, sort_keys=True),
    }], schema=LINEAGE_SCHEMA)


def record_lineage(store: DeltaStore, row: pl.DataFrame) -> int | None:
    """Append a lineage row; returns the lineage table's new version."""
    return store.append(LINEAGE, row.cast(LINEAGE_SCHEMA))
