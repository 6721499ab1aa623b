"""Per-record noise: typos, nicknames, case, dropped accents, format variants and missing values.

Every function is vectorised: it takes full columns (polars Series / numpy arrays) plus a random generator and
returns a new Series of the same length.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from . import lexicon as lx
from .core import choice, fold, from_bytes, lit_series, null_where, where

_LETTERS = np.frombuffer(b"abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def on_subset(s: pl.Series, mask: np.ndarray, fn: Callable[[pl.Series, np.ndarray], pl.Series]) -> pl.Series:
    """Apply fn to the masked rows only (fn gets the sub-series and the row indices)."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return s
    out = fn(s.gather(idx), idx).cast(s.dtype)
    return s.scatter(idx, out)


def typo(rng: np.random.Generator, s: pl.Series, p: float, min_len: int = 4) -> pl.Series:
    """One character edit (substitute, delete, transpose, insert) on a share p of the values."""
    mask = (rng.random(len(s)) < p) & (s.str.len_chars().fill_null(0).to_numpy() >= min_len)

    def edit(sub: pl.Series, idx: np.ndarray) -> pl.Series:
        k = len(sub)
        ln = sub.str.len_chars().to_numpy()
        pos = (rng.random(k) * (ln - 1)).astype(np.int64)
        op = rng.integers(0, 4, size=k)
        letter = from_bytes(_LETTERS[rng.integers(0, 26, size=(k, 1))])
        f = pl.DataFrame({"s": sub, "pos": pos, "op": op, "c": letter})
        s_, p_ = pl.col("s"), pl.col("pos")
        pre = s_.str.slice(0, p_)
        expr = (
            pl.when(pl.col("op") == 0)
            .then(pre + pl.col("c") + s_.str.slice(p_ + 1))
            .when(pl.col("op") == 1)
            .then(pre + s_.str.slice(p_ + 1))
            .when(pl.col("op") == 2)
            .then(pre + s_.str.slice(p_ + 1, 1) + s_.str.slice(p_, 1) + s_.str.slice(p_ + 2))
            .otherwise(pre + pl.col("c") + s_.str.slice(p_))
        )
        return f.select(expr).to_series()

    return on_subset(s, mask, edit)


def case_noise(rng: np.random.Generator, s: pl.Series, p: float) -> pl.Series:
    mask = rng.random(len(s)) < p
    up = rng.random(len(s)) < 0.4
    return on_subset(s, mask, lambda sub, idx: where(up[idx], sub.str.to_uppercase(), sub.str.to_lowercase()))


def nickname(rng: np.random.Generator, s: pl.Series, p: float) -> pl.Series:
    mask = rng.random(len(s)) < p
    return on_subset(s, mask, lambda sub, idx: sub.replace(lx.NICKNAMES))


def drop_accents(rng: np.random.Generator, s: pl.Series, p: float) -> pl.Series:
    mask = rng.random(len(s)) < p
    return on_subset(s, mask, lambda sub, idx: fold(sub))


def nulls(rng: np.random.Generator, s: pl.Series, p: float) -> pl.Series:
    return null_where(s, rng.random(len(s)) < p)


def first_name(
    rng: np.random.Generator,
    s: pl.Series,
    *,
    nick: float = 0.12,
    typo_p: float = 0.02,
    case: float = 0.02,
    accent: float = 0.3,
    null: float = 0.0,
) -> pl.Series:
    s = nickname(rng, s, nick)
    s = drop_accents(rng, s, accent)
    s = typo(rng, s, typo_p)
    s = case_noise(rng, s, case)
    return nulls(rng, s, null)


def last_name(
    rng: np.random.Generator,
    s: pl.Series,
    *,
    typo_p: float = 0.02,
    case: float = 0.02,
    accent: float = 0.3,
    null: float = 0.0,
) -> pl.Series:
    s = drop_accents(rng, s, accent)
    s = typo(rng, s, typo_p, min_len=5)
    s = case_noise(rng, s, case)
    return nulls(rng, s, null)


