"""The knowledge graph on a small hand-made world: every edge type, anonymous visitors, scoping, views."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import duckdb
import polars as pl
import pytest

from pipelines.graph import EDGE_SCHEMA, EDGE_TYPES, GRAPH_VIEWS, NODE_SCHEMA, build_graph

NOW = datetime.now(UTC).replace(microsecond=0)
WEEK = date(2026, 11, 16)
WEBINAR = "2026_q2_webinar_attribution_global"


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, infer_schema_length=None)


def world() -> tuple[dict[str, pl.DataFrame], pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Ann (lead, Marketo, HubSpot) and Bob (contact) at Acme, Carl a web visitor at prospect Globex, Dana a
    LinkedIn lead at Acme's parent."""
    bronze = {
        "salesforce_account": frame([
            {"id": "001P", "name": "Parent Co", "owner_id": "005R1", "parent_id": None, "is_deleted": False},
            {"id": "001A", "name": "Acme", "owner_id": "005R1", "parent_id": "001P", "is_deleted": False},
        ]),
        "salesforce_user": frame([{"id": "005R1", "name": "Rita Rep", "is_active": True}]),
        "salesforce_lead": frame([  # re-delivered: the later file's owner counts
            {"id": "00QL1", "first_name": "Ann", "last_name": "Lee", "email": "ann@acme.com",
             "owner_id": "005OLD", "gclid": "G1", "last_modified_at": ago(9), "is_deleted": False,
             "source_file": "Lead_1.csv"},
            {"id": "00QL1", "first_name": "Ann", "last_name": "Lee", "email": "ann@acme.com",
             "owner_id": "005R1", "gclid": "G1", "last_modified_at": ago(2), "is_deleted": False,
             "source_file": "Lead_2.csv"},
            {"id": "00QGONE", "first_name": "Del", "last_name": "Eted", "owner_id": "005R1", "gclid": None,
             "last_modified_at": ago(1), "is_deleted": True, "source_file": "Lead_2.csv"},
        ]),
        "salesforce_contact": frame([{"id": "003C1", "first_name": "Bob", "last_name": "Ray",
                                      "owner_id": "005R2", "last_modified_at": ago(3), "is_deleted": False}]),
        "salesforce_task": frame([
            {"id": "00T1", "who_id": "00QL1", "owner_id": "005R1", "subject": "Call:  Intro ",
             "status": "Completed", "task_subtype": "Call", "created_at": ago(4), "completed_at": ago(4),
             "is_closed": True},
            {"id": "00T2", "who_id": "003C1", "owner_id": "005R1", "subject": "Email: Intro",
             "status": "Not Started", "task_subtype": "Email", "created_at": ago(1), "completed_at": None,
             "is_closed": False},
        ]),
        "salesforce_campaign": frame([{"id": "701W", "name": "2026-Q2 Webinar - Attribution Global"}]),
        "marketo_lead": frame([{"id": 101, "email": "ann@acme.com", "updated_at": ago(5)}]),
        "marketo_activity": frame([
            {"marketo_guid": "m1", "lead_id": 101, "activity_at": ago(6), "activity_type_id": 2,
             "campaign_id": 1007, "primary_attribute_value": " Demo  Request"},
            {"marketo_guid": "m2", "lead_id": 101, "activity_at": ago(7), "activity_type_id": 1,
             "campaign_id": None, "primary_attribute_value": "www.Handoff.example/Pricing/",
             "attributes": '{"Query Parameters":"utm_source=g&utm_campaign=' + WEBINAR + '"}'},
            {"marketo_guid": "m3", "lead_id": 101, "activity_at": ago(8), "activity_type_id": 10,
             "campaign_id": 1007, "primary_attribute_value": "2026-Q2 Webinar - Attribution Global.Email"},
            {"marketo_guid": "m4", "lead_id": 101, "activity_at": ago(8), "activity_type_id": 6,
             "campaign_id": 1007, "primary_attribute_value": "2026-Q2 Webinar - Attribution Global.Email"},
        ]),
        "segment_event": frame([
            {"message_id": "e1", "type": "identify", "timestamp": ago(3), "anonymous_id": "A1",
             "email": "carl@globex.com", "first_name": "Carl"},
            {"message_id": "e2", "type": "track", "event": "Page Viewed", "timestamp": ago(5),
             "anonymous_id": "A1", "url": "https://www.handoff.example/pricing?utm_source=x"},
            {"message_id": "e3", "type": "track", "event": "Form Submitted", "timestamp": ago(2),
             "anonymous_id": "A2", "form_name": "Contact Us"},
            {"message_id": "e4", "type": "track", "event": "Demo Requested", "timestamp": ago(1),
             "anonymous_id": "A1", "form_name": "Demo Request", "gclid": "G2",
             "utm_campaign": "Spring Promo"},
        ]),
        "google_ads_click": frame([
            {"gclid": "G1", "date": ago(12).date(), "campaign_id": 111, "campaign_name": "Search"},
            {"gclid": "G2", "date": ago(3).date(), "campaign_id": 222, "campaign_name": "Brand"},
            {"gclid": "G3", "date": ago(3).date(), "campaign_id": 111, "campaign_name": "Search"},
        ]),
        "linkedin_lead_gen": frame([{"lead_id": "L1", "first_name": "Dana", "campaign_id": "936",
                                     "campaign_name": "Paid Social", "form_name": "Guide: Lead Scoring",
                                     "submitted_at": ago(10)}]),
        "hubspot_contact": frame([  # two exports, two different recent conversions: both are history
            {"hs_object_id": "H1", "email": "ann@acme.com", "last_modified_at": ago(20),
             "recent_conversion_event_name": "Ebook Download", "recent_conversion_at": ago(20)},
            {"hs_object_id": "H1", "email": "ann@acme.com", "last_modified_at": ago(3),
             "recent_conversion_event_name": "Demo Request", "recent_conversion_at": ago(3)},
        ]),
        "bombora_surge": frame([
            {"domain": "www.Acme.com", "topic": "Data Governance", "category": "Data", "composite_score": 70,
             "week_start_date": WEEK},
            {"domain": "acme.com", "topic": "ETL", "category": "Data", "composite_score": 40,
             "week_start_date": WEEK},
            {"domain": "globex.com", "topic": "ETL", "category": "Data", "composite_score": 65,
             "week_start_date": WEEK},
            {"domain": "unknown.com", "topic": "ETL", "category": "Data", "composite_score": 90,
             "week_start_date": WEEK},
        ]),
    }
    crosswalk = frame([
        {"source": s, "record_id": r, "person_id": p} for s, r, p in [
            ("salesforce_lead", "00QL1", "p_ann"), ("marketo_lead", "101", "p_ann"),
            ("hubspot_contact", "H1", "p_ann"), ("salesforce_contact", "003C1", "p_bob"),
            ("segment_event", "e1", "p_carl"), ("linkedin_lead_gen", "L1", "p_dana")]])
    person_accounts = frame([
        {"person_id": p, "account_id": a, "ultimate_account_id": u, "match_method": m, "confidence": c}
        for p, a, u, m, c in [("p_ann", "001A", "001P", "email_domain", 0.9),
                              ("p_bob", "001A", "001P", "crm", 1.0),
                              ("p_carl", "prospect:globex.com", "prospect:globex.com", "email_domain", 0.8),
                              ("p_dana", "001P", "001P", "company_name", 0.6)]])
    accounts = frame([
        {"account_id": "001P", "name": "Parent Co", "domain": "parent.com", "parent_id": None},
        {"account_id": "001A", "name": "Acme", "domain": "acme.com", "parent_id": "001P"},
        {"account_id": "prospect:globex.com", "name": None, "domain": "globex.com", "parent_id": None},
    ])
    return bronze, crosswalk, person_accounts, accounts


