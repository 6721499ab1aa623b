"""The synthetic sample world: vendor-exact files, planted defects, drift, and a truth that covers them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import polars as pl
import pytest
import yaml

from handoff.world import WorldSummary, generate_world

AS_OF = dt.date(2026, 11, 20)
DAY = AS_OF.isoformat()
PERSONS = 1_500
RATE = 0.01

HEADERS = {
    "Lead": (
        "Id, FirstName, LastName, Email, Phone, MobilePhone, Title, Company, Website, Industry, "
        "NumberOfEmployees, AnnualRevenue, LeadSource, Status, Rating, OwnerId, Street, City, State, "
        "PostalCode, Country, CreatedDate, LastModifiedDate, IsConverted, ConvertedDate, "
        "ConvertedAccountId, ConvertedContactId, ConvertedOpportunityId, IsDeleted, HasOptedOutOfEmail, "
        "GCLID__c"
    ),
    "Contact": (
        "Id, AccountId, FirstName, LastName, Email, Phone, Title, OwnerId, LeadSource, MailingCity, "
        "MailingState, MailingCountry, CreatedDate, LastModifiedDate, IsDeleted, HasOptedOutOfEmail"
    ),
    "Account": (
        "Id, Name, Website, Industry, NumberOfEmployees, AnnualRevenue, BillingCity, BillingState, "
        "BillingCountry, OwnerId, Type, ParentId, CreatedDate, LastModifiedDate, IsDeleted"
    ),
    "Opportunity": (
        "Id, AccountId, ContactId, Name, StageName, Amount, CloseDate, IsClosed, IsWon, OwnerId, "
        "LeadSource, CampaignId, CreatedDate, LastModifiedDate, IsDeleted"
    ),
    "User": "Id, Name, Email, IsActive, ManagerId, Department, CreatedDate",
    "Task": (
        "Id, WhoId, WhatId, OwnerId, Subject, Status, Priority, ActivityDate, CreatedDate, "
        "CompletedDateTime, TaskSubtype, Type, IsClosed"
    ),
    "Campaign": "Id, Name, Type, Status, StartDate, EndDate, ActualCost",
    "contacts": (
        "hs_object_id, email, firstname, lastname, phone, company, website, jobtitle, lifecyclestage, "
        "hs_lead_status, city, state, country, createdate, lastmodifieddate, hs_analytics_source, "
        "hs_analytics_source_data_1, recent_conversion_event_name, recent_conversion_date, "
        "num_conversion_events, hs_email_optout"
    ),
    "leads": (
        "id, email, firstName, lastName, company, title, phone, website, city, state, country, "
        "leadSource, createdAt, updatedAt, sfdcLeadId, sfdcContactId, unsubscribed"
    ),
    "activities": (
        "marketoGUID, leadId, activityDate, activityTypeId, campaignId, primaryAttributeValueId, "
        "primaryAttributeValue, attributes"
    ),
    "click_view": (
        "click_view.gclid, segments.date, campaign.id, campaign.name, ad_group.id, ad_group.name, "
        "click_view.keyword_info.text, click_view.area_of_interest.city"
    ),
    "campaign": (
        "segments.date, campaign.id, campaign.name, metrics.impressions, metrics.clicks, "
        "metrics.cost_micros, metrics.conversions"
    ),
    "leadgen": (
        "Lead ID, First Name, Last Name, Email Address, Company Name, Job Title, Country, Company Size, "
        "Campaign ID, Campaign Name, Form Name, Submitted At"
    ),
    "surge": (
        "Company Name, Domain, Size, Industry, Category, Topic, Composite Score, Bucket Code, Metro Area, "
        "Metro Composite Score, Domain Origin Country, Week Start Date"
    ),
}
HEADERS = {k: v.split(", ") for k, v in HEADERS.items()}
PREFIXES = {
    "salesforce": ["Lead", "Contact", "Account", "Opportunity", "User", "Task", "Campaign"],
    "hubspot": ["contacts"],
    "marketo": ["leads", "activities"],
    "google_ads": ["click_view", "campaign"],
    "linkedin": ["leadgen"],
    "bombora": ["surge"],
}
SF_PREFIX = {
    "Lead": "00Q",
    "Contact": "003",
    "Account": "001",
    "Opportunity": "006",
    "User": "005",
    "Task": "00T",
    "Campaign": "701",
}
KEYS = {
    **{o: ["Id"] for o in SF_PREFIX},
    "contacts": ["hs_object_id"],
    "leads": ["id"],
    "activities": ["marketoGUID"],
    "click_view": ["click_view.gclid"],
    "campaign": ["segments.date", "campaign.id"],
    "leadgen": ["Lead ID"],
    "surge": ["Domain", "Topic", "Week Start Date"],
}
REQUIRED = {
    "Lead": ["Id", "LastName", "Company", "CreatedDate", "LastModifiedDate", "IsConverted", "IsDeleted"],
    "Contact": ["Id", "LastName", "CreatedDate", "LastModifiedDate", "IsDeleted"],
    "Account": ["Id", "Name", "CreatedDate", "LastModifiedDate", "IsDeleted"],
    "Opportunity": [
        "Id",
        "Name",
        "StageName",
        "CloseDate",
        "IsClosed",
        "IsWon",
        "CreatedDate",
        "LastModifiedDate",
        "IsDeleted",
    ],
    "User": ["Id", "Name", "IsActive", "CreatedDate"],
    "Task": ["Id", "OwnerId", "Subject", "Status", "CreatedDate", "IsClosed"],
    "Campaign": ["Id", "Name"],
    "contacts": ["hs_object_id", "createdate", "lastmodifieddate"],
    "leads": ["id", "createdAt", "updatedAt"],
    "activities": ["marketoGUID", "leadId", "activityDate", "activityTypeId"],
    "click_view": ["click_view.gclid", "segments.date", "campaign.id"],
    "campaign": ["segments.date", "campaign.id"],
    "leadgen": ["Lead ID", "Submitted At"],
    "surge": ["Domain", "Topic", "Composite Score", "Week Start Date"],
}
_SF_SYS = {"CreatedDate": "ts", "LastModifiedDate": "ts", "IsDeleted": "bool"}
TYPED = {  # every typed column a good row must satisfy (ts / date / int / num / bool)
    "Lead": {
        **_SF_SYS,
        "NumberOfEmployees": "int",
        "AnnualRevenue": "num",
        "IsConverted": "bool",
        "ConvertedDate": "date",
        "HasOptedOutOfEmail": "bool",
    },
    "Contact": {**_SF_SYS, "HasOptedOutOfEmail": "bool"},
    "Account": {**_SF_SYS, "NumberOfEmployees": "int", "AnnualRevenue": "num"},
    "Opportunity": {**_SF_SYS, "Amount": "num", "CloseDate": "date", "IsClosed": "bool", "IsWon": "bool"},
    "User": {"IsActive": "bool", "CreatedDate": "ts"},
    "Task": {"CreatedDate": "ts", "ActivityDate": "date", "IsClosed": "bool", "CompletedDateTime": "ts"},
    "Campaign": {"StartDate": "date", "EndDate": "date", "ActualCost": "num"},
    "contacts": {
        "createdate": "ts",
        "lastmodifieddate": "ts",
        "recent_conversion_date": "ts",
        "num_conversion_events": "int",
        "hs_email_optout": "bool",
    },
    "leads": {"createdAt": "ts", "updatedAt": "ts", "unsubscribed": "bool"},
    "activities": {"activityDate": "ts", "activityTypeId": "int", "campaignId": "int"},
    "click_view": {"segments.date": "date", "campaign.id": "int", "ad_group.id": "int"},
    "campaign": {
        "segments.date": "date",
        "campaign.id": "int",
        "metrics.impressions": "int",
        "metrics.clicks": "int",
        "metrics.cost_micros": "int",
        "metrics.conversions": "num",
    },
    "leadgen": {"Submitted At": "ts"},
    "surge": {"Composite Score": "int", "Metro Composite Score": "int", "Week Start Date": "date"},
}
ENUMS = {
    ("contacts", "lifecyclestage"): [
        "subscriber",
        "lead",
        "marketingqualifiedlead",
        "salesqualifiedlead",
        "opportunity",
        "customer",
        "evangelist",
        "other",
    ],
    ("Task", "TaskSubtype"): ["Task", "Email", "Call", "LinkedIn"],
    ("activities", "activityTypeId"): ["1", "2", "3", "6", "7", "8", "9", "10", "11", "12", "13"],
}
RANGES = {
    ("Lead", "NumberOfEmployees"): (0, None),
    ("Account", "NumberOfEmployees"): (0, None),
    ("campaign", "metrics.cost_micros"): (0, None),
    ("surge", "Composite Score"): (0, 100),
    ("surge", "Metro Composite Score"): (0, 100),
}
NUMERIC_KEYS = {"contacts": "hs_object_id", "leads": "id", "activities": "leadId"}
IDENTIFY_KEYS = {"type", "messageId", "timestamp", "userId", "anonymousId", "traits", "context"}
TRACK_KEYS = {"type", "messageId", "timestamp", "userId", "anonymousId", "event", "properties", "context"}


# --- helpers ------------------------------------------------------------------------------------------------
def parse_ts(s: pl.Expr) -> pl.Expr:
    text = s.str.replace(r"Z$", "+00:00")
    return text.str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%z", time_zone="UTC", time_unit="ms", strict=False)


def object_of(rel: str) -> str | None:
    folder, name = rel.split("/", 1)
    for obj in PREFIXES.get(folder, []):
        if name.startswith(obj + "_"):
            return obj
    return None


def read_csv(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, infer_schema=False, encoding="utf8").with_columns(pl.all().replace("", None))


def csv_defects(obj: str, df: pl.DataFrame) -> pl.DataFrame:
    """(row, kind, field) for every rule a row breaks, checked independently of the generator."""
    out = []
    n = df.height
    row = pl.int_range(1, n + 1, eager=True)

    def add(mask: pl.Series, kind: str, field: str) -> None:
        for r in row.filter(mask.fill_null(False)).to_list():
            out.append((r, kind, field))

    if obj in SF_PREFIX:
        ok = df["Id"].str.contains(rf"^{SF_PREFIX[obj]}[0-9A-Za-z]{{15}}$")
        add(df["Id"].is_not_null() & ~ok, "invalid_format", "Id")
    if obj in NUMERIC_KEYS:
        col = NUMERIC_KEYS[obj]
        add(df[col].is_not_null() & ~df[col].str.contains(r"^[0-9]+$"), "invalid_format", col)
    for col in REQUIRED[obj]:
        add(df[col].is_null(), "required_missing", col)
    for col, kind in TYPED[obj].items():
        if NUMERIC_KEYS.get(obj) == col:
            continue
        v = df[col]
        if kind == "ts":
            bad = pl.select(parse_ts(pl.lit(v)).is_null()).to_series()
        elif kind == "date":
            bad = v.str.to_date("%Y-%m-%d", strict=False).is_null()
        elif kind == "int":
            bad = v.cast(pl.Int64, strict=False).is_null()
        elif kind == "num":
            bad = v.cast(pl.Float64, strict=False).is_null()
        else:
            bad = ~v.is_in(["true", "false"])
        add(v.is_not_null() & bad, "type_mismatch", col)
    for (o, col), (lo, hi) in RANGES.items():
        if o == obj:
            num = df[col].cast(pl.Int64, strict=False)
            add((num < lo) | (num > hi if hi is not None else pl.Series([False] * n)), "out_of_range", col)
    for (o, col), allowed in ENUMS.items():
        if o == obj:
            add(
                df[col].is_not_null()
                & ~df[col].is_in(allowed)
                & df[col].cast(pl.Int64, strict=False).is_not_null()
                if col == "activityTypeId"
                else df[col].is_not_null() & ~df[col].is_in(allowed),
                "invalid_value",
                col,
            )
    if obj == "activities":
        valid = []
        for v in df["attributes"].to_list():
            try:
                valid.append(v is None or isinstance(json.loads(v), dict))
            except json.JSONDecodeError:
                valid.append(False)
        add(~pl.Series(valid), "invalid_json", "attributes")
    key = KEYS[obj]
    dup = df.select(pl.struct(key).is_first_distinct().not_() & pl.all_horizontal(pl.col(key).is_not_null()))
    add(dup.to_series(), "duplicate_key", "+".join(key))
    return pl.DataFrame(out, schema={"row": pl.Int64, "kind": pl.String, "field": pl.String}, orient="row")


def event_defects(lines: list[str]) -> tuple[pl.DataFrame, list[dict | None]]:
    out, parsed, seen = [], [], set()
    for i, line in enumerate(lines, start=1):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            out.append((i, "invalid_json", "line"))
            parsed.append(None)
            continue
        parsed.append(obj)
        track = "event" in obj
        assert set(obj) == (TRACK_KEYS if track else IDENTIFY_KEYS), obj.keys()
        for f in ("type", "messageId", "timestamp") + (("event",) if track else ()):
            if obj[f] is None:
                out.append((i, "required_missing", f))
        if obj["type"] is not None and obj["type"] not in ("identify", "track"):
            out.append((i, "invalid_value", "type"))
        if obj["timestamp"] is not None and not _iso(obj["timestamp"]):
            out.append((i, "type_mismatch", "timestamp"))
        if obj["messageId"] is not None:
            if obj["messageId"] in seen:
                out.append((i, "duplicate_key", "messageId"))
            seen.add(obj["messageId"])
    return pl.DataFrame(
        out, schema={"row": pl.Int64, "kind": pl.String, "field": pl.String}, orient="row"
    ), parsed


def _iso(value: str) -> bool:
    try:
        return dt.datetime.fromisoformat(value).tzinfo is not None and "T" in value
    except ValueError:
        return False


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- fixtures ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> WorldSummary:
    return generate_world(
        tmp_path_factory.mktemp("world"), persons=PERSONS, seed=7, bad_row_rate=RATE, as_of=AS_OF
    )


@pytest.fixture(scope="module")
def truth(world: WorldSummary) -> dict[str, pl.DataFrame]:
    return {
        name: pl.read_parquet(world.truth_dir / f"{name}.parquet")
        for name in ("source_records", "persons", "accounts", "bad_rows", "rejected_files")
    }


def good_rows(world: WorldSummary, truth: dict, rel: str) -> pl.DataFrame:
    df = read_csv(world.landing_dir / rel).with_row_index("__row", offset=1)
    bad = truth["bad_rows"].filter(pl.col("file") == rel)["row"]
    return df.filter(~pl.col("__row").cast(pl.Int64).is_in(bad.implode()))


# --- tests ------------------------------------------------------------------------------------------------
def test_summary_and_layout(world: WorldSummary) -> None:
    assert world.persons == PERSONS and world.accounts == PERSONS // 10 and world.seconds > 0
    on_disk = sorted(
        str(p.relative_to(world.landing_dir)) for p in world.landing_dir.rglob("*") if p.is_file()
    )
    assert sorted([*world.files, "roster/roster.yaml"]) == on_disk
    expected = {f"salesforce/{o}_{DAY}_full.csv" for o in SF_PREFIX} | {
        f"salesforce/Lead_{DAY}_incremental.csv",
        f"hubspot/contacts_{DAY}.csv",
        f"hubspot/contacts_{DAY}_missing_column.csv",
        f"marketo/leads_{DAY}.csv",
        f"marketo/activities_{DAY}.csv",
        f"google_ads/click_view_{DAY}.csv",
        f"google_ads/campaign_{DAY}.csv",
        f"linkedin/leadgen_{DAY}.csv",
        "bombora/surge_2026-11-09.csv",
        "bombora/surge_2026-11-16.csv",
    }
    assert expected <= set(world.files)
    events = [f for f in world.files if f.startswith("events/")]
    assert events and all(re.fullmatch(rf"events/events_{DAY}_\d{{4}}\.jsonl", f) for f in events)
    for rel, n in world.files.items():
        text = (world.landing_dir / rel).read_text(encoding="utf-8")
        lines = text.count("\n")
        assert n == (lines if rel.endswith(".jsonl") else read_csv(world.landing_dir / rel).height), rel
        assert n <= 50_000 or not rel.endswith(".jsonl")
    meta = json.loads((world.truth_dir / "world.json").read_text())
    assert meta["seed"] == 7 and meta["persons"] == PERSONS and meta["as_of"] == DAY and meta["drift"] is True
    assert meta["files"] == world.files


def test_headers_are_exact(world: WorldSummary) -> None:
    for rel in world.files:
        if rel.endswith(".jsonl"):
            continue
        header = (world.landing_dir / rel).read_text(encoding="utf-8").split("\n", 1)[0].split(",")
        obj = object_of(rel)
        expected = list(HEADERS[obj])
        if rel.endswith("_incremental.csv"):
            expected.append("Lead_Score__c")
        if rel.endswith("_missing_column.csv"):
            expected.remove("hs_object_id")
        header = [h.strip('"') for h in header]
        assert header == expected, rel


def test_ids_and_values_are_well_formed_on_good_rows(world: WorldSummary, truth: dict) -> None:
    """Every defect found by an independent checker is a planted one, and every planted one is found."""
    bad = truth["bad_rows"]
    assert set(bad["kind"].unique()) <= {
        "invalid_format",
        "required_missing",
        "type_mismatch",
        "out_of_range",
        "invalid_value",
        "invalid_json",
        "duplicate_key",
    }
    for rel in world.files:
        if rel.endswith((".jsonl", "_missing_column.csv")):
            continue
        found = csv_defects(object_of(rel), read_csv(world.landing_dir / rel))
        planted = bad.filter(pl.col("file") == rel).select("row", "kind", "field")
        assert sorted(found["row"].unique().to_list()) == sorted(planted["row"].to_list()), rel
        assert found["row"].is_duplicated().sum() == 0, f"{rel}: a bad row carries more than one defect"
        joined = planted.join(found, on="row", suffix="_found")
        assert (joined["kind"] == joined["kind_found"]).all(), rel


def test_bad_row_rate_per_file(world: WorldSummary, truth: dict) -> None:
    bad = truth["bad_rows"]
    for rel, n in world.files.items():
        k = bad.filter(pl.col("file") == rel).height
        if rel.endswith("_missing_column.csv"):
            assert k == 0
        elif n >= 50:
            assert k == max(1, round(RATE * n)), rel
    assert set(bad["kind"]) == {
        "invalid_format",
        "required_missing",
        "type_mismatch",
        "out_of_range",
        "invalid_value",
        "invalid_json",
        "duplicate_key",
    }


def test_events_are_segment_json_lines(world: WorldSummary, truth: dict) -> None:
    bad = truth["bad_rows"]
    rec = truth["source_records"]
    for rel in (f for f in world.files if f.endswith(".jsonl")):
        lines = (world.landing_dir / rel).read_text(encoding="utf-8").splitlines()
        found, parsed = event_defects(lines)
        planted = bad.filter(pl.col("file") == rel)
        assert sorted(found["row"].to_list()) == sorted(planted["row"].to_list()), rel
        assert (
            planted.join(found, on="row", suffix="_f")
            .select((pl.col("kind") == pl.col("kind_f")).all())
            .item()
        )
        in_truth = set(rec.filter(pl.col("file") == rel)["row"].to_list())
        for i, obj in enumerate(parsed, start=1):
            if obj is None:
                continue
            assert re.fullmatch(r"(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+", obj["context"]["ip"])
            person_bearing = "traits" in obj or obj["userId"] is not None or obj["properties"].get("email")
            assert (i in in_truth) == bool(person_bearing), (rel, i)


def test_truth_covers_every_person_record(world: WorldSummary, truth: dict) -> None:
    rec = truth["source_records"]
    persons = truth["persons"]
    assert rec["person_id"].is_in(persons["person_id"].implode()).all()
    bearing = {"Lead": "Id", "Contact": "Id", "contacts": "hs_object_id", "leads": "id", "leadgen": "Lead ID"}
    for rel in world.files:
        obj = object_of(rel)
        if obj not in bearing:
            continue
        df = read_csv(world.landing_dir / rel)
        mine = rec.filter(pl.col("file") == rel).sort("row")
        assert mine["row"].to_list() == list(range(1, df.height + 1)), rel
        if not rel.endswith("_missing_column.csv"):
            assert mine["source_record_id"].to_list() == df[bearing[obj]].to_list(), rel
    # the account on a record is the person's true account
    acc = rec.join(persons.select("person_id", pl.col("account_id").alias("true_acc")), on="person_id")
    assert (acc["account_id"].eq_missing(acc["true_acc"])).all()
    counts = rec.group_by("object").len()
    assert set(counts["object"]) == {"Lead", "Contact", "contacts", "leads", "leadgen", "identify", "track"}


def test_drift_files(world: WorldSummary, truth: dict) -> None:
    inc = good_rows(world, truth, f"salesforce/Lead_{DAY}_incremental.csv")
    full = good_rows(world, truth, f"salesforce/Lead_{DAY}_full.csv")
    assert 0.01 < inc.height / full.height < 0.04
    both = inc.join(full, on="Id", suffix="_full")
    assert both.height >= inc.height * 0.9
    assert both.select(
        (parse_ts(pl.col("LastModifiedDate")) > parse_ts(pl.col("LastModifiedDate_full"))).all()
    ).item()
    assert inc["Lead_Score__c"].cast(pl.Int64).is_between(0, 100).all()
    assert (both["Status"] != both["Status_full"]).any()
    rej = truth["rejected_files"]
    assert rej.to_dicts() == [
        {
            "file": f"hubspot/contacts_{DAY}_missing_column.csv",
            "reason": "missing_required_column: hs_object_id",
        }
    ]
    n_hub = world.files[f"hubspot/contacts_{DAY}.csv"]
    assert 0 < world.files[f"hubspot/contacts_{DAY}_missing_column.csv"] <= max(1, round(n_hub * 0.01)) + 1


def test_freshness_and_window(world: WorldSummary, truth: dict) -> None:
    fresh = {
        f"salesforce/Lead_{DAY}_full.csv": "LastModifiedDate",
        f"salesforce/Contact_{DAY}_full.csv": "LastModifiedDate",
        f"salesforce/Account_{DAY}_full.csv": "LastModifiedDate",
        f"salesforce/Opportunity_{DAY}_full.csv": "LastModifiedDate",
        f"salesforce/Task_{DAY}_full.csv": "CreatedDate",
        f"hubspot/contacts_{DAY}.csv": "lastmodifieddate",
        f"marketo/leads_{DAY}.csv": "updatedAt",
        f"marketo/activities_{DAY}.csv": "activityDate",
        f"linkedin/leadgen_{DAY}.csv": "Submitted At",
    }
    lo = dt.datetime(2026, 11, 20, tzinfo=dt.UTC) - dt.timedelta(days=181)
    hi = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    for rel, col in fresh.items():
        ts = good_rows(world, truth, rel).select(parse_ts(pl.col(col))).to_series()
        assert ts.max() >= hi - dt.timedelta(days=1), rel
        assert ts.min() >= lo and ts.max() < hi, rel
    for rel, obj in [(r, object_of(r)) for r in world.files if not r.endswith(".jsonl")]:
        g = good_rows(world, truth, rel)
        for col, kind in TYPED[obj].items():
            if kind == "ts":
                ts = g.select(parse_ts(pl.col(col))).to_series().drop_nulls()
                assert ts.len() == 0 or (ts.min() >= lo and ts.max() < hi), (rel, col)
    stamps = []
    for rel in (f for f in world.files if f.endswith(".jsonl")):
        for line in (world.landing_dir / rel).read_text().splitlines():
            try:
                stamps.append(json.loads(line)["timestamp"])
            except (json.JSONDecodeError, KeyError):
                pass
    ev = pl.select(parse_ts(pl.lit(pl.Series(stamps, dtype=pl.String)))).to_series().drop_nulls()
    assert ev.max() >= hi - dt.timedelta(days=1) and ev.max() < hi and ev.min() >= lo


def test_relations_are_coherent(world: WorldSummary, truth: dict) -> None:
    def ids(obj: str) -> pl.Series:
        return read_csv(world.landing_dir / f"salesforce/{obj}_{DAY}_full.csv")["Id"].implode()

    def dangling(values: pl.Series, pool: pl.Series) -> float:
        v = values.drop_nulls()
        return 0.0 if v.len() == 0 else float((~v.is_in(pool)).mean())

    lead = read_csv(world.landing_dir / f"salesforce/Lead_{DAY}_full.csv")
    opp = read_csv(world.landing_dir / f"salesforce/Opportunity_{DAY}_full.csv")
    task = read_csv(world.landing_dir / f"salesforce/Task_{DAY}_full.csv")
    contact = read_csv(world.landing_dir / f"salesforce/Contact_{DAY}_full.csv")
    users = ids("User")
    assert dangling(lead["ConvertedContactId"], ids("Contact")) < 0.05
    assert dangling(lead["ConvertedAccountId"], ids("Account")) < 0.05
    assert dangling(contact["AccountId"], ids("Account")) < 0.05
    assert dangling(opp["ContactId"], ids("Contact")) < 0.05
    assert dangling(opp["CampaignId"], ids("Campaign")) < 0.05
    assert (
        dangling(task["WhoId"], pl.concat([ids("Lead").explode(), ids("Contact").explode()]).implode()) < 0.05
    )
    for df in (lead, contact, opp, task):
        assert dangling(df["OwnerId"], users) < 0.05
    mk = read_csv(world.landing_dir / f"marketo/leads_{DAY}.csv")
    assert dangling(mk["sfdcLeadId"], ids("Lead")) < 0.05 and mk["sfdcLeadId"].is_not_null().any()
    clicks = read_csv(world.landing_dir / f"google_ads/click_view_{DAY}.csv")
    assert lead["GCLID__c"].is_not_null().any()
    assert dangling(lead["GCLID__c"], clicks["click_view.gclid"].implode()) < 0.05
    # spend rows count exactly the clicks of their campaign-day (up to the planted bad rows of either file)
    spend = good_rows(world, truth, f"google_ads/campaign_{DAY}.csv")
    per_day = (
        good_rows(world, truth, f"google_ads/click_view_{DAY}.csv")
        .group_by("segments.date", "campaign.id")
        .len()
    )
    cmp = spend.join(per_day, on=["segments.date", "campaign.id"], how="left").with_columns(
        pl.col("len").fill_null(0)
    )
    off = (cmp["metrics.clicks"].cast(pl.Int64) - cmp["len"]).abs().sum()
    n_bad = truth["bad_rows"].filter(pl.col("file").str.starts_with("google_ads/")).height
    assert cmp.height > 0 and off <= n_bad
    # opportunities come from converted persons, with higher propensity
    persons = truth["persons"]
    assert opp.height == persons["converted"].sum() > 0
    assert persons.filter("converted")["account_id"].is_not_null().all()
    means = persons.group_by("converted").agg(pl.col("propensity").mean()).sort("converted")["propensity"]
    assert means[1] > 2 * means[0]
    # bombora weeks are the last two Mondays before as_of
    weeks = sorted(f for f in world.files if f.startswith("bombora/"))
    assert [dt.date.fromisoformat(w[-14:-4]).weekday() for w in weeks] == [0, 0]


def test_roster_matches_users(world: WorldSummary) -> None:
    roster = yaml.safe_load((world.landing_dir / "roster/roster.yaml").read_text())
    assert roster["version"] == 1 and set(roster["queues"]) == {"sdr_pool", "nurture", "review"}
    users = set(read_csv(world.landing_dir / f"salesforce/User_{DAY}_full.csv")["Id"].to_list())
    assert len(roster["reps"]) >= 5
    for rep in roster["reps"]:
        assert rep["user_id"] in users and (rep["manager_id"] is None or rep["manager_id"] in users)
        assert rep["segment"] in ("SMB", "MID", "ENT") and rep["email"].endswith(".example")
        assert re.fullmatch(r"\d\d:\d\d", rep["working_hours"]["start"]) and rep["daily_capacity"] > 0
        assert all({"country", "regions"} == set(t) for t in rep["territories"])
        for ooo in rep["out_of_office"]:
            assert isinstance(ooo["start"], dt.date) and ooo["end"] >= ooo["start"]


def test_noise_and_hard_negatives(world: WorldSummary, truth: dict) -> None:
    persons = truth["persons"]
    twins = persons.filter(pl.col("twin_of").is_not_null()).join(
        persons, left_on="twin_of", right_on="person_id", suffix="_twin"
    )
    assert twins.height > 0
    assert (twins["account_id"] == twins["account_id_twin"]).all()
    assert (
        (twins["first_name"] == twins["first_name_twin"]) & (twins["last_name"] == twins["last_name_twin"])
    ).all()
    assert (twins["work_email"] != twins["work_email_twin"]).all()
    namesakes = persons.filter(pl.col("namesake_of").is_not_null())
    assert namesakes.height > 0 and namesakes["personal_email"].is_not_null().all()
    assert persons["work_email"].drop_nulls().is_unique().all()
    assert persons["personal_email"].drop_nulls().is_unique().all()
    leads = read_csv(world.landing_dir / f"salesforce/Lead_{DAY}_full.csv")
    assert (
        leads["FirstName"].is_in(["Bob", "Bill", "Mike", "Liz", "Kate", "Jim", "Tom", "Chris", "Dan"]).any()
    )
    assert leads["Email"].str.contains("@(gmail|yahoo|outlook|hotmail).com$").any()
    assert (
        leads["Phone"].str.contains(r"^\(\d{3}\) 555-01\d\d$").any()
        and leads["Phone"].str.contains(r"^\+").any()
    )
    accounts = truth["accounts"]
    assert (
        accounts["alias_domains"].list.len().gt(0).any() and accounts["parent_account_id"].is_not_null().any()
    )
    assert (persons["account_id"].is_null().mean()) < 0.1


def test_deterministic_and_configurable(tmp_path: Path, world: WorldSummary) -> None:
    a = generate_world(tmp_path / "a", persons=1_000, seed=11, as_of=AS_OF)
    b = generate_world(tmp_path / "b", persons=1_000, seed=11, as_of=AS_OF)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    for rel in files_a:
        assert sha(tmp_path / "a" / rel) == sha(tmp_path / "b" / rel), rel
    assert a.files == b.files
    lead = f"landing/salesforce/Lead_{DAY}_full.csv"
    assert sha(tmp_path / "a" / lead) != sha(world.landing_dir.parent / lead)

    c = generate_world(tmp_path / "c", persons=1_000, seed=11, bad_row_rate=0.0, drift=False, progress=True)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert c.as_of.isoformat() == today and f"salesforce/Lead_{today}_full.csv" in c.files
    assert pl.read_parquet(c.truth_dir / "bad_rows.parquet").height == 0
    assert pl.read_parquet(c.truth_dir / "rejected_files.parquet").height == 0
    assert not any(f.endswith("_missing_column.csv") for f in c.files)
    header = (c.landing_dir / f"salesforce/Lead_{today}_incremental.csv").read_text().split("\n", 1)[0]
    assert header.split(",") == HEADERS["Lead"]
