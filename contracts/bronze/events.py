"""Real-time intake events (Segment/RudderStack spec, JSON Lines), contract v1.

Vendor names of nested keys are dotted paths into the JSON object (``traits.email``, ``context.page.url``).
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData

from contracts.bronze.fields import DateTime, Provenance, opt, req, ts

EVENT_TYPES = ["identify", "track"]
TRACK_EVENTS = [
    "Form Submitted", "Demo Requested", "Pricing Page Viewed", "Page Viewed", "Chat Started", "Trial Started",
]


class SegmentEventV1(Provenance):
    message_id: str = req("messageId")
    type: str = req("type", isin=EVENT_TYPES)
    timestamp: DateTime = ts("timestamp", required=True)
    user_id: str = opt("userId")
    anonymous_id: str = opt("anonymousId")
    event: str = opt("event")
    email: str = opt("traits.email")
    first_name: str = opt("traits.firstName")
    last_name: str = opt("traits.lastName")
    phone: str = opt("traits.phone")
    company: str = opt("traits.company")
    title: str = opt("traits.title")
    website: str = opt("traits.website")
    country: str = opt("traits.country")
    form_name: str = opt("properties.form_name")
    url: str = opt("properties.url")
    utm_source: str = opt("properties.utm_source")
    utm_medium: str = opt("properties.utm_medium")
    utm_campaign: str = opt("properties.utm_campaign")
    gclid: str = opt("properties.gclid")
    form_email: str = opt("properties.email")
    ip: str = opt("context.ip")
    user_agent: str = opt("context.userAgent")
    page_url: str = opt("context.page.url")
    page_referrer: str = opt("context.page.referrer")

    @pa.dataframe_check(name="required_missing:event")
    @classmethod
    def _track_has_event(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("type") != "track") | pl.col("event").is_not_null())

    @pa.dataframe_check(name="required_missing:anonymousId")
    @classmethod
    def _has_user_or_anonymous_id(cls, data: PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("user_id").is_not_null() | pl.col("anonymous_id").is_not_null())
