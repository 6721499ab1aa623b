"""Marketing campaigns shared by Salesforce, Marketo, Google Ads, LinkedIn and UTM tagging."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from .core import DAY, Clock, choice, null_where, sf_ids, slug, unique_ints

TYPES = ["Webinar", "Email", "Paid Search", "Paid Social", "Trade Show", "Content Syndication", "Website"]
TYPE_SHARE = [0.16, 0.20, 0.14, 0.14, 0.08, 0.12, 0.16]
LEAD_SOURCE = {
    "Webinar": "Webinar",
    "Email": "Email",
    "Paid Search": "Google Ads",
    "Paid Social": "LinkedIn",
    "Trade Show": "Trade Show",
    "Content Syndication": "Content Syndication",
    "Website": "Web",
}
UTM = {  # type -> (utm_source, utm_medium)
    "Webinar": ("marketo", "email"),
    "Email": ("marketo", "email"),
    "Paid Search": ("google", "cpc"),
    "Paid Social": ("linkedin", "paid_social"),
    "Trade Show": ("event", "offline"),
    "Content Syndication": ("partner", "syndication"),
    "Website": ("google", "organic"),
}
HUBSPOT_SOURCE = {
    "Webinar": "EMAIL_MARKETING",
    "Email": "EMAIL_MARKETING",
    "Paid Search": "PAID_SEARCH",
    "Paid Social": "PAID_SOCIAL",
    "Trade Show": "OFFLINE",
    "Content Syndication": "REFERRALS",
    "Website": "ORGANIC_SEARCH",
}
THEMES = [
    "Data Quality",
    "Lead Routing",
    "Pipeline Analytics",
    "RevOps Summit",
    "Product Launch",
    "Customer Stories",
    "ABM Playbook",
    "AI Scoring",
    "Speed to Lead",
    "Intent Signals",
    "Attribution",
    "Forecasting",
]
REGIONS = ["NA", "EMEA", "APAC", "LATAM", "Global"]
KEYWORDS = [
    "lead routing software",
    "lead scoring tool",
    "b2b intent data",
    "marketing to sales handoff",
    "crm data quality",
    "identity resolution",
    "revops platform",
    "speed to lead",
    "abm platform",
    "pipeline analytics",
]


def campaign_count(persons: int) -> int:
    return int(np.clip(30 + persons // 6000, 30, 200))


def make_campaigns(rng: np.random.Generator, n: int, clock: Clock) -> pl.DataFrame:
    t_idx = choice(rng, n, TYPE_SHARE)
    t_idx[: len(TYPES)] = np.arange(len(TYPES))  # every type exists at least once
    start_day = rng.integers(0, (clock.end - clock.start) // DAY - 10, size=n)
    start = clock.start - clock.start % DAY + DAY + start_day * DAY  # midnight UTC dates inside the window
    dur_days = rng.integers(14, 121, size=n)
    # the first campaign of each type is still running at as_of (fresh data for every channel)
    window_days = (clock.end - clock.start) // DAY
    k = len(TYPES)
    start_day[:k] = rng.integers(window_days - 75, window_days - 20, size=k)
    dur_days[:k] = window_days - start_day[:k] + rng.integers(10, 60, size=k)
    end = start + dur_days * DAY - DAY
    active_end = np.minimum(end + DAY - 1, clock.end)
    theme = rng.integers(0, len(THEMES), size=n)
    region = rng.integers(0, len(REGIONS), size=n)
    names: list[str] = []
    seen: dict[str, int] = {}
    for i in range(n):  # campaigns are few (<= 200)
        d = dt.datetime.fromtimestamp(int(start[i]), dt.UTC)
        base = (
            f"{d.year}-Q{(d.month - 1) // 3 + 1} {TYPES[t_idx[i]]} - {THEMES[theme[i]]} {REGIONS[region[i]]}"
        )
        k = seen.get(base, 0) + 1
        seen[base] = k
        names.append(base if k == 1 else f"{base} {k}")
    types = np.array(TYPES, dtype=object)[t_idx]
    status = np.where(end < clock.end, "Completed", "In Progress")
    is_search = t_idx == TYPES.index("Paid Search")
    is_social = t_idx == TYPES.index("Paid Social")
    gads = unique_ints(rng, n, 10_000_000_000, 99_999_999_999)
    li = unique_ints(rng, n, 100_000_000, 999_999_999)
    marketo = 1000 + np.sort(unique_ints(rng, n, 0, n * 40))
    cost = (np.exp(rng.normal(np.log(12_000), 0.8, size=n)) * 100).astype(np.int64)
    name_s = pl.Series(names)
    df = pl.DataFrame(
        {
            "campaign_row": np.arange(n, dtype=np.int64),
            "sf_id": sf_ids(rng, "701", n),
            "name": name_s,
            "type": types.astype(str),
            "type_idx": t_idx,
            "status": status,
            "start": start,
            "end": end,
            "active_end": active_end,
            "marketo_id": marketo,
            "gads_id": null_where(pl.Series(gads), ~is_search),
            "li_id": null_where(pl.Series(li), ~is_social),
            "utm_campaign": slug(name_s),
            "planned_cost_cents": cost,
            "cpc_micros": (np.exp(rng.normal(np.log(4.5), 0.4, size=n)) * 1_000_000).astype(np.int64),
            "ctr": rng.uniform(0.015, 0.06, size=n),
            "keyword": np.array(KEYWORDS, dtype=object)[rng.integers(0, len(KEYWORDS), size=n)].astype(str),
        }
    )
    return df.with_columns(
        utm_source=pl.col("type").replace_strict({k: v[0] for k, v in UTM.items()}),
        utm_medium=pl.col("type").replace_strict({k: v[1] for k, v in UTM.items()}),
        lead_source=pl.col("type").replace_strict(LEAD_SOURCE),
        hs_source=pl.col("type").replace_strict(HUBSPOT_SOURCE),
    )


def pick_campaign_times(rng: np.random.Generator, camps: pl.DataFrame, rows: np.ndarray) -> np.ndarray:
    """A uniform time inside each chosen campaign's active range."""
    s = camps["start"].to_numpy()[rows]
    e = camps["active_end"].to_numpy()[rows]
    return s + (rng.random(rows.size) * np.maximum(e - s, 1)).astype(np.int64)


def rows_of_type(camps: pl.DataFrame, type_name: str) -> np.ndarray:
    return np.flatnonzero(camps["type"].to_numpy() == type_name)
