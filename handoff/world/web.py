"""Web context shared by Marketo activities and Segment events: documentation IPs, user agents, pages."""

from __future__ import annotations

import numpy as np
import polars as pl

from . import lexicon as lx
from .core import lit_series

PAGE_URLS = [lx.SELLER_SITE + s for s in lx.SITE_PAGES]


def ips(rng: np.random.Generator, n: int) -> pl.Series:
    """Addresses from the RFC 5737 documentation blocks only."""
    return lit_series(lx.IP_BLOCKS, rng.integers(0, len(lx.IP_BLOCKS), size=n)) + pl.Series(
        rng.integers(1, 255, size=n)
    ).cast(pl.String)


def user_agents(rng: np.random.Generator, n: int) -> pl.Series:
    return lit_series(lx.USER_AGENTS, rng.integers(0, len(lx.USER_AGENTS), size=n))


def pages(
    rng: np.random.Generator, n: int, weights: list[float] | None = None
) -> tuple[np.ndarray, pl.Series]:
    k = len(lx.SITE_PAGES)
    w = np.asarray(weights if weights is not None else [1.0] * k, dtype=float)
    page = rng.choice(k, size=n, p=w / w.sum())
    return page, lit_series(PAGE_URLS, page)


def referrers(rng: np.random.Generator, n: int) -> pl.Series:
    s = lit_series(lx.REFERRERS, rng.integers(0, len(lx.REFERRERS), size=n))
    return s.zip_with(s.str.len_chars() > 0, pl.Series([None] * n, dtype=pl.String))