def email(
    rng: np.random.Generator,
    work: pl.Series,
    personal: pl.Series,
    *,
    personal_p: float = 0.15,
    case: float = 0.04,
    typo_p: float = 0.01,
    null: float = 0.0,
) -> pl.Series:
    """Work address mostly, the personal one sometimes; case changes and local-part typos."""
    n = len(work)
    use_personal = personal.is_not_null().to_numpy() & (
        (rng.random(n) < personal_p) | work.is_null().to_numpy()
    )
    e = where(use_personal, personal, work)
    parts = e.str.split_exact("@", 1).struct.unnest()
    local = typo(rng, parts["field_0"], typo_p, min_len=5)
    e = local + "@" + parts["field_1"]
    mask = rng.random(n) < case
    e = on_subset(
        e,
        mask,
        lambda sub, idx: where(
            rng.random(len(sub)) < 0.5,
            sub.str.to_uppercase(),
            sub.str.slice(0, 1).str.to_uppercase() + sub.str.slice(1),
        ),
    )
    return nulls(rng, e, null)


PHONE_STYLES = 5


def phone(
    rng: np.random.Generator,
    cc: pl.Series,
    area: pl.Series,
    sub: pl.Series,
    *,
    weights: list[float] | None = None,
    null: float = 0.0,
) -> pl.Series:
    """Format a (country code, area, subscriber) triple in one of several human styles."""
    n = len(cc)
    style = choice(rng, n, weights or [0.3, 0.25, 0.15, 0.15, 0.15])
    f = pl.DataFrame({"cc": cc, "a": area, "s": sub, "k": style})
    c, a, s = pl.col("cc"), pl.col("a"), pl.col("s")
    s4, s_rest = s.str.slice(0, 4), s.str.slice(4)
    s3 = s.str.slice(0, 3)
    nanp = (
        pl.when(pl.col("k") == 0)
        .then("+1 " + a + " " + s3 + " " + s.str.slice(3))
        .when(pl.col("k") == 1)
        .then("(" + a + ") " + s3 + "-" + s.str.slice(3))
        .when(pl.col("k") == 2)
        .then(a + "." + s3 + "." + s.str.slice(3))
        .when(pl.col("k") == 3)
        .then(a + "-" + s3 + "-" + s.str.slice(3))
        .otherwise("+1" + a + s)
    )
    intl = (
        pl.when(pl.col("k") == 0)
        .then("+" + c + " " + a + " " + s4 + " " + s_rest)
        .when(pl.col("k") == 1)
        .then("+" + c + " (0)" + a + " " + s4 + " " + s_rest)
        .when(pl.col("k") == 2)
        .then("0" + a + " " + s4 + " " + s_rest)
        .when(pl.col("k") == 3)
        .then("00" + c + " " + a + " " + s)
        .otherwise("+" + c + a + s)
    )
    out = f.select(pl.when(c == "1").then(nanp).otherwise(intl)).to_series()
    return nulls(rng, out, null)


_TITLES = lx.title_table()
_FLAT_TITLES = [v for sen in _TITLES for fn in sen for v in fn]


def title(
    rng: np.random.Generator,
    seniority: np.ndarray,
    function: np.ndarray,
    *,
    variant: float = 0.3,
    typo_p: float = 0.01,
    null: float = 0.0,
) -> pl.Series:
    n = seniority.size
    v = np.where(rng.random(n) < variant, rng.integers(1, lx.N_TITLE_VARIANTS, size=n), 0)
    idx = (seniority * len(lx.FUNCTIONS) + function) * lx.N_TITLE_VARIANTS + v
    s = lit_series(_FLAT_TITLES, idx)
    s = typo(rng, s, typo_p, min_len=6)
    return nulls(rng, s, null)


FREELANCE_COMPANY = ["Self-employed", "Freelance", "Independent Consultant", "Self Employed"]


