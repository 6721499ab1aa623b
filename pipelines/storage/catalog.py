"""The analysts' DuckDB catalog: one view per Delta table, under its layer as schema.

Each view reads exactly the Parquet files of the table's current Delta snapshot, so it needs no DuckDB extension
and opens in the plain ``duckdb`` CLI. The catalog is built in a temporary file and atomically renamed over the
old one: a writer never holds the analysts' file, and a reader that has it open keeps its consistent snapshot
until it reconnects. No lock fights.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from pipelines.storage.delta import DeltaStore

__all__ = ["CatalogSnapshot", "refresh_catalog", "catalog_snapshot"]


@dataclass(frozen=True)
class CatalogSnapshot:
    """Which Delta version of each table the catalog exposes."""

    versions: dict[str, int]

    def as_frame(self) -> pl.DataFrame:
        items = sorted(self.versions.items())
        return pl.DataFrame({"table_name": [k for k, _ in items], "delta_version": [v for _, v in items]},
                            schema={"table_name": pl.String, "delta_version": pl.Int64})


def catalog_snapshot(store: DeltaStore) -> CatalogSnapshot:
    versions = {t: store.version(t) for t in store.tables()}
    return CatalogSnapshot({t: v for t, v in versions.items() if v is not None})


def _current(catalog_path: Path) -> dict[str, int] | None:
    if not catalog_path.exists():
        return None
    try:
        con = duckdb.connect(str(catalog_path), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.sql("SELECT table_name, delta_version FROM meta.tables").fetchall()
        return {str(t): int(v) for t, v in rows}
    except duckdb.Error:
        return None
    finally:
        con.close()


def refresh_catalog(store: DeltaStore, catalog_path: Path, *,
                    views: Sequence[str] = ()) -> tuple[CatalogSnapshot, bool]:
    """Rebuild the catalog if any table moved; returns the snapshot and whether the file was replaced.

    ``views`` are extra SQL statements run after every table's view exists (analysts' derived views, e.g. the
    knowledge graph's ``graph.buying_group``).
    """
    snapshot = catalog_snapshot(store)
    if _current(catalog_path) == snapshot.versions:
        return snapshot, False
    catalog_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".catalog-", suffix=".duckdb", dir=catalog_path.parent)
    os.close(fd)
    os.unlink(tmp_name)  # DuckDB must create the file itself
    con = duckdb.connect(tmp_name)
    try:
        schemas = sorted({t.split(".")[0] for t in snapshot.versions} | {"meta"})
        for schema in schemas:
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
        for table, version in sorted(snapshot.versions.items()):
            _create_view(con, store, table, version)
        for statement in views:
            con.execute(statement)
        meta = snapshot.as_frame().with_columns(
            refreshed_at=pl.lit(dt.datetime.now(dt.UTC)), delta_uri=pl.col("table_name").map_elements(
                store.uri, return_dtype=pl.String))
        con.register("meta_frame", meta)
        con.execute("CREATE TABLE meta.tables AS SELECT * FROM meta_frame")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    os.replace(tmp_name, catalog_path)
    return snapshot, True


def _create_view(con: duckdb.DuckDBPyConnection, store: DeltaStore, table: str, version: int) -> None:
    schema, name = table.split(".", 1)
    files = store.files(table)
    target = f'"{schema}"."{name}"'
    comment = f"Delta table {store.uri(table)} at version {version}"
    if files:
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        con.execute(f"CREATE VIEW {target} AS SELECT * FROM read_parquet([{listing}], union_by_name = true)")
        con.execute(f"COMMENT ON VIEW {target} IS '{comment}'")
    else:
        empty = pl.from_arrow(store.table(table).schema().to_arrow().empty_table())  # type: ignore[union-attr]
        con.register("empty_frame", empty)
        con.execute(f"CREATE TABLE {target} AS SELECT * FROM empty_frame")
        con.unregister("empty_frame")
        con.execute(f"COMMENT ON TABLE {target} IS '{comment} (no rows yet)'")
