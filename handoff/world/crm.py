"""Salesforce Account, Opportunity, Task, User and Campaign extracts."""

from __future__ import annotations

import numpy as np
import polars as pl

from . import noise
from .core import (
    DAY,
    HOUR,
    Clock,
    bool_str,
    date_str,
    int_str,
    lit_series,
    money,
    null_where,
    recent_tail,
    sf_ids,
    ts_sf,
    where,
)
from .noise import website
from .roster import Team
from .salesforce import Crm
from .writer import HIDDEN_AID, Table

PRODUCTS = ["Core", "Analytics", "Routing", "Enterprise Suite"]


def accounts(
    rng: np.random.Generator, acc: pl.DataFrame, team: Team, crm: Crm, clock: Clock, as_of: str
) -> Table:
    sel = np.flatnonzero(crm.acct_in_crm)
    a = acc[sel]
    n = sel.size
    created = crm.acct_created[sel]
    modified = np.minimum(created + (rng.random(n) * (clock.end - created)).astype(np.int64), clock.end)
    modified = recent_tail(rng, modified, clock, lo=created)
    parent = a["parent_row"].to_numpy()
    city_idx = a["city_idx"].to_numpy()
    df = (
        pl.DataFrame(
            {
                "Id": crm.acct_sf.gather(sel),
                "Name": a["name"],
                "Website": null_where(website(rng, a["domain"]), rng.random(n) < 0.1),
                "Industry": null_where(a["industry"], rng.random(n) < 0.15),
                "NumberOfEmployees": null_where(int_str(a["employees"].to_numpy()), rng.random(n) < 0.15),
                "AnnualRevenue": null_where(money(a["revenue"].to_numpy() * 100), rng.random(n) < 0.3),
                "BillingCity": noise.city(rng, city_idx, accent=0.1, null=0.1),
                "BillingState": noise.region(rng, city_idx, null=0.15),
                "BillingCountry": noise.country(rng, a["country"], variant=0.1, null=0.05),
                "OwnerId": team.users["sf_id"].gather(crm.acct_owner[sel]),
                "Type": pl.Series(crm.acct_type[sel]),
                "ParentId": null_where(crm.acct_sf.gather(np.maximum(parent, 0)), parent < 0),
                "CreatedDate": ts_sf(created),
                "LastModifiedDate": ts_sf(modified),
                "IsDeleted": bool_str(rng.random(n) < 0.005),
                "__created": created,
                HIDDEN_AID: a["account_id"],
            }
        )
        .sort(["__created", "Id"])
        .drop("__created", HIDDEN_AID)
    )
    return Table("salesforce", "Account", f"salesforce/Account_{as_of}_full.csv", df, ["Id"])


def opportunities(
    rng: np.random.Generator,
    p: pl.DataFrame,
    acc: pl.DataFrame,
    camps: pl.DataFrame,
    team: Team,
    crm: Crm,
    clock: Clock,
    as_of: str,
) -> Table:
    o = crm.opp
    rows = o["person_row"].to_numpy()
    n = rows.size
    acct = p["acct_row"].to_numpy()[rows]
    ft = p["ft_camp"].to_numpy()[rows]
    product = lit_series(PRODUCTS, rng.integers(0, len(PRODUCTS), size=n))
    kind = lit_series(["New Business", "Expansion", "Pilot"], rng.choice(3, size=n, p=[0.7, 0.2, 0.1]))
    closed = o["closed"].to_numpy()
    won = o["won"].to_numpy()
    source = where(ft >= 0, camps["lead_source"].gather(np.maximum(ft, 0)), pl.Series(["Web"] * n))
    df = (
        pl.DataFrame(
            {
                "Id": crm.opp_id.gather(rows),
                "AccountId": crm.acct_sf.gather(acct),
                "ContactId": crm.contact_id.gather(rows),
                "Name": acc["name"].gather(acct) + " - " + product + " " + kind,
                "StageName": o["stage"],
                "Amount": null_where(money(o["amount_cents"].to_numpy()), rng.random(n) < 0.05),
                "CloseDate": date_str(o["close_t"].to_numpy()),
                "IsClosed": bool_str(closed),
                "IsWon": bool_str(won),
                "OwnerId": team.users["sf_id"].gather(crm.contact_owner[rows]),
                "LeadSource": null_where(source, rng.random(n) < 0.1),
                "CampaignId": null_where(camps["sf_id"].gather(np.maximum(ft, 0)), ft < 0),
                "CreatedDate": ts_sf(o["t_opp"].to_numpy()),
                "LastModifiedDate": ts_sf(o["modified"].to_numpy()),
                "IsDeleted": bool_str(rng.random(n) < 0.005),
                "__t": o["t_opp"].to_numpy(),
            }
        )
        .sort(["__t", "Id"])
        .drop("__t")
    )
    return Table("salesforce", "Opportunity", f"salesforce/Opportunity_{as_of}_full.csv", df, ["Id"])


