"""Persons: identity (names, emails, phones, titles, places) and latent intent / fit."""

from __future__ import annotations

import numpy as np
import polars as pl

from . import lexicon as lx
from .core import choice, lit_series, local_part, null_where, sigmoid, where

CULTURES = list(lx.FIRST_NAMES)
FREELANCE_SHARE = 0.03


def _cultures(rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
    own = (
        pl.Series(country)
        .replace_strict({c: CULTURES.index(v[1]) for c, v in lx.COUNTRIES.items()}, return_dtype=pl.Int64)
        .to_numpy()
    )
    u = rng.random(country.size)
    other = rng.integers(0, len(CULTURES), size=country.size)
    en = CULTURES.index("en")
    is_us = country == "US"
    return np.where(is_us, np.where(u < 0.82, en, other), np.where(u < 0.8, own, en))


def _names(rng: np.random.Generator, culture: np.ndarray) -> tuple[pl.Series, pl.Series]:
    n = culture.size
    first = np.empty(n, dtype=np.int64)
    last = np.empty(n, dtype=np.int64)
    all_first: list[str] = []
    all_last: list[str] = []
    for ci, cname in enumerate(CULTURES):
        m = culture == ci
        k = int(m.sum())
        fl, ll = lx.FIRST_NAMES[cname], lx.LAST_NAMES[cname]
        # Zipf-ish popularity inside each list
        wf = 1.0 / np.arange(1, len(fl) + 1) ** 0.6
        wl = 1.0 / np.arange(1, len(ll) + 1) ** 0.6
        first[m] = len(all_first) + choice(rng, k, wf)
        last[m] = len(all_last) + choice(rng, k, wl)
        all_first += fl
        all_last += ll
    return lit_series(all_first, first), lit_series(all_last, last)


def _dedupe(email: pl.Series) -> pl.Series:
    """Make mailboxes unique by appending a counter to the local part of later duplicates.

    Gmail ignores dots in the local part, so ``john.smith@gmail.com`` and ``johnsmith@gmail.com`` are one
    mailbox and can't belong to two people: uniqueness is checked on that mailbox key.
    """
    for _ in range(8):
        parts = email.str.split_exact("@", 1).struct.unnest()
        mailbox = pl.select(pl.when(parts["field_1"].str.to_lowercase().is_in(["gmail.com", "googlemail.com"]))
                            .then(parts["field_0"].str.to_lowercase().str.replace_all(".", "", literal=True)
                                  + "@gmail.com")
                            .otherwise(email.str.to_lowercase())).to_series()
        dup = (mailbox.is_duplicated() & email.is_not_null()).to_numpy()
        if not dup.any():
            return email
        idx = np.flatnonzero(dup)
        sub = pl.DataFrame({"e": email.gather(idx), "m": mailbox.gather(idx)}).with_columns(
            k=pl.int_range(pl.len()).over("m"))
        later = (sub["k"] > 0).to_numpy()
        parts = sub["e"].str.split_exact("@", 1).struct.unnest()
        bumped = parts["field_0"] + (sub["k"] + 1).cast(pl.String) + "@" + parts["field_1"]
        email = email.scatter(idx[later], bumped.filter(pl.Series(later)))
    raise RuntimeError("could not make email addresses unique")


def _phone_sub(rng: np.random.Generator, country: np.ndarray, area: np.ndarray) -> pl.Series:
    """Subscriber part in fictional / drama ranges per country."""
    n = country.size

    def z(high: int, width: int) -> pl.Series:
        return pl.Series(rng.integers(0, high, size=n)).cast(pl.String).str.zfill(width)

    d3, d2, d4 = z(1000, 3), z(100, 2), z(10000, 4)
    out = where(np.isin(country, ["US", "CA"]), "55501" + d2, "55501" + d3)
    out = where((country == "GB") & (area == "20"), "79460" + d3, out)
    out = where((country == "GB") & (area != "20"), "4960" + d3, out)
    out = where(country == "FR", "9900" + d4, out)
    return where(country == "AU", "5550" + d4, out)


CALLING_CODE = {
    "US": "1",
    "CA": "1",
    "GB": "44",
    "DE": "49",
    "FR": "33",
    "AU": "61",
    "IN": "91",
    "NL": "31",
    "ES": "34",
    "BR": "55",
}


def make_persons(rng: np.random.Generator, n: int, acc: pl.DataFrame) -> pl.DataFrame:
    n_acc = acc.height
    emp = acc["employees"].to_numpy()
    freelance = rng.random(n) < FREELANCE_SHARE
    w = emp.astype(float) ** 0.55
    acct_row = rng.choice(n_acc, size=n, p=w / w.sum())
    acct_row[freelance] = -1
    has_acct = acct_row >= 0
    safe_row = np.where(has_acct, acct_row, 0)

    # place: mostly the account's HQ, some remote in the same country
    codes = np.array(list(lx.COUNTRIES), dtype=object)
    share = np.array([lx.COUNTRIES[c][2] for c in codes])
    country = np.where(
        has_acct, acc["country"].to_numpy()[safe_row], codes[choice(rng, n, share)].astype(str)
    )
    city_idx = acc["city_idx"].to_numpy()[safe_row].copy()
    move = (~has_acct) | (rng.random(n) < 0.2)
    for code, (lo, hi) in lx.CITY_RANGE.items():
        m = move & (country == code)
        city_idx[m] = rng.integers(lo, hi, size=int(m.sum()))
    area = np.array([r[4] for r in lx.CITY_ROWS])[city_idx]

    culture = _cultures(rng, country)
    first, last = _names(rng, culture)

    seniority = choice(rng, n, lx.SENIORITY_SHARE)
    function = choice(rng, n, lx.FUNCTION_SHARE)
    table = lx.title_table()
    flat_titles = [table[s][f][0] for s in range(len(lx.SENIORITIES)) for f in range(len(lx.FUNCTIONS))]
    title = lit_series(flat_titles, seniority * len(lx.FUNCTIONS) + function)

    # hard negatives (1): a colleague with exactly the same name at the same company (~0.5%)
    order = np.lexsort((np.arange(n), acct_row))
    prev = np.empty(n, dtype=np.int64)
    prev[order[1:]] = order[:-1]
    prev[order[0]] = order[0]
    same_acct = has_acct & (acct_row[prev] == acct_row) & (prev != np.arange(n))
    twin = same_acct & (rng.random(n) < 0.005 / max(same_acct.mean(), 1e-9))
    twin &= ~twin[prev]
    first = where(twin, first.gather(prev), first)
    last = where(twin, last.gather(prev), last)

    # personal mailboxes (freelancers always); hard negatives (2): namesakes at free-mail domains
    has_personal = (~has_acct) | (rng.random(n) < 0.25)
    pers_idx = np.flatnonzero(has_personal)
    namesake = np.zeros(n, dtype=bool)
    src = np.arange(n)
    if pers_idx.size > 2:
        pick = rng.random(pers_idx.size) < 0.022
        namesake[pers_idx[pick]] = True
        src[pers_idx[pick]] = rng.choice(pers_idx, size=int(pick.sum()))
    namesake &= src != np.arange(n)
    namesake &= ~namesake[src] & ~twin
    first = where(namesake, first.gather(src), first).alias("first_name")
    last = where(namesake, last.gather(src), last).alias("last_name")

    lf, ll = local_part(first), local_part(last)
    lf = where((lf.str.len_chars() == 0).to_numpy(), pl.Series(["x"] * n), lf)
    ll = where((ll.str.len_chars() == 0).to_numpy(), pl.Series(["x"] * n), ll)
    initial = lf.str.slice(0, 1)

    fmt = acc["email_format"].to_numpy()[safe_row]
    alias = acc["alias_domains"].list.first().gather(safe_row)
    use_alias = alias.is_not_null().to_numpy() & (rng.random(n) < 0.3)
    dom = where(use_alias, alias.fill_null(""), acc["domain"].gather(safe_row))
    work_local = where(fmt == 0, lf + "." + ll, where(fmt == 1, initial + ll, lf))
    work = _dedupe(null_where(work_local + "@" + dom, ~has_acct).alias("work_email"))

    pattern = choice(rng, n, [0.35, 0.25, 0.1, 0.1, 0.15, 0.05])
    two = pl.Series(rng.integers(10, 100, size=n)).cast(pl.String)
    plocal = where(
        pattern == 0,
        lf + "." + ll,
        where(
            pattern == 1,
            lf + ll,
            where(
                pattern == 2,
                lf + "_" + ll,
                where(
                    pattern == 3,
                    initial + ll,
                    where(pattern == 4, lf + "." + ll + two, lf + ll.str.slice(0, 1)),
                ),
            ),
        ),
    )
    look = lit_series([".", ""], rng.random(n) < 0.5)
    plocal = where(namesake, lf + look + ll + lit_series(["1", ""], rng.random(n) < 0.5), plocal)
    free = lit_series(lx.FREE_EMAIL_DOMAINS, choice(rng, n, lx.FREE_EMAIL_SHARE))
    src_dom = free.gather(src)
    free = where(namesake, src_dom, free)
    personal = _dedupe(null_where(plocal + "@" + free, ~has_personal).alias("personal_email"))

    # latent variables: account intent (drives surge), personal intent, fit
    acct_intent = np.where(has_acct, acc["intent"].to_numpy()[safe_row], 0.0)
    intent = np.where(has_acct, 0.6 * acct_intent, 0.0) + 0.8 * rng.normal(size=n)
    seg = np.where(has_acct, acc["segment"].to_numpy()[safe_row], -1)
    size_fit = np.select([seg == 2, seg == 1, seg == 0], [0.5, 0.35, 0.0], -0.8)
    fit = (
        np.asarray(lx.SENIORITY_FIT)[seniority]
        + np.asarray(lx.FUNCTION_FIT)[function]
        + size_fit
        + 0.3 * rng.normal(size=n)
    )
    propensity = sigmoid(-4.4 + 1.1 * intent + 0.9 * fit + 0.5 * acct_intent)

    tz_off = np.array([lx.TZ_OFFSET_MIN[r[5]] for r in lx.CITY_ROWS], dtype=np.int64)[city_idx]
    country_s = pl.Series(country)
    cc = country_s.replace_strict(CALLING_CODE, return_dtype=pl.String)

    return pl.DataFrame(
        {
            "person_id": np.arange(1, n + 1, dtype=np.int64),
            "acct_row": acct_row.astype(np.int64),
            "account_id": null_where(pl.Series(safe_row + 1, dtype=pl.Int64), ~has_acct),
            "culture": culture,
            "first_name": first,
            "last_name": last,
            "work_email": work,
            "personal_email": personal,
            "namesake_of": null_where(pl.Series(src + 1, dtype=pl.Int64), ~namesake),
            "twin_of": null_where(pl.Series(prev + 1, dtype=pl.Int64), ~twin),
            "seniority": seniority,
            "function": function,
            "title": title,
            "country": country_s,
            "city_idx": city_idx,
            "tz_offset": tz_off,
            "phone_cc": cc,
            "phone_area": pl.Series(area),
            "phone_sub": _phone_sub(rng, country, area),
            "mobile_sub": _phone_sub(rng, country, area),
            "segment": seg,
            "acct_intent": acct_intent,
            "intent": intent,
            "fit": fit,
            "propensity": propensity,
        }
    ).with_columns(email=pl.coalesce("work_email", "personal_email"))
