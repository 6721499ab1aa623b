"""Read one landing file into a frame of vendor-named string columns, one row per raw record.

Every reader returns the same shape: string columns named as the vendor names them (dotted paths for JSON),
plus ``__row`` (1-based record number) and, for JSON Lines, ``__json_ok`` and ``__line`` (the raw line).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from contracts.spec import BronzeContract

__all__ = ["read_landing_file", "UnparseableFileError", "SEGMENT_TOP_LEVEL_KEYS"]

SEGMENT_TOP_LEVEL_KEYS = frozenset({
    "type", "messageId", "timestamp", "userId", "anonymousId", "event", "traits", "properties", "context",
    "integrations", "sentAt", "receivedAt", "originalTimestamp", "version", "channel", "writeKey", "_metadata",
    "name", "category", "previousId", "groupId", "requestId", "rudderId", "request_ip",
})


class UnparseableFileError(ValueError):
    """The file could not be split into records at all (not CSV with a header, not UTF-8, ...)."""


def read_landing_file(path: Path, contract: BronzeContract) -> pl.DataFrame:
    """Read ``path`` as the contract's file format into vendor-named string columns plus ``__row``."""
    if contract.file_format == "jsonl":
        return _read_jsonl(path, contract)
    return _read_csv(path)


def _read_csv(path: Path) -> pl.DataFrame:
    try:
        frame = pl.read_csv(
            path, infer_schema=False, has_header=True, encoding="utf8",
            raise_if_empty=False,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, UnicodeDecodeError) as exc:
        msg = f"{path.name}: cannot read as UTF-8 CSV with a header row: {exc}".splitlines()[0]
        raise UnparseableFileError(msg) from exc
    renames = {c: c.lstrip("\ufeff").strip() for c in frame.columns if c != c.lstrip("\ufeff").strip()}
    if renames:
        frame = frame.rename(renames)
    # An empty field is null (vendor-formats: "Empty string means null"), quoted or not.
    frame = frame.with_columns(pl.all().replace("", None))
    return frame.with_row_index("__row", offset=1).with_columns(pl.col("__row").cast(pl.Int64))


def _read_jsonl(path: Path, contract: BronzeContract) -> pl.DataFrame:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"{path.name}: not UTF-8 text ({exc})"
        raise UnparseableFileError(msg) from exc
    lines = pl.DataFrame({"__line": text.split("\n")}).with_row_index("__row", offset=1)
    lines = lines.with_columns(pl.col("__row").cast(pl.Int64)).filter(pl.col("__line").str.strip_chars() != "")
    fields = [c.vendor for c in contract.columns]
    paths = ", ".join(f"'$.{name}'" for name in fields)
    selects = ", ".join(f'__v[{i}] AS "{name}"' for i, name in enumerate(fields, start=1))
    con = duckdb.connect()
    try:
        con.register("lines", lines)
        checked = con.sql(
            "SELECT __row, __line, json_valid(__line) AND starts_with(ltrim(__line), '{') AS __json_ok FROM lines"
        ).pl()
        con.register("valid", checked.filter(pl.col("__json_ok")))
        extracted = con.sql(
            f"SELECT __row, {selects} FROM (SELECT __row, json_extract_string(__line, [{paths}]) AS __v FROM valid)"
        ).pl()
    finally:
        con.close()
    frame = checked.join(extracted, on="__row", how="left", maintain_order="left")
    return frame.with_columns(pl.col(fields).cast(pl.String))


def jsonl_extra_keys(frame: pl.DataFrame) -> list[str]:
    """Top-level keys present in the JSON lines that the Segment spec does not name (schema drift)."""
    valid = frame.filter(pl.col("__json_ok")).select("__line")
    if valid.height == 0:
        return []
    keys = duckdb.sql("SELECT DISTINCT unnest(json_keys(__line)) AS k FROM valid ORDER BY k").pl()["k"]
    return [k for k in keys.to_list() if k not in SEGMENT_TOP_LEVEL_KEYS]
