"""Point-in-time features: nothing after as_of leaks in; labels look only forward; scoped rows equal full rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from pipelines.features import FeatureInputs, conversion_labels, person_features

T = datetime(2026, 8, 1, tzinfo=UTC)
UTC_US = pl.Datetime("us", "UTC")


def _inputs(*, extra_events: list[tuple] = (), extra_opps: list[tuple] = (),
            extra_surges: list[tuple] = (), account_created: datetime = T - timedelta(days=100)) -> FeatureInputs:
    events = [
        ("p1", T - timedelta(days=2), "demo_request", "c1"),
        ("p1", T - timedelta(days=10), "page_view", None),
        ("p1", T - timedelta(days=40), "form_fill", "c0"),
        ("p2", T - timedelta(hours=12), "pricing_view", None),
        ("p3", T - timedelta(days=5), "email_open", None),
        *extra_events,
    ]
    opps = [("o1", "a1", None, T - timedelta(days=30), T + timedelta(days=30), False, False), *extra_opps]
    surges = [("a1", T - timedelta(days=14), "data governance", 72.0), *extra_surges]
    return FeatureInputs(
        engagements=pl.DataFrame(events, schema={"person_id": pl.String, "occurred_at": UTC_US,
                                                 "engagement_type": pl.String, "campaign_id": pl.String},
                                 orient="row"),
        persons=pl.DataFrame({"person_id": ["p1", "p2", "p3"], "account_id": ["a1", "a1", None],
                              "title_norm": ["vice president of marketing", "data analyst", None],
                              "first_seen": [T - timedelta(days=60)] * 3, "lead_source": ["Webinar", None, None],
                              "lead_created_at": [T - timedelta(days=50), None, None]},
                             schema_overrides={"first_seen": UTC_US, "lead_created_at": UTC_US}),
        accounts=pl.DataFrame({"account_id": ["a1"], "employees": [420], "industry": ["Software"],
                               "country_code": ["US"], "crm_created_at": [account_created]},
                              schema_overrides={"crm_created_at": UTC_US}),
        surges=pl.DataFrame(surges, schema={"account_id": pl.String, "week_start": UTC_US, "topic": pl.String,
                                            "score": pl.Float64}, orient="row"),
        opportunities=pl.DataFrame(opps, schema={
            "opportunity_id": pl.String, "account_id": pl.String, "person_id": pl.String, "created_at": UTC_US,
            "close_date": UTC_US, "is_closed": pl.Boolean, "is_won": pl.Boolean}, orient="row"),
    )


def test_features_as_of_t_never_use_anything_after_t() -> None:
    before = person_features(_inputs(), [T])
    future = _inputs(
        extra_events=[("p1", T + timedelta(seconds=1), "demo_request", "c9"), ("p2", T, "form_fill", None),
                      ("p3", T + timedelta(days=3), "pricing_view", None)],
        extra_opps=[("o2", "a1", "p1", T + timedelta(days=1), T + timedelta(days=2), True, True)],
        extra_surges=[("a1", T - timedelta(days=3), "crm", 99.0)],  # that week has not ended at T
    )
    after = person_features(future, [T])
    assert after.equals(before)


def test_engagement_windows_recency_and_account_context() -> None:
    f = person_features(_inputs(), [T]).sort("person_id")
    p1 = f.row(0, named=True)
    assert (p1["demo_request_1d"], p1["demo_request_7d"], p1["demo_request_30d"]) == (0, 1, 1)
    assert p1["web_visit_7d"] == 0 and p1["web_visit_30d"] == 1
    assert p1["form_fill_30d"] == 0 and p1["form_fill_90d"] == 1
    assert p1["days_since_demo_request"] == pytest.approx(2.0)
    assert p1["first_campaign"] == "c0"
    assert p1["seniority"] == "vp" and p1["function"] == "marketing" and p1["lead_source"] == "Webinar"
    assert p1["buying_group_30d"] == 2  # p1 and p2 engaged in the last 30 days at a1
    assert p1["surge_top_topic"] == "data governance" and p1["surge_top_score"] == 72.0
    assert p1["open_opportunity"] is True and p1["customer"] is False
    assert p1["employees"] == 420 and p1["employee_band"] == "250-999"
    p3 = f.row(2, named=True)
    assert p3["has_account"] is False and p3["buying_group_30d"] == 0


def test_current_state_crm_fields_do_not_leak() -> None:
    late = person_features(_inputs(account_created=T + timedelta(days=5)), [T]).sort("person_id").row(0, named=True)
    assert late["employees"] is None and late["industry"] is None and late["account_in_crm"] is False
    won_later = _inputs(extra_opps=[("o3", "a1", None, T - timedelta(days=60), T + timedelta(days=3), True, True)])
    assert person_features(won_later, [T]).sort("person_id").row(0, named=True)["customer"] is False


def test_labels_look_only_forward_within_the_horizon() -> None:
    inputs = _inputs(extra_opps=[
        ("o4", "a1", None, T + timedelta(days=89), T + timedelta(days=120), False, False),
        ("o5", None, "p3", T + timedelta(days=91), T + timedelta(days=120), False, False),
    ])
    keys = pl.DataFrame({"person_id": ["p1", "p2", "p3"], "as_of": [T] * 3}, schema_overrides={"as_of": UTC_US})
    labels = conversion_labels(inputs, keys).sort("person_id")
    assert labels["converted"].to_list() == [True, True, False]  # o1 was created before T: not a label


def test_scoped_rows_equal_the_full_build() -> None:
    inputs = _inputs()
    full = person_features(inputs, [T, T + timedelta(days=7)])
    scoped = person_features(inputs, [T, T + timedelta(days=7)], persons=["p2"])
    assert scoped.equals(full.filter(pl.col("person_id") == "p2"))