_SUBJECTS = {
    "Email": ["Email: Intro", "Email: Follow-up", "Email: Meeting request", "Email: Resources"],
    "Call": ["Call", "Discovery call", "Left voicemail", "Call: Follow-up"],
    "LinkedIn": ["LinkedIn: Connection request", "LinkedIn InMail"],
    "Task": ["Send pricing", "Follow up", "Prepare proposal", "Research account"],
}
SUBTYPES = list(_SUBJECTS)
_TYPE_OF = {"Email": "Email", "Call": "Call", "LinkedIn": "Other", "Task": "Other"}


def tasks(rng: np.random.Generator, p: pl.DataFrame, team: Team, crm: Crm, clock: Clock, as_of: str) -> Table:
    """Rep activity on worked leads and on contacts; the first touch of a lead is an Email or a Call."""
    worked = np.flatnonzero(p["worked"].to_numpy())
    cont = np.flatnonzero(p["in_contact"].to_numpy() & (rng.random(p.height) < 0.8))
    intent = p["intent"].to_numpy()
    who_row = np.concatenate([worked, cont])
    is_contact = np.concatenate([np.zeros(worked.size, bool), np.ones(cont.size, bool)])
    start = np.concatenate(
        [
            p["t_handoff"].to_numpy()[worked],
            p["contact_created"].to_numpy()[cont] + rng.integers(HOUR, 3 * DAY, size=cont.size),
        ]
    )
    k = 1 + rng.poisson(0.8 + 0.4 * np.maximum(intent[who_row], 0))
    ent = np.repeat(np.arange(who_row.size), k)
    step = np.arange(ent.size) - np.repeat(np.cumsum(k) - k, k)
    gaps = rng.gamma(1.5, 2 * DAY, size=ent.size).astype(np.int64) * (step > 0)
    cs = np.cumsum(gaps)
    t = start[ent] + cs - np.repeat(cs[np.cumsum(k) - k], k)
    keep = t <= clock.end
    ent, step, t = ent[keep], step[keep], t[keep]
    last = np.ones(ent.size, dtype=bool)
    last[:-1] = ent[1:] != ent[:-1]
    t = recent_tail(rng, t, clock, eligible=last & (step > 0) if (last & (step > 0)).any() else last)
    n = ent.size
    pr = who_row[ent]
    contact = is_contact[ent]
    sub_idx = np.where(
        step == 0, rng.choice(2, size=n, p=[0.6, 0.4]), rng.choice(4, size=n, p=[0.4, 0.3, 0.12, 0.18])
    )
    subtype = lit_series(SUBTYPES, sub_idx)
    subj_flat = [s for st in SUBTYPES for s in _SUBJECTS[st]]
    subj_off = np.cumsum([0] + [len(_SUBJECTS[st]) for st in SUBTYPES])[:-1]
    subj_len = np.array([len(_SUBJECTS[st]) for st in SUBTYPES])
    subject = lit_series(subj_flat, subj_off[sub_idx] + (rng.random(n) * subj_len[sub_idx]).astype(np.int64))
    done = (t < clock.end - 2 * DAY) | (rng.random(n) < 0.5)
    status = where(
        done,
        pl.Series(["Completed"] * n),
        lit_series(["Not Started", "In Progress"], rng.integers(0, 2, size=n)),
    )
    owner = np.where(contact, crm.contact_owner[pr], crm.lead_owner[pr])
    who = where(contact, crm.contact_id.gather(pr), crm.lead_id.gather(pr))
    acct = p["acct_row"].to_numpy()[pr]
    has_opp = crm.opp_id.gather(pr).is_not_null().to_numpy() & (t >= p["t_opp"].to_numpy()[pr])
    what = where(has_opp, crm.opp_id.gather(pr), crm.acct_sf.gather(np.maximum(acct, 0)))
    what = null_where(what, ~contact)
    completed = np.minimum(t + rng.integers(60, 2 * HOUR, size=n), clock.end)
    df = (
        pl.DataFrame(
            {
                "Id": sf_ids(rng, "00T", n),
                "WhoId": who,
                "WhatId": what,
                "OwnerId": team.users["sf_id"].gather(owner),
                "Subject": subject,
                "Status": status,
                "Priority": lit_series(["Normal", "High", "Low"], rng.choice(3, size=n, p=[0.7, 0.2, 0.1])),
                "ActivityDate": date_str(t + rng.integers(0, 3, size=n) * DAY),
                "CreatedDate": ts_sf(t),
                "CompletedDateTime": null_where(ts_sf(completed), ~done),
                "TaskSubtype": subtype,
                "Type": subtype.replace_strict(_TYPE_OF),
                "IsClosed": bool_str(done),
                "__t": t,
            }
        )
        .sort(["__t", "Id"])
        .drop("__t")
    )
    return Table("salesforce", "Task", f"salesforce/Task_{as_of}_full.csv", df, ["Id"])


