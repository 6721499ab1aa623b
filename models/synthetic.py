"""A synthetic lead table with a known signal, for tests and benchmarks (not for real scoring).

Columns: ``lead_id`` (id), ``created_at`` (time, random order over 2025), ``won`` (0/1 label drawn from
``oracle``, the true probability), and ``features`` feature columns:

- ``demo_days`` (days since a demo request, missing for ~70 % of leads: no demo): the planted strong feature,
  +0.5 + 2.5·exp(-days/10) log-odds when present;
- ``employees`` (log-normal, 20 % missing): +0.5·log10(employees);
- ``industry`` (12 levels, 10 % missing), ``lead_source`` (6 levels): a fixed effect per level;
- ``opened_email`` (boolean, 5 % missing): +0.5;
- ``x0``, ``x1``... the rest: mostly numeric (every third 15 % missing; the first few carry weight 0.6/(i+1),
  ``x1`` enters as |x1| and ``x2·x3`` as an interaction), every fifteenth categorical (``c<i>``, 40
  levels, noise), every tenth boolean (``b<i>``, noise). At 60 features: 48 numeric, 6 categorical, 6 boolean.

The intercept puts the base rate near 10 %. The effects are the same for every ``seed`` (only the draws
differ), so a second seed is an independent sample of the same population.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

__all__ = ["synthetic_leads", "NAMED_FEATURES"]

NAMED_FEATURES = ("demo_days", "employees", "industry", "lead_source", "opened_email")


def synthetic_leads(rows: int, *, features: int = 12, seed: int = 0) -> pl.DataFrame:
    """``rows`` synthetic leads with ``features`` feature columns (at least 5), label ``won`` and ``oracle``.

    Examples
    --------
    >>> f = synthetic_leads(1000, features=8)
    >>> f.columns[:4], f.width
    (['lead_id', 'created_at', 'won', 'oracle'], 12)
    >>> 0.03 < f["won"].mean() < 0.2
    True
    """
    if features < len(NAMED_FEATURES):
        msg = f"features must be at least {len(NAMED_FEATURES)}, got {features}"
        raise ValueError(msg)
    rng = np.random.default_rng(seed)
    logit = np.full(rows, -4.7)
    cols: dict[str, pl.Series] = {}

    def nulls(rate: float) -> np.ndarray:
        return rng.random(rows) < rate

    demo = rng.uniform(0, 90, rows)
    no_demo = nulls(0.7)
    logit += np.where(no_demo, 0.0, 0.5 + 2.5 * np.exp(-demo / 10))
    cols["demo_days"] = pl.Series("demo_days", np.where(no_demo, np.nan, demo)).fill_nan(None)
    employees = np.exp(rng.normal(5, 1.5, rows))
    no_emp = nulls(0.2)
    logit += np.where(no_emp, 0.0, 0.5 * np.log10(employees))
    cols["employees"] = pl.Series("employees", np.where(no_emp, -1, employees.round()).astype(np.int64))
    cols["employees"] = cols["employees"].set(pl.Series(no_emp), None)  # type: ignore[arg-type]
    for name, count, scale, missing in (("industry", 12, 0.6, 0.1), ("lead_source", 6, 0.5, 0.0)):
        effect = np.random.default_rng(count).normal(0, scale, count)  # the same effects whatever the seed
        codes = rng.integers(0, count, rows)
        logit += effect[codes]
        values = pl.Series(name, [f"{name}_{i:02d}" for i in range(count)]).gather(codes)
        cols[name] = values.set(pl.Series(nulls(missing)), None) if missing else values  # type: ignore[arg-type]
    opened = rng.random(rows) < 0.4
    logit += 0.5 * opened
    cols["opened_email"] = pl.Series("opened_email", opened).set(pl.Series(nulls(0.05)), None)  # type: ignore[arg-type]

    for i in range(features - len(NAMED_FEATURES)):
        if i % 15 == 5:
            codes = rng.integers(0, 40, rows)
            cols[f"c{i}"] = pl.Series(f"c{i}", [f"level_{j}" for j in range(40)]).gather(codes)
        elif i % 10 == 9:
            cols[f"b{i}"] = pl.Series(f"b{i}", rng.random(rows) < 0.5)
        else:
            x = rng.normal(0, 1, rows)
            weight = 0.6 / (i + 1) if i < 6 else 0.0
            logit += weight * (np.abs(x) if i == 1 else x)
            if i == 3:
                logit += 0.3 * x * cols["x2"].fill_null(0.0).to_numpy()
            missing = nulls(0.15) if i % 3 == 2 else np.zeros(rows, dtype=bool)
            cols[f"x{i}"] = pl.Series(f"x{i}", np.where(missing, np.nan, x)).fill_nan(None)
    oracle = 1 / (1 + np.exp(-logit))
    won = (rng.random(rows) < oracle).astype(np.int8)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    seconds = rng.integers(0, 365 * 86_400, rows)
    created = pl.Series("created_at", seconds * 1_000_000).cast(pl.Duration("us")) + start
    head = pl.DataFrame({
        "lead_id": pl.Series([f"L{i:08d}" for i in range(rows)]) if rows <= 2_000_000 else pl.int_range(rows),
        "created_at": created, "won": won, "oracle": oracle,
    })
    return head.with_columns(*cols.values())
