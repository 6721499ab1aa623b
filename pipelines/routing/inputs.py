"""Routing inputs from the lakehouse: scored leads joined to persons, accounts, open opportunities and the
product line each person looked at, in :data:`~pipelines.routing.engine.LEAD_INPUT_SCHEMA` shape, plus the brief
context (who, recent touches, buying group, surging topics).

Both cadences call :func:`routing_inputs`: the batch over every scored person, the sensor-driven run with
``persons=`` the few a micro-batch touched (filters are pushed into the Delta reads).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

import polars as pl

from pipelines.graph.build import latest
from pipelines.graph.stage import GRAPH_EDGES
from pipelines.identity.stage import ACCOUNTS, CROSSWALK, PERSONS
from pipelines.scoring.current import current_lead_scores
from pipelines.storage.reads import TableReader

from .rules import RoutingRules

__all__ = ["routing_inputs", "brief_context", "sf_ids_of"]


def _read(store: TableReader, table: str, columns: list[str], persons: Collection[str] | None,
          key: str = "person_id") -> pl.DataFrame:
    dt_ = store.table(table)
    if dt_ is None:
        msg = f"{table} does not exist yet: materialize the assets upstream of routing first (handoff run)"
        raise ValueError(msg)
    return store.read(table, columns=columns, where=None if persons is None else {key: list(persons)})


def product_interest(edges: pl.DataFrame, rules: RoutingRules) -> pl.DataFrame:
    """``person_id, product``: the product line of the latest page or form a person engaged with that the rules
    map to one (``rules.products``: substring → product line)."""
    if not rules.products:
        return pl.DataFrame(schema={"person_id": pl.String, "product": pl.String})
    product = pl.lit(None, dtype=pl.String)
    for pattern, line in reversed(list(rules.products.items())):
        product = pl.when(pl.col("dst").str.contains(pattern, literal=True)).then(pl.lit(line)).otherwise(product)
    return (edges.with_columns(product.alias("product")).drop_nulls("product")
            .sort("occurred_at").group_by("person_id").agg(pl.col("product").last()))


def routing_inputs(store: TableReader, rules: RoutingRules, *, persons: Collection[str] | None = None,
                   scores: pl.DataFrame | None = None, edges: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per scored person: the engine's lead inputs plus ``model_version`` and ``scored_at``.

    ``scores`` (``gold.lead_scores`` rows) may be passed when they were just computed (the real-time path);
    otherwise each person's current score is read (:func:`~pipelines.scoring.current.current_lead_scores`).
    """
    if scores is None:
        scores = current_lead_scores(store, columns=["person_id", "as_of", "probability", "confidence",
                                                     "needs_review", "model_version"], persons=persons)
    scores = scores.select("person_id", "probability", "confidence", "needs_review", "model_version",
                           pl.col("as_of").alias("scored_at"))
    wanted = scores["person_id"] if persons is None else persons
    people = _read(store, PERSONS, ["person_id", "country_code", "region", "account_id"], persons)
    scope = None if persons is None else people["account_id"].drop_nulls().unique().to_list()
    accounts = _read(store, ACCOUNTS, ["account_id", "employees", "domain", "owner_id"], scope,
                     key="account_id").rename({"domain": "account_domain", "owner_id": "account_owner_id"})
    opps = _read(store, "bronze.salesforce_opportunity", [
        "id", "account_id", "owner_id", "is_closed", "is_deleted", "created_at", "ingested_at", "source_file",
        "source_row"], scope, key="account_id")
    live = ~pl.col("is_closed").fill_null(False) & ~pl.col("is_deleted").fill_null(False)
    open_opps = (latest(opps, "id").filter(live)
                 .sort("created_at").group_by("account_id").agg(pl.col("owner_id").last().alias("opportunity_owner_id")))
    edges = _edges_of(store, wanted, attrs=False, prefetched=edges)
    return (scores.join(people, on="person_id", how="left")
            .join(accounts, on="account_id", how="left")
            .join(open_opps, on="account_id", how="left")
            .join(product_interest(edges, rules), on="person_id", how="left"))


def _edges_of(store: TableReader, persons: Collection[str] | pl.Series, *, attrs: bool = True,
              prefetched: pl.DataFrame | None = None) -> pl.DataFrame:
    """Engagement edges of ``persons`` (a Series: everyone) with ``person_id``; from ``prefetched`` (the scope's
    edges, :func:`~pipelines.features.inputs.scope_edges`) when given."""
    cols = ["src", "dst", "edge_type", "occurred_at", *(["attrs"] if attrs else [])]
    if prefetched is not None:
        wanted = persons.to_list() if isinstance(persons, pl.Series) else list(persons)
        data = prefetched.filter(pl.col("src").is_in([f"person:{p}" for p in wanted])).select(cols)
    elif isinstance(persons, pl.Series):  # every person: every engagement edge
        data = store.read(GRAPH_EDGES, columns=cols, where={"edge_type": ["engaged_with"]})
    else:
        data = store.read(GRAPH_EDGES, columns=cols, where={"src": [f"person:{p}" for p in persons]})
    return (data.filter(pl.col("edge_type") == "engaged_with")
            .with_columns(pl.col("src").str.strip_prefix("person:").alias("person_id")))


