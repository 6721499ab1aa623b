"""Salesforce CRM state (ids, owners, opportunities) and the Lead / Contact extracts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from . import lexicon as lx
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
    take,
    ts_sf,
    where,
)
from .roster import Team, assign_reps
from .writer import HIDDEN_AID, HIDDEN_PID, Table

OPEN_STAGES = [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Proposal/Price Quote",
    "Negotiation/Review",
]
_REGION_CODE = np.array([r[2] for r in lx.CITY_ROWS])


@dataclass(frozen=True)
class Crm:
    lead_id: pl.Series  # per person (nullable)
    contact_id: pl.Series
    opp_id: pl.Series
    lead_owner: np.ndarray  # user_row per person
    contact_owner: np.ndarray
    acct_sf: pl.Series  # per account (null when the account is not in the CRM)
    acct_in_crm: np.ndarray
    acct_owner: np.ndarray
    acct_created: np.ndarray
    acct_type: np.ndarray
    opp: pl.DataFrame  # one row per opportunity (person_row, stage, amount_cents, close, closed, won, ...)


def crm_state(rng: np.random.Generator, p: pl.DataFrame, acc: pl.DataFrame, team: Team, clock: Clock) -> Crm:
    n = p.height
    acct_row = p["acct_row"].to_numpy()
    safe = np.maximum(acct_row, 0)
    in_lead = p["in_lead"].to_numpy()
    in_contact = p["in_contact"].to_numpy()
    converted = p["converted"].to_numpy()
    country = p["country"].to_numpy()
    region = _REGION_CODE[p["city_idx"].to_numpy()]
    seg = np.maximum(p["segment"].to_numpy(), 0)

    lead_id = null_where(sf_ids(rng, "00Q", n), ~in_lead)
    contact_id = null_where(sf_ids(rng, "003", n), ~in_contact)
    opp_id = null_where(sf_ids(rng, "006", n), ~converted)

    routed = assign_reps(rng, team, country, region, seg)
    integration = 0  # user_row of the Marketing Integration user
    lead_owner = np.where(p["worked"].to_numpy() | (rng.random(n) < 0.5), routed, integration)

    # accounts: in the CRM when someone there is a contact, or they are customers/partners, or by chance
    n_acc = acc.height
    has_contact = np.bincount(acct_row[in_contact & (acct_row >= 0)], minlength=n_acc) > 0
    acc_type = acc["type"].to_numpy()
    in_crm = has_contact | (acc_type != "Prospect") | (rng.random(n_acc) < 0.3)
    parent = acc["parent_row"].to_numpy()
    in_crm[parent[in_crm & (parent >= 0)]] = True
    acct_sf = null_where(sf_ids(rng, "001", n_acc), ~in_crm)
    a_region = _REGION_CODE[acc["city_idx"].to_numpy()]
    acct_owner = assign_reps(rng, team, acc["country"].to_numpy(), a_region, acc["segment"].to_numpy())
    first_contact = np.full(n_acc, clock.end, dtype=np.int64)
    cc = p["contact_created"].to_numpy()
    m = in_contact & (acct_row >= 0)
    np.minimum.at(first_contact, acct_row[m], cc[m])
    acct_created = np.clip(
        np.minimum(acc["created"].to_numpy(), first_contact - HOUR), clock.start, clock.end
    )
    contact_owner = np.where(
        p["lead_converted"].to_numpy(), lead_owner, np.where(rng.random(n) < 0.8, acct_owner[safe], routed)
    )

    # opportunities for converted persons
    rows = np.flatnonzero(converted)
    t_opp = p["t_opp"].to_numpy()[rows]
    age = np.maximum(clock.end - t_opp, 0)
    closed = rng.random(rows.size) < np.clip(age / (90 * DAY), 0, 0.95)
    won = closed & (rng.random(rows.size) < 0.3 + 0.4 * p["propensity"].to_numpy()[rows])
    stage_idx = np.minimum(age // (12 * DAY), len(OPEN_STAGES) - 1)
    stage = np.where(won, "Closed Won", np.where(closed, "Closed Lost", np.array(OPEN_STAGES)[stage_idx]))
    med = np.array([12_000, 45_000, 160_000])[seg[rows]]
    amount = (np.round(np.exp(rng.normal(np.log(med), 0.6)) / 100) * 100 * 100).astype(np.int64)
    close_t = np.where(
        closed,
        t_opp + (age * rng.uniform(0.3, 1.0, size=rows.size)).astype(np.int64),
        clock.end + rng.integers(7, 121, size=rows.size) * DAY,
    )
    modified = np.where(closed, close_t, t_opp + (age * rng.random(rows.size)).astype(np.int64))
    modified = recent_tail(rng, modified, clock, lo=t_opp, eligible=~closed, frac=0.05)
    opp = pl.DataFrame(
        {
            "person_row": rows,
            "t_opp": t_opp,
            "stage": stage,
            "closed": closed,
            "won": won,
            "amount_cents": amount,
            "close_t": close_t,
            "modified": np.minimum(modified, clock.end),
        }
    )
    won_acct = np.zeros(n_acc, dtype=bool)
    won_acct[acct_row[rows[won]]] = True
    acct_type = np.where(won_acct, "Customer", acc_type)
    return Crm(
        lead_id,
        contact_id,
        opp_id,
        lead_owner,
        contact_owner,
        acct_sf,
        in_crm,
        acct_owner,
        acct_created,
        acct_type,
        opp,
    )


def _employees_noisy(rng: np.random.Generator, emp: np.ndarray) -> pl.Series:
    mag = 10 ** np.floor(np.log10(np.maximum(emp, 1)))
    rounded = (np.round(emp / mag) * mag).astype(np.int64)
    return int_str(np.where(rng.random(emp.size) < 0.3, rounded, emp))


def _street(rng: np.random.Generator, n: int) -> pl.Series:
    num = pl.Series(rng.integers(1, 9900, size=n)).cast(pl.String)
    return (
        num
        + " "
        + lit_series(lx.STREET_NAMES, rng.integers(0, len(lx.STREET_NAMES), size=n))
        + " "
        + lit_series(lx.STREET_KINDS, rng.integers(0, len(lx.STREET_KINDS), size=n))
    )


def _postal(rng: np.random.Generator, country: np.ndarray) -> pl.Series:
    n = country.size
    d = {w: pl.Series(rng.integers(0, 10**w, size=n)).cast(pl.String).str.zfill(w) for w in (4, 5, 6)}
    letters = lit_series(list("ABCDEFGHJKLMNPRSTWXYZ"), rng.integers(0, 21, size=n))
    out = d[5]
    out = where(np.isin(country, ["AU"]), d[4], out)
    out = where(country == "IN", d[6], out)
    out = where(country == "NL", d[4].str.replace(r"^0", "1") + " " + letters + letters, out)
    out = where(
        country == "GB",
        "EC" + d[4].str.slice(0, 1) + letters + " " + d[4].str.slice(1, 1) + letters + letters,
        out,
    )
    out = where(
        country == "CA",
        "M" + d[4].str.slice(0, 1) + letters + " " + d[4].str.slice(1, 1) + letters + d[4].str.slice(2, 1),
        out,
    )
    return where(country == "BR", d[5] + "-" + d[4].str.slice(0, 3), out)


def leads(
    rng: np.random.Generator,
    p: pl.DataFrame,
    acc: pl.DataFrame,
    camps: pl.DataFrame,
    team: Team,
    crm: Crm,
    gclid: pl.Series,
    clock: Clock,
    as_of: str,
    drift: bool,
) -> list[Table]:
    sel = np.flatnonzero(p["in_lead"].to_numpy())
    ps = take(p, sel, ["lead_created", "lead_converted", "t_convert", "ft_camp", "worked", "intent", "t_opp"])
    n = sel.size
    acct = ps["acct_row"].to_numpy()
    has = acct >= 0
    safe = np.maximum(acct, 0)
    user_ids = team.users["sf_id"]
    created = ps["lead_created"].to_numpy()
    conv = ps["lead_converted"].to_numpy()
    t_conv = ps["t_convert"].to_numpy()
    modified = np.where(conv, t_conv, created) + (
        rng.random(n) * (clock.end - np.where(conv, t_conv, created)) * rng.random(n)
    ).astype(np.int64)
    modified = recent_tail(rng, np.minimum(modified, clock.end), clock, lo=np.where(conv, t_conv, created))
    ft = ps["ft_camp"].to_numpy()
    source = where(
        ft >= 0,
        camps["lead_source"].gather(np.maximum(ft, 0)),
        lit_series(["Web", "Organic Search", "Referral", "Other"], rng.integers(0, 4, size=n)),
    )
    worked = ps["worked"].to_numpy()
    open_status = lit_series(
        ["Working - Contacted", "Nurturing", "Qualified", "Unqualified"],
        rng.choice(4, size=n, p=[0.45, 0.3, 0.1, 0.15]),
    )
    status = where(
        conv,
        pl.Series(["Closed - Converted"] * n),
        where(worked, open_status, pl.Series(["Open - Not Contacted"] * n)),
    )
    intent = ps["intent"].to_numpy()
    rating = null_where(
        lit_series(["Cold", "Warm", "Hot"], np.digitize(intent, [0.0, 1.0])), rng.random(n) < 0.5
    )
    company = noise.company(rng, acc, acct, variant=0.35)
    company = where(rng.random(n) < 0.01, pl.Series(["[not provided]"] * n), company)
    domain = acc["domain"].gather(safe)
    country_codes = ps["country"]
    lead_ids = crm.lead_id.gather(sel)
    opp_for = crm.opp_id.gather(sel)
    df = pl.DataFrame(
        {
            "Id": lead_ids,
            "FirstName": noise.first_name(rng, ps["first_name"], null=0.03),
            "LastName": noise.last_name(rng, ps["last_name"]),
            "Email": noise.email(rng, ps["work_email"], ps["personal_email"], personal_p=0.12, null=0.05),
            "Phone": noise.phone(rng, ps["phone_cc"], ps["phone_area"], ps["phone_sub"], null=0.3),
            "MobilePhone": noise.phone(rng, ps["phone_cc"], ps["phone_area"], ps["mobile_sub"], null=0.75),
            "Title": noise.title(rng, ps["seniority"].to_numpy(), ps["function"].to_numpy(), null=0.2),
            "Company": company,
            "Website": null_where(noise.website(rng, domain), ~has | (rng.random(n) < 0.5)),
            "Industry": null_where(acc["industry"].gather(safe), ~has | (rng.random(n) < 0.5)),
            "NumberOfEmployees": null_where(
                _employees_noisy(rng, acc["employees"].to_numpy()[safe]), ~has | (rng.random(n) < 0.5)
            ),
            "AnnualRevenue": null_where(
                money(acc["revenue"].to_numpy()[safe] * 100), ~has | (rng.random(n) < 0.6)
            ),
            "LeadSource": null_where(source, rng.random(n) < 0.05),
            "Status": status,
            "Rating": rating,
            "OwnerId": user_ids.gather(crm.lead_owner[sel]),
            "Street": null_where(_street(rng, n), rng.random(n) < 0.5),
            "City": noise.city(rng, ps["city_idx"].to_numpy(), null=0.3),
            "State": noise.region(rng, ps["city_idx"].to_numpy(), null=0.35),
            "PostalCode": null_where(_postal(rng, country_codes.to_numpy()), rng.random(n) < 0.5),
            "Country": noise.country(rng, country_codes, variant=0.2, null=0.2),
            "CreatedDate": ts_sf(created),
            "LastModifiedDate": ts_sf(modified),
            "IsConverted": bool_str(conv),
            "ConvertedDate": null_where(date_str(t_conv), ~conv),
            "ConvertedAccountId": null_where(crm.acct_sf.gather(safe), ~conv),
            "ConvertedContactId": null_where(crm.contact_id.gather(sel), ~conv),
            "ConvertedOpportunityId": null_where(
                opp_for, ~conv | (np.abs(t_conv - ps["t_opp"].to_numpy()) > 0)
            ),
            "IsDeleted": bool_str(rng.random(n) < 0.01),
            "HasOptedOutOfEmail": bool_str(rng.random(n) < 0.04),
            "GCLID__c": null_where(gclid.gather(sel), rng.random(n) < 0.15),
            "__created": created,
            "__modified": modified,
            "__tconv": np.where(conv, t_conv, 0),
            "__status_next": where(
                worked,
                lit_series(["Nurturing", "Qualified", "Unqualified"], rng.integers(0, 3, size=n)),
                pl.Series(["Working - Contacted"] * n),
            ),
            "__score": int_str(np.clip(np.round(50 + 18 * intent + rng.normal(0, 8, size=n)), 0, 100)),
            HIDDEN_PID: ps["person_id"],
            HIDDEN_AID: ps["account_id"],
        }
    ).sort(["__created", "Id"])

    # incremental: ~2% of older leads touched again in the last two days
    d_created = df["__created"].to_numpy()
    eligible = (
        (d_created < clock.end - 5 * DAY)
        & (df["IsDeleted"] == "false").to_numpy()
        & (df["__tconv"].to_numpy() < clock.end - 5 * DAY)
    )
    inc_mask = eligible & (rng.random(df.height) < 0.02 / max(eligible.mean(), 1e-9))
    inc_t = clock.end - rng.integers(0, 2 * DAY, size=df.height)
    old_lmd = np.maximum(
        np.minimum(df["__modified"].to_numpy(), clock.end - 3 * DAY),
        np.maximum(d_created, df["__tconv"].to_numpy()),
    )
    df = df.with_columns(
        pl.Series("LastModifiedDate", where(inc_mask, ts_sf(old_lmd), df["LastModifiedDate"]))
    )
    inc = df.filter(pl.Series(inc_mask))
    change = rng.random(inc.height) < 0.5
    change &= (inc["IsConverted"] == "false").to_numpy()
    inc = inc.with_columns(
        pl.Series("LastModifiedDate", ts_sf(inc_t[inc_mask])),
        pl.Series("Status", where(change, inc["__status_next"], inc["Status"])),
    )
    if drift:
        inc = inc.with_columns(pl.col("__score").alias("Lead_Score__c"))
    inc = inc.sort(["LastModifiedDate", "Id"])
    drop = ["__created", "__modified", "__tconv", "__status_next", "__score"]
    return [
        Table(
            "salesforce",
            "Lead",
            f"salesforce/Lead_{as_of}_full.csv",
            df.drop(drop),
            ["Id"],
            record_object="Lead",
        ),
        Table(
            "salesforce",
            "Lead",
            f"salesforce/Lead_{as_of}_incremental.csv",
            inc.drop([c for c in drop if c in inc.columns]),
            ["Id"],
            record_object="Lead",
        ),
    ]


def contacts(
    rng: np.random.Generator,
    p: pl.DataFrame,
    acc: pl.DataFrame,
    camps: pl.DataFrame,
    team: Team,
    crm: Crm,
    clock: Clock,
    as_of: str,
) -> Table:
    sel = np.flatnonzero(p["in_contact"].to_numpy())
    ps = take(p, sel, ["contact_created", "ft_camp"])
    n = sel.size
    acct = ps["acct_row"].to_numpy()
    created = ps["contact_created"].to_numpy()
    modified = np.minimum(created + (rng.random(n) ** 2 * (clock.end - created)).astype(np.int64), clock.end)
    modified = recent_tail(rng, modified, clock, lo=created)
    ft = ps["ft_camp"].to_numpy()
    source = where(ft >= 0, camps["lead_source"].gather(np.maximum(ft, 0)), pl.Series(["Web"] * n))
    df = (
        pl.DataFrame(
            {
                "Id": crm.contact_id.gather(sel),
                "AccountId": crm.acct_sf.gather(acct),
                "FirstName": noise.first_name(rng, ps["first_name"], nick=0.08, null=0.01),
                "LastName": noise.last_name(rng, ps["last_name"], typo_p=0.01),
                "Email": noise.email(rng, ps["work_email"], ps["personal_email"], personal_p=0.05, null=0.03),
                "Phone": noise.phone(rng, ps["phone_cc"], ps["phone_area"], ps["phone_sub"], null=0.25),
                "Title": noise.title(rng, ps["seniority"].to_numpy(), ps["function"].to_numpy(), null=0.1),
                "OwnerId": team.users["sf_id"].gather(crm.contact_owner[sel]),
                "LeadSource": null_where(source, rng.random(n) < 0.2),
                "MailingCity": noise.city(rng, ps["city_idx"].to_numpy(), null=0.3),
                "MailingState": noise.region(rng, ps["city_idx"].to_numpy(), null=0.35),
                "MailingCountry": noise.country(rng, ps["country"], variant=0.2, null=0.2),
                "CreatedDate": ts_sf(created),
                "LastModifiedDate": ts_sf(modified),
                "IsDeleted": bool_str(rng.random(n) < 0.01),
                "HasOptedOutOfEmail": bool_str(rng.random(n) < 0.03),
                "__created": created,
                HIDDEN_PID: ps["person_id"],
                HIDDEN_AID: ps["account_id"],
            }
        )
        .sort(["__created", "Id"])
        .drop("__created")
    )
    return Table(
        "salesforce", "Contact", f"salesforce/Contact_{as_of}_full.csv", df, ["Id"], record_object="Contact"
    )
