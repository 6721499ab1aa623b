"""The graph's edges: their schema and ids, and one vectorised Polars plan per bronze source.

Extractors read the bronze tables as :func:`pipelines.graph.build.prepare` leaves them (:data:`USED_COLUMNS`,
the latest version of each record, deleted Salesforce records dropped) and return a lazy frame in the *raw
edge* shape (:data:`RAW_EDGE_SCHEMA`): the edge columns without ``edge_id``, plus ``key``, the text that
identifies the fact, hashed into the edge id by :func:`with_edge_ids`. Person-bearing extractors take ``xw``,
the crosswalk narrowed to the persons being built, so a scoped build joins only their records.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import duckdb
import polars as pl

__all__ = ["EDGE_SCHEMA", "EDGE_TYPES", "RAW_EDGE_SCHEMA", "USED_COLUMNS", "edge_ids", "with_edge_ids",
           "normalise_url", "normalise_name", "campaign_key", "form_engagement", "segment_persons"]

UTC = pl.Datetime("us", "UTC")
EDGE_SCHEMA = pl.Schema({
    "edge_id": pl.String,      # md5 of edge_type and the identifying key: stable across runs
    "src": pl.String,
    "dst": pl.String,
    "edge_type": pl.String,    # one of EDGE_TYPES
    "occurred_at": UTC,
    "weight": pl.Float64,      # works_at: match confidence; surging_on: composite score
    "campaign_id": pl.String,  # campaign node of an engagement or ad click
    "content_id": pl.String,   # content node of an engagement
    "source": pl.String,       # the bronze table (or "identity") the edge comes from
    "attrs": pl.String,        # JSON object; engaged_with has "type" (form_fill, page_view, ...)
})
EDGE_TYPES = ("works_at", "engaged_with", "clicked_ad", "surging_on", "owns", "parent_of")
RAW_EDGE_SCHEMA = pl.Schema({**{n: t for n, t in EDGE_SCHEMA.items() if n != "edge_id"}, "key": pl.String})
_NAMES = ("first_name", "last_name", "email")
USED_COLUMNS: dict[str, tuple[str, ...]] = {  # the bronze columns the graph reads; a missing one is null
    "salesforce_lead": ("id", "owner_id", "gclid", *_NAMES, "title", "company", "last_modified_at",
                        "is_deleted"),
    "salesforce_contact": ("id", "owner_id", *_NAMES, "title", "last_modified_at", "is_deleted"),
    "salesforce_account": ("id", "owner_id", "type", "industry", "number_of_employees", "billing_country",
                           "is_deleted"),
    "salesforce_user": ("id", "name", "email", "department", "is_active", "manager_id"),
    "salesforce_task": ("id", "who_id", "what_id", "owner_id", "subject", "status", "task_subtype",
                        "activity_date", "created_at", "completed_at", "is_closed"),
    "salesforce_campaign": ("id", "name", "type", "status", "start_date", "end_date", "actual_cost"),
    "hubspot_contact": ("hs_object_id", *_NAMES, "job_title", "company", "last_modified_at",
                        "recent_conversion_event_name", "recent_conversion_at", "num_conversion_events",
                        "analytics_source", "analytics_source_data_1"),
    "marketo_lead": ("id", *_NAMES, "title", "company", "updated_at"),
    "marketo_activity": ("marketo_guid", "lead_id", "activity_at", "activity_type_id", "campaign_id",
                         "primary_attribute_value", "attributes"),
    "google_ads_click": ("gclid", "date", "campaign_id", "campaign_name", "ad_group_id", "ad_group_name",
                         "keyword_text"),
    "google_ads_campaign_spend": ("date", "campaign_id", "campaign_name", "impressions", "clicks",
                                  "cost_micros"),
    "linkedin_lead_gen": ("lead_id", *_NAMES, "job_title", "company_name", "campaign_id", "campaign_name",
                          "form_name", "submitted_at"),
    "bombora_surge": ("domain", "topic", "category", "week_start_date", "composite_score", "bucket_code",
                      "metro_area", "metro_composite_score"),
    "segment_event": ("message_id", "type", "event", "timestamp", "user_id", "anonymous_id", *_NAMES,
                      "form_email", "title", "company", "form_name", "url", "page_url", "utm_source",
                      "utm_medium", "utm_campaign", "gclid"),
}
# Marketo activity types that are a person's own action (sends, deliveries, bounces, data changes are not)
MARKETO_ENGAGEMENTS = {1: "page_view", 2: "form_fill", 3: "link_click", 9: "email_unsubscribe",
                       10: "email_open", 11: "email_click"}
SEGMENT_ENGAGEMENTS = {"Form Submitted": "form_fill", "Demo Requested": "demo_request",
                       "Pricing Page Viewed": "pricing_view", "Page Viewed": "page_view",
                       "Chat Started": "chat", "Trial Started": "trial_signup"}
TASK_ENGAGEMENTS = {"Email": "sales_email", "Call": "sales_call", "LinkedIn": "sales_linkedin"}
Tables = Mapping[str, pl.DataFrame]


def normalise_url(e: pl.Expr) -> pl.Expr:
    """A URL as ``host/path``: lower case, no scheme, ``www.``, query (utm_*), fragment or trailing slash.

    Examples
    --------
    >>> urls = ["https://www.Example.com/Pricing/?utm_source=g#top", "example.com", "/docs", " ", None]
    >>> pl.select(normalise_url(pl.lit(pl.Series(urls)))).to_series().to_list()
    ['example.com/pricing', 'example.com/', '/docs', None, None]
    """
    return (e.str.strip_chars().str.to_lowercase().str.replace(r"^([a-z][a-z0-9+.\-]*://)?(www\.)?", "")
            .str.replace(r"[?#].*$", "").str.replace(r"/+$", "").str.replace(r"^([^/]+)$", "${1}/")
            .replace("", None))


def normalise_name(e: pl.Expr) -> pl.Expr:
    """A form, email or subject name: trimmed, lower case, inner whitespace collapsed; empty becomes null.

    Examples
    --------
    >>> pl.select(normalise_name(pl.lit(pl.Series(["  Demo   Request ", "", None])))).to_series().to_list()
    ['demo request', None, None]
    """
    return e.str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase().replace("", None)


def campaign_key(e: pl.Expr) -> pl.Expr:
    """The slug that ties a campaign name to a ``utm_campaign`` value (lower case, ``_`` between words).

    Examples
    --------
    >>> pl.select(campaign_key(pl.lit("2026-Q2 Webinar - Attribution Global"))).item()
    '2026_q2_webinar_attribution_global'
    """
    return e.str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "_").str.strip_chars("_").replace("", None)


def form_engagement(form: pl.Expr, default: str = "form_fill") -> pl.Expr:
    """Engagement type of a submitted form, from its normalised name.

    Examples
    --------
    >>> names = pl.Series(["demo request - linkedin", "webinar registration", "free trial", "contact us"])
    >>> pl.select(form_engagement(pl.lit(names))).to_series().to_list()
    ['demo_request', 'webinar', 'trial_signup', 'form_fill']
    """
    return (pl.when(form.str.contains("demo", literal=True)).then(pl.lit("demo_request"))
            .when(form.str.contains("webinar", literal=True)).then(pl.lit("webinar"))
            .when(form.str.contains("trial", literal=True)).then(pl.lit("trial_signup"))
            .otherwise(pl.lit(default)))


def edge_ids(edge_type: pl.Series, key: pl.Series) -> pl.Series:
    """The md5 (hex) of ``edge_type|key``: the same on every machine, run and library version.

    In SQL: ``md5(edge_type || '|' || key)``.

    Examples
    --------
    >>> edge_ids(pl.Series(["works_at"]), pl.Series(["p_1|001A"])).to_list()
    ['fe8b66b04fee8ce19fae38facc94b9e4']
    """
    con = duckdb.connect(config={"threads": 1})  # one thread keeps the row order and is the fastest here
    try:
        frame = pl.DataFrame({"t": edge_type.cast(pl.String), "k": key.cast(pl.String)})
        return con.sql("SELECT md5(t || '|' || k) AS edge_id FROM frame").pl()["edge_id"]
    finally:
        con.close()


def with_edge_ids(raw: pl.DataFrame) -> pl.DataFrame:
    """Raw edges (:data:`RAW_EDGE_SCHEMA`, missing columns null) with their ``edge_id``, as
    :data:`EDGE_SCHEMA`; a repeated id keeps one row (the smallest by its columns).

    Examples
    --------
    >>> raw = pl.DataFrame({"src": ["a:1"], "dst": ["b:2"], "edge_type": ["owns"], "key": ["1|2"]})
    >>> with_edge_ids(raw).select("edge_id", "src", "attrs").rows()
    [('25135cbdf6be4c24daf0045875dbc944', 'a:1', None)]
    """
    edges = raw.select(edge_ids(raw["edge_type"], raw["key"]).alias("edge_id"),
                       *(pl.col(c) if c in raw.columns else pl.lit(None, t).alias(c)
                         for c, t in EDGE_SCHEMA.items() if c != "edge_id"))
    dup = edges["edge_id"].is_duplicated()
    if dup.any():
        once = (edges.filter(dup).sort(EDGE_SCHEMA.names(), nulls_last=True)
                .unique("edge_id", keep="first", maintain_order=True))
        edges = pl.concat([edges.filter(~dup), once])
    return edges.cast(EDGE_SCHEMA)  # type: ignore[arg-type]


def _on_distinct(frame: pl.LazyFrame, col: str, values: pl.Series, fn: Callable[[pl.Expr], pl.Expr],
                 out: str) -> pl.LazyFrame:
    """Adds ``out = fn(col)`` computed once per distinct value of ``values`` (a superset of the column's):
    pages, forms, subjects and domains repeat a handful of values over millions of rows."""
    mapping = values.unique().to_frame(col).lazy().with_columns(fn(pl.col(col)).alias(out))
    return frame.join(mapping, on=col, how="left", nulls_equal=True)


def _json(*exprs: pl.Expr | str, **named: pl.Expr | str) -> pl.Expr:
    more = [(pl.col(v) if isinstance(v, str) else v).alias(k) for k, v in named.items()]
    return pl.struct(*exprs, *more).struct.json_encode()


def _node(prefix: str, col: str) -> pl.Expr:
    return pl.lit(prefix) + pl.col(col)


def _edge(frame: pl.LazyFrame, **cols: pl.Expr | str | None) -> pl.LazyFrame:
    """``frame`` projected onto :data:`RAW_EDGE_SCHEMA` (missing columns null, ``str`` values literal)."""
    values = {n: cols.get(n) for n in RAW_EDGE_SCHEMA.names()}
    return frame.select((v if isinstance(v, pl.Expr) else pl.lit(v)).cast(RAW_EDGE_SCHEMA[n]).alias(n)
                        for n, v in values.items())


def _persons_of(xw: pl.LazyFrame, source: str, rid: str, dtype: pl.DataType = pl.String) -> pl.LazyFrame:
    return xw.filter(pl.col("source") == source).select(
        pl.col("record_id").cast(dtype, strict=False).alias(rid), "person_id")


def _utm_campaign(frame: pl.LazyFrame, utm: str, lookup: pl.LazyFrame) -> pl.LazyFrame:
    """Adds ``_campaign``: the Salesforce campaign of the ``utm`` column, else a ``campaign:utm:<slug>``."""
    return (frame.with_columns(campaign_key(pl.col(utm)).alias("_utm"))
            .join(lookup.rename({"utm": "_utm", "campaign_id": "_sf"}), on="_utm", how="left")
            .with_columns(pl.coalesce("_sf", _node("campaign:utm:", "_utm")).alias("_campaign")))


def segment_persons(events: pl.DataFrame, crosswalk: pl.LazyFrame) -> pl.DataFrame:
    """``message_id, person_id, attribution`` for every event whose visitor is known.

    An event in the crosswalk is ``identified``; any other takes the person of its ``user_id`` or
    ``anonymous_id`` when the identified events of that id all belong to one person (``visitor``). Ids seen
    with several persons (a shared browser) attribute nothing; nor do visitors never identified.

    Examples
    --------
    >>> events = pl.DataFrame({"message_id": ["e1", "e2", "e3"], "user_id": [None, None, None],
    ...                        "anonymous_id": ["a1", "a1", "a2"]})
    >>> xw = pl.LazyFrame({"source": ["segment_event"], "record_id": ["e1"], "person_id": ["p_1"]})
    >>> segment_persons(events, xw).sort("message_id").rows()
    [('e1', 'p_1', 'identified'), ('e2', 'p_1', 'visitor')]
    """
    ev = events.lazy().select("message_id", "user_id", "anonymous_id")
    direct = ev.join(_persons_of(crosswalk, "segment_event", "message_id"), on="message_id").collect().lazy()

    def visitors(col: str) -> pl.LazyFrame:
        return (direct.filter(pl.col(col).is_not_null()).group_by(col)
                .agg(pl.col("person_id").min().alias(f"_{col}"), pl.col("person_id").n_unique().alias("_n"))
                .filter(pl.col("_n") == 1).drop("_n"))

    rest = (ev.join(direct, on="message_id", how="anti")
            .join(visitors("user_id"), on="user_id", how="left")
            .join(visitors("anonymous_id"), on="anonymous_id", how="left")
            .select("message_id", pl.coalesce("_user_id", "_anonymous_id").alias("person_id"))
            .filter(pl.col("person_id").is_not_null()))
    return pl.concat([direct.select("message_id", "person_id", attribution=pl.lit("identified")),
                      rest.with_columns(attribution=pl.lit("visitor"))]).collect()


def works_at(person_accounts: pl.LazyFrame) -> pl.LazyFrame:
    """``person → account`` with the match method and confidence of the account match."""
    return _edge(person_accounts.filter(pl.col("account_id").is_not_null()),
                 src=_node("person:", "person_id"), dst=_node("account:", "account_id"), edge_type="works_at",
                 weight=pl.col("confidence"), source="identity",
                 key=pl.col("person_id") + "|" + pl.col("account_id"),
                 attrs=_json("match_method", "confidence", "ultimate_account_id"))


def marketo_engagements(tables: Tables, xw: pl.LazyFrame, lookup: pl.LazyFrame) -> pl.LazyFrame | None:
    """Page visits, form fills, link clicks and email opens/clicks/unsubscribes of Marketo leads."""
    if "marketo_activity" not in tables:
        return None
    acts = tables["marketo_activity"]
    t = pl.col("activity_type_id")
    plan = (acts.lazy().filter(t.is_in(list(MARKETO_ENGAGEMENTS)))
            .join(_persons_of(xw, "marketo_lead", "lead_id", pl.Int64), on="lead_id")
            .with_columns(pl.col("attributes").str.extract(r"utm_campaign=([^&\"]+)").alias("_utm_raw"),
                          pl.when(t == 11).then(pl.col("attributes").str.extract(r"\"Link\":\"([^\"]*)\""))
                          .alias("_link")))
    plan = _on_distinct(plan, "primary_attribute_value", acts["primary_attribute_value"],
                        lambda e: pl.struct(page=normalise_url(e), name=normalise_name(e)), "_n")
    plan = _utm_campaign(plan, "_utm_raw", lookup)
    web = t.is_in([1, 3])
    kind = pl.when(web).then(pl.lit("page")).when(t == 2).then(pl.lit("form")).otherwise(pl.lit("email"))
    name = pl.when(web).then(pl.col("_n").struct.field("page")).otherwise(pl.col("_n").struct.field("name"))
    activity = t.replace_strict(MARKETO_ENGAGEMENTS, return_dtype=pl.String)
    pricing = name.str.contains("/pricing", literal=True)
    etype = (pl.when((t == 1) & pricing).then(pl.lit("pricing_view")).when(t == 2).then(form_engagement(name))
             .otherwise(activity))
    plan = plan.with_columns((pl.lit("content:") + kind + ":" + name).alias("_content"), etype.alias("_type"))
    campaign = pl.coalesce(pl.lit("campaign:marketo:") + pl.col("campaign_id").cast(pl.String), "_campaign")
    return _edge(plan, src=_node("person:", "person_id"), dst=pl.coalesce("_content", campaign),
                 edge_type="engaged_with", occurred_at=pl.col("activity_at"), campaign_id=campaign,
                 content_id=pl.col("_content"), source="marketo_activity",
                 key=_node("marketo_activity|", "marketo_guid"),
                 attrs=_json(type="_type", activity=activity, link="_link"))


def segment_engagements(tables: Tables, who: pl.LazyFrame, lookup: pl.LazyFrame) -> pl.LazyFrame | None:
    """Tracked web events (page and pricing views, forms, demos, chats, trials) of known visitors."""
    if "segment_event" not in tables:
        return None
    events = tables["segment_event"]
    tracked = (pl.col("type") == "track") & pl.col("event").is_in(list(SEGMENT_ENGAGEMENTS))
    plan = (events.lazy().filter(tracked)
            .join(who, on="message_id").with_columns(pl.coalesce("url", "page_url").alias("_url")))
    urls = events.select(pl.coalesce("url", "page_url")).to_series()
    plan = _on_distinct(plan, "_url", urls, normalise_url, "_page")
    plan = _utm_campaign(_on_distinct(plan, "form_name", events["form_name"], normalise_name, "_form"),
                         "utm_campaign", lookup)
    base = pl.col("event").replace_strict(SEGMENT_ENGAGEMENTS, return_dtype=pl.String)
    form = base.is_in(["form_fill", "demo_request", "trial_signup"]) & pl.col("_form").is_not_null()
    etype = (pl.when(base == "form_fill").then(form_engagement(pl.col("_form").fill_null("")))
             .when((base == "page_view") & pl.col("_page").str.contains("/pricing", literal=True))
             .then(pl.lit("pricing_view")).otherwise(base))
    content = pl.when(form).then(_node("content:form:", "_form")).otherwise(_node("content:page:", "_page"))
    return _edge(plan, src=_node("person:", "person_id"), dst=pl.coalesce(content, "_campaign"),
                 edge_type="engaged_with", occurred_at=pl.col("timestamp"), campaign_id=pl.col("_campaign"),
                 content_id=content, source="segment_event", key=_node("segment_event|", "message_id"),
                 attrs=_json("event", "attribution", "utm_source", "utm_medium", "utm_campaign", type=etype))


def task_engagements(tables: Tables, xw: pl.LazyFrame) -> pl.LazyFrame | None:
    """Sales touches: closed Salesforce tasks on a lead or contact (WhoId); open tasks have not happened."""
    if "salesforce_task" not in tables:
        return None
    tasks = tables["salesforce_task"].filter(pl.col("is_closed").fill_null(False))
    who = pl.concat([_persons_of(xw, t, "who_id") for t in ("salesforce_lead", "salesforce_contact")])
    plan = _on_distinct(tasks.lazy().join(who, on="who_id"), "subject", tasks["subject"], normalise_name,
                        "_subject")
    etype = pl.col("task_subtype").replace_strict(TASK_ENGAGEMENTS, default="sales_task",
                                                  return_dtype=pl.String)
    content = _node("content:sales_touch:", "_subject")
    return _edge(plan, src=_node("person:", "person_id"), dst=content, edge_type="engaged_with",
                 occurred_at=pl.coalesce("completed_at", pl.col("activity_date").cast(UTC), "created_at"),
                 content_id=content, source="salesforce_task", key=_node("salesforce_task|", "id"),
                 attrs=_json("subject", "status", "what_id", type=etype, rep_id="owner_id"))


def linkedin_engagements(tables: Tables, xw: pl.LazyFrame) -> pl.LazyFrame | None:
    """LinkedIn Lead Gen form submissions."""
    if "linkedin_lead_gen" not in tables:
        return None
    plan = (tables["linkedin_lead_gen"].lazy()
            .join(_persons_of(xw, "linkedin_lead_gen", "lead_id"), on="lead_id")
            .with_columns(_form=normalise_name(pl.col("form_name"))))
    content, campaign = _node("content:form:", "_form"), _node("campaign:linkedin:", "campaign_id")
    return _edge(plan, src=_node("person:", "person_id"), dst=pl.coalesce(content, campaign),
                 edge_type="engaged_with", occurred_at=pl.col("submitted_at"), campaign_id=campaign,
                 content_id=content, source="linkedin_lead_gen", key=_node("linkedin_lead_gen|", "lead_id"),
                 attrs=_json("form_name", "campaign_name",
                             type=form_engagement(pl.col("_form").fill_null(""))))


def hubspot_engagements(tables: Tables, xw: pl.LazyFrame) -> pl.LazyFrame | None:
    """HubSpot conversions: every distinct ``(recent conversion, date)`` any export showed for a contact.

    A later export overwrites a contact's recent conversion, so each version of the record adds history.
    """
    if "hubspot_contact" not in tables:
        return None
    plan = (tables["hubspot_contact"].lazy().filter(pl.col("recent_conversion_event_name").is_not_null())
            .join(_persons_of(xw, "hubspot_contact", "hs_object_id"), on="hs_object_id")
            .with_columns(normalise_name(pl.col("recent_conversion_event_name")).alias("_form"))
            .group_by("hs_object_id", "_form", "recent_conversion_at")
            .agg(pl.col("person_id").first(), pl.col("num_conversion_events", "analytics_source",
                                                     "analytics_source_data_1").max()))
    content, at = _node("content:form:", "_form"), pl.col("recent_conversion_at")
    key = pl.concat_str([pl.lit("hubspot_contact"), "hs_object_id", "_form",
                         at.dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ")], separator="|", ignore_nulls=True)
    return _edge(plan, src=_node("person:", "person_id"), dst=content, edge_type="engaged_with",
                 occurred_at=at, content_id=content, source="hubspot_contact", key=key,
                 attrs=_json("num_conversion_events", "analytics_source", "analytics_source_data_1",
                             type=form_engagement(pl.col("_form"))))


def ad_clicks(tables: Tables, xw: pl.LazyFrame, who: pl.LazyFrame | None) -> pl.LazyFrame | None:
    """``person → Google Ads campaign`` where a lead's GCLID__c or an event's gclid is a known ad click."""
    found = []
    if "salesforce_lead" in tables:
        found.append(tables["salesforce_lead"].lazy().filter(pl.col("gclid").is_not_null())
                     .join(_persons_of(xw, "salesforce_lead", "id"), on="id")
                     .select("gclid", "person_id", via_lead=pl.lit(True), via_event=pl.lit(False)))
    if "segment_event" in tables and who is not None:
        found.append(tables["segment_event"].lazy().filter(pl.col("gclid").is_not_null())
                     .join(who, on="message_id")
                     .select("gclid", "person_id", via_lead=pl.lit(False), via_event=pl.lit(True)))
    if "google_ads_click" not in tables or not found:
        return None
    hits = (pl.concat(found).group_by("gclid", "person_id").agg(pl.col("via_lead", "via_event").any())
            .join(tables["google_ads_click"].lazy(), on="gclid"))
    campaign = pl.lit("campaign:google_ads:") + pl.col("campaign_id").cast(pl.String)
    return _edge(hits, src=_node("person:", "person_id"), dst=campaign, edge_type="clicked_ad",
                 occurred_at=pl.col("date").cast(UTC), campaign_id=campaign, source="google_ads_click",
                 key=pl.col("person_id") + "|" + pl.col("gclid"),
                 attrs=_json("gclid", "via_lead", "via_event", "ad_group_id", "ad_group_name",
                             "keyword_text"))


def _domain(e: pl.Expr) -> pl.Expr:
    return normalise_url(e).str.replace(r"/.*$", "")


def surges(tables: Tables, accounts: pl.LazyFrame, threshold: int) -> pl.LazyFrame | None:
    """``account → topic`` for each Bombora week whose composite score is at least ``threshold``."""
    if "bombora_surge" not in tables:
        return None
    surge = tables["bombora_surge"]
    by_domain = accounts.filter(pl.col("domain").is_not_null()).select(
        _domain(pl.col("domain")).alias("_domain"), "account_id").unique()
    plan = surge.lazy().filter(pl.col("composite_score") >= threshold)
    plan = _on_distinct(plan, "domain", surge["domain"], _domain, "_domain")
    plan = (_on_distinct(plan, "topic", surge["topic"], normalise_name, "_topic")
            .join(by_domain, on="_domain").sort("composite_score", "domain")
            .unique(["account_id", "_topic", "week_start_date"], keep="last"))
    week = pl.col("week_start_date").cast(pl.String)
    return _edge(plan, src=_node("account:", "account_id"), dst=_node("topic:", "_topic"),
                 edge_type="surging_on", occurred_at=pl.col("week_start_date").cast(UTC),
                 weight=pl.col("composite_score"), source="bombora_surge",
                 key=pl.concat_str(["account_id", "_topic", week], separator="|"),
                 attrs=_json("bucket_code", "category", "domain", "metro_area", "metro_composite_score",
                             week=week, score="composite_score"))


def person_owners(tables: Tables, xw: pl.LazyFrame) -> pl.LazyFrame | None:
    """``rep → person``: the owners of a person's Salesforce leads and contacts (one edge per pair)."""
    found = [tables[t].lazy().filter(pl.col("owner_id").is_not_null()).join(_persons_of(xw, t, "id"), on="id")
             .select("owner_id", "person_id", _lead=pl.lit(t == "salesforce_lead"))
             for t in ("salesforce_lead", "salesforce_contact") if t in tables]
    if not found:
        return None
    owned = pl.concat(found).group_by("owner_id", "person_id").agg(
        leads=pl.col("_lead").sum(), contacts=(~pl.col("_lead")).sum())
    return _edge(owned, src=_node("rep:", "owner_id"), dst=_node("person:", "person_id"), edge_type="owns",
                 source="salesforce", key=pl.col("owner_id") + "|person:" + pl.col("person_id"),
                 attrs=_json("leads", "contacts"))


def account_owners(tables: Tables) -> pl.LazyFrame | None:
    """``rep → account`` from Account.OwnerId."""
    if "salesforce_account" not in tables:
        return None
    return _edge(tables["salesforce_account"].lazy().filter(pl.col("owner_id").is_not_null()),
                 src=_node("rep:", "owner_id"), dst=_node("account:", "id"), edge_type="owns",
                 source="salesforce_account", key=pl.col("owner_id") + "|account:" + pl.col("id"),
                 attrs=_json(account_type="type"))


def parents(accounts: pl.LazyFrame) -> pl.LazyFrame:
    """``parent account → child account`` from ParentId."""
    return _edge(accounts.filter(pl.col("parent_id").is_not_null()), src=_node("account:", "parent_id"),
                 dst=_node("account:", "account_id"), edge_type="parent_of", source="salesforce_account",
                 key=pl.col("parent_id") + "|" + pl.col("account_id"), attrs="{}")
