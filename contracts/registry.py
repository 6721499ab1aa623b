"""Every bronze contract in force, by table. A new contract version is added here; old ones stay importable.

See ``docs/contracts.md`` for how a v2 comes in with a deprecation path.
"""

from __future__ import annotations

from contracts.bronze.ads_intent import (
    BomboraSurgeV1,
    GoogleAdsCampaignSpendV1,
    GoogleAdsClickV1,
    LinkedInLeadGenV1,
)
from contracts.bronze.events import SegmentEventV1
from contracts.bronze.marketing import HubSpotContactV1, MarketoActivityV1, MarketoLeadV1
from contracts.bronze.salesforce import (
    SalesforceAccountV1,
    SalesforceCampaignV1,
    SalesforceContactV1,
    SalesforceLeadV1,
    SalesforceOpportunityV1,
    SalesforceTaskV1,
    SalesforceUserV1,
)
from contracts.spec import BronzeContract

__all__ = ["BRONZE_CONTRACTS", "contract_for_table", "contract_for_file"]

_SF_FRESH = {"freshness_column": "last_modified_at", "freshness_max_age_days": 3.0}

BRONZE_CONTRACTS: tuple[BronzeContract, ...] = (
    BronzeContract("salesforce", "Lead", "Lead_", "salesforce_lead", SalesforceLeadV1, ("id",),
                   email_column="email", **_SF_FRESH),
    BronzeContract("salesforce", "Contact", "Contact_", "salesforce_contact", SalesforceContactV1, ("id",),
                   email_column="email", **_SF_FRESH),
    BronzeContract("salesforce", "Account", "Account_", "salesforce_account", SalesforceAccountV1, ("id",),
                   freshness_column="last_modified_at", freshness_max_age_days=30.0),
    BronzeContract("salesforce", "Opportunity", "Opportunity_", "salesforce_opportunity",
                   SalesforceOpportunityV1, ("id",), freshness_column="last_modified_at",
                   freshness_max_age_days=14.0),
    BronzeContract("salesforce", "User", "User_", "salesforce_user", SalesforceUserV1, ("id",),
                   email_column="email"),
    BronzeContract("salesforce", "Task", "Task_", "salesforce_task", SalesforceTaskV1, ("id",),
                   freshness_column="created_at", freshness_max_age_days=3.0),
    BronzeContract("salesforce", "Campaign", "Campaign_", "salesforce_campaign", SalesforceCampaignV1, ("id",)),
    BronzeContract("hubspot", "contacts", "contacts_", "hubspot_contact", HubSpotContactV1, ("hs_object_id",),
                   email_column="email", freshness_column="last_modified_at"),
    BronzeContract("marketo", "leads", "leads_", "marketo_lead", MarketoLeadV1, ("id",),
                   email_column="email", freshness_column="updated_at"),
    BronzeContract("marketo", "activities", "activities_", "marketo_activity", MarketoActivityV1,
                   ("marketo_guid",), freshness_column="activity_at"),
    BronzeContract("google_ads", "click_view", "click_view_", "google_ads_click", GoogleAdsClickV1, ("gclid",)),
    BronzeContract("google_ads", "campaign", "campaign_", "google_ads_campaign_spend", GoogleAdsCampaignSpendV1,
                   ("date", "campaign_id")),
    BronzeContract("linkedin", "leadgen", "leadgen_", "linkedin_lead_gen", LinkedInLeadGenV1, ("lead_id",),
                   email_column="email", freshness_column="submitted_at", freshness_max_age_days=7.0),
    BronzeContract("bombora", "surge", "surge_", "bombora_surge", BomboraSurgeV1,
                   ("domain", "topic", "week_start_date"), freshness_max_age_days=10.0),
    BronzeContract("events", "events", "events_", "segment_event", SegmentEventV1, ("message_id",),
                   file_format="jsonl", email_column="email", freshness_column="timestamp",
                   freshness_max_age_days=2.0, key_is_global=True),
)

_BY_TABLE = {c.table: c for c in BRONZE_CONTRACTS}


def contract_for_table(table: str) -> BronzeContract:
    try:
        return _BY_TABLE[table]
    except KeyError:
        msg = f"no bronze contract for table {table!r}; known tables: {', '.join(sorted(_BY_TABLE))}"
        raise KeyError(msg) from None


def contract_for_file(source: str, file_name: str) -> BronzeContract | None:
    """The contract a landing file belongs to (folder + name prefix), or ``None`` if none claims it."""
    for c in BRONZE_CONTRACTS:
        if c.source == source and c.file_pattern.match(file_name):
            return c
    return None
