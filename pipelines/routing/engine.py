"""The routing policy as vectorised Polars: every lead of a frame gets one owner (a rep or a queue) at once.

Policy order (the ``rule_id`` a decision records):

1. ``nurture``: leads below the warm threshold go to the nurture queue, not a rep;
2. ``existing_owner.open_opportunity`` / ``existing_owner.account_owner``: the account's open opportunity's owner,
   else the account owner, when that person is a rep on the roster and available;
3. ``named_account``: the rep a rules version names for the account (by id or web domain);
4. ``territory_segment``: the reps whose territory (country, and region when the rep lists regions) and segment
   match, narrowed to those with the skill the lead needs (language of its country, product line it looked at)
   when any has it; among them a capacity-aware distribution (least-loaded or round robin), skipping inactive and
   out-of-office reps, and reps outside working hours for hot leads;
5. ``fallback``: the fallback queue when nobody is left;
6. ``review``: low-confidence or high-impact leads go to the review queue; the rep the policy would have chosen is
   kept as ``proposed_owner_id`` (computed against what capacity is left, without consuming it).

Capacity is never exceeded: a rep takes at most ``daily_capacity - assigned_today`` leads in one call, hot leads
and higher probabilities first. Every candidate looked at is listed with the reason it was passed over.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import polars as pl

from .rules import RoutingRules

__all__ = ["LEAD_INPUT_SCHEMA", "DECISION_CORE_SCHEMA", "CANDIDATE", "route_leads", "rep_availability",
           "tier_expr", "segment_expr"]

LEAD_INPUT_SCHEMA = pl.Schema({
    "person_id": pl.String, "probability": pl.Float64, "confidence": pl.Float64, "needs_review": pl.Boolean,
    "country_code": pl.String, "region": pl.String, "employees": pl.Int64, "account_id": pl.String,
    "account_domain": pl.String, "opportunity_owner_id": pl.String, "account_owner_id": pl.String,
    "product": pl.String,
})
CANDIDATE = pl.Struct({"candidate_id": pl.String, "name": pl.String, "reason": pl.String})
DECISION_CORE_SCHEMA = pl.Schema({
    "person_id": pl.String, "tier": pl.String, "segment": pl.String, "owner_id": pl.String,
    "owner_kind": pl.String, "rule_id": pl.String, "rule_path": pl.List(pl.String),
    "candidates": pl.List(CANDIDATE), "proposed_owner_id": pl.String,
})
_RANK = "_prio"


def tier_expr(rules: RoutingRules, probability: str = "probability") -> pl.Expr:
    p = pl.col(probability)
    return (pl.when(p >= rules.tiers.hot).then(pl.lit("hot")).when(p >= rules.tiers.warm).then(pl.lit("warm"))
            .otherwise(pl.lit("nurture")).alias("tier"))


def segment_expr(rules: RoutingRules, employees: str = "employees") -> pl.Expr:
    e = pl.col(employees)
    return (pl.when(e.is_null()).then(pl.lit(rules.unknown_segment))
            .when(e >= rules.segments.get("ENT", 1000)).then(pl.lit("ENT"))
            .when(e >= rules.segments.get("MID", 200)).then(pl.lit("MID")).otherwise(pl.lit("SMB"))
            .alias("segment"))


def rep_availability(reps: pl.DataFrame, *, now: dt.datetime, assigned_today: pl.DataFrame | None = None
                     ) -> pl.DataFrame:
    """Per rep at ``now``: ``available`` (active, not out of office), ``in_hours``, ``remaining`` capacity and
    ``unavailable`` (the reason, null when available). ``assigned_today``: ``rep_id, assigned`` (leads already
    given today)."""
    rows = []
    for rep_id, zone, days, start, end, absences in reps.select(  # one row per rep (hundreds)
            "rep_id", "time_zone", "work_days", "work_start_minute", "work_end_minute", "out_of_office").iter_rows():
        local = now.astimezone(ZoneInfo(zone))
        minute = local.hour * 60 + local.minute
        away = next((a for a in absences if a["start"] <= local.date() <= a["end"]), None)
        rows.append({"rep_id": rep_id, "ooo_until": away["end"] if away else None,
                     "in_hours": local.weekday() in days and start <= minute < end})
    status = pl.DataFrame(rows, schema={"rep_id": pl.String, "ooo_until": pl.Date, "in_hours": pl.Boolean})
    out = reps.join(status, on="rep_id", how="left")
    load = (assigned_today if assigned_today is not None
            else pl.DataFrame(schema={"rep_id": pl.String, "assigned": pl.Int64}))
    out = out.join(load.select("rep_id", pl.col("assigned").cast(pl.Int64)), on="rep_id", how="left").with_columns(
        pl.col("assigned").fill_null(0))
    return out.with_columns(
        (pl.col("daily_capacity") - pl.col("assigned")).clip(lower_bound=0).alias("remaining"),
        pl.when(~pl.col("active")).then(pl.lit("inactive"))
        .when(pl.col("ooo_until").is_not_null())
        .then(pl.lit("out of office until ") + pl.col("ooo_until").dt.strftime("%Y-%m-%d"))
        .alias("unavailable"),
    ).with_columns(pl.col("unavailable").is_null().alias("available"))


@dataclass
class _Run:
    reps: pl.DataFrame      # rep_availability(...) with a mutable "remaining"
    rules: RoutingRules

    def take(self, assigned: pl.DataFrame) -> pl.DataFrame:
        """Accept ``person_id, rep_id, _prio`` rows up to each rep's remaining capacity; consume it."""
        ranked = (assigned.join(self.reps.select("rep_id", "remaining"), on="rep_id")
                  .with_columns(pl.col(_RANK).rank("ordinal").over("rep_id").alias("_n")))
        ok = ranked.filter(pl.col("_n") <= pl.col("remaining"))
        used = ok.group_by("rep_id").agg(pl.len().alias("_used"))
        self.reps = self.reps.join(used, on="rep_id", how="left").with_columns(
            (pl.col("remaining") - pl.col("_used").fill_null(0)).alias("remaining"),
            (pl.col("assigned") + pl.col("_used").fill_null(0)).alias("assigned")).drop("_used")
        return ok.select("person_id", "rep_id")


