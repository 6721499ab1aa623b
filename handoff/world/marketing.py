"""Marketing automation extracts: HubSpot contacts, Marketo leads and Marketo activities."""

from __future__ import annotations

import numpy as np
import polars as pl

from . import lexicon as lx
from . import noise
from .core import (
    HOUR,
    Clock,
    bool_str,
    early_times,
    int_str,
    lit_series,
    null_where,
    recent_tail,
    take,
    ts_z,
    unique_ints,
    where,
)
from .marketo_activity import build_activities
from .salesforce import Crm
from .writer import HIDDEN_AID, HIDDEN_PID, Table

LIFECYCLE = [
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
    "evangelist",
    "other",
]
LEAD_STATUS = [
    "NEW",
    "OPEN",
    "IN_PROGRESS",
    "OPEN_DEAL",
    "UNQUALIFIED",
    "ATTEMPTED_TO_CONTACT",
    "CONNECTED",
    "BAD_TIMING",
]
ORGANIC_SOURCES = ["DIRECT_TRAFFIC", "ORGANIC_SEARCH", "REFERRALS", "SOCIAL_MEDIA", "OTHER_CAMPAIGNS"]


def _lifecycle(rng: np.random.Generator, ps: pl.DataFrame, won: np.ndarray) -> np.ndarray:
    n = ps.height
    stage = np.where(rng.random(n) < 0.3, 0, 1)
    mql = (ps["n_form"].to_numpy() >= 2) | (ps["intent"].to_numpy() > 1.0)
    stage = np.where(mql, 2, stage)
    stage = np.where(ps["worked"].to_numpy() | ps["in_contact"].to_numpy(), 3, stage)
    stage = np.where(ps["converted"].to_numpy(), 4, stage)
    stage = np.where(won, np.where(rng.random(n) < 0.1, 6, 5), stage)
    return np.where(rng.random(n) < 0.02, 7, stage)


def hubspot(
    rng: np.random.Generator,
    p: pl.DataFrame,
    acc: pl.DataFrame,
    camps: pl.DataFrame,
    crm: Crm,
    clock: Clock,
    as_of: str,
    drift: bool,
) -> list[Table]:
    sel = np.flatnonzero(p["in_hubspot"].to_numpy())
    ps = take(
        p, sel, ["t_first", "ft_camp", "n_form", "ft_form", "intent", "worked", "in_contact", "converted"]
    )
    n = sel.size
    acct = ps["acct_row"].to_numpy()
    won = np.zeros(p.height, dtype=bool)
    o = crm.opp.filter(pl.col("won"))
    won[o["person_row"].to_numpy()] = True
    created = ps["t_first"].to_numpy() + rng.integers(0, HOUR, size=n)
    modified = np.minimum(created + (rng.random(n) * (clock.end - created)).astype(np.int64), clock.end)
    modified = recent_tail(rng, modified, clock, lo=created)
    ft = ps["ft_camp"].to_numpy()
    n_conv = ps["n_form"].to_numpy() + ps["ft_form"].to_numpy()
    conv_t = np.minimum(early_times(rng, created, modified, 0.7), modified)
    source = where(
        ft >= 0,
        camps["hs_source"].gather(np.maximum(ft, 0)),
        lit_series(ORGANIC_SOURCES, rng.integers(0, len(ORGANIC_SOURCES), size=n)),
    )
    source_1 = where(
        ft >= 0,
        camps["utm_campaign"].gather(np.maximum(ft, 0)),
        lit_series(["google", "bing", "linkedin.com", "direct", "g2.com"], rng.integers(0, 5, size=n)),
    )
    ms = rng.integers(0, 1000, size=n)
    df = (
        pl.DataFrame(
            {
                "hs_object_id": int_str(unique_ints(rng, n, 100_000, 99_999_999_999)),
                "email": noise.email(rng, ps["work_email"], ps["personal_email"], personal_p=0.2, null=0.03),
                "firstname": noise.first_name(rng, ps["first_name"], null=0.08),
                "lastname": noise.last_name(rng, ps["last_name"], null=0.1),
                "phone": noise.phone(rng, ps["phone_cc"], ps["phone_area"], ps["phone_sub"], null=0.5),
                "company": noise.company(rng, acc, acct, null=0.2),
                "website": null_where(
                    noise.website(rng, acc["domain"].gather(np.maximum(acct, 0))),
                    (acct < 0) | (rng.random(n) < 0.4),
                ),
                "jobtitle": noise.title(rng, ps["seniority"].to_numpy(), ps["function"].to_numpy(), null=0.3),
                "lifecyclestage": lit_series(LIFECYCLE, _lifecycle(rng, ps, won[sel])),
                "hs_lead_status": null_where(
                    lit_series(LEAD_STATUS, rng.integers(0, len(LEAD_STATUS), size=n)), rng.random(n) < 0.4
                ),
                "city": noise.city(rng, ps["city_idx"].to_numpy(), null=0.25),
                "state": noise.region(rng, ps["city_idx"].to_numpy(), name_p=0.6, null=0.3),
                "country": noise.country(rng, ps["country"], variant=0.1, null=0.2),
                "createdate": ts_z(created, ms),
                "lastmodifieddate": ts_z(modified, rng.integers(0, 1000, size=n)),
                "hs_analytics_source": source,
                "hs_analytics_source_data_1": null_where(source_1, rng.random(n) < 0.3),
                "recent_conversion_event_name": null_where(
                    lit_series(lx.FORM_NAMES, rng.integers(0, len(lx.FORM_NAMES), size=n)), n_conv == 0
                ),
                "recent_conversion_date": null_where(
                    ts_z(conv_t, rng.integers(0, 1000, size=n)), n_conv == 0
                ),
                "num_conversion_events": int_str(n_conv),
                "hs_email_optout": bool_str(rng.random(n) < 0.04),
                "__t": created,
                HIDDEN_PID: ps["person_id"],
                HIDDEN_AID: ps["account_id"],
            }
        )
        .sort(["__t", "hs_object_id"])
        .drop("__t")
    )
    tables = [
        Table(
            "hubspot",
            "contacts",
            f"hubspot/contacts_{as_of}.csv",
            df,
            ["hs_object_id"],
            record_object="contacts",
        )
    ]
    if drift:  # a re-export that lost its key column: the pipeline must reject the whole file
        k = max(1, round(n * 0.01))
        pick = np.sort(rng.choice(n, size=min(k, n), replace=False))
        re = df[pick].with_columns(pl.col("hs_object_id").alias("__hs_object_id")).drop("hs_object_id")
        tables.append(
            Table(
                "hubspot",
                "contacts",
                f"hubspot/contacts_{as_of}_missing_column.csv",
                re,
                ["__hs_object_id"],
                record_object="contacts",
                inject=False,
            )
        )
    return tables


