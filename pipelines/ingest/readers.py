"""Open one landing file: its header first, then its records in bounded batches.

Every batch has the same shape whatever the format: string columns named as the vendor names them (dotted paths
for JSON), ``__row`` (the 1-based record number in the file) and, for JSON Lines, ``__json_ok`` and ``__line``
(the raw line). Batches bound memory: a multi-gigabyte extract is never held whole.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from contracts.spec import BronzeContract

__all__ = ["LandingFile", "open_landing_file", "jsonl_extra_keys", "UnparseableFileError",
           "SEGMENT_TOP_LEVEL_KEYS", "DEFAULT_BATCH_ROWS"]

DEFAULT_BATCH_ROWS = 500_000
SEGMENT_TOP_LEVEL_KEYS = frozenset({
    "type", "messageId", "timestamp", "userId", "anonymousId", "event", "traits", "properties", "context",
    "integrations", "sentAt", "receivedAt", "originalTimestamp", "version", "channel", "writeKey", "_metadata",
    "name", "category", "previousId", "groupId", "requestId", "rudderId", "request_ip",
})


_DB: duckdb.DuckDBPyConnection | None = None
_DB_LOCK = threading.Lock()


def _cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on the ingest's own in-memory DuckDB: one thread per query, since the ingest already runs
    files in parallel (more threads only contend for the two cores); a cursor per caller, so threads never
    share a connection."""
    global _DB
    with _DB_LOCK:
        if _DB is None:
            _DB = duckdb.connect(":memory:handoff_ingest")
            _DB.execute("SET threads = 1")
        return _DB.cursor()


class UnparseableFileError(ValueError):
    """The file could not be split into records (not UTF-8 CSV with a header row, not JSON Lines)."""


@dataclass(frozen=True)
class LandingFile:
    """A landing file opened for reading: its vendor column names, and a way to stream its records."""

    path: Path
    contract: BronzeContract
    columns: list[str]
    batch_rows: int

    def batches(self) -> Iterator[pl.DataFrame]:
        """Records in batches of at most ``batch_rows``; raises :class:`UnparseableFileError` mid-way if the
        file turns out to be malformed further down."""
        if self.contract.file_format == "jsonl":
            yield from _jsonl_batches(self.path, self.contract, self.batch_rows)
        else:
            yield from _csv_batches(self.path, self.batch_rows)


def open_landing_file(path: Path, contract: BronzeContract, *,
                      batch_rows: int = DEFAULT_BATCH_ROWS) -> LandingFile:
    """Open ``path`` as the contract's file format; reads only the header now."""
    if contract.file_format == "jsonl":
        return LandingFile(path, contract, [c.vendor for c in contract.columns], batch_rows)
    try:
        names = _scan_csv(path).collect_schema().names()
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, UnicodeDecodeError, OSError) as exc:
        msg = f"{path.name}: cannot read as UTF-8 CSV with a header row: {exc}".splitlines()[0]
        raise UnparseableFileError(msg) from exc
    return LandingFile(path, contract, [_clean_header(n) for n in names], batch_rows)


def _clean_header(name: str) -> str:
    return name.lstrip("\ufeff").strip()


def _scan_csv(path: Path) -> pl.LazyFrame:
    return pl.scan_csv(path, infer_schema=False, has_header=True, encoding="utf8", raise_if_empty=False,
                       row_index_name="__row", row_index_offset=1)


def _csv_batches(path: Path, batch_rows: int) -> Iterator[pl.DataFrame]:
    try:
        for batch in _scan_csv(path).collect_batches(chunk_size=batch_rows):
            renames = {c: _clean_header(c) for c in batch.columns if c != _clean_header(c)}
            batch = batch.rename(renames) if renames else batch
            # An empty field is null (vendor-formats: "Empty string means null"), quoted or not.
            yield batch.with_columns(pl.exclude("__row").replace("", None), pl.col("__row").cast(pl.Int64))
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, UnicodeDecodeError) as exc:
        msg = f"{path.name}: malformed CSV: {exc}".splitlines()[0]
        raise UnparseableFileError(msg) from exc


