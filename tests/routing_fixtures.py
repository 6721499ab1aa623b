"""A hand-made roster and rules for the routing tests: every expectation below is counted by hand."""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.routing.roster import parse_roster
from pipelines.routing.rules import parse_rules

NOW = dt.datetime(2026, 11, 18, 18, 0, tzinfo=dt.UTC)  # Wednesday: 10:00 in Los Angeles, 19:00 in Berlin


def rep(n: int, **kw: object) -> dict:
    base = {"user_id": f"005{n:012d}AAA", "name": f"Rep {n}", "email": f"rep{n}@seller.example",
            "territories": [{"country": "US", "regions": ["CA"]}], "segment": "SMB",
            "skills": {"products": ["core"], "languages": ["en"]}, "daily_capacity": 5,
            "working_hours": {"start": "09:00", "end": "17:00", "days": ["mon", "tue", "wed", "thu", "fri"]},
            "time_zone": "America/Los_Angeles", "out_of_office": []}
    base.update(kw)
    return base


REPS = [
    rep(1, skills={"products": ["core", "routing"], "languages": ["en"]}, daily_capacity=2),
    rep(2, daily_capacity=1),
    rep(3, out_of_office=[{"start": "2026-11-16", "end": "2026-11-20"}]),
    rep(4, territories=[{"country": "DE", "regions": []}], skills={"products": ["core"], "languages": ["en", "de"]},
        time_zone="Europe/Berlin"),
    rep(5, territories=[{"country": "DE", "regions": []}], time_zone="Europe/Berlin"),
    rep(6, active=False),
    rep(7, territories=[{"country": "US", "regions": []}], segment="ENT", daily_capacity=3),
]
ROSTER = parse_roster({"queues": {"sdr_pool": {"name": "SDR Pool", "kind": "pool"},
                                  "nurture": {"name": "Nurture", "kind": "nurture"},
                                  "review": {"name": "Review", "kind": "review"}}, "reps": REPS})
RULES = parse_rules("""
version: v0001
tiers: {hot: 0.7, warm: 0.4}
languages: {DE: de, AT: de}
products: {"/product/routing": routing}
named_accounts:
  - {rep_id: "005000000000005AAA", account_ids: ["001NAMED"]}
review: {low_confidence: true, high_impact_segments: [ENT], high_impact_tiers: [hot]}
""")


def rid(n: int) -> str:
    return f"005{n:012d}AAA"


def leads(rows: list[dict]) -> pl.DataFrame:
    defaults = {"confidence": 0.9, "needs_review": False, "country_code": "US", "region": "CA", "employees": 50,
                "account_id": None, "account_domain": None, "opportunity_owner_id": None, "account_owner_id": None,
                "product": None}
    return pl.DataFrame([{**defaults, **r} for r in rows], schema_overrides={"employees": pl.Int64})