def marketo_leads(
    rng: np.random.Generator,
    p: pl.DataFrame,
    acc: pl.DataFrame,
    camps: pl.DataFrame,
    crm: Crm,
    clock: Clock,
    as_of: str,
) -> tuple[Table, np.ndarray, np.ndarray, np.ndarray]:
    """Returns the table plus (person rows, marketo ids, createdAt) for the activity extract."""
    sel = np.flatnonzero(p["in_marketo"].to_numpy())
    ps = take(p, sel, ["t_first", "ft_camp"])
    n = sel.size
    acct = ps["acct_row"].to_numpy()
    ids = unique_ints(rng, n, 1000, 50_000_000)
    created = ps["t_first"].to_numpy() + rng.integers(0, 1800, size=n)
    updated = np.minimum(created + (rng.random(n) * (clock.end - created)).astype(np.int64), clock.end)
    updated = recent_tail(rng, updated, clock, lo=created)
    ft = ps["ft_camp"].to_numpy()
    source = where(ft >= 0, camps["lead_source"].gather(np.maximum(ft, 0)), pl.Series(["Website"] * n))
    lead_id = crm.lead_id.gather(sel)
    contact_id = crm.contact_id.gather(sel)
    df = (
        pl.DataFrame(
            {
                "id": int_str(ids),
                "email": noise.email(rng, ps["work_email"], ps["personal_email"], personal_p=0.15, null=0.02),
                "firstName": noise.first_name(rng, ps["first_name"], accent=0.5, null=0.05),
                "lastName": noise.last_name(rng, ps["last_name"], accent=0.5, null=0.05),
                "company": noise.company(rng, acc, acct, null=0.15),
                "title": noise.title(rng, ps["seniority"].to_numpy(), ps["function"].to_numpy(), null=0.3),
                "phone": noise.phone(rng, ps["phone_cc"], ps["phone_area"], ps["phone_sub"], null=0.45),
                "website": null_where(
                    noise.website(rng, acc["domain"].gather(np.maximum(acct, 0))),
                    (acct < 0) | (rng.random(n) < 0.5),
                ),
                "city": noise.city(rng, ps["city_idx"].to_numpy(), accent=0.5, null=0.3),
                "state": noise.region(rng, ps["city_idx"].to_numpy(), null=0.3),
                "country": noise.country(rng, ps["country"], variant=0.3, null=0.2),
                "leadSource": null_where(source, rng.random(n) < 0.1),
                "createdAt": ts_z(created),
                "updatedAt": ts_z(updated),
                "sfdcLeadId": null_where(lead_id, rng.random(n) >= 0.6),
                "sfdcContactId": null_where(contact_id, rng.random(n) >= 0.6),
                "unsubscribed": bool_str(rng.random(n) < 0.03),
                "__t": created,
                HIDDEN_PID: ps["person_id"],
                HIDDEN_AID: ps["account_id"],
            }
        )
        .sort(["__t", "id"])
        .drop("__t")
    )
    return (
        Table("marketo", "leads", f"marketo/leads_{as_of}.csv", df, ["id"], record_object="leads"),
        sel,
        ids,
        created,
    )


def marketo_activities(
    rng: np.random.Generator,
    p: pl.DataFrame,
    camps: pl.DataFrame,
    sel: np.ndarray,
    ids: np.ndarray,
    created: np.ndarray,
    clock: Clock,
    as_of: str,
) -> Table:
    df = build_activities(rng, p, camps, sel, ids, created, clock)
    return Table("marketo", "activities", f"marketo/activities_{as_of}.csv", df, ["marketoGUID"])