def _named_owner(leads: pl.DataFrame, rules: RoutingRules) -> pl.Expr:
    by_account = {a: n.rep_id for n in rules.named_accounts for a in n.account_ids}
    by_domain = {d.lower(): n.rep_id for n in rules.named_accounts for d in n.domains}
    return pl.coalesce(
        pl.col("account_id").replace_strict(by_account, default=None, return_dtype=pl.String),
        pl.col("account_domain").str.to_lowercase().replace_strict(by_domain, default=None, return_dtype=pl.String),
    ).alias("named_owner_id")


def _specific_owner(run: _Run, leads: pl.DataFrame, column: str, label: str, *, consume: bool
                    ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Leads whose ``column`` names an owner: (accepted ``person_id, rep_id``, passed-over candidate rows)."""
    asked = leads.filter(pl.col(column).is_not_null()).select("person_id", _RANK, pl.col(column).alias("rep_id"))
    info = asked.join(run.reps.select("rep_id", "name", "unavailable"), on="rep_id", how="left")
    free = info.filter(pl.col("name").is_not_null() & pl.col("unavailable").is_null())
    if consume:
        ok = run.take(free.select("person_id", "rep_id", _RANK))
    else:
        ok = free.join(run.reps.filter(pl.col("remaining") > 0).select("rep_id"), on="rep_id").select(
            "person_id", "rep_id")
    passed = info.join(ok, on=["person_id", "rep_id"], how="left", coalesce=True).with_columns(
        pl.col("person_id").is_in(ok["person_id"].implode()).alias("_ok")).select(
        "person_id", pl.struct(
            pl.col("rep_id").alias("candidate_id"), pl.col("name").fill_null(pl.col("rep_id")).alias("name"),
            (pl.lit(f"{label}: ") + pl.when(pl.col("_ok")).then(pl.col("name") + pl.lit(", available"))
             .when(pl.col("name").is_null()).then(pl.lit("not a rep on the roster"))
             .when(pl.col("unavailable").is_not_null()).then(pl.col("unavailable"))
             .otherwise(pl.lit("at daily capacity"))).alias("reason")).alias("candidate"))
    return ok, passed


def _pool_candidates(run: _Run, keys: pl.DataFrame, *, hot_hours: bool) -> pl.DataFrame:
    """Every (key, rep) of the territory × segment pool with ``eligible`` and a static ``reason``."""
    reps = run.reps.explode("territories").with_columns(
        pl.col("territories").struct.field("country").alias("_country"),
        pl.col("territories").struct.field("regions").alias("_regions")).drop("territories")
    pool = keys.join(reps, left_on=["country_code", "segment"], right_on=["_country", "segment"])
    pool = pool.filter((pl.col("_regions").list.len() == 0) | pl.col("_regions").list.contains(pl.col("region")))
    pool = pool.unique(["_key", "rep_id"], maintain_order=True)
    skilled = (pl.col("languages").list.contains(pl.col("language")) &
               (pl.col("product").is_null() | pl.col("products").list.contains(pl.col("product"))))
    usable = pl.col("available") & (~pl.col("is_hot") | pl.col("in_hours") | pl.lit(not hot_hours))
    pool = pool.with_columns(skilled.alias("_skilled"), usable.alias("_usable"))
    pool = pool.with_columns((pl.col("_skilled") & pl.col("_usable")).any().over("_key").alias("_any_skilled"))
    lacks = (pl.lit("lacks ") + pl.when(~pl.col("languages").list.contains(pl.col("language")))
             .then(pl.lit("language ") + pl.col("language")).otherwise(pl.lit("product ") + pl.col("product")))
    return pool.with_columns(
        pl.when(~pl.col("available")).then(pl.col("unavailable"))
        .when(~pl.col("_usable")).then(pl.lit("outside working hours (hot lead)"))
        .when(pl.col("_any_skilled") & ~pl.col("_skilled")).then(lacks)
        .alias("_static"),
    ).with_columns(pl.col("_static").is_null().alias("eligible")).select(
        "_key", "rep_id", "name", "eligible", "_static")


def _distribute(run: _Run, leads: pl.DataFrame, pool: pl.DataFrame, *, consume: bool) -> pl.DataFrame:
    """Capacity-aware rotation over each key's eligible reps; rounds until no rep is over capacity."""
    placed = []
    todo = leads.select("person_id", "_key", _RANK)
    order = ["_load", "rep_id"] if run.rules.distribution.method == "least_loaded" else ["rep_id"]
    spare = run.reps.select("rep_id", "remaining") if not consume else None
    for _ in range(64):  # rounds: each fills at least one rep or places every lead
        reps = run.reps if consume else run.reps.drop("remaining").join(spare, on="rep_id")  # type: ignore[arg-type]
        open_ = (pool.filter("eligible").join(reps.filter(pl.col("remaining") > 0), on="rep_id")
                 .with_columns((pl.col("assigned") / pl.col("daily_capacity").clip(lower_bound=1)).alias("_load"))
                 .sort(["_key", *order]).with_columns(pl.int_range(pl.len()).over("_key").alias("_slot"),
                                                       pl.len().over("_key").alias("_n")))
        if todo.height == 0 or open_.height == 0:
            break
        sizes = open_.select("_key", "_n").unique("_key")
        turn = (todo.join(sizes, on="_key").with_columns(
            (pl.col(_RANK).rank("ordinal").over("_key") - 1).mod(pl.col("_n")).alias("_slot"))
                .join(open_.select("_key", "_slot", "rep_id"), on=["_key", "_slot"]))
        if turn.height == 0:
            break
        if consume:
            ok = run.take(turn.select("person_id", "rep_id", _RANK))
        else:
            ranked = turn.join(spare, on="rep_id").with_columns(  # type: ignore[arg-type]
                pl.col(_RANK).rank("ordinal").over("rep_id").alias("_k"))
            ok = ranked.filter(pl.col("_k") <= pl.col("remaining")).select("person_id", "rep_id")
            spare = spare.join(ok.group_by("rep_id").len(), on="rep_id", how="left").with_columns(  # type: ignore[union-attr]
                (pl.col("remaining") - pl.col("len").fill_null(0)).alias("remaining")).drop("len")
        placed.append(ok)
        todo = todo.join(ok, on="person_id", how="anti")
    return pl.concat(placed) if placed else pl.DataFrame(schema={"person_id": pl.String, "rep_id": pl.String})


def _route(run: _Run, leads: pl.DataFrame, *, consume: bool) -> pl.DataFrame:
    """Owner steps 2-5 for qualified leads: ``person_id, rule_id, rep_id, candidates, rule_path``."""
    rules = run.rules
    passed: list[pl.DataFrame] = []
    decided: list[pl.DataFrame] = []
    todo = leads
    steps = []
    if rules.existing_owner.open_opportunity:
        steps.append(("opportunity_owner_id", "existing_owner.open_opportunity", "open-opportunity owner"))
    if rules.existing_owner.account_owner:
        steps.append(("account_owner_id", "existing_owner.account_owner", "account owner"))
    steps.append(("named_owner_id", "named_account", "named-account rep"))
    for column, rule_id, label in steps:
        ok, miss = _specific_owner(run, todo, column, label, consume=consume)
        decided.append(ok.with_columns(pl.lit(rule_id).alias("rule_id")))
        passed.append(miss)
        todo = todo.join(ok, on="person_id", how="anti")

    keys_cols = ["country_code", "region", "segment", "language", "product", "is_hot"]
    todo = todo.with_columns(pl.struct(keys_cols).hash().alias("_key"))
    keys = todo.unique("_key").select("_key", *keys_cols)
    pool = _pool_candidates(run, keys, hot_hours=rules.distribution.hot_within_working_hours)
    ok = _distribute(run, todo, pool, consume=consume)
    decided.append(ok.with_columns(pl.lit("territory_segment").alias("rule_id")))
    full = run.reps.filter(pl.col("remaining") <= 0).select("rep_id", pl.lit(True).alias("_full"))
    pool = pool.join(full, on="rep_id", how="left").with_columns(
        pl.coalesce("_static", pl.when(pl.col("_full")).then(pl.lit("at daily capacity")),
                    pl.lit("eligible; another rep was next in rotation")).alias("_static"))
    where = (pl.lit("territory_segment: ") + pl.col("country_code").fill_null("?")
             + pl.when(pl.col("region").is_not_null()).then(pl.lit("/") + pl.col("region")).otherwise(pl.lit(""))
             + pl.lit(" × ") + pl.col("segment") + pl.lit(", language ") + pl.col("language")
             + pl.when(pl.col("product").is_not_null()).then(pl.lit(", product ") + pl.col("product"))
             .otherwise(pl.lit("")) + pl.lit(" (") + pl.col("_n").cast(pl.String) + pl.lit(" reps)"))
    lists = (pool.group_by("_key").agg(pl.struct(pl.col("rep_id").alias("candidate_id"), "name",
                                                  pl.col("_static").alias("reason")).alias("_pool"))
             .with_columns(pl.col("_pool").list.len().alias("_n")))
    lists = keys.join(lists, on="_key", how="left").with_columns(  # one path line per key, not per lead
        pl.col("_pool").fill_null(pl.lit([], dtype=pl.List(CANDIDATE))), pl.col("_n").fill_null(0)).select(
        "_key", "_pool", where.alias("_where"))
    chosen = pl.concat(decided)
    owned = pl.concat(passed).group_by("person_id").agg(pl.col("candidate").alias("_owners"))
    out = (leads.select("person_id").join(todo.select("person_id", "_key"), on="person_id", how="left")
           .join(chosen, on="person_id", how="left").join(lists, on="_key", how="left")
           .join(owned, on="person_id", how="left"))
    in_pool = pl.col("rule_id").is_null() | (pl.col("rule_id") == "territory_segment")
    owners = pl.col("_owners").fill_null(pl.lit([], dtype=pl.List(CANDIDATE)))
    no_owner = pl.col("_owners").is_null()
    out = out.with_columns(
        pl.col("rule_id").fill_null("fallback"),
        pl.when(no_owner & in_pool).then(pl.col("_pool"))  # most leads: the key's list as it is
        .otherwise(pl.concat_list(owners, pl.when(in_pool).then(pl.col("_pool"))
                                  .otherwise(pl.lit([], dtype=pl.List(CANDIDATE))))).alias("candidates"),
        pl.when(no_owner & in_pool).then(pl.concat_list("_where"))
        .otherwise(pl.concat_list(owners.list.eval(pl.element().struct.field("reason")),
                                  pl.when(in_pool).then(pl.concat_list("_where"))
                                  .otherwise(pl.lit([], dtype=pl.List(pl.String))))).alias("rule_path"))
    return _mark_chosen(out.select("person_id", "rule_id", "rep_id", "candidates", "rule_path"))


def _mark_chosen(frame: pl.DataFrame) -> pl.DataFrame:
    """The chosen rep's entry in ``candidates`` says "chosen" (the pool list carries the static reasons).

    Only rows routed to a rep are touched (at scale most leads go to a queue, whose lists stay as they are).
    """
    mine = frame.filter(pl.col("rep_id").is_not_null())
    return pl.concat([frame.filter(pl.col("rep_id").is_null()), _marked(mine).select(frame.columns)]) \
        if mine.height else frame


def _marked(frame: pl.DataFrame) -> pl.DataFrame:
    flat = (frame.select("person_id", "rep_id", "candidates").explode("candidates")
            .filter(pl.col("candidates").is_not_null()).unnest("candidates"))
    flat = flat.with_columns(pl.when(pl.col("candidate_id") == pl.col("rep_id")).then(pl.lit("chosen"))
                             .otherwise(pl.col("reason")).alias("reason"))
    lists = flat.group_by("person_id", maintain_order=True).agg(
        pl.struct("candidate_id", "name", "reason").alias("candidates"))
    return frame.drop("candidates").join(lists, on="person_id", how="left").with_columns(
        pl.col("candidates").fill_null(pl.lit([], dtype=pl.List(CANDIDATE))))


def route_leads(leads: pl.DataFrame, reps: pl.DataFrame, rules: RoutingRules, *, now: dt.datetime,
                assigned_today: pl.DataFrame | None = None) -> pl.DataFrame:
    """One routing outcome per lead (:data:`DECISION_CORE_SCHEMA`).

    Parameters
    ----------
    leads
        :data:`LEAD_INPUT_SCHEMA` columns (missing optional ones count as null); one row per person.
    reps
        :data:`~pipelines.routing.roster.REP_SCHEMA` (``Roster.reps``).
    rules
        The rules version deciding.
    now
        Decision time (timezone-aware): availability, working hours and out-of-office are judged at it.
    assigned_today
        ``rep_id, assigned``: leads each rep already got today (their remaining capacity is the rest).
    """
    if now.tzinfo is None:
        msg = "now must be timezone-aware (e.g. datetime.now(UTC))"
        raise ValueError(msg)
    if "person_id" not in leads.columns or "probability" not in leads.columns:
        msg = f"leads need person_id and probability (have {leads.columns}); build them with routing_inputs()"
        raise ValueError(msg)
    frame = leads.select(
        (pl.col(c) if c in leads.columns else pl.lit(None)).cast(t).alias(c) for c, t in LEAD_INPUT_SCHEMA.items())
    frame = frame.with_columns(
        tier_expr(rules), segment_expr(rules), _named_owner(frame, rules),
        pl.col("country_code").str.to_uppercase(), pl.col("region").str.to_uppercase(),
        pl.col("country_code").str.to_uppercase().replace_strict(rules.languages, default="en",
                                                                 return_dtype=pl.String).alias("language"),
        pl.col("needs_review").fill_null(False))
    frame = (frame.with_columns((pl.col("tier") == "hot").alias("is_hot"))  # priority: hot, then probability
             .sort(["is_hot", "probability", "person_id"], descending=[True, True, False], nulls_last=True)
             .with_row_index(_RANK, offset=1))
    review = rules.review
    to_review = ((pl.col("needs_review") & pl.lit(review.low_confidence))
                 | (pl.col("segment").is_in(review.high_impact_segments)
                    & pl.col("tier").is_in(review.high_impact_tiers)))
    qualified = frame.filter(pl.col("tier") != "nurture")
    held = qualified.filter(to_review)
    direct = qualified.filter(~to_review)
    run = _Run(rep_availability(reps, now=now, assigned_today=assigned_today), rules)
    routed = _route(run, direct, consume=True)
    proposed = _route(run, held, consume=False) if held.height else routed.clear()

    queue = rules.queues
    routed = routed.with_columns(
        pl.coalesce("rep_id", pl.lit(queue.fallback)).alias("owner_id"),
        pl.when(pl.col("rep_id").is_null()).then(pl.lit("queue")).otherwise(pl.lit("rep")).alias("owner_kind"),
        pl.col("rule_path").list.concat(pl.when(pl.col("rep_id").is_null())
                                        .then(pl.concat_list(pl.lit(f"fallback: queue {queue.fallback}")))
                                        .otherwise(pl.lit([], dtype=pl.List(pl.String)))),
        pl.lit(None, dtype=pl.String).alias("proposed_owner_id"))
    review_why = (pl.lit("review: ") + pl.when(pl.col("needs_review")).then(
        pl.lit("low confidence ") + pl.col("confidence").round(2).cast(pl.String))
        .otherwise(pl.lit("high impact (") + pl.col("segment") + pl.lit(" ") + pl.col("tier") + pl.lit(")")))
    proposed = proposed.join(held.select("person_id", "needs_review", "confidence", "segment", "tier"),
                             on="person_id").with_columns(
        pl.lit(queue.review).alias("owner_id"), pl.lit("queue").alias("owner_kind"),
        pl.col("rep_id").alias("proposed_owner_id"),
        pl.col("rule_path").list.concat(pl.concat_list(review_why)), pl.lit("review").alias("rule_id"))
    nurture = frame.filter(pl.col("tier") == "nurture").select(
        "person_id", pl.lit(queue.nurture).alias("owner_id"), pl.lit("queue").alias("owner_kind"),
        pl.lit("nurture").alias("rule_id"),
        pl.concat_list(pl.lit("nurture: probability below the warm threshold ")
                       + pl.lit(str(rules.tiers.warm))).alias("rule_path"),
        pl.lit([], dtype=pl.List(CANDIDATE)).alias("candidates"), pl.lit(None, dtype=pl.String)
        .alias("proposed_owner_id"))
    cols = ["person_id", "owner_id", "owner_kind", "rule_id", "rule_path", "candidates", "proposed_owner_id"]
    out = pl.concat([routed.select(cols), proposed.select(cols), nurture.select(cols)], how="vertical_relaxed")
    return (frame.select("person_id", "tier", "segment", _RANK).join(out, on="person_id").sort(_RANK)
            .select(DECISION_CORE_SCHEMA.names()).cast(dict(DECISION_CORE_SCHEMA)))  # type: ignore[arg-type]
