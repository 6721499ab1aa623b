"""Marketing automation exports: HubSpot contacts (CRM API v3 names) and Marketo bulk extracts, contract v1."""

from __future__ import annotations

import duckdb
import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from contracts.bronze.fields import DateTime, Provenance, numeric_id, opt, req, ts

LIFECYCLE_STAGES = [
    "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
    "opportunity", "customer", "evangelist", "other",
]
MARKETO_ACTIVITY_TYPES = {
    1: "Visit Webpage", 2: "Fill Out Form", 3: "Click Link", 6: "Send Email", 7: "Email Delivered",
    8: "Email Bounced", 9: "Unsubscribe Email", 10: "Open Email", 11: "Click Email", 12: "New Lead",
    13: "Change Data Value",
}


def json_object_mask(values: pl.Series) -> pl.Series:
    """True where a value is null or a JSON object; vectorised in DuckDB (Polars has no JSON validator).

    Examples
    --------
    >>> json_object_mask(pl.Series(['{"a": 1}', '{"a":', None, "[1]"])).to_list()
    [True, False, True, False]
    """
    con = duckdb.default_connection().cursor()  # a cursor per call: safe when files are ingested in threads
    try:
        con.register("frame", pl.DataFrame({"v": values.cast(pl.String)}))
        sql = "select v is null or (json_valid(v) and starts_with(ltrim(v), '{')) as ok from frame"
        return con.sql(sql).pl()["ok"]
    finally:
        con.close()


class HubSpotContactV1(Provenance):
    hs_object_id: str = req("hs_object_id", str_matches=r"^[0-9]+$")
    email: str = opt("email")
    first_name: str = opt("firstname")
    last_name: str = opt("lastname")
    phone: str = opt("phone")
    company: str = opt("company")
    website: str = opt("website")
    job_title: str = opt("jobtitle")
    lifecycle_stage: str = opt("lifecyclestage", isin=LIFECYCLE_STAGES)
    lead_status: str = opt("hs_lead_status")
    city: str = opt("city")
    state: str = opt("state")
    country: str = opt("country")
    created_at: DateTime = ts("createdate", required=True)
    last_modified_at: DateTime = ts("lastmodifieddate", required=True)
    analytics_source: str = opt("hs_analytics_source")
    analytics_source_data_1: str = opt("hs_analytics_source_data_1")
    recent_conversion_event_name: str = opt("recent_conversion_event_name")
    recent_conversion_at: DateTime = ts("recent_conversion_date")
    num_conversion_events: pl.Int64 = opt("num_conversion_events", ge=0)
    email_optout: pl.Boolean = opt("hs_email_optout")


class MarketoLeadV1(Provenance):
    id: pl.Int64 = numeric_id("id")
    email: str = opt("email")
    first_name: str = opt("firstName")
    last_name: str = opt("lastName")
    company: str = opt("company")
    title: str = opt("title")
    phone: str = opt("phone")
    website: str = opt("website")
    city: str = opt("city")
    state: str = opt("state")
    country: str = opt("country")
    lead_source: str = opt("leadSource")
    created_at: DateTime = ts("createdAt", required=True)
    updated_at: DateTime = ts("updatedAt", required=True)
    sfdc_lead_id: str = opt("sfdcLeadId")
    sfdc_contact_id: str = opt("sfdcContactId")
    unsubscribed: pl.Boolean = opt("unsubscribed")


class MarketoActivityV1(Provenance):
    marketo_guid: str = req("marketoGUID")
    lead_id: pl.Int64 = numeric_id("leadId")
    activity_at: DateTime = ts("activityDate", required=True)
    activity_type_id: pl.Int64 = req("activityTypeId", isin=sorted(MARKETO_ACTIVITY_TYPES))
    campaign_id: pl.Int64 = opt("campaignId")
    primary_attribute_value_id: str = opt("primaryAttributeValueId")
    primary_attribute_value: str = opt("primaryAttributeValue")
    attributes: str = opt("attributes")

    @pa.check("attributes", name="is_json_object")
    @classmethod
    def _attributes_are_json_objects(cls, data: PolarsData) -> pl.LazyFrame:
        values = data.lazyframe.select(data.key).collect().to_series()
        return pl.LazyFrame({data.key: json_object_mask(values)})