@pytest.fixture(scope="module")
def graph() -> tuple[pl.DataFrame, pl.DataFrame]:
    return build_graph(*world())


def pairs(edges: pl.DataFrame, edge_type: str) -> set[tuple[str, str]]:
    return set(edges.filter(pl.col("edge_type") == edge_type).select("src", "dst").iter_rows())


def attrs(edges: pl.DataFrame, **where: str) -> list[dict[str, object]]:
    rows = edges.filter(*(pl.col(k) == v for k, v in where.items()))
    return [json.loads(a) for a in rows["attrs"]]


def test_schemas_and_every_edge_type(graph: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    nodes, edges = graph
    assert nodes.schema == NODE_SCHEMA
    assert edges.schema == EDGE_SCHEMA
    assert set(edges["edge_type"]) == set(EDGE_TYPES)
    assert set(edges["src"]) | set(edges["dst"]) <= set(nodes["node_id"])  # no dangling endpoint


def test_works_at_owns_and_parent_of(graph: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    _, edges = graph
    assert pairs(edges, "works_at") == {
        ("person:p_ann", "account:001A"), ("person:p_bob", "account:001A"),
        ("person:p_carl", "account:prospect:globex.com"), ("person:p_dana", "account:001P")}
    ann = edges.filter(pl.col("edge_type") == "works_at", pl.col("src") == "person:p_ann")
    assert ann["weight"].to_list() == [0.9]
    assert json.loads(ann["attrs"][0]) == {"match_method": "email_domain", "confidence": 0.9,
                                           "ultimate_account_id": "001P"}
    # the later delivery of the lead wins; the deleted lead owns nothing
    assert pairs(edges, "owns") == {("rep:005R1", "account:001P"), ("rep:005R1", "account:001A"),
                                    ("rep:005R1", "person:p_ann"), ("rep:005R2", "person:p_bob")}
    assert pairs(edges, "parent_of") == {("account:001P", "account:001A")}


def test_engagements_from_every_source(graph: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    _, edges = graph
    got = {(r["source"], r["dst"], json.loads(r["attrs"])["type"], r["campaign_id"])
           for r in edges.filter(pl.col("edge_type") == "engaged_with").iter_rows(named=True)}
    assert got == {
        ("marketo_activity", "content:form:demo request", "demo_request", "campaign:marketo:1007"),
        ("marketo_activity", "content:page:handoff.example/pricing", "pricing_view",
         "campaign:salesforce:701W"),
        ("marketo_activity", "content:email:2026-q2 webinar - attribution global.email", "email_open",
         "campaign:marketo:1007"),
        ("salesforce_task", "content:sales_touch:call: intro", "sales_call", None),
        ("linkedin_lead_gen", "content:form:guide: lead scoring", "form_fill", "campaign:linkedin:936"),
        ("hubspot_contact", "content:form:ebook download", "form_fill", None),
        ("hubspot_contact", "content:form:demo request", "demo_request", None),
        ("segment_event", "content:page:handoff.example/pricing", "pricing_view", None),
        ("segment_event", "content:form:demo request", "demo_request", "campaign:utm:spring_promo"),
    }
    # the Marketo send and the open task are not engagements
    assert edges.filter(pl.col("source") == "salesforce_task")["src"].to_list() == ["person:p_ann"]


def test_anonymous_events_of_known_visitors(graph: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    _, edges = graph
    web = edges.filter(pl.col("source") == "segment_event", pl.col("edge_type") == "engaged_with")
    assert set(web["src"]) == {"person:p_carl"}  # e3 (visitor A2, never identified) is nobody's
    assert [a["attribution"] for a in attrs(web)] == ["visitor", "visitor"]


def test_shared_anonymous_id_attributes_nothing() -> None:
    bronze, crosswalk, person_accounts, accounts = world()
    other = frame([{"message_id": "e5", "type": "identify", "timestamp": ago(1), "anonymous_id": "A1",
                    "email": "x@y.com"}])
    bronze["segment_event"] = pl.concat([bronze["segment_event"], other], how="diagonal_relaxed")
    crosswalk = pl.concat([crosswalk, frame([{"source": "segment_event", "record_id": "e5",
                                              "person_id": "p_x"}])])
    _, edges = build_graph(bronze, crosswalk, person_accounts, accounts)
    assert edges.filter(pl.col("source") == "segment_event", pl.col("edge_type") == "engaged_with").is_empty()


def test_gclid_to_ad_campaign(graph: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    _, edges = graph
    assert pairs(edges, "clicked_ad") == {("person:p_ann", "campaign:google_ads:111"),
                                          ("person:p_carl", "campaign:google_ads:222")}
    carl = attrs(edges, edge_type="clicked_ad", src="person:p_carl")[0]
    assert (carl["gclid"], carl["via_lead"], carl["via_event"]) == ("G2", False, True)


def test_bombora_surges_reach_accounts_and_prospects(graph: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    nodes, edges = graph
    assert pairs(edges, "surging_on") == {("account:001A", "topic:data governance"),
                                          ("account:prospect:globex.com", "topic:etl")}
    acme = edges.filter(pl.col("edge_type") == "surging_on", pl.col("src") == "account:001A")
    assert acme["weight"].to_list() == [70.0]
    assert acme["occurred_at"].dt.date().to_list() == [WEEK]
    topic = nodes.filter(pl.col("node_id") == "topic:data governance")
    assert topic["label"].to_list() == ["Data Governance"]


def test_nodes(graph: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    nodes, _ = graph
    by_id = {r["node_id"]: r for r in nodes.iter_rows(named=True)}
    assert nodes["node_id"].is_unique().all()
    assert by_id["person:p_ann"]["label"] == "Ann Lee"
    assert json.loads(by_id["person:p_ann"]["properties"])["sources"] == [
        "salesforce_lead", "hubspot_contact", "marketo_lead"]
    assert by_id["person:p_carl"]["label"] == "Carl"
    assert by_id["account:prospect:globex.com"]["label"] == "globex.com"
    assert by_id["campaign:marketo:1007"]["label"] == "2026-Q2 Webinar - Attribution Global"
    assert by_id["campaign:salesforce:701W"]["node_type"] == "campaign"
    assert by_id["content:form:demo request"]["node_type"] == "content"
    assert by_id["campaign:utm:spring_promo"]["label"] == "spring_promo"  # a utm value no campaign has
    assert by_id["rep:005R2"]["properties"] == '{"stub":true}'  # an owner missing from the users


def test_edge_ids_are_deterministic_and_unique(graph: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    nodes, edges = graph
    again_nodes, again = build_graph(*world())
    assert edges["edge_id"].is_unique().all()
    assert again.sort("edge_id").equals(edges.sort("edge_id"))
    assert again_nodes.sort("node_id").equals(nodes.sort("node_id"))


@pytest.mark.parametrize("persons", [["p_ann"], ["p_carl", "p_bob"], ["nobody"]])
def test_scoped_build_is_the_subset_of_the_full_build(graph: tuple[pl.DataFrame, pl.DataFrame],
                                                      persons: list[str]) -> None:
    nodes, edges = graph
    scoped_nodes, scoped = build_graph(*world(), persons=pl.Series(persons))
    ids = [f"person:{p}" for p in persons]
    expected = edges.filter(pl.col("src").is_in(ids) | pl.col("dst").is_in(ids))
    assert scoped.sort("edge_id").equals(expected.sort("edge_id"))
    refs = pl.concat([expected[c] for c in ("src", "dst", "campaign_id", "content_id")]).drop_nulls()
    want = nodes.filter(pl.col("node_id").is_in(refs.implode()) | pl.col("node_id").is_in(ids))
    assert scoped_nodes.sort("node_id").equals(want.sort("node_id"))


def test_views_answer_the_analyst_questions(graph: tuple[pl.DataFrame, pl.DataFrame]) -> None:
    nodes, edges = graph
    con = duckdb.connect()
    con.execute("CREATE SCHEMA silver")
    con.register("n", nodes)
    con.register("e", edges)
    con.execute("CREATE TABLE silver.graph_nodes AS SELECT * FROM n")
    con.execute("CREATE TABLE silver.graph_edges AS SELECT * FROM e")
    for sql in GRAPH_VIEWS:
        con.execute(sql)
    group = con.sql("SELECT person, engagements, sales_touches FROM graph.buying_group "
                    "WHERE account_id = 'account:001A'").fetchall()
    assert group == [("Ann Lee", 6, 1)]  # the 20-day-old HubSpot conversion counts; Bob has none
    journey = con.sql("SELECT engagement_type FROM graph.person_journey WHERE person_id = 'person:p_carl' "
                      "ORDER BY step").fetchall()
    assert journey == [("pricing_view",), ("ad_click",), ("demo_request",)]
    surging = con.sql("SELECT account_id, topic, persons_engaged_30d FROM graph.account_topics "
                      "JOIN graph.account_engagement USING (account_id) ORDER BY account_id").fetchall()
    assert surging == [("account:001A", "Data Governance", 1), ("account:prospect:globex.com", "ETL", 1)]


def test_inputs_are_checked() -> None:
    bronze, crosswalk, person_accounts, accounts = world()
    with pytest.raises(ValueError, match="one row per"):
        build_graph(bronze, pl.concat([crosswalk, crosswalk.head(1)]), person_accounts, accounts)
    with pytest.raises(ValueError, match="person_id"):
        build_graph(bronze, crosswalk.drop("person_id"), person_accounts, accounts)