def users(team: Team, as_of: str) -> Table:
    u = team.users
    mgr = u["manager_row"].to_numpy()
    df = pl.DataFrame(
        {
            "Id": u["sf_id"],
            "Name": u["name"],
            "Email": u["email"],
            "IsActive": bool_str(u["active"].to_numpy()),
            "ManagerId": null_where(u["sf_id"].gather(np.maximum(mgr, 0)), mgr < 0),
            "Department": u["department"],
            "CreatedDate": ts_sf(u["created"].to_numpy()),
        }
    ).sort("Id")
    return Table("salesforce", "User", f"salesforce/User_{as_of}_full.csv", df, ["Id"])


def campaigns(camps: pl.DataFrame, spend_cents: dict[int, int], clock: Clock, as_of: str) -> Table:
    rows = camps["campaign_row"].to_numpy()
    planned = camps["planned_cost_cents"].to_numpy()
    spend = np.array([spend_cents.get(int(r), -1) for r in rows])  # a few hundred campaigns at most
    start = camps["start"].to_numpy()
    end = camps["end"].to_numpy()
    frac = np.clip((clock.end - start) / np.maximum(end - start, DAY), 0, 1)
    cost = np.where(spend >= 0, spend, (planned * frac).astype(np.int64))
    df = (
        pl.DataFrame(
            {
                "Id": camps["sf_id"],
                "Name": camps["name"],
                "Type": camps["type"],
                "Status": camps["status"],
                "StartDate": date_str(start),
                "EndDate": date_str(end),
                "ActualCost": money(cost),
                "__s": start,
            }
        )
        .sort(["__s", "Id"])
        .drop("__s")
    )
    return Table("salesforce", "Campaign", f"salesforce/Campaign_{as_of}_full.csv", df, ["Id"])
