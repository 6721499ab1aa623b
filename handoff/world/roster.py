"""The sales team: Salesforce users, the RevOps roster (YAML) and territory routing of existing records."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl
import yaml

from . import lexicon as lx
from .core import DAY, Clock, sf_ids

# name, country, regions (empty = whole country), time zone, language
TERRITORIES: list[tuple[str, str, list[str], str, str]] = [
    ("US West", "US", ["CA", "OR", "WA", "AZ", "CO"], "America/Los_Angeles", "en"),
    ("US Central", "US", ["TX", "IL", "MN"], "America/Chicago", "en"),
    ("US East", "US", ["NY", "MA", "GA", "FL", "DC", "PA", "NC"], "America/New_York", "en"),
    ("Canada", "CA", [], "America/Toronto", "fr"),
    ("UK & Ireland", "GB", [], "Europe/London", "en"),
    ("DACH", "DE", [], "Europe/Berlin", "de"),
    ("France", "FR", [], "Europe/Paris", "fr"),
    ("Benelux", "NL", [], "Europe/Amsterdam", "nl"),
    ("Iberia", "ES", [], "Europe/Madrid", "es"),
    ("ANZ", "AU", [], "Australia/Sydney", "en"),
    ("India", "IN", [], "Asia/Kolkata", "hi"),
    ("Brazil", "BR", [], "America/Sao_Paulo", "pt"),
]
TERRITORY_WEIGHT = [0.22, 0.16, 0.24, 0.05, 0.08, 0.06, 0.04, 0.03, 0.03, 0.04, 0.03, 0.02]
SEGMENTS = ["SMB", "MID", "ENT"]
SEGMENT_SHARE = [0.5, 0.3, 0.2]
PRODUCTS = ["core", "analytics", "routing", "enterprise"]
TERRITORY_CULTURE = {"en": "en", "de": "de", "fr": "fr", "nl": "nl", "es": "es", "hi": "in", "pt": "pt"}


@dataclass(frozen=True)
class Team:
    users: pl.DataFrame  # one row per Salesforce User (reps, managers, system users)
    reps: pl.DataFrame  # rep rows: user_row, segment, territories (list of territory idx), active
    integration_user: str  # owner of not-yet-routed records
    roster: dict


def user_count(persons: int) -> int:
    return int(min(400, max(10, persons // 2000)))


def _split(total: int, shares: list[float], minimum: int) -> list[int]:
    raw = np.floor(np.asarray(shares) * total).astype(int)
    raw = np.maximum(raw, minimum)
    while raw.sum() > total:
        raw[int(np.argmax(raw))] -= 1
    while raw.sum() < total:
        raw[int(np.argmax(np.asarray(shares) * total - raw))] += 1
    return raw.tolist()


def make_team(rng: np.random.Generator, persons: int, clock: Clock) -> Team:
    n_users = user_count(persons)
    n_mgr = max(1, round(n_users / 9))
    n_reps = n_users - 2 - n_mgr
    per_seg = _split(n_reps, SEGMENT_SHARE, 1)

    rep_seg: list[int] = []
    rep_terr: list[list[int]] = []
    order = list(np.argsort(-np.asarray(TERRITORY_WEIGHT), kind="stable"))
    for seg, k in enumerate(per_seg):
        if k <= len(TERRITORIES):
            buckets: list[list[int]] = [[] for _ in range(k)]
            for j, t in enumerate(order):  # deal territories round-robin, heaviest first
                buckets[j % k].append(int(t))
            for b in buckets:
                rep_seg.append(seg)
                rep_terr.append(b)
        else:
            counts = _split(k, TERRITORY_WEIGHT, 1)
            for t, c in enumerate(counts):
                for _ in range(c):
                    rep_seg.append(seg)
                    rep_terr.append([t])

    n_all = 2 + n_mgr + n_reps
    ids = sf_ids(rng, "005", n_all)
    primary = np.array([t[0] for t in rep_terr])
    culture = [TERRITORY_CULTURE[TERRITORIES[t][4]] for t in primary]
    people_culture = ["en"] * (2 + n_mgr) + culture
    names: list[str] = []
    emails: list[str] = []
    used: set[str] = set()
    for c in people_culture:  # a few hundred users at most
        fl, ll = lx.FIRST_NAMES[c], lx.LAST_NAMES[c]
        f, last = fl[int(rng.integers(len(fl)))], ll[int(rng.integers(len(ll)))]
        local = (f + "." + last).lower()
        for a, b in lx.ACCENT_FOLD.items():
            local = local.replace(a, b)
        local = "".join(ch for ch in local if ch.isalnum() or ch == ".")
        base, k = local, 1
        while local in used:
            k += 1
            local = f"{base}{k}"
        used.add(local)
        names.append(f"{f} {last}")
        emails.append(f"{local}@{lx.SELLER_DOMAIN}")
    names[0], names[1] = "Marketing Integration", "Salesforce Admin"
    emails[0], emails[1] = f"mkto.integration@{lx.SELLER_DOMAIN}", f"sfadmin@{lx.SELLER_DOMAIN}"

    mgr_rows = np.arange(2, 2 + n_mgr)
    rep_rows = np.arange(2 + n_mgr, n_all)
    manager = np.full(n_all, -1)
    manager[rep_rows] = mgr_rows[np.arange(n_reps) % n_mgr]
    active = np.ones(n_all, dtype=bool)
    active[rep_rows] = rng.random(n_reps) > 0.05
    dept = (
        ["Marketing Operations", "IT"]
        + ["Sales Management"] * n_mgr
        + [["Sales Development", "Inside Sales", "Enterprise Sales"][s] for s in rep_seg]
    )
    created = clock.start + (rng.random(n_all) * 20 * DAY).astype(np.int64)
    users = pl.DataFrame(
        {
            "user_row": np.arange(n_all),
            "sf_id": ids,
            "name": names,
            "email": emails,
            "active": active,
            "manager_row": manager,
            "department": dept,
            "created": created,
        }
    )
    reps = pl.DataFrame(
        {
            "user_row": rep_rows,
            "segment": np.array(rep_seg, dtype=np.int64),
            "territories": pl.Series(rep_terr, dtype=pl.List(pl.Int64)),
            "active": active[rep_rows],
        }
    )
    roster = _roster(rng, users, reps, clock)
    return Team(users=users, reps=reps, integration_user=str(ids[0]), roster=roster)


def _roster(rng: np.random.Generator, users: pl.DataFrame, reps: pl.DataFrame, clock: Clock) -> dict:
    ids = users["sf_id"].to_list()
    out_reps = []
    for row, seg, terrs, active in reps.iter_rows():  # reps are few (< 400)
        by_country: dict[str, list[str]] = {}
        for t in terrs:
            _, cc, regions, _, _ = TERRITORIES[t]
            by_country.setdefault(cc, [])
            by_country[cc] = sorted(set(by_country[cc]) | set(regions))
        tz = TERRITORIES[terrs[0]][3]
        langs = ["en"] + sorted({TERRITORIES[t][4] for t in terrs} - {"en"})
        k = int(rng.integers(1, 4))
        products = ["core"] + sorted(rng.choice(PRODUCTS[1:], size=k - 1, replace=False).tolist())
        if seg == 2 and "enterprise" not in products:
            products.append("enterprise")
        ooo = []
        u = rng.random()
        if u < 0.15:  # out now or soon
            s = clock.as_of + dt.timedelta(days=int(rng.integers(-3, 10)))
            ooo.append({"start": s, "end": s + dt.timedelta(days=int(rng.integers(1, 8)))})
        elif u < 0.35:  # a past absence
            s = clock.as_of - dt.timedelta(days=int(rng.integers(20, 120)))
            ooo.append({"start": s, "end": s + dt.timedelta(days=int(rng.integers(2, 10)))})
        start = ["08:00", "08:30", "09:00"][int(rng.integers(3))]
        end = ["17:00", "17:30", "18:00"][int(rng.integers(3))]
        mgr = int(users["manager_row"][row])
        out_reps.append(
            {
                "user_id": ids[row],
                "name": users["name"][row],
                "email": users["email"][row],
                "active": bool(active),
                "manager_id": ids[mgr] if mgr >= 0 else None,
                "territories": [{"country": c, "regions": r} for c, r in sorted(by_country.items())],
                "segment": SEGMENTS[seg],
                "skills": {"products": products, "languages": langs},
                "daily_capacity": int(rng.integers(10, 21) if seg == 2 else rng.integers(15, 41)),
                "working_hours": {"start": start, "end": end, "days": ["mon", "tue", "wed", "thu", "fri"]},
                "time_zone": tz,
                "out_of_office": ooo,
            }
        )
    return {
        "version": 1,
        "queues": {
            "sdr_pool": {"name": "SDR Pool", "kind": "pool"},
            "nurture": {"name": "Nurture Queue", "kind": "nurture"},
            "review": {"name": "Review Queue", "kind": "review"},
        },
        "reps": out_reps,
    }


class _Quoted(str):
    pass


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Quoted, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"'))


def roster_yaml(team: Team) -> str:
    data = team.roster
    for rep in data["reps"]:
        wh = rep["working_hours"]
        wh["start"], wh["end"] = _Quoted(wh["start"]), _Quoted(wh["end"])
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120
    )


def assign_reps(
    rng: np.random.Generator, team: Team, country: np.ndarray, region: np.ndarray, segment: np.ndarray
) -> np.ndarray:
    """Owner user_row per record by territory and segment (random among the matching reps)."""
    n = country.size
    terr = np.full(n, -1, dtype=np.int64)
    for t, (_, cc, regions, _, _) in enumerate(TERRITORIES):
        m = country == cc
        if regions:
            m &= np.isin(region, regions)
        terr[m & (terr < 0)] = t
    terr[terr < 0] = 0
    seg = np.clip(segment, 0, 2)
    owner = np.full(n, -1, dtype=np.int64)
    rep_user = team.reps["user_row"].to_numpy()
    rep_seg = team.reps["segment"].to_numpy()
    rep_terrs = team.reps["territories"].to_list()
    for s in range(3):
        for t in range(len(TERRITORIES)):
            cand = rep_user[[i for i in range(rep_user.size) if rep_seg[i] == s and t in rep_terrs[i]]]
            if cand.size == 0:
                cand = rep_user[rep_seg == s]
            m = (seg == s) & (terr == t)
            owner[m] = cand[rng.integers(0, cand.size, size=int(m.sum()))]
    return owner
