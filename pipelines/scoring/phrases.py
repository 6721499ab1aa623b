"""Plain words for the lead-score reasons: one phrase per feature of the lead model, so a brief says
"viewed pricing 3 times this week", never "pricing_view_7d = 3".

Examples
--------
>>> PHRASES["pricing_view_7d"](3.0), PHRASES["demo_request_30d"](0.0), PHRASES["days_since_demo_request"](2.0)
('3 pricing views this week', 'no demo requests in the last 30 days', 'requested a demo 2 days ago')
>>> PHRASES["account_sales_touches_90d"](12.0), PHRASES["employees"](2500.0)
('sales touched the account 12 times in the last 90 days', '2,500 employees at the account')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["PHRASES"]

# engagement kind → (singular, plural, verb phrase for "days since")
_KINDS = {
    "form_fill": ("form fill", "form fills", "filled in a form"),
    "demo_request": ("demo request", "demo requests", "requested a demo"),
    "pricing_view": ("pricing view", "pricing views", "viewed pricing"),
    "email_open": ("email open", "email opens", "opened an email"),
    "email_click": ("email click", "email clicks", "clicked an email"),
    "ad_click": ("ad click", "ad clicks", "clicked an ad"),
    "web_visit": ("page view", "page views", "visited the site"),
    "sales_touch": ("sales touch", "sales touches", "was last contacted by sales"),
}
_WINDOWS = {"1d": "today", "7d": "this week", "30d": "in the last 30 days", "90d": "in the last 90 days"}


def _ago(v: Any) -> str:
    days = int(round(float(v)))
    return "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"


def _count(singular: str, plural: str, window: str) -> Callable[[Any], str]:
    def phrase(v: Any) -> str:
        n = int(round(float(v)))
        return f"no {plural} {window}" if n == 0 else f"1 {singular} {window}" if n == 1 else f"{n} {plural} {window}"
    return phrase


def _since(verb: str) -> Callable[[Any], str]:
    return lambda v: f"{verb} {_ago(v)}"


def _flag(yes: str, no: str) -> Callable[[Any], str]:
    return lambda v: yes if v else no


def _n(v: Any) -> int:
    return int(round(float(v)))


PHRASES: Mapping[str, Callable[[Any], str]] = {
    **{f"{kind}_{w}": _count(one, many, window) for kind, (one, many, _) in _KINDS.items()
       for w, window in _WINDOWS.items()},
    **{f"days_since_{kind}": _since(verb) for kind, (_, _, verb) in _KINDS.items()},
    "engagements_decayed": lambda v: f"recent engagement score {float(v):.1f}",
    "days_known": lambda v: f"known for {_n(v)} days",
    "buying_group_30d": lambda v: f"{_n(v)} people from the account engaged in the last 30 days",
    "account_engagements_30d": lambda v: f"the account engaged {_n(v)} times in the last 30 days",
    "account_engagements_90d": lambda v: f"the account engaged {_n(v)} times in the last 90 days",
    "account_engaged_persons_90d": lambda v: f"{_n(v)} people at the account engaged in the last 90 days",
    "account_demo_requests_90d": lambda v: f"{_n(v)} demo requests from the account in the last 90 days",
    "account_form_fills_90d": lambda v: f"{_n(v)} form fills from the account in the last 90 days",
    "account_pricing_views_90d": lambda v: f"{_n(v)} pricing views from the account in the last 90 days",
    "account_sales_touches_90d": lambda v: f"sales touched the account {_n(v)} times in the last 90 days",
    "account_engagement_decayed": lambda v: f"account engagement score {float(v):.1f} (recent activity counts most)",
    "account_persons_known": lambda v: f"{_n(v)} people known at the account",
    "account_in_crm": _flag("the account is in the CRM", "the account is not in the CRM yet"),
    "has_account": _flag("matched to an account", "no account matched yet"),
    "surge_top_topic": lambda v: f"account surging on {v}",
    "surge_top_score": lambda v: f"account intent surge score {float(v):.0f}",
    "surge_topics": lambda v: f"account surging on {_n(v)} topic(s)",
    "open_opportunity": _flag("the account has an open opportunity", "no open opportunity"),
    "customer": _flag("already a customer", "not a customer yet"),
    "seniority": lambda v: f"{str(v).replace('_', '-')} seniority",
    "function": lambda v: f"works in {v}",
    "employee_band": lambda v: f"{v} employees",
    "employees": lambda v: f"{_n(v):,} employees at the account",
    "industry": lambda v: f"{v} industry",
    "country_code": lambda v: f"based in {v}",
    "lead_source": lambda v: f"came in through {v}",
    "first_campaign": lambda v: f"first came through campaign {v}",
}
