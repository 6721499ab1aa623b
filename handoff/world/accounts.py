"""Companies: names, domains (+ aliases), hierarchy, firmographics and latent account intent."""

from __future__ import annotations

import numpy as np
import polars as pl

from . import lexicon as lx
from .core import Clock, choice, fold, lit_series

SEGMENTS = ["SMB", "MID", "ENT"]


def segment_of(employees: np.ndarray) -> np.ndarray:
    """0 SMB (< 200), 1 MID (200-1999), 2 ENT (2000+)."""
    return np.where(employees >= 2000, 2, np.where(employees >= 200, 1, 0))


def _brands() -> list[str]:
    return [h + t for h in lx.BRAND_HEADS for t in lx.BRAND_TAILS] + lx.COMPOUND_BRANDS


def make_accounts(rng: np.random.Generator, n: int, clock: Clock) -> pl.DataFrame:
    brands = _brands()
    sectors = list(lx.SECTOR_WORDS)
    space = len(brands) * len(sectors)
    if n > space // 2:
        raise ValueError(f"at most {space // 2} accounts supported")
    # sample (brand, sector) pairs; fold to a domain base and keep the first n distinct bases
    cand = rng.choice(space, size=min(space, int(n * 1.15) + 32), replace=False)
    frame = pl.DataFrame(
        {
            "brand": lit_series(brands, cand // len(sectors)),
            "sector": lit_series(sectors, cand % len(sectors)),
        }
    )
    frame = frame.with_columns(
        base=(fold(frame["brand"]) + fold(frame["sector"]))
        .str.to_lowercase()
        .str.replace_all(r"[^a-z0-9]", "")
    )
    frame = frame.unique(subset="base", keep="first", maintain_order=True).head(n)
    if frame.height < n:
        raise RuntimeError("could not draw enough distinct company names")

    codes = list(lx.COUNTRIES)
    c_idx = choice(rng, n, [lx.COUNTRIES[c][2] for c in codes])
    country = np.array(codes, dtype=object)[c_idx]

    # HQ city per account (global index into lexicon.CITY_ROWS)
    city_idx = _random_city(rng, country)

    employees = np.clip(np.exp(rng.normal(np.log(80), 1.8, size=n)), 2, 250_000).astype(np.int64)
    rev_per_emp = np.exp(rng.normal(np.log(180_000), 0.5, size=n))
    revenue = (np.round(employees * rev_per_emp / 1000.0) * 1000).astype(np.int64)

    legal = np.empty(n, dtype=object)
    for code in codes:
        m = country == code
        opts = lx.LEGAL_SUFFIX[code]
        legal[m] = np.array(opts, dtype=object)[rng.integers(0, len(opts), size=int(m.sum()))]

    # primary domain tld: mostly .com, some .io/.co, some country tlds outside the US
    u = rng.random(n)
    cc_tld = pl.Series(country.astype(str)).replace_strict(lx.COUNTRY_TLD, return_dtype=pl.String).to_numpy()
    tld = np.where(u < 0.80, ".com", np.where(u < 0.90, ".io", ".co")).astype(object)
    tld = np.where((country != "US") & (rng.random(n) < 0.35), cc_tld, tld)

    base = frame["base"].to_numpy().astype(object)
    brand = frame["brand"].to_numpy().astype(object)
    sector = frame["sector"].to_numpy().astype(object)
    name = brand + " " + sector + " " + legal
    domain = base + tld

    # ~5% subsidiaries: renamed after a larger parent, in another country, on a parent-derived domain
    parent = np.full(n, -1, dtype=np.int64)
    order = np.argsort(-employees, kind="stable")
    n_sub = round(n * 0.05)
    if n_sub:
        parent_pool = order[: max(n // 5, 1)]
        subs = rng.choice(
            np.setdiff1d(np.arange(n), parent_pool), size=min(n_sub, n - parent_pool.size), replace=False
        )
        par = rng.choice(parent_pool, size=subs.size)
        sub_cc = np.array(codes, dtype=object)[rng.integers(1, len(codes), size=subs.size)]
        same = sub_cc == country[par]
        sub_cc[same] = "US"
        same = sub_cc == country[par]
        sub_cc[same] = "GB"
        new_domain = (
            base[par]
            + "-"
            + pl.Series(sub_cc.astype(str)).str.to_lowercase().to_numpy().astype(object)
            + ".com"
        )
        # keep only the first subsidiary per (parent, country): the domain must stay unique
        _, first = np.unique(new_domain.astype(str), return_index=True)
        keep = np.zeros(subs.size, dtype=bool)
        keep[first] = True
        subs, par, sub_cc, new_domain = subs[keep], par[keep], sub_cc[keep], new_domain[keep]
        parent[subs] = par
        country[subs] = sub_cc
        city_idx[subs] = _random_city(rng, sub_cc)
        legal[subs] = (
            pl.Series(sub_cc.astype(str))
            .replace_strict({c: v[0] for c, v in lx.LEGAL_SUFFIX.items()}, return_dtype=pl.String)
            .to_numpy()
        )
        local_name = (
            pl.Series(sub_cc.astype(str))
            .replace_strict({c: v[0][0] for c, v in lx.COUNTRIES.items()}, return_dtype=pl.String)
            .to_numpy()
            .astype(object)
        )
        brand[subs] = brand[par]
        sector[subs] = sector[par]
        name[subs] = brand[par] + " " + sector[par] + " " + local_name + " " + legal[subs]
        domain[subs] = new_domain
        base[subs] = base[par]
        employees[subs] = np.maximum(employees[subs] // 3, 5)

    # alias domains for ~15%
    alias_kind = rng.integers(0, 4, size=n)
    alias_a = np.where(
        alias_kind == 0,
        base + np.where(tld == ".io", ".com", ".io").astype(object),
        np.where(
            alias_kind == 1,
            base + "hq.com",
            np.where(alias_kind == 2, "get" + base + ".com", base + "group.com"),
        ),
    )
    alias_b = np.where(alias_kind >= 2, base + "hq.com", "get" + base + ".com")
    n_alias = np.where(rng.random(n) < 0.15, np.where(rng.random(n) < 0.25, 2, 1), 0)
    n_alias[parent >= 0] = 0
    a_s = pl.Series(alias_a.astype(str))
    b_s = pl.Series(alias_b.astype(str))
    k_s = pl.Series(n_alias)
    aliases = pl.select(
        pl.when(pl.lit(k_s) == 0)
        .then(pl.lit([], dtype=pl.List(pl.String)))
        .when(pl.lit(k_s) == 1)
        .then(pl.concat_list(pl.lit(a_s)))
        .otherwise(pl.concat_list(pl.lit(a_s), pl.lit(b_s)))
        .alias("alias_domains")
    ).to_series()

    industry = (
        pl.Series(sector.astype(str)).replace_strict(lx.SECTOR_WORDS, return_dtype=pl.String).to_numpy()
    )
    industry = industry.astype(object)
    swap = rng.random(n) < 0.1
    industry[swap] = np.array(lx.BUSINESS_INDUSTRIES, dtype=object)[
        rng.integers(0, len(lx.BUSINESS_INDUSTRIES), size=int(swap.sum()))
    ]

    intent = rng.normal(0.0, 1.0, size=n)
    # hierarchy shares a bit of intent
    has_parent = parent >= 0
    intent[has_parent] = 0.5 * intent[parent[has_parent]] + 0.87 * intent[has_parent]
    type_u = rng.random(n)
    acct_type = np.where(type_u < 0.06, "Customer", np.where(type_u < 0.08, "Partner", "Prospect"))
    created = clock.start + (rng.random(n) * (clock.end - clock.start) * 0.5).astype(np.int64)

    df = pl.DataFrame(
        {
            "account_id": np.arange(1, n + 1, dtype=np.int64),
            "name": name.astype(str),
            "brand": brand.astype(str),
            "sector": sector.astype(str),
            "legal": legal.astype(str),
            "base": base.astype(str),
            "domain": domain.astype(str),
            "parent_row": parent,
            "country": country.astype(str),
            "city_idx": city_idx,
            "employees": employees,
            "revenue": revenue,
            "industry": industry.astype(str),
            "segment": segment_of(employees),
            "intent": intent,
            "type": acct_type,
            "email_format": choice(rng, n, [0.6, 0.3, 0.1]),
            "created": created,
        }
    ).with_columns(aliases)
    _check_domains(df)
    return df


def _random_city(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    out = np.zeros(country.size, dtype=np.int64)
    for code, (lo, hi) in lx.CITY_RANGE.items():
        m = country == code
        out[m] = rng.integers(lo, hi, size=int(m.sum()))
    return out


def _check_domains(df: pl.DataFrame) -> None:
    alld = pl.concat([df["domain"], df["alias_domains"].explode().drop_nulls()])
    if alld.n_unique() != alld.len():
        raise RuntimeError("account domains are not unique")
