"""Paid channels and intent: Google Ads clicks + spend, LinkedIn Lead Gen forms, Bombora Company Surge."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from . import lexicon as lx
from . import noise
from .campaigns import pick_campaign_times, rows_of_type
from .core import (
    DAY,
    Clock,
    b64_strings,
    date_str,
    int_str,
    lit_series,
    null_where,
    take,
    ts_offset,
    unique_ints,
)
from .writer import HIDDEN_AID, HIDDEN_PID, Table

_GEO_ID = [str(1_014_000 + 37 * i) for i in range(len(lx.CITY_ROWS))]
_MATCH = ["Exact", "Phrase", "Broad"]


def make_clicks(rng: np.random.Generator, p: pl.DataFrame, camps: pl.DataFrame, clock: Clock) -> pl.DataFrame:
    """All ad clicks (person-linked and anonymous): gclid, time, campaign row, person row (-1 anonymous)."""
    n_ads = p["n_ads"].to_numpy()
    who = np.repeat(np.arange(p.height), n_ads)
    k = np.arange(who.size) - np.repeat(np.cumsum(n_ads) - n_ads, n_ads)  # click number per person
    camp = p["ft_camp"].to_numpy()[who]
    t_first = p["t_first"].to_numpy()[who]
    t = np.where(k == 0, t_first - rng.integers(5, 15 * 60, size=who.size), 0)
    later = pick_campaign_times(rng, camps, np.maximum(camp, 0))
    t = np.where(k == 0, t, np.maximum(later, t_first + 60))
    t = np.clip(t, camps["start"].to_numpy()[np.maximum(camp, 0)], clock.end)
    search = rows_of_type(camps, "Paid Search")
    n_anon = 4 * who.size + 40
    a_camp = search[rng.integers(0, search.size, size=n_anon)]
    a_t = pick_campaign_times(rng, camps, a_camp)
    n = who.size + n_anon
    return pl.DataFrame(
        {
            "gclid": b64_strings(rng, n, 42, "Cj0KCQiA"),
            "t": np.concatenate([t, a_t]).astype(np.int64),
            "camp": np.concatenate([camp, a_camp]).astype(np.int64),
            "person_row": np.concatenate([who, np.full(n_anon, -1)]).astype(np.int64),
            "first": np.concatenate([k == 0, np.zeros(n_anon, dtype=bool)]),
            "ad_group": rng.integers(0, 3, size=n),
        }
    )


def person_gclid(clicks: pl.DataFrame, n_persons: int) -> pl.Series:
    """The gclid of each person's first (form-driving) click, null for everyone else."""
    first = clicks.filter(pl.col("first"))
    out = pl.Series("gclid", [None] * n_persons, dtype=pl.String)
    return out.scatter(first["person_row"].to_numpy(), first["gclid"])


