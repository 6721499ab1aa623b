"""Accounts and golden records: account table, person → account matching, survivorship, world accuracy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from contracts.registry import BRONZE_CONTRACTS
from handoff.evaluation import account_accuracy, truth_person_records
from handoff.world import generate_world
from pipelines.identity.accounts import (
    ACCOUNT_SCHEMA,
    CONFLICT_FACTOR,
    METHOD_CONFIDENCE,
    NAME_WITHOUT_COUNTRY_FACTOR,
    PERSON_ACCOUNT_SCHEMA,
    account_table,
    match_accounts,
    prospect_accounts,
)
from pipelines.identity.golden import GOLDEN_PERSON_SCHEMA, golden_accounts, golden_persons
from pipelines.identity.normalize import normalize_person_records
from pipelines.identity.records import read_person_records
from pipelines.ingest.bronze import ingest_bronze_all
from pipelines.storage.delta import DeltaStore


def t(day: int) -> dt.datetime:
    return dt.datetime(2026, 1, day, tzinfo=dt.UTC)


def sf_accounts(rows: list[tuple[str, str, str | None, str | None, str | None]]) -> pl.DataFrame:
    """(id, name, website, billing_country, parent_id) rows as bronze Salesforce accounts."""
    return pl.DataFrame(rows, schema=["id", "name", "website", "billing_country", "parent_id"], orient="row")


ACCOUNTS = account_table(sf_accounts([
    ("A1", "Acme Corp", "https://www.acme.com", "United States", None),
    ("B1", "Beta Labs GmbH", "beta.de", "Germany", None),
    ("G1", "Gamma Inc", None, "USA", None),
    ("F1", "Freemail Co", "gmail.com", "US", None),
    ("T1", "Twin Foods Ltd", "twinuk.co.uk", "GB", None),
    ("T2", "Twin Foods Ltd", "twinfr.fr", "GB", None),
]))


def person_records(rows: list[dict[str, object]]) -> pl.DataFrame:
    """Person records (raw columns) normalised like the resolver does, ``person_id`` given per row."""
    frame = pl.DataFrame(rows).with_columns(pl.int_range(pl.len()).cast(pl.String).alias("record_id"))
    if "source" not in frame.columns:
        frame = frame.with_columns(pl.lit("hubspot_contact").alias("source"))
    if "observed_at" not in frame.columns:
        frame = frame.with_columns(pl.lit(t(1)).alias("observed_at"))
    return normalize_person_records(frame)


def match(rows: list[dict[str, object]], accounts: pl.DataFrame = ACCOUNTS) -> dict[str, tuple]:
    out = match_accounts(person_records(rows), accounts)
    assert out.schema == PERSON_ACCOUNT_SCHEMA
    assert out["person_id"].is_unique().all()
    return {r[0]: r[1:] for r in out.select("person_id", "account_id", "match_method", "confidence").rows()}


# -------------------------------------------------------------------------------------------- account table


def test_account_table_keeps_the_latest_version_and_normalises_like_persons() -> None:
    raw = pl.DataFrame({
        "id": ["A", "A", "B"], "name": ["Acme Old", "Acme Holdings, Inc.", "Beta"],
        "website": ["old.com", "http://shop.acme.co.uk/", "hotmail.com"],
        "billing_country": ["US", "United Kingdom", None], "parent_id": [None, None, None],
        "ingested_at": [t(1), t(2), t(1)], "source_file": ["f1", "f2", "f1"], "source_row": [1, 1, 2],
        "number_of_employees": [5, 50, None], "is_deleted": [False, False, True],
    })
    table = account_table(raw)
    assert table.schema == ACCOUNT_SCHEMA
    a = table.row(by_predicate=pl.col("account_id") == "A", named=True)
    assert (a["name"], a["company_norm"], a["domain"], a["country_code"], a["employees"]) == (
        "Acme Holdings, Inc.", "acme holdings", "acme.co.uk", "GB", 50)
    b = table.row(by_predicate=pl.col("account_id") == "B", named=True)
    assert b["domain"] is None  # a free mail domain is nobody's account domain
    assert b["is_deleted"] and not b["is_prospect"]


def test_parent_roll_up_two_levels_cycles_and_unknown_parents() -> None:
    table = account_table(sf_accounts([
        ("TOP", "Top", None, None, None), ("MID", "Mid", None, None, "TOP"),
        ("LEAF", "Leaf", None, None, "MID"),
        ("C1", "Cycle 1", None, None, "C2"), ("C2", "Cycle 2", None, None, "C1"),
        ("UNDER", "Under a cycle", None, None, "C2"), ("SELF", "Self", None, None, "SELF"),
        ("ORPHAN", "Orphan", None, None, "GONE"),
    ]))
    top = dict(table.select("account_id", "ultimate_parent_id").iter_rows())
    assert top["TOP"] == top["MID"] == top["LEAF"] == "TOP"
    assert top["C1"] == top["C2"] == top["UNDER"] == "C1"  # a cycle rolls up to its smallest id
    assert top["SELF"] == "SELF"
    assert top["ORPHAN"] == "ORPHAN"  # a parent outside the table ends the chain
    assert dict(table.select("account_id", "parent_id").iter_rows())["ORPHAN"] == "GONE"


# -------------------------------------------------------------------------------------------- matching


def test_crm_relation_majority_then_most_recent_and_conflict_lowers_confidence() -> None:
    got = match([
        {"person_id": "p1", "sf_account_id": "A1", "observed_at": t(1)},
        {"person_id": "p1", "sf_account_id": "A1", "observed_at": t(2)},
        {"person_id": "p1", "sf_account_id": "B1", "observed_at": t(9)},
        {"person_id": "p2", "sf_account_id": "A1", "observed_at": t(1)},
        {"person_id": "p2", "sf_account_id": "B1", "observed_at": t(5)},
        {"person_id": "p3", "sf_account_id": "B1", "email": "x@acme.com"},  # the CRM beats the email
        {"person_id": "p4", "sf_account_id": "UNKNOWN", "email": "y@acme.com"},
    ])
    assert got["p1"][:2] == ("A1", "crm_relation")
    expected = METHOD_CONFIDENCE["crm_relation"] * 2 / 3 * CONFLICT_FACTOR  # 2 of 3 votes, B1 conflicts
    assert got["p1"][2] == pytest.approx(expected, abs=1e-4)
    assert got["p2"][:2] == ("B1", "crm_relation")  # tie: the most recent wins
    assert got["p3"][:2] == ("B1", "crm_relation")
    assert got["p3"][2] < METHOD_CONFIDENCE["crm_relation"]
    assert got["p4"][:2] == ("A1", "work_email_domain")


def test_work_email_domain_uses_the_registered_domain() -> None:
    got = match([{"person_id": "p1", "email": "Ann.Lee@Mail.ACME.com"}])
    assert got["p1"] == ("A1", "work_email_domain", METHOD_CONFIDENCE["work_email_domain"])


def test_free_email_domains_never_match_by_domain() -> None:
    got = match([
        {"person_id": "p1", "email": "someone@gmail.com"},       # F1's website is gmail.com
        {"person_id": "p2", "email": "x@yahoo.com", "website": "gmail.com"},
        {"person_id": "p3", "email": "z@googlemail.com", "company": "Freemail Co", "country": "US"},
    ])
    assert got["p1"] == (None, "none", 0.0)
    assert got["p2"] == (None, "none", 0.0)
    assert got["p3"][:2] == ("F1", "company_name_country")  # by name, not by domain


def test_alias_domains_learned_from_crm_persons_and_websites() -> None:
    crm = [{"person_id": f"c{i}", "sf_account_id": "A1", "email": f"c{i}@acmehq.com"} for i in range(4)]
    lone = [{"person_id": "l1", "sf_account_id": "B1", "email": "l1@betagroup.com"}]  # one person: no alias
    mixed = [{"person_id": f"m{i}", "sf_account_id": acct, "email": f"m{i}@shared.io"}
             for i, acct in enumerate(["A1", "A1", "B1", "B1"])]  # 50/50: no alias
    got = match([*crm, *lone, *mixed,
                 {"person_id": "p1", "email": "new@acmehq.com"},
                 {"person_id": "p2", "email": "new@betagroup.com"},
                 {"person_id": "p3", "email": "new@shared.io"},
                 {"person_id": "p4", "email": "x@hotmail.com", "website": "www.beta.de/"}])
    assert got["p1"] == ("A1", "alias_domain", METHOD_CONFIDENCE["alias_domain"])
    assert got["p2"][:2] == ("prospect:betagroup.com", "prospect_domain")
    assert got["p3"][:2] == ("prospect:shared.io", "prospect_domain")
    assert got["p4"][:2] == ("B1", "alias_domain")  # the website is an account's domain


def test_company_name_country_needs_exactly_one_account() -> None:
    got = match([
        {"person_id": "p1", "company": "GAMMA, Inc.", "country": "United States"},
        {"person_id": "p2", "company": "Gamma", "country": "France"},         # another country
        {"person_id": "p3", "company": "Twin Foods", "country": "UK"},        # two accounts
        {"person_id": "p4", "company": "Gamma Inc"},                          # no country: unique name
        {"person_id": "p5", "company": "gamma.com", "country": "US"},         # written as a domain
    ])
    assert got["p1"] == ("G1", "company_name_country", METHOD_CONFIDENCE["company_name_country"])
    assert got["p2"] == (None, "none", 0.0)
    assert got["p3"] == (None, "none", 0.0)
    expected = METHOD_CONFIDENCE["company_name_country"] * NAME_WITHOUT_COUNTRY_FACTOR
    assert got["p4"] == ("G1", "company_name_country", pytest.approx(expected))
    assert got["p5"][:2] == ("G1", "company_name_country")


def test_deleted_accounts_match_only_through_the_crm() -> None:
    accounts = account_table(sf_accounts([("D1", "Dead Co", "dead.com", "US", None)]).with_columns(
        is_deleted=pl.lit(True)))
    got = match([{"person_id": "p1", "email": "a@dead.com"},
                 {"person_id": "p2", "sf_account_id": "D1"}], accounts)
    assert got["p1"][:2] == ("prospect:dead.com", "prospect_domain")
    assert got["p2"][:2] == ("D1", "crm_relation")


def test_prospects_are_keyed_by_domain_and_fold_aliases_of_their_website() -> None:
    rows = [{"person_id": f"w{i}", "email": f"w{i}@deltahq.com", "website": "delta.io", "company": "Delta",
             "country": "NL"} for i in range(3)]
    rows += [{"person_id": "p1", "email": "p1@deltahq.com", "company": "Delta B.V."},
             {"person_id": "p2", "email": "p2@epsilon.org"}]
    records = person_records(rows)
    pa = match_accounts(records, ACCOUNTS)
    got = dict(pa.select("person_id", "account_id").iter_rows())
    assert {got[p] for p in ("w0", "w1", "w2", "p1")} == {"prospect:delta.io"}
    assert got["p2"] == "prospect:epsilon.org"
    assert set(pa.filter(pl.col("account_id") == "prospect:delta.io")["ultimate_account_id"]) == {
        "prospect:delta.io"}
    prospects = prospect_accounts(pa, records)
    assert prospects.schema == ACCOUNT_SCHEMA
    delta = prospects.row(by_predicate=pl.col("account_id") == "prospect:delta.io", named=True)
    assert (delta["name"], delta["domain"], delta["country_code"], delta["is_prospect"]) == (
        "Delta", "delta.io", "NL", True)
    accounts = golden_accounts(ACCOUNTS, prospects, pa)
    delta = accounts.row(by_predicate=pl.col("account_id") == "prospect:delta.io", named=True)
    assert (delta["persons"], delta["alias_domains"]) == (4, ["deltahq.com"])
    assert accounts.height == ACCOUNTS.height + prospects.height


def test_subsidiary_persons_match_the_subsidiary_and_roll_up_to_the_parent() -> None:
    accounts = account_table(sf_accounts([("P", "Acme Corp", "acme.com", "US", None),
                                          ("S", "Acme Deutschland GmbH", "acme-de.com", "DE", "P")]))
    pa = match_accounts(person_records([{"person_id": "p1", "email": "a@acme-de.com"}]), accounts)
    assert pa.select("account_id", "ultimate_account_id").row(0) == ("S", "P")


# --------------------------------------------------------------------------------------------- golden persons


def test_survivorship_trust_then_recency_then_deleted_last() -> None:
    records = person_records([
        {"person_id": "p", "source": "segment_event", "title": "CRO", "city": "Paris", "observed_at": t(30)},
        {"person_id": "p", "source": "salesforce_lead", "title": "VP Sales", "observed_at": t(1)},
        {"person_id": "p", "source": "hubspot_contact", "city": "Lyon", "observed_at": t(2)},
        {"person_id": "p", "source": "hubspot_contact", "city": "Nice", "observed_at": t(9)},
        {"person_id": "p", "source": "salesforce_contact", "title": "CEO", "last_name": "Old", "city": "Rome",
         "is_deleted": True, "observed_at": t(20)},
        {"person_id": "p", "source": "marketo_lead", "email": "ann@gmail.com", "observed_at": t(3)},
        {"person_id": "p", "source": "linkedin_lead_gen", "email": "ann@acme.com", "observed_at": t(4)},
    ])
    pa = match_accounts(records, ACCOUNTS)
    golden = golden_persons(records, pa)
    assert golden.schema == GOLDEN_PERSON_SCHEMA
    row = golden.row(0, named=True)
    assert row["title"] == "VP Sales"      # trusted source beats the more recent event
    assert row["city"] == "Nice"           # most recent within the most trusted source that has one
    assert row["last_name"] == "Old"       # a deleted record's value only when nobody else has one
    assert row["email"] == "ann@acme.com"  # a work email beats a more trusted personal one
    assert row["personal_email"] == "ann@gmail.com"
    assert (row["account_id"], row["account_match_method"]) == ("A1", "work_email_domain")
    assert row["sources"] == ["hubspot_contact", "linkedin_lead_gen", "marketo_lead", "salesforce_contact",
                              "salesforce_lead", "segment_event"]
    assert (row["record_count"], row["first_seen"], row["last_seen"]) == (7, t(1), t(30))


def test_golden_persons_one_row_per_person_even_without_account() -> None:
    records = person_records([{"person_id": "a", "first_name": "  Ann "},
                              {"person_id": "b", "first_name": ""},
                              {"person_id": "b", "phone": "+1 415 555 0100", "source": "marketo_lead"}])
    golden = golden_persons(records, match_accounts(records, ACCOUNTS))
    assert golden["person_id"].to_list() == ["a", "b"]
    assert golden["first_name"].to_list() == ["Ann", None]
    assert golden["phone"].to_list() == [None, "+14155550100"]
    assert golden["account_match_method"].to_list() == ["none", "none"]


# -------------------------------------------------------------------------------------------- a small world


def test_account_accuracy_on_a_generated_world(tmp_path: Path) -> None:
    summary = generate_world(tmp_path, persons=1000, seed=3)
    store = DeltaStore(str(tmp_path / "lake"))
    ingest_bronze_all(BRONZE_CONTRACTS, store=store, landing_root=summary.landing_dir, run_id="t")
    records = normalize_person_records(read_person_records(store))
    truth = truth_person_records(summary.truth_dir)
    records = records.join(truth.select("source", "record_id", "true_person_id"), on=["source", "record_id"],
                           how="left").with_columns(
        person_id=pl.coalesce(pl.lit("t") + pl.col("true_person_id").cast(pl.String),
                              pl.lit("r:") + pl.col("source") + pl.col("record_id")))
    accounts = account_table(store.read("bronze.salesforce_account"))
    pa = match_accounts(records, accounts)
    result = account_accuracy(pa, summary.truth_dir, records=records)
    assert result["persons"] > 800
    assert result["accuracy"] >= 0.97, result
    assert result["by_method"]["crm_relation"]["accuracy"] >= 0.97
    golden = golden_persons(records, pa)
    assert golden.height == pa.height == records["person_id"].n_unique()
