"""Point-in-time person features and conversion labels, keyed by (person_id, as_of).

Everything a feature row uses happened strictly before its ``as_of``: engagements are filtered on
``occurred_at < as_of``, Bombora weeks count once they have ended (``week_start + 7 days <= as_of``),
opportunities are open or won as of ``as_of``. Labels look only forward: an opportunity created for the person
or their account in ``(as_of, as_of + horizon]``. One function serves the batch (every person, several
snapshots) and the real-time path (the persons a micro-batch touched, ``as_of`` = now).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from .titles import job_function, seniority

__all__ = ["FeatureInputs", "ENGAGEMENT_GROUPS", "WINDOWS_DAYS", "person_features", "conversion_labels",
           "snapshots", "KEY_FEATURES"]

# engagement types (graph edge attrs.type) → the groups features count
ENGAGEMENT_GROUPS: dict[str, tuple[str, ...]] = {
    "form_fill": ("form_fill", "webinar", "trial_signup", "chat"),
    "demo_request": ("demo_request",),
    "pricing_view": ("pricing_view",),
    "email_open": ("email_open",),
    "email_click": ("email_click", "link_click"),
    "ad_click": ("ad_click",),
    "web_visit": ("page_view",),
    "sales_touch": ("sales_email", "sales_call", "sales_linkedin", "sales_task"),
}
WINDOWS_DAYS = (1, 7, 30, 90)
HALF_LIFE_DAYS = 14.0
KEY_FEATURES = ("engagements_decayed", "seniority", "buying_group_30d")  # firmographics are often unknown: not key
_DAY_US = 86_400_000_000


@dataclass(frozen=True)
class FeatureInputs:
    """The frames features are computed from (see :func:`pipelines.features.inputs.read_feature_inputs`).

    engagements: person_id, occurred_at, engagement_type, campaign_id
    persons: person_id, account_id, title_norm, first_seen, lead_source, lead_created_at
    accounts: account_id, employees, industry, country_code, crm_created_at

    CRM exports are current-state: an account's Type turns "Customer" once a deal is won, and accounts and
    leads get created when sales engage. So firmographics count only for accounts created in the CRM before
    ``as_of``, the lead source only for leads created before it, and "customer" means a deal won before it.
    surges: account_id, week_start, topic, score
    opportunities: opportunity_id, account_id, person_id, created_at, close_date, is_closed, is_won
    """

    engagements: pl.DataFrame
    persons: pl.DataFrame
    accounts: pl.DataFrame
    surges: pl.DataFrame
    opportunities: pl.DataFrame


def snapshots(start: datetime, end: datetime, *, every_days: int = 14) -> list[datetime]:
    """``as_of`` dates from ``start`` to ``end`` (inclusive), ``every_days`` apart.

    Examples
    --------
    >>> [d.day for d in snapshots(datetime(2026, 7, 1), datetime(2026, 7, 31), every_days=14)]
    [1, 15, 29]
    """
    out, at = [], start
    while at <= end:
        out.append(at)
        at += timedelta(days=every_days)
    return out


def _days(later: pl.Expr, earlier: pl.Expr) -> pl.Expr:
    return (later - earlier).dt.total_microseconds() / _DAY_US


def _grid(inputs: FeatureInputs, as_of: Sequence[datetime], persons: Sequence[str] | None) -> pl.DataFrame:
    people = inputs.persons if persons is None else inputs.persons.filter(
        pl.col("person_id").is_in(list(persons)))
    # a person exists from their first record or first engagement, whichever came first
    first_touch = inputs.engagements.group_by("person_id").agg(pl.col("occurred_at").min().alias("first_touch"))
    people = people.join(first_touch, on="person_id", how="left").with_columns(
        first_seen=pl.min_horizontal("first_seen", "first_touch")).drop("first_touch")
    dates = pl.DataFrame({"as_of": list(as_of)}).with_columns(pl.col("as_of").cast(pl.Datetime("us", "UTC")))
    return (people.join(dates, how="cross")
            .filter(pl.col("first_seen").is_null() | (pl.col("first_seen") < pl.col("as_of"))))


def _engagement_features(events: pl.DataFrame) -> pl.DataFrame:
    aggs: list[pl.Expr] = []
    for group, types in ENGAGEMENT_GROUPS.items():
        in_group = pl.col("engagement_type").is_in(list(types))
        aggs += [(in_group & (pl.col("age") < w)).sum().cast(pl.Int32).alias(f"{group}_{w}d") for w in WINDOWS_DAYS]
        aggs.append(pl.col("age").filter(in_group).min().alias(f"days_since_{group}"))
    aggs += [
        (0.5 ** (pl.col("age") / HALF_LIFE_DAYS)).filter(~pl.col("engagement_type").str.starts_with("sales_"))
        .sum().alias("engagements_decayed"),
        pl.col("campaign_id").sort_by("age", descending=True).drop_nulls().first().alias("first_campaign"),
    ]
    return events.group_by("person_id", "as_of").agg(aggs)


def _account_features(grid: pl.DataFrame, everyone: pl.DataFrame, events: pl.DataFrame, inputs: FeatureInputs,
                      dates: pl.DataFrame) -> pl.DataFrame:
    own = ~pl.col("engagement_type").str.starts_with("sales_")
    in30 = own & (pl.col("age") < 30)

    def count(types: tuple[str, ...]) -> pl.Expr:
        return (own & pl.col("engagement_type").is_in(list(types))).sum().cast(pl.Int32)

    decayed = (0.5 ** (pl.col("age") / HALF_LIFE_DAYS)).filter(own)
    group = (events.filter(pl.col("age") < 90)
             .join(inputs.persons.select("person_id", "account_id").drop_nulls(), on="person_id")
             .group_by("account_id", "as_of")
             .agg(pl.col("person_id").filter(in30).n_unique().cast(pl.Int32).alias("buying_group_30d"),
                  in30.sum().cast(pl.Int32).alias("account_engagements_30d"),
                  own.sum().cast(pl.Int32).alias("account_engagements_90d"),
                  pl.col("person_id").filter(own).n_unique().cast(pl.Int32).alias("account_engaged_persons_90d"),
                  count(ENGAGEMENT_GROUPS["demo_request"]).alias("account_demo_requests_90d"),
                  count(ENGAGEMENT_GROUPS["form_fill"]).alias("account_form_fills_90d"),
                  count(ENGAGEMENT_GROUPS["pricing_view"]).alias("account_pricing_views_90d"),
                  (~own).sum().cast(pl.Int32).alias("account_sales_touches_90d"),
                  decayed.sum().alias("account_engagement_decayed")))
    headcount = (everyone.drop_nulls("account_id").group_by("account_id", "as_of")
                 .agg(pl.len().cast(pl.Int32).alias("account_persons_known")))
    surges = (inputs.surges.join(dates, how="cross")
              .filter(pl.col("week_start") + pl.duration(days=7) <= pl.col("as_of"),
                      pl.col("week_start") + pl.duration(days=35) > pl.col("as_of"))
              .group_by("account_id", "as_of")
              .agg(pl.col("score").max().alias("surge_top_score"),
                   pl.col("topic").filter(pl.col("score") >= 60).n_unique().cast(pl.Int32).alias("surge_topics"),
                   pl.col("topic").sort_by("score", descending=True).first().alias("surge_top_topic")))
    opps = inputs.opportunities.join(dates, how="cross")
    known = opps.filter(pl.col("created_at") < pl.col("as_of"))
    status = (known.group_by("account_id", "as_of").agg(
        (~pl.col("is_closed") | (pl.col("close_date") >= pl.col("as_of"))).any().alias("open_opportunity"),
        (pl.col("is_won") & (pl.col("close_date") < pl.col("as_of"))).any().alias("won_before")))
    known_then = pl.col("crm_created_at") < pl.col("as_of")
    firmo = (grid.select("person_id", "as_of", "account_id")
             .join(inputs.accounts, on="account_id", how="left")
             .select("person_id", "as_of", "account_id",
                     *(pl.when(known_then).then(pl.col(c)).alias(c) for c in ("industry", "country_code")),
                     pl.when(known_then).then(pl.col("employees").cast(pl.Float64)).alias("employees"),
                     known_then.fill_null(False).alias("account_in_crm")))
    out = (firmo
           .join(group, on=["account_id", "as_of"], how="left")
           .join(headcount, on=["account_id", "as_of"], how="left")
           .join(surges, on=["account_id", "as_of"], how="left")
           .join(status, on=["account_id", "as_of"], how="left"))
    return out.with_columns(
        pl.col("buying_group_30d", "account_engagements_30d", "surge_topics", "account_engagements_90d",
               "account_engaged_persons_90d", "account_demo_requests_90d", "account_form_fills_90d",
               "account_pricing_views_90d", "account_sales_touches_90d", "account_persons_known").fill_null(0),
        pl.col("account_engagement_decayed").fill_null(0.0),
        pl.col("open_opportunity").fill_null(False),
        pl.col("won_before").fill_null(False).alias("customer"),  # a deal won and closed before as_of
        pl.when(pl.col("employees") < 50).then(pl.lit("1-49")).when(pl.col("employees") < 250)
        .then(pl.lit("50-249")).when(pl.col("employees") < 1000).then(pl.lit("250-999"))
        .when(pl.col("employees").is_not_null()).then(pl.lit("1000+")).alias("employee_band"),
        pl.col("account_id").is_not_null().alias("has_account"),
    ).drop("won_before", "account_id")


def person_features(inputs: FeatureInputs, as_of: Sequence[datetime], *,
                    persons: Sequence[str] | None = None) -> pl.DataFrame:
    """One row per (person known before ``as_of``, ``as_of``): engagement counts and recency per group over
    1/7/30/90 days, a decayed engagement score, account context (buying group, engagement, Bombora surge, open
    opportunity, customer, firmographics), title seniority and function, lead source and first campaign.

    ``persons`` limits the rows to those persons (the real-time path); the values are the same as in a full run.
    """
    dates = pl.DataFrame({"as_of": list(as_of)}).with_columns(pl.col("as_of").cast(pl.Datetime("us", "UTC")))
    engagements = inputs.engagements
    peers = None
    if persons is not None:  # the scope's own events, and their colleagues' (for the account features)
        scope = list(persons)
        accounts = inputs.persons.filter(pl.col("person_id").is_in(scope))["account_id"].drop_nulls().implode()
        peers = inputs.persons.filter(pl.col("account_id").is_in(accounts)
                                      | pl.col("person_id").is_in(scope))["person_id"].to_list()
        engagements = engagements.filter(pl.col("person_id").is_in(peers))
    everyone = _grid(inputs, as_of, peers)  # the scope and their colleagues (headcounts need the colleagues)
    grid = everyone if persons is None else everyone.filter(pl.col("person_id").is_in(list(persons)))
    events = (engagements.join(dates, how="cross")
              .filter(pl.col("occurred_at") < pl.col("as_of"))
              .with_columns(age=_days(pl.col("as_of"), pl.col("occurred_at"))))
    mine = events if persons is None else events.filter(pl.col("person_id").is_in(list(persons)))
    person_side = grid.select(
        "person_id", "as_of",
        seniority(pl.col("title_norm")).alias("seniority"), job_function(pl.col("title_norm")).alias("function"),
        pl.when(pl.col("lead_created_at") < pl.col("as_of")).then(pl.col("lead_source")).alias("lead_source"),
        _days(pl.col("as_of"), pl.col("first_seen")).alias("days_known"))
    counts = [f"{g}_{w}d" for g in ENGAGEMENT_GROUPS for w in WINDOWS_DAYS]
    return (person_side
            .join(_engagement_features(mine), on=["person_id", "as_of"], how="left")
            .join(_account_features(grid, everyone, events, inputs, dates), on=["person_id", "as_of"], how="left")
            .with_columns(pl.col(counts).fill_null(0), pl.col("engagements_decayed").fill_null(0.0))
            .sort("as_of", "person_id"))


def conversion_labels(inputs: FeatureInputs, keys: pl.DataFrame, *, horizon_days: int = 90) -> pl.DataFrame:
    """``converted`` for each (person_id, as_of) of ``keys``: an opportunity created in (as_of, as_of + horizon]
    for the person (contact role or converted lead) or for their account."""
    opps = inputs.opportunities.select("account_id", "person_id", "created_at")
    window = (pl.col("created_at") > pl.col("as_of")) & (
        pl.col("created_at") <= pl.col("as_of") + pl.duration(days=horizon_days))
    with_account = keys.join(inputs.persons.select("person_id", "account_id"), on="person_id", how="left")
    by_account = (with_account.drop_nulls("account_id").join(opps.drop("person_id"), on="account_id")
                  .filter(window).select("person_id", "as_of").unique())
    by_person = (keys.join(opps.drop("account_id").drop_nulls("person_id"), on="person_id")
                 .filter(window).select("person_id", "as_of").unique())
    hits = pl.concat([by_account, by_person]).unique().with_columns(converted=pl.lit(True))
    return keys.join(hits, on=["person_id", "as_of"], how="left").with_columns(
        pl.col("converted").fill_null(False))
