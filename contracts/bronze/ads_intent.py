"""Ad platforms (Google Ads GAQL exports, LinkedIn Lead Gen Forms) and Bombora Company Surge, contract v1."""

from __future__ import annotations

import polars as pl

from contracts.bronze.fields import DateTime, Provenance, opt, req, ts


class GoogleAdsClickV1(Provenance):
    gclid: str = req("click_view.gclid")
    date: pl.Date = req("segments.date")
    campaign_id: pl.Int64 = req("campaign.id", ge=0)
    campaign_name: str = opt("campaign.name")
    ad_group_id: pl.Int64 = opt("ad_group.id", ge=0)
    ad_group_name: str = opt("ad_group.name")
    keyword_text: str = opt("click_view.keyword_info.text")
    area_of_interest_city: str = opt("click_view.area_of_interest.city")


class GoogleAdsCampaignSpendV1(Provenance):
    date: pl.Date = req("segments.date")
    campaign_id: pl.Int64 = req("campaign.id", ge=0)
    campaign_name: str = opt("campaign.name")
    impressions: pl.Int64 = opt("metrics.impressions", ge=0)
    clicks: pl.Int64 = opt("metrics.clicks", ge=0)
    cost_micros: pl.Int64 = opt("metrics.cost_micros", ge=0)
    conversions: pl.Float64 = opt("metrics.conversions", ge=0)


class LinkedInLeadGenV1(Provenance):
    lead_id: str = req("Lead ID")
    first_name: str = opt("First Name")
    last_name: str = opt("Last Name")
    email: str = opt("Email Address")
    company_name: str = opt("Company Name")
    job_title: str = opt("Job Title")
    country: str = opt("Country")
    company_size: str = opt("Company Size")
    campaign_id: str = opt("Campaign ID")
    campaign_name: str = opt("Campaign Name")
    form_name: str = opt("Form Name")
    submitted_at: DateTime = ts("Submitted At", required=True)


class BomboraSurgeV1(Provenance):
    company_name: str = opt("Company Name")
    domain: str = req("Domain")
    size: str = opt("Size")
    industry: str = opt("Industry")
    category: str = opt("Category")
    topic: str = req("Topic")
    composite_score: pl.Int64 = req("Composite Score", ge=0, le=100)
    bucket_code: str = opt("Bucket Code")
    metro_area: str = opt("Metro Area")
    metro_composite_score: pl.Int64 = opt("Metro Composite Score", ge=0, le=100)
    domain_origin_country: str = opt("Domain Origin Country")
    week_start_date: pl.Date = req("Week Start Date")