def company(
    rng: np.random.Generator,
    acc: pl.DataFrame,
    acct_row: np.ndarray,
    *,
    variant: float = 0.35,
    null: float = 0.0,
) -> pl.Series:
    """Company as typed by a person: legal name, without suffix, lower case, brand only, domain..."""
    n = acct_row.size
    has = acct_row >= 0
    r = np.where(has, acct_row, 0)
    name = acc["name"].gather(r)
    plain = acc["brand"].gather(r) + " " + acc["sector"].gather(r)
    legal = acc["legal"].gather(r)
    k = np.where(rng.random(n) < variant, rng.integers(1, 7, size=n), 0)
    f = pl.DataFrame(
        {
            "name": name,
            "plain": plain,
            "legal": legal,
            "brand": acc["brand"].gather(r),
            "dom": acc["domain"].gather(r),
            "k": k,
        }
    )
    kk = pl.col("k")
    expr = (
        pl.when(kk == 0)
        .then(pl.col("name"))
        .when(kk == 1)
        .then(pl.col("plain"))
        .when(kk == 2)
        .then(pl.col("plain") + ", " + pl.col("legal") + ".")
        .when(kk == 3)
        .then(pl.col("plain").str.to_lowercase())
        .when(kk == 4)
        .then(pl.col("name").str.to_uppercase())
        .when(kk == 5)
        .then(pl.col("brand"))
        .otherwise(pl.col("dom"))
    )
    out = f.select(expr).to_series()
    out = drop_accents(rng, out, 0.3)
    free = lit_series(FREELANCE_COMPANY, rng.integers(0, len(FREELANCE_COMPANY), size=n))
    out = where(has, out, free)
    return nulls(rng, out, null)


def website(rng: np.random.Generator, domain: pl.Series, *, null: float = 0.0) -> pl.Series:
    k = choice(rng, len(domain), [0.35, 0.25, 0.2, 0.1, 0.1])
    pre = lit_series(["https://www.", "www.", "", "http://", "https://"], k)
    post = lit_series(["", "", "", "/", ""], k)
    return nulls(rng, pre + domain + post, null)


_COUNTRY_VARIANTS = {c: v[0] for c, v in lx.COUNTRIES.items()}


def country(
    rng: np.random.Generator,
    codes: pl.Series,
    *,
    style: str = "name",
    variant: float = 0.15,
    null: float = 0.0,
) -> pl.Series:
    """style 'name' (United States), 'code' (US); variant share draws another spelling (USA, U.S., ...)."""
    n = len(codes)
    base = codes if style == "code" else codes.replace_strict({c: v[0] for c, v in _COUNTRY_VARIANTS.items()})
    k = rng.integers(0, 4, size=n)
    alt = (
        pl.DataFrame({"c": codes, "k": k})
        .select(pl.concat_str("c", pl.lit("|"), pl.col("k").cast(pl.String)))
        .to_series()
    )
    table = {f"{c}|{i}": v[i % len(v)] for c, v in _COUNTRY_VARIANTS.items() for i in range(4)}
    alt = alt.replace_strict(table)
    out = where(rng.random(n) < variant, alt, base)
    return nulls(rng, out, null)


_CITY = [r[1] for r in lx.CITY_ROWS]
_REGION_CODE = [r[2] for r in lx.CITY_ROWS]
_REGION_NAME = [r[3] for r in lx.CITY_ROWS]


def city(
    rng: np.random.Generator, city_idx: np.ndarray, *, accent: float = 0.2, null: float = 0.0
) -> pl.Series:
    s = drop_accents(rng, lit_series(_CITY, city_idx), accent)
    return nulls(rng, s, null)


def region(
    rng: np.random.Generator, city_idx: np.ndarray, *, name_p: float = 0.3, null: float = 0.0
) -> pl.Series:
    s = where(
        rng.random(city_idx.size) < name_p,
        lit_series(_REGION_NAME, city_idx),
        lit_series(_REGION_CODE, city_idx),
    )
    return nulls(rng, s, null)