# Validity, and the keys a line carries beyond the contract (top level, traits, properties), in one pass.
_CHECK_SQL = """
SELECT __row, __line, __json_ok, CASE WHEN __json_ok THEN list_concat(
    list_filter(coalesce(__k[1], []), k -> NOT list_contains($top, k)),
    list_transform(list_filter(coalesce(__k[2], []), k -> NOT list_contains($traits, k)), k -> 'traits.' || k),
    list_transform(list_filter(coalesce(__k[3], []), k -> NOT list_contains($props, k)), k -> 'properties.' || k)
  ) END AS __unknown
FROM (SELECT *, CASE WHEN __json_ok THEN json_keys(__line, ['$', '$.traits', '$.properties']) END AS __k FROM (
  SELECT __row, __line, json_valid(__line) AND starts_with(ltrim(__line), '{') AS __json_ok FROM lines))
"""


def _extract_fields(con: duckdb.DuckDBPyConnection, valid: pl.DataFrame, fields: list[str]) -> pl.DataFrame:
    """The contract's fields of valid JSON lines as text, every path read in one parse of each line."""
    paths = ", ".join(f"'$.{name}'" for name in fields)
    selects = ", ".join(f'__v[{i}] AS "{name}"' for i, name in enumerate(fields, start=1))
    con.register("valid", valid)
    return pl.from_arrow(con.sql(  # type: ignore[return-value]
        f"SELECT __row, {selects} FROM (SELECT __row, json_extract_string(__line, [{paths}]) AS __v FROM valid)"
    ).arrow())


def _read_lines(path: Path) -> pl.DataFrame:
    """Physical lines of a text file, blank ones included (so row numbers are line numbers)."""
    try:  # Polars' CSV reader with a separator that valid JSON never holds unescaped: fast and multi-threaded
        return pl.read_csv(path, has_header=False, separator="\x1f", quote_char=None, new_columns=["__line"],
                           infer_schema=False, encoding="utf8", raise_if_empty=False).with_columns(
            pl.col("__line").fill_null(""))
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError):
        pass  # a line holding the separator (not valid JSON anyway): split exactly, in Python
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"{path.name}: not UTF-8 text ({exc})"
        raise UnparseableFileError(msg) from exc
    return pl.DataFrame({"__line": text.removesuffix("\n").split("\n")})


def _jsonl_batches(path: Path, contract: BronzeContract, batch_rows: int) -> Iterator[pl.DataFrame]:
    lines = _read_lines(path).with_row_index("__row", offset=1)
    lines = lines.with_columns(pl.col("__row").cast(pl.Int64)).filter(pl.col("__line").str.strip_chars() != "")
    fields = [c.vendor for c in contract.columns]
    known = {
        "top": sorted(SEGMENT_TOP_LEVEL_KEYS),
        "traits": [f.split(".", 1)[1] for f in fields if f.startswith("traits.")],
        "props": [f.split(".", 1)[1] for f in fields if f.startswith("properties.")],
    }
    con = _cursor()
    try:
        for offset in range(0, lines.height, batch_rows):
            con.register("lines", lines.slice(offset, batch_rows))
            checked: pl.DataFrame = pl.from_arrow(con.execute(_CHECK_SQL, known).arrow())  # type: ignore[assignment]
            extracted = _extract_fields(con, checked.filter(pl.col("__json_ok")), fields)
            batch = checked.join(extracted, on="__row", how="left", maintain_order="left")
            yield batch.with_columns(pl.col(fields).cast(pl.String))
    finally:
        con.close()


def jsonl_extra_keys(frame: pl.DataFrame) -> list[str]:
    """Keys present in the JSON lines that the contract does not name (schema drift), e.g. ``traits.plan``."""
    return sorted(frame["__unknown"].explode().drop_nulls().unique().to_list())
