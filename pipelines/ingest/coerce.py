"""Vendor strings to contract types; a value that does not parse becomes null, and is a row failure.

Hot path: each column is parsed once, with the format sniffed from its first value (vendors write one format
per file) so Polars' fast exact-format parser does the bulk; only the values that miss it go through the
tolerant ISO 8601 normaliser.
"""

from __future__ import annotations

import re

import polars as pl

__all__ = ["parse_series", "parse_utc_timestamp", "TYPE_NAMES"]

TYPE_NAMES: dict[type, str] = {
    pl.Datetime: "an ISO 8601 timestamp",
    pl.Date: "a date (YYYY-MM-DD)",
    pl.Int64: "a whole number",
    pl.Float64: "a number",
    pl.Boolean: "true or false",
}
UTC = pl.Datetime("us", "UTC")
_SNIFF = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"), "%Y-%m-%dT%H:%M:%SZ"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+Z$"), "%Y-%m-%dT%H:%M:%S%.fZ"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$"), "%Y-%m-%dT%H:%M:%S%.f%:z"),
    (re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{4}$"), "%Y-%m-%dT%H:%M:%S%.f%z"),
)


def parse_utc_timestamp(expr: pl.Expr) -> pl.Expr:
    """ISO 8601 text to a UTC timestamp: ``Z``, an offset, naive (taken as UTC) or a bare date.

    Examples
    --------
    >>> s = pl.Series(["2026-11-20T14:03:11.000Z", "2026-11-20T09:03:11-05:00", "2026-11-20", "x"])
    >>> pl.select(parse_utc_timestamp(pl.lit(s))).to_series().dt.hour().to_list()
    [14, 14, 0, None]
    """
    text = expr.str.strip_chars().str.replace(r"^(\d{4}-\d{2}-\d{2}) ", "${1}T")
    aware = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%#z", time_zone="UTC", time_unit="us", strict=False)
    naive = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False)
    date_only = text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us"))
    return pl.coalesce(aware, pl.coalesce(naive, date_only).dt.replace_time_zone("UTC"))


def _patch_misses(raw: pl.Series, parsed: pl.Series, slow: pl.Expr) -> pl.Series:
    """Re-parse, with the tolerant expression ``slow``, only the values the fast path left null."""
    missed = raw.is_not_null() & parsed.is_null()
    if not missed.any():
        return parsed
    idx = missed.arg_true()
    retry = pl.DataFrame({"v": raw.gather(idx)}).select(slow).to_series()
    return parsed.scatter(idx, retry.cast(parsed.dtype))


def _timestamps(raw: pl.Series) -> pl.Series:
    first = raw.drop_nulls().head(1).to_list()
    fmt = next((f for rx, f in _SNIFF if first and rx.match(first[0])), None)
    if fmt is None:
        return pl.DataFrame({"v": raw}).select(parse_utc_timestamp(pl.col("v"))).to_series()
    fast = raw.str.to_datetime(fmt, time_zone="UTC", time_unit="us", strict=False)
    return _patch_misses(raw, fast, parse_utc_timestamp(pl.col("v")))


def _ints(raw: pl.Series) -> pl.Series:
    direct = raw.cast(pl.Int64, strict=False)
    as_float = pl.col("v").str.strip_chars().cast(pl.Float64, strict=False)
    tolerant = pl.when(as_float == as_float.floor()).then(as_float).cast(pl.Int64, strict=False)
    return _patch_misses(raw, direct, tolerant)


def parse_series(raw: pl.Series, dtype: pl.DataType) -> pl.Series:
    """Parse the string series ``raw`` as ``dtype``; values that do not parse become null.

    Examples
    --------
    >>> parse_series(pl.Series(["12", " 7 ", "250.0", "lots", None]), pl.Int64).to_list()
    [12, 7, 250, None, None]
    >>> parse_series(pl.Series(["true", "False", "yes-ish"]), pl.Boolean).to_list()
    [True, False, None]
    >>> s = pl.Series(["2026-11-20T14:03:11.000+0000", "2026-11-20T09:03:11.000-0500", "2026-11-20T14:03:11Z"])
    >>> parse_series(s, pl.Datetime("us", "UTC")).dt.hour().to_list()
    [14, 14, 14]
    """
    base = dtype.base_type() if hasattr(dtype, "base_type") else dtype
    if base == pl.String:
        return raw
    if base == pl.Datetime:
        return _timestamps(raw)
    if base == pl.Date:
        return raw.str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
    if base == pl.Int64:
        return _ints(raw)
    if base == pl.Float64:
        return raw.str.strip_chars().cast(pl.Float64, strict=False)
    if base == pl.Boolean:
        lowered = raw.str.strip_chars().str.to_lowercase()
        return pl.select(pl.when(lowered == "true").then(True).when(lowered == "false").then(False)).to_series()
    msg = f"contract column {raw.name!r} has dtype {dtype}, which the ingest engine cannot parse from text"
    raise TypeError(msg)
