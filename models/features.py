"""Feature columns → the float32 matrix XGBoost reads: kinds, categorical levels, training-range summaries.

Kinds are decided by the column's Polars dtype:

- ``numeric``: integers, floats, decimals and booleans (as 0/1); durations become days. NaN and ±inf are
  treated as missing (XGBoost refuses inf).
- ``categorical``: ``String``, ``Categorical`` and ``Enum``. The levels are learned on the training slice (the
  ``max_levels`` most frequent, ties by name); the column becomes the level's integer code, passed to XGBoost
  as a categorical feature. Unknown levels and nulls become missing. Identifier-like columns (mostly
  distinct values) are refused: list them in ``id_columns``.
- dates, datetimes and times are refused (a model keyed on calendar dates does not carry to new leads):
  turn them into an age first, e.g. ``(pl.col("as_of") - pl.col("created_at")).dt.total_days()``, or list the
  column in ``id_columns`` to leave it out. Lists, structs, binaries and all-null columns are refused too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import polars as pl

__all__ = ["FeatureKind", "feature_kind", "learn_levels", "feature_matrix", "summarise", "feature_hash",
           "numeric_expr", "categorical_codes"]

FeatureKind = Literal["numeric", "categorical"]
MAX_LEVELS = 1000
ID_LIKE_MIN = 100
_DAY_US = 86_400_000_000


def feature_kind(name: str, dtype: pl.DataType) -> FeatureKind:
    """The kind of a feature column with Polars dtype ``dtype``; a ``ValueError`` for unsupported dtypes.

    Examples
    --------
    >>> feature_kind("employees", pl.Int64), feature_kind("sector", pl.String), feature_kind("x", pl.Boolean)
    ('numeric', 'categorical', 'numeric')
    """
    if dtype.is_numeric() or dtype == pl.Boolean or isinstance(dtype, pl.Duration):
        return "numeric"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Categorical | pl.Enum):
        return "categorical"
    if dtype.is_temporal():
        msg = (f"feature column {name!r} is a {dtype} column: dates are not used as features; turn it "
               f"into an age in days (e.g. (pl.col('as_of') - pl.col({name!r})).dt.total_days()) or pass "
               f"it in id_columns to leave it out")
        raise ValueError(msg)
    msg = (f"feature column {name!r} has dtype {dtype}, which the model cannot use; cast it to a number or a "
           f"string, or pass it in id_columns / leave it out of features")
    raise ValueError(msg)


def numeric_expr(name: str, dtype: pl.DataType) -> pl.Expr:
    """A Float32 expression for a numeric feature: missing, NaN and ±inf as NaN, durations in days."""
    col = pl.col(name)
    if isinstance(dtype, pl.Duration):
        col = col.dt.total_microseconds() / _DAY_US
    elif not (dtype.is_numeric() or dtype == pl.Boolean):
        msg = (f"feature column {name!r} is numeric in the model but {dtype} in the frame; cast it to a "
               f"number before scoring")
        raise ValueError(msg)
    col = col.cast(pl.Float32)
    return pl.when(col.is_finite()).then(col).otherwise(None).fill_null(float("nan")).alias(name)


def categorical_codes(name: str, levels: Sequence[str]) -> pl.Expr:
    """UInt32 codes of ``levels`` (null for unknown levels and nulls); any column dtype is read as strings.

    Examples
    --------
    >>> pl.DataFrame({"c": ["b", "z", None]}).select(categorical_codes("c", ["a", "b"]))["c"].to_list()
    [1, None, None]
    """
    return pl.col(name).cast(pl.String).cast(pl.Enum(list(levels)), strict=False).to_physical().alias(name)


def learn_levels(column: pl.Series, *, max_levels: int = MAX_LEVELS) -> list[str]:
    """The levels of a categorical column: the ``max_levels`` most frequent non-null values, ties by name.

    Returned in sorted order so codes are stable across runs. A column whose values are mostly distinct (more
    than :data:`ID_LIKE_MIN` distinct values and over half the non-null rows) is refused as identifier-like:
    emails, names and ids do not generalise to new leads.

    Examples
    --------
    >>> learn_levels(pl.Series("plan", ["b", "a", "b", None, "c"]), max_levels=2)
    ['a', 'b']
    >>> learn_levels(pl.Series("email", [f"p{i}@x.com" for i in range(500)]))
    Traceback (most recent call last):
    ...
    ValueError: categorical column 'email' looks like an identifier (500 distinct values in 500 rows); p...
    """
    values = column.cast(pl.String).drop_nulls()
    counts = values.value_counts(name="n")
    if counts.height > ID_LIKE_MIN and counts.height > values.len() / 2:
        msg = (f"categorical column {column.name!r} looks like an identifier ({counts.height:,} distinct "
               f"values in {values.len():,} rows); pass it in id_columns, or derive a coarser feature from "
               f"it (e.g. the email domain)")
        raise ValueError(msg)
    top = counts.sort(["n", column.name], descending=[True, False]).head(max_levels)
    return sorted(top[column.name].to_list())


def feature_matrix(frame: pl.DataFrame, features: Sequence[str], kinds: Mapping[str, FeatureKind],
                   levels: Mapping[str, Sequence[str]], *, order: Literal["c", "fortran"] = "c",
                   finite: bool = True) -> np.ndarray:
    """A float32 matrix (rows × ``features``), categorical codes as floats, NaN for missing.

    ``order="c"`` (rows contiguous) is what XGBoost reads; ``order="fortran"`` (columns contiguous) is what
    :class:`models.forest.CompiledForest` reads, and costs less to build from Polars' columns.
    ``finite=False`` leaves ±inf in float columns (the compiled forest reads them as missing; XGBoost
    refuses them), which saves a pass over the matrix.
    Raises a ``ValueError`` naming every feature column the frame lacks.

    Examples
    --------
    >>> f = pl.DataFrame({"n": [1, None], "c": ["x", "y"], "r": [float("inf"), 2.5]})
    >>> kinds = {"n": "numeric", "c": "categorical", "r": "numeric"}
    >>> feature_matrix(f, ["n", "c", "r"], kinds, {"c": ["y"]}).tolist()
    [[1.0, nan, nan], [nan, 0.0, 2.5]]
    """
    missing = [f for f in features if f not in frame.columns]
    if missing:
        msg = (f"the frame lacks the model's feature columns {missing}; add them (null where unknown) before "
               f"scoring")
        raise ValueError(msg)
    schema = frame.schema
    nan = float("nan")
    exprs: list[pl.Expr] = []
    for f in features:
        if kinds[f] == "categorical":
            exprs.append(categorical_codes(f, levels[f]).cast(pl.Float32).fill_null(nan))
        elif schema[f].is_float():  # ±inf are turned into NaN below, on the matrix (cheaper than per column)
            exprs.append(pl.col(f).cast(pl.Float32).fill_null(nan))
        else:
            exprs.append(numeric_expr(f, schema[f]))
    if not exprs:
        return np.empty((frame.height, 0), dtype=np.float32, order="F" if order == "fortran" else "C")
    # nulls filled in Polars first: to_numpy of a column without nulls is a plain copy, with nulls it is not
    out = frame.select(exprs).to_numpy(order=order)
    if finite and any(kinds[f] == "numeric" and schema[f].is_float() for f in features):
        infinite = np.isinf(out)
        if infinite.any():
            out[infinite] = nan
    return np.asarray(out, dtype=np.float32, order="F" if order == "fortran" else "C")


def summarise(frame: pl.DataFrame, features: Sequence[str], kinds: Mapping[str, FeatureKind],
              levels: Mapping[str, Sequence[str]]) -> dict[str, dict[str, Any]]:
    """Training-slice summaries used for confidence: p01/p99 and missing rate (numeric), levels (categorical).

    Examples
    --------
    >>> s = summarise(pl.DataFrame({"n": [1.0, 2.0, None, 4.0]}), ["n"], {"n": "numeric"}, {})
    >>> s["n"]["missing_rate"], s["n"]["p01"] <= 1.1, s["n"]["p99"] >= 3.9
    (0.25, True, True)
    """
    if frame.height == 0:
        msg = "cannot summarise features of an empty frame"
        raise ValueError(msg)
    schema = frame.schema
    numeric = [f for f in features if kinds[f] == "numeric"]
    exprs: list[pl.Expr] = []
    for f in numeric:
        col = numeric_expr(f, schema[f]).cast(pl.Float64)
        col = pl.when(col.is_nan()).then(None).otherwise(col)
        exprs += [col.quantile(0.01, "linear").alias(f"{f}\0p01"),
                  col.quantile(0.99, "linear").alias(f"{f}\0p99"),
                  col.is_null().mean().alias(f"{f}\0missing")]
    for f in features:
        if kinds[f] == "categorical":
            exprs.append(categorical_codes(f, levels[f]).is_null().mean().alias(f"{f}\0missing"))
    row = frame.select(exprs).row(0, named=True) if exprs else {}
    out: dict[str, dict[str, Any]] = {}
    for f in features:
        if kinds[f] == "numeric":
            p01, p99 = row[f"{f}\0p01"], row[f"{f}\0p99"]
            out[f] = {"kind": "numeric", "p01": None if p01 is None else float(p01),
                      "p99": None if p99 is None else float(p99), "missing_rate": float(row[f"{f}\0missing"])}
        else:
            out[f] = {"kind": "categorical", "levels": list(levels[f]),
                      "missing_rate": float(row[f"{f}\0missing"])}
    return out


def feature_hash(features: Sequence[str], kinds: Mapping[str, FeatureKind],
                 levels: Mapping[str, Sequence[str]]) -> str:
    """sha256 of the ordered feature names, kinds and categorical levels: equal hashes read frames alike.

    Examples
    --------
    >>> h = feature_hash(["a", "c"], {"a": "numeric", "c": "categorical"}, {"c": ["x"]})
    >>> len(h), h == feature_hash(["c", "a"], {"a": "numeric", "c": "categorical"}, {"c": ["x"]})
    (64, False)
    """
    spec = [[f, kinds[f], list(levels[f]) if kinds[f] == "categorical" else None] for f in features]
    return hashlib.sha256(json.dumps(spec, separators=(",", ":")).encode()).hexdigest()