def google_ads(
    rng: np.random.Generator, clicks: pl.DataFrame, camps: pl.DataFrame, p: pl.DataFrame, as_of: str
) -> tuple[list[Table], dict[int, int]]:
    """click_view + campaign-by-day spend; returns tables and spend (cents) per campaign row."""
    cr = clicks["camp"].to_numpy()
    gads = camps["gads_id"].fill_null(0).to_numpy()
    ag_ids = unique_ints(rng, camps.height * 3, 100_000_000_000, 199_999_999_999).reshape(-1, 3)
    theme = camps["name"].str.split(" - ").list.last()
    ag_name = lit_series(
        [f"{c} - {m}" for c in ["Brand", "Competitor", "Category"] for m in _MATCH],
        clicks["ad_group"].to_numpy() * 3 + rng.integers(0, 3, size=clicks.height),
    )
    person = clicks["person_row"].to_numpy()
    city_idx = np.where(
        person >= 0,
        p["city_idx"].to_numpy()[np.maximum(person, 0)],
        rng.integers(0, len(lx.CITY_ROWS), size=person.size),
    )
    geo = null_where("geoTargetConstants/" + lit_series(_GEO_ID, city_idx), rng.random(person.size) < 0.3)
    day = clicks["t"].to_numpy() // DAY * DAY
    cv = (
        pl.DataFrame(
            {
                "click_view.gclid": clicks["gclid"],
                "segments.date": date_str(day),
                "campaign.id": int_str(gads[cr]),
                "campaign.name": camps["name"].gather(cr),
                "ad_group.id": int_str(ag_ids[cr, clicks["ad_group"].to_numpy()]),
                "ad_group.name": theme.gather(cr) + " | " + ag_name,
                "click_view.keyword_info.text": camps["keyword"].gather(cr),
                "click_view.area_of_interest.city": geo,
                "__day": day,
                "__camp": gads[cr],
            }
        )
        .sort(["__day", "__camp", "click_view.gclid"])
        .drop("__day", "__camp")
    )

    # spend: every active day of every search campaign, clicks consistent with click_view
    per_day = (
        pl.DataFrame({"camp": cr, "day": day, "first": clicks["first"]})
        .group_by(["camp", "day"])
        .agg(pl.len().alias("clicks"), pl.col("first").sum().alias("conv"))
    )
    search = rows_of_type(camps, "Paid Search")
    starts = camps["start"].to_numpy()[search]
    ends = camps["active_end"].to_numpy()[search] // DAY * DAY
    n_days = (ends - starts) // DAY + 1
    grid = pl.DataFrame(
        {
            "camp": np.repeat(search, n_days).astype(np.int64),
            "day": np.concatenate(
                [np.arange(s, e + 1, DAY) for s, e in zip(starts, ends, strict=True)]
            ).astype(np.int64),
        }
    )
    grid = (
        grid.join(per_day, on=["camp", "day"], how="left", maintain_order="left")
        .with_columns(pl.col("clicks").fill_null(0), pl.col("conv").fill_null(0))
        .sort(["day", "camp"])
    )
    g_camp = grid["camp"].to_numpy()
    g_clicks = grid["clicks"].to_numpy()
    ctr = camps["ctr"].to_numpy()[g_camp]
    impressions = np.round(g_clicks / ctr).astype(np.int64) + rng.poisson(20, size=grid.height)
    cost = g_clicks * camps["cpc_micros"].to_numpy()[g_camp] * np.exp(rng.normal(0, 0.15, size=grid.height))
    cost = (np.round(cost / 10_000) * 10_000).astype(np.int64)
    conv = grid["conv"].to_numpy().astype(float) + np.round(rng.random(grid.height) * 0.6 * (g_clicks > 0), 1)
    spend = pl.DataFrame(
        {
            "segments.date": date_str(grid["day"].to_numpy()),
            "campaign.id": int_str(gads[g_camp]),
            "campaign.name": camps["name"].gather(g_camp),
            "metrics.impressions": int_str(impressions),
            "metrics.clicks": int_str(g_clicks),
            "metrics.cost_micros": int_str(cost),
            "metrics.conversions": pl.Series(np.round(conv, 1)).cast(pl.String),
        }
    )
    total = pl.DataFrame({"camp": g_camp, "cost": cost}).group_by("camp").agg(pl.col("cost").sum())
    spend_cents = {int(c): int(v) // 10_000 for c, v in total.iter_rows()}
    return [
        Table("google_ads", "click_view", f"google_ads/click_view_{as_of}.csv", cv, ["click_view.gclid"]),
        Table(
            "google_ads",
            "campaign",
            f"google_ads/campaign_{as_of}.csv",
            spend,
            ["segments.date", "campaign.id"],
        ),
    ], spend_cents


_SIZE_EDGES = np.array([10, 50, 200, 500, 1000, 5000, 10000])
_LI_SIZES = ["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001-10000", "10001+"]


def linkedin(
    rng: np.random.Generator,
    p: pl.DataFrame,
    acc: pl.DataFrame,
    camps: pl.DataFrame,
    clock: Clock,
    as_of: str,
) -> Table:
    sel = np.flatnonzero(p["in_linkedin"].to_numpy())
    sel = np.concatenate([sel, sel[rng.random(sel.size) < 0.1]])  # some people submit twice
    sel.sort(kind="stable")
    n = sel.size
    social = rows_of_type(camps, "Paid Social")
    ft = p["ft_camp"].to_numpy()[sel]
    ft_social = np.isin(ft, social)
    repeat = np.zeros(n, dtype=bool)
    repeat[1:] = sel[1:] == sel[:-1]
    camp = np.where(ft_social & ~repeat, ft, social[rng.integers(0, social.size, size=n)])
    t = pick_campaign_times(rng, camps, camp)
    t = np.where(
        ft_social & ~repeat, p["t_first"].to_numpy()[sel], np.maximum(t, p["t_first"].to_numpy()[sel])
    )
    # fresh submissions: a few forms on the running paid-social campaign in the last day
    running = social[camps["active_end"].to_numpy()[social] >= clock.end]
    if running.size and n:
        k = min(n, max(2, n // 100))
        pick = rng.choice(n, size=k, replace=False)
        camp[pick] = running[0]
        t[pick] = np.maximum(
            clock.end - rng.integers(0, 20 * 3600, size=k), p["t_first"].to_numpy()[sel][pick] + 60
        )
        t = np.minimum(t, clock.end)
    acct = p["acct_row"].to_numpy()[sel]
    emp = np.where(acct >= 0, acc["employees"].to_numpy()[np.maximum(acct, 0)], 1)
    size = null_where(
        lit_series(_LI_SIZES, np.searchsorted(_SIZE_EDGES, emp, side="left")), rng.random(n) < 0.2
    )
    forms = ["Demo Request - LinkedIn", "Ebook: Speed to Lead", "Webinar Registration", "Guide: Lead Scoring"]
    ps = take(p, sel)
    df = (
        pl.DataFrame(
            {
                "Lead ID": int_str(unique_ints(rng, n, 10**11, 10**12)),
                "First Name": noise.first_name(rng, ps["first_name"], nick=0.15, typo_p=0.003, accent=0.05),
                "Last Name": noise.last_name(rng, ps["last_name"], typo_p=0.003, accent=0.05),
                "Email Address": noise.email(
                    rng, ps["work_email"], ps["personal_email"], personal_p=0.35, case=0.01, typo_p=0.0
                ),
                "Company Name": noise.company(rng, acc, acct, variant=0.4, null=0.05),
                "Job Title": noise.title(
                    rng, ps["seniority"].to_numpy(), ps["function"].to_numpy(), variant=0.5, null=0.1
                ),
                "Country": noise.country(rng, ps["country"], variant=0.05, null=0.1),
                "Company Size": size,
                "Campaign ID": int_str(camps["li_id"].fill_null(0).to_numpy()[camp]),
                "Campaign Name": camps["name"].gather(camp),
                "Form Name": lit_series(forms, rng.integers(0, len(forms), size=n)),
                "Submitted At": ts_offset(t, ps["tz_offset"].to_numpy()),
                "__t": t,
                HIDDEN_PID: ps["person_id"],
                HIDDEN_AID: ps["account_id"],
            }
        )
        .sort(["__t", "Lead ID"])
        .drop("__t")
    )
    return Table(
        "linkedin", "leadgen", f"linkedin/leadgen_{as_of}.csv", df, ["Lead ID"], record_object="leadgen"
    )


_BOMBORA_SIZE = [
    "Micro (1 - 9 Employees)",
    "Small (10 - 49 Employees)",
    "Medium-Small (50 - 199 Employees)",
    "Medium (200 - 499 Employees)",
    "Medium-Large (500 - 999 Employees)",
    "Large (1,000 - 4,999 Employees)",
    "XLarge (5,000 - 10,000 Employees)",
    "XXLarge (10,000+ Employees)",
]
_RELEVANT = {"Data Management", "Marketing", "Sales", "Analytics"}


def surge_weeks(as_of: dt.date) -> list[dt.date]:
    """The last two Mondays strictly before as_of, oldest first."""
    last = as_of - dt.timedelta(days=(as_of.weekday() or 7))
    return [last - dt.timedelta(days=7), last]


def bombora(rng: np.random.Generator, acc: pl.DataFrame, clock: Clock) -> list[Table]:
    n_acc = acc.height
    covered = np.flatnonzero(rng.random(n_acc) < 0.7)
    n_topics = len(lx.BOMBORA_TOPICS)
    k = np.minimum(2 + rng.poisson(3, size=covered.size), n_topics)
    order = np.argsort(rng.random((covered.size, n_topics)), axis=1)
    mask = np.arange(n_topics)[None, :] < k[:, None]
    rows = np.repeat(covered, k)
    topic = order[mask]
    relevant = np.array([c in _RELEVANT for _, c in lx.BOMBORA_TOPICS])[topic]
    intent = acc["intent"].to_numpy()[rows]
    base = (
        50
        + 12 * intent
        + np.where(relevant, 6 * np.maximum(intent, 0), -4)
        + rng.normal(0, 8, size=rows.size)
    )
    use_alias = (acc["alias_domains"].list.len().to_numpy()[rows] > 0) & (rng.random(rows.size) < 0.2)
    alias = acc["alias_domains"].list.first().gather(rows).fill_null("")
    domain = alias.zip_with(pl.Series(use_alias), acc["domain"].gather(rows))
    emp = acc["employees"].to_numpy()[rows]
    size = lit_series(
        _BOMBORA_SIZE, np.searchsorted(np.array([10, 50, 200, 500, 1000, 5000, 10001]), emp, side="right")
    )
    city_idx = acc["city_idx"].to_numpy()[rows]
    metro = null_where(
        lit_series([f"{r[1]}, {r[2]}" for r in lx.CITY_ROWS], city_idx), rng.random(rows.size) < 0.3
    )
    country = acc["country"].gather(rows).replace_strict({c: v[0][0] for c, v in lx.COUNTRIES.items()})
    fixed = pl.DataFrame(
        {
            "Company Name": acc["brand"].gather(rows) + " " + acc["sector"].gather(rows),
            "Domain": domain,
            "Size": size,
            "Industry": acc["industry"].gather(rows),
            "Category": lit_series([c for _, c in lx.BOMBORA_TOPICS], topic),
            "Topic": lit_series([t for t, _ in lx.BOMBORA_TOPICS], topic),
        }
    )
    tables = []
    for w, week in enumerate(surge_weeks(clock.as_of)):
        score = np.clip(np.round(base + rng.normal(0, 5, size=rows.size) * w), 0, 100).astype(np.int64)
        metro_score = np.clip(score + rng.integers(-10, 11, size=rows.size), 0, 100)
        bucket = np.where(score >= 80, "A", np.where(score >= 60, "B", "C"))
        df = fixed.with_columns(
            pl.Series("Composite Score", score).cast(pl.String),
            pl.Series("Bucket Code", bucket),
            metro.alias("Metro Area"),
            null_where(int_str(metro_score), metro.is_null().to_numpy()).alias("Metro Composite Score"),
            country.alias("Domain Origin Country"),
            pl.lit(week.isoformat()).alias("Week Start Date"),
        ).sort(["Domain", "Topic"])
        tables.append(
            Table(
                "bombora",
                "surge",
                f"bombora/surge_{week.isoformat()}.csv",
                df,
                ["Domain", "Topic", "Week Start Date"],
            )
        )
    return tables
