"""Feature inputs read from the lakehouse: the knowledge graph's engagements, golden persons and accounts,
Bombora surges and Salesforce opportunities, in the plain shapes :class:`FeatureInputs` documents."""

from __future__ import annotations

import polars as pl

from pipelines.graph.stage import GRAPH_EDGES
from pipelines.identity.normalize import normalize_person_records
from pipelines.identity.stage import ACCOUNTS, CROSSWALK, PERSON_ACCOUNTS, PERSONS
from pipelines.storage.delta import DeltaStore

from .pit import FeatureInputs

__all__ = ["read_feature_inputs", "FEATURE_INPUT_TABLES"]

FEATURE_INPUT_TABLES = (GRAPH_EDGES, PERSONS, PERSON_ACCOUNTS, ACCOUNTS, CROSSWALK, "bronze.salesforce_opportunity",
                        "bronze.salesforce_lead")


def _latest(frame: pl.DataFrame, key: str) -> pl.DataFrame:
    order = [c for c in ("ingested_at", "source_file", "source_row") if c in frame.columns]
    return frame.sort(order).unique(key, keep="last") if order else frame.unique(key, keep="last")


def _strip(col: str, prefix: str) -> pl.Expr:
    return pl.col(col).str.strip_prefix(prefix)


def read_feature_inputs(store: DeltaStore) -> FeatureInputs:
    """Everything :func:`pipelines.features.pit.person_features` needs, from silver and bronze."""
    edges = store.read(GRAPH_EDGES, columns=["src", "dst", "edge_type", "occurred_at", "weight", "campaign_id",
                                             "attrs"])
    engagements = edges.filter(pl.col("edge_type").is_in(["engaged_with", "clicked_ad"])).select(
        _strip("src", "person:").alias("person_id"), "occurred_at",
        pl.when(pl.col("edge_type") == "clicked_ad").then(pl.lit("ad_click"))
        .otherwise(pl.col("attrs").str.json_path_match("$.type")).alias("engagement_type"),
        "campaign_id").drop_nulls(["person_id", "occurred_at"])
    surges = edges.filter(pl.col("edge_type") == "surging_on").select(
        _strip("src", "account:").alias("account_id"), pl.col("occurred_at").alias("week_start"),
        _strip("dst", "topic:").alias("topic"), pl.col("weight").alias("score"))

    crosswalk = store.read(CROSSWALK, columns=["source", "record_id", "person_id"])
    golden = store.read(PERSONS, columns=["person_id", "title", "first_seen"])
    titles = normalize_person_records(golden.select(pl.lit("golden").alias("source"),
                                                    pl.col("person_id").alias("record_id"), "title"))
    leads = _latest(store.read("bronze.salesforce_lead", columns=["id", "lead_source", "created_at", "ingested_at",
                                                                  "source_file", "source_row"]), "id")
    lead_source = (leads.join(crosswalk.filter(pl.col("source") == "salesforce_lead"), left_on="id",
                              right_on="record_id")
                   .sort("created_at").group_by("person_id")
                   .agg(pl.col("lead_source").drop_nulls().first(),
                        pl.col("created_at").min().alias("lead_created_at")))
    persons = (golden.select("person_id", "first_seen", titles["title_norm"])
               .join(store.read(PERSON_ACCOUNTS, columns=["person_id", "account_id"]), on="person_id", how="left")
               .join(lead_source, on="person_id", how="left"))
    crm_created = _latest(store.read("bronze.salesforce_account", columns=[
        "id", "created_at", "ingested_at", "source_file", "source_row"]), "id").select(
        pl.col("id").alias("account_id"), pl.col("created_at").alias("crm_created_at"))
    accounts = store.read(ACCOUNTS, columns=["account_id", "employees", "industry", "country_code"]).join(
        crm_created, on="account_id", how="left")
    opps = _latest(store.read("bronze.salesforce_opportunity"), "id").filter(~pl.col("is_deleted").fill_null(False))
    contacts = crosswalk.filter(pl.col("source") == "salesforce_contact").select(
        pl.col("record_id").alias("contact_id"), "person_id")
    opportunities = opps.join(contacts, on="contact_id", how="left").select(
        pl.col("id").alias("opportunity_id"), "account_id", "person_id", "created_at",
        pl.col("close_date").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"), "is_closed", "is_won")
    return FeatureInputs(engagements=engagements, persons=persons, accounts=accounts, surges=surges,
                         opportunities=opportunities)
