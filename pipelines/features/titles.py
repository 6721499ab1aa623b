"""Job title → seniority and function, by keyword rules over the normalised title (vectorised)."""

from __future__ import annotations

import polars as pl

__all__ = ["SENIORITY_RULES", "FUNCTION_RULES", "seniority", "job_function"]

# first matching rule wins; patterns run on lower-case, accent-folded titles ("vp" already expanded)
SENIORITY_RULES: tuple[tuple[str, str], ...] = (
    ("vp", r"\b(vice president|head of)\b"),  # before c_level: "vice president" holds "president"
    ("c_level", r"\b(chief|ceo|cfo|cto|cmo|coo|cio|cdo|cro|founder|owner|president)\b"),
    ("director", r"\bdirector\b"),
    ("manager", r"\b(manager|lead|supervisor)\b"),
    ("senior", r"\b(senior|principal|staff|ii|iii)\b"),
    ("individual", r"."),
)
FUNCTION_RULES: tuple[tuple[str, str], ...] = (
    ("data", r"\b(data|analytics|bi|cdo)\b"),
    ("marketing", r"\b(marketing|cmo|demand|growth|brand|content)\b"),
    ("sales", r"\b(sales|account executive|business development|cro|revenue)\b"),
    ("engineering", r"\b(engineer|engineering|developer|cto|software)\b"),
    ("it", r"\b(it|systems|infrastructure|cio|administrator|security)\b"),
    ("finance", r"\b(finance|financial|cfo|accounting|controller)\b"),
    ("operations", r"\b(operations|coo|ops)\b"),
    ("hr", r"\b(hr|human resources|people|talent|recruit\w*)\b"),
    ("product", r"\b(product)\b"),
)


def _classify(title: pl.Expr, rules: tuple[tuple[str, str], ...]) -> pl.Expr:
    expr = pl.when(title.is_null()).then(pl.lit(None, dtype=pl.String))
    for name, pattern in rules:
        expr = expr.when(title.str.contains(pattern)).then(pl.lit(name))
    return expr.otherwise(pl.lit(None, dtype=pl.String))


def seniority(title: pl.Expr) -> pl.Expr:
    """Seniority band of a normalised title.

    Examples
    --------
    >>> t = pl.Series(["vice president of sales", "senior data analyst", "marketing manager", None])
    >>> pl.select(seniority(pl.lit(t))).to_series().to_list()
    ['vp', 'senior', 'manager', None]
    """
    return _classify(title, SENIORITY_RULES)


def job_function(title: pl.Expr) -> pl.Expr:
    """Function of a normalised title (data, marketing, sales, engineering, it, finance, operations, hr, product).

    Examples
    --------
    >>> t = pl.Series(["vice president of sales", "senior data analyst", "hr director", "ceo"])
    >>> pl.select(job_function(pl.lit(t))).to_series().to_list()
    ['sales', 'data', 'hr', None]
    """
    return _classify(title, FUNCTION_RULES)
