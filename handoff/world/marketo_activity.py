"""Marketo activity extract: one row per activity, counts drawn from each person's engagement."""

from __future__ import annotations

import numpy as np
import polars as pl

from . import lexicon as lx
from . import web
from .campaigns import rows_of_type
from .core import Clock, early_times, lit_series, null_where, recent_tail, take, ts_z, uuid_like

_CDV_ATTR = [("Job Title", 48), ("Phone Number", 50), ("Lead Status", 52), ("Company Name", 46)]
_NEW_LEAD_SOURCE = ["Web form fillout", "Salesforce.com", "List import", "New person"]
_DEVICES = ["Desktop", "Mobile", "Tablet"]
_PLATFORMS = ["Windows", "Mac OS", "iOS", "Android"]


def _json(frame: pl.DataFrame, fields: dict[str, pl.Expr]) -> pl.Series:
    return frame.select(pl.struct(**{k: v for k, v in fields.items()}).struct.json_encode()).to_series()


def build_activities(
    rng: np.random.Generator,
    p: pl.DataFrame,
    camps: pl.DataFrame,
    sel: np.ndarray,
    ids: np.ndarray,
    created: np.ndarray,
    clock: Clock,
) -> pl.DataFrame:
    ps = take(
        p,
        sel,
        ["t_first", "ft_camp", "n_web", "n_sent", "n_form", "ft_form", "n_open", "n_click"],
        core=False,
    )
    n = sel.size
    t_first = ps["t_first"].to_numpy()
    ft = ps["ft_camp"].to_numpy()
    marketo_id = camps["marketo_id"].to_numpy()
    email_camps = np.concatenate([rows_of_type(camps, "Email"), rows_of_type(camps, "Webinar")])
    form_camps = np.concatenate(
        [rows_of_type(camps, t) for t in ("Webinar", "Content Syndication", "Website")]
    )
    n_web = ps["n_web"].to_numpy()
    n_sent = ps["n_sent"].to_numpy()
    bounced = rng.binomial(n_sent, 0.03)
    counts = {
        1: n_web,
        2: ps["n_form"].to_numpy() + ps["ft_form"].to_numpy(),
        3: rng.binomial(n_web, 0.2),
        6: n_sent,
        7: n_sent - bounced,
        8: bounced,
        9: ((rng.random(n) < 0.02) & (n_sent > 0)).astype(np.int64),
        10: ps["n_open"].to_numpy(),
        11: ps["n_click"].to_numpy(),
        12: np.ones(n, dtype=np.int64),
        13: rng.poisson(0.3, size=n),
    }
    parts: list[pl.DataFrame] = []
    for type_id, c in counts.items():  # eleven activity types
        c = np.asarray(c, dtype=np.int64)
        li = np.repeat(np.arange(n), c)
        k = np.arange(li.size) - np.repeat(np.cumsum(c) - c, c)
        m = li.size
        if m == 0:
            continue
        camp = np.full(m, -1)
        pav_id = pl.Series([None] * m, dtype=pl.Int64)
        pav = pl.Series([None] * m, dtype=pl.String)
        if type_id == 12:
            t = created[li]
            camp = ft[li]
            attrs = _json(
                pl.DataFrame(
                    {"s": lit_series(_NEW_LEAD_SOURCE, rng.choice(4, size=m, p=[0.6, 0.2, 0.15, 0.05]))}
                ),
                {"Source Type": pl.col("s")},
            )
        elif type_id in (1, 2, 3):
            first_form = (type_id == 2) & (k == 0) & ps["ft_form"].to_numpy()[li]
            t = np.where(first_form, t_first[li], early_times(rng, t_first[li], clock.end))
            page, url = web.pages(rng, m)
            bare = url.str.replace("https://", "")
            if type_id == 2:
                form = rng.integers(0, len(lx.FORM_NAMES), size=m)
                pav_id, pav = pl.Series(2000 + form), lit_series(lx.FORM_NAMES, form)
                other = (
                    form_camps[rng.integers(0, form_camps.size, size=m)]
                    if form_camps.size
                    else np.full(m, -1)
                )
                camp = np.where(first_form, ft[li], np.where(rng.random(m) < 0.5, other, -1))
            else:
                pav_id, pav = pl.Series(1000 * type_id + page), bare
            utm = camps["utm_campaign"].gather(np.maximum(ft[li], 0))
            query = null_where(
                "utm_source=" + camps["utm_source"].gather(np.maximum(ft[li], 0)) + "&utm_campaign=" + utm,
                (ft[li] < 0) | (k > 0),
            )
            f = pl.DataFrame(
                {
                    "u": url,
                    "q": query,
                    "r": web.referrers(rng, m),
                    "ip": web.ips(rng, m),
                    "ua": web.user_agents(rng, m),
                }
            )
            attrs = _json(
                f,
                {
                    "Webpage URL": pl.col("u"),
                    "Query Parameters": pl.col("q"),
                    "Referrer URL": pl.col("r"),
                    "Client IP Address": pl.col("ip"),
                    "User Agent": pl.col("ua"),
                },
            )
        else:
            t = early_times(rng, created[li], clock.end, 1.0)
            if type_id == 13:
                a = rng.integers(0, len(_CDV_ATTR), size=m)
                pav_id = pl.Series(np.array([x[1] for x in _CDV_ATTR])[a])
                pav = lit_series([x[0] for x in _CDV_ATTR], a)
                f = pl.DataFrame(
                    {
                        "r": lit_series(
                            ["Form fill-out", "Sync from Salesforce", "Flow action"],
                            rng.integers(0, 3, size=m),
                        )
                    }
                )
                attrs = _json(f, {"Reason": pl.col("r"), "Source": pl.lit("Marketo Flow Action")})
            else:
                camp = (
                    email_camps[rng.integers(0, email_camps.size, size=m)]
                    if email_camps.size
                    else np.full(m, -1)
                )
                safe = np.maximum(camp, 0)
                pav_id = pl.Series(marketo_id[safe] * 10 + 1)
                pav = camps["name"].gather(safe) + ".Email"
                f = pl.DataFrame(
                    {
                        "run": marketo_id[safe] * 100 + rng.integers(0, 5, size=m),
                        "dev": lit_series(_DEVICES, rng.integers(0, 3, size=m)),
                        "plat": lit_series(_PLATFORMS, rng.integers(0, 4, size=m)),
                        "mob": rng.random(m) < 0.3,
                        "ua": web.user_agents(rng, m),
                        "link": web.pages(rng, m)[1],
                        "ip": web.ips(rng, m),
                    }
                )
                if type_id in (6, 7):
                    attrs = _json(
                        f,
                        {"Campaign Run ID": pl.col("run"), "Step ID": pl.lit(1), "Choice Number": pl.lit(0)},
                    )
                elif type_id == 8:
                    attrs = _json(
                        f,
                        {
                            "Category": pl.lit("1"),
                            "Details": pl.lit("550 5.1.1 mailbox unavailable"),
                            "Campaign Run ID": pl.col("run"),
                        },
                    )
                elif type_id == 9:
                    attrs = _json(
                        f,
                        {
                            "Client IP Address": pl.col("ip"),
                            "User Agent": pl.col("ua"),
                            "Webpage URL": pl.lit(lx.SELLER_SITE + "/unsubscribe"),
                        },
                    )
                elif type_id == 10:
                    attrs = _json(
                        f,
                        {
                            "Device": pl.col("dev"),
                            "Is Mobile Device": pl.col("mob"),
                            "Platform": pl.col("plat"),
                            "User Agent": pl.col("ua"),
                        },
                    )
                else:
                    attrs = _json(
                        f,
                        {
                            "Link": pl.col("link"),
                            "Device": pl.col("dev"),
                            "Is Mobile Device": pl.col("mob"),
                            "Platform": pl.col("plat"),
                            "User Agent": pl.col("ua"),
                        },
                    )
        t = np.clip(t, clock.start, clock.end)
        parts.append(
            pl.DataFrame(
                {
                    "__t": t.astype(np.int64),
                    "leadId": ids[li],
                    "activityTypeId": np.full(m, type_id, dtype=np.int64),
                    "campaignId": null_where(pl.Series(marketo_id[np.maximum(camp, 0)]), camp < 0),
                    "primaryAttributeValueId": pav_id.cast(pl.Int64),
                    "primaryAttributeValue": pav,
                    "attributes": attrs,
                }
            )
        )
    allp = pl.concat(parts)
    web_like = allp["activityTypeId"].is_in([1, 10]).to_numpy()
    allp = allp.with_columns(
        pl.Series("__t", recent_tail(rng, allp["__t"].to_numpy(), clock, eligible=web_like, frac=0.002))
    )
    guid = uuid_like(rng, allp.height)
    return (
        allp.with_columns(marketoGUID=guid)
        .sort(["__t", "marketoGUID"])
        .select(
            "marketoGUID",
            pl.col("leadId").cast(pl.String),
            pl.col("__t")
            .map_batches(lambda s: ts_z(s.to_numpy()), return_dtype=pl.String)
            .alias("activityDate"),
            pl.col("activityTypeId").cast(pl.String),
            pl.col("campaignId").cast(pl.String),
            pl.col("primaryAttributeValueId").cast(pl.String),
            "primaryAttributeValue",
            "attributes",
        )
    )
