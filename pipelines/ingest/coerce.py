"""Vendor strings to contract types, as Polars expressions; a value that does not parse is a row failure."""

from __future__ import annotations

import polars as pl

__all__ = ["parse_expr", "parse_utc_timestamp", "TYPE_NAMES"]

TYPE_NAMES: dict[type, str] = {
    pl.Datetime: "an ISO 8601 timestamp",
    pl.Date: "a date (YYYY-MM-DD)",
    pl.Int64: "a whole number",
    pl.Float64: "a number",
    pl.Boolean: "true or false",
}


def parse_utc_timestamp(expr: pl.Expr) -> pl.Expr:
    """ISO 8601 text to a UTC timestamp: ``Z``, an offset, naive (taken as UTC) or a bare date.

    Examples
    --------
    >>> s = pl.Series(["2026-11-20T14:03:11.000Z", "2026-11-20T09:03:11-05:00", "2026-11-20", "x"])
    >>> pl.select(parse_utc_timestamp(pl.lit(s))).to_series().dt.hour().to_list()
    [14, 14, 0, None]
    """
    text = (
        expr.str.strip_chars()
        .str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]", "${1}T")
        .str.replace(r"Z$", "+00:00")
    )
    aware = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", time_zone="UTC", time_unit="us", strict=False)
    naive = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f", time_unit="us", strict=False)
    date_only = text.str.to_date("%Y-%m-%d", strict=False).cast(pl.Datetime("us"))
    return pl.coalesce(aware, pl.coalesce(naive, date_only).dt.replace_time_zone("UTC"))


def _parse_int(expr: pl.Expr) -> pl.Expr:
    as_float = expr.str.strip_chars().cast(pl.Float64, strict=False)
    exact = pl.when(as_float == as_float.floor()).then(as_float)
    direct = expr.str.strip_chars().cast(pl.Int64, strict=False)
    return pl.coalesce(direct, exact.cast(pl.Int64, strict=False))


def parse_expr(column: str, dtype: pl.DataType) -> pl.Expr:
    """An expression turning the string column ``column`` into ``dtype``; unparseable values become null."""
    raw = pl.col(column)
    base = dtype.base_type() if hasattr(dtype, "base_type") else dtype
    if base == pl.String:
        return raw
    if base == pl.Datetime:
        return parse_utc_timestamp(raw)
    if base == pl.Date:
        return raw.str.strip_chars().str.to_date("%Y-%m-%d", strict=False)
    if base == pl.Int64:
        return _parse_int(raw)
    if base == pl.Float64:
        return raw.str.strip_chars().cast(pl.Float64, strict=False)
    if base == pl.Boolean:
        lowered = raw.str.strip_chars().str.to_lowercase()
        return pl.when(lowered == "true").then(True).when(lowered == "false").then(False)
    msg = f"contract column {column!r} has dtype {dtype}, which the ingest engine cannot parse from text"
    raise TypeError(msg)