def sf_ids_of(store: TableReader, persons: Collection[str]) -> pl.DataFrame:
    """``person_id, sf_lead_id, sf_contact_id``: the person's newest Salesforce Lead and Contact ids."""
    cw = _read(store, CROSSWALK, ["source", "record_id", "person_id"], persons)
    sf = cw.filter(pl.col("source").is_in(["salesforce_lead", "salesforce_contact"]))
    return sf.sort("record_id").group_by("person_id").agg(
        pl.col("record_id").filter(pl.col("source") == "salesforce_lead").last().alias("sf_lead_id"),
        pl.col("record_id").filter(pl.col("source") == "salesforce_contact").last().alias("sf_contact_id"))


def brief_context(store: TableReader, persons: Collection[str], *, now: dt.datetime,
                  edges: pl.DataFrame | None = None) -> pl.DataFrame:
    """Who and why-now context for the persons being handed off (a handful to tens of thousands).

    ``person_id, first_name, last_name, title, email, phone, company, country_code, account_name,
    account_industry, account_employees, buying_group, recent_touches, surging_topics, engaged_content,
    sf_lead_id, sf_contact_id``.
    """
    persons = list(persons)
    people = _read(store, PERSONS, ["person_id", "first_name", "last_name", "title", "email", "phone", "company",
                                    "country_code", "account_id"], persons)
    accounts = _read(store, ACCOUNTS, ["account_id", "name", "industry", "employees"],
                     people["account_id"].drop_nulls().unique().to_list(), key="account_id").rename(
        {"name": "account_name", "industry": "account_industry", "employees": "account_employees"})
    prefetched = edges
    edges = _edges_of(store, persons, prefetched=prefetched)
    kind = pl.col("attrs").str.json_path_match("$.type").fill_null("touch")
    detail = pl.col("dst").str.replace(r"^content:[a-z_]+:", "")
    touches = (edges.sort("occurred_at", descending=True).group_by("person_id").agg(
        pl.struct(pl.col("occurred_at").alias("at"), kind.alias("kind"), detail.alias("detail"))
        .head(5).alias("recent_touches"),
        detail.filter(pl.col("dst").str.starts_with("content:page:") | pl.col("dst").str.starts_with("content:form:"))
        .unique(maintain_order=True).head(10).alias("engaged_content")))
    # buying group: other persons of the same account engaged in the last 30 days
    account_ids = people["account_id"].drop_nulls().unique().to_list()
    account_nodes = [f"account:{a}" for a in account_ids]
    surges = (prefetched.filter(pl.col("src").is_in(account_nodes)) if prefetched is not None else
              store.read(GRAPH_EDGES, columns=["src", "dst", "edge_type", "occurred_at", "weight"],
                         where={"src": account_nodes}))
    recent = surges.filter((pl.col("edge_type") == "surging_on")
                           & (pl.col("occurred_at") >= now - dt.timedelta(days=21)))
    topics = (recent.sort("weight", descending=True).group_by("src").agg(
        pl.col("dst").str.strip_prefix("topic:").unique(maintain_order=True).head(3).alias("surging_topics"))
        .with_columns(pl.col("src").str.strip_prefix("account:").alias("account_id")).drop("src"))
    mates = _read(store, PERSONS, ["person_id", "first_name", "last_name", "title", "account_id"], account_ids,
                  key="account_id") if account_ids else people.clear()
    mate_edges = (_edges_of(store, mates["person_id"].to_list(), prefetched=prefetched) if mates.height
                  else edges.clear())
    active = mate_edges.filter(pl.col("occurred_at") >= now - dt.timedelta(days=30)).select("person_id").unique()
    group = (mates.join(active, on="person_id").select(
        "account_id", pl.col("person_id").alias("mate_id"),
        pl.struct((pl.col("first_name").fill_null("") + pl.lit(" ") + pl.col("last_name").fill_null(""))
                  .str.strip_chars().alias("name"), pl.col("title")).alias("member")))
    bg = (people.select("person_id", "account_id").join(group, on="account_id")
          .filter(pl.col("person_id") != pl.col("mate_id"))
          .group_by("person_id").agg(pl.col("member").head(5).alias("buying_group")))
    empty = {"buying_group": pl.List(pl.Struct({"name": pl.String, "title": pl.String})),
             "recent_touches": pl.List(pl.Struct({"at": pl.Datetime("us", "UTC"), "kind": pl.String,
                                                  "detail": pl.String})),
             "surging_topics": pl.List(pl.String), "engaged_content": pl.List(pl.String)}
    out = (people.join(accounts, on="account_id", how="left").join(touches, on="person_id", how="left")
           .join(topics, on="account_id", how="left").join(bg, on="person_id", how="left")
           .join(sf_ids_of(store, persons), on="person_id", how="left"))
    return out.with_columns(pl.col(c).cast(t).fill_null(pl.lit([], dtype=t)) for c, t in empty.items()).drop(
        "account_id")
