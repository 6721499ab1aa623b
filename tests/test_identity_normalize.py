"""Person-record normalisation: small hand-written frames, exact expected values."""

from __future__ import annotations

import random

import polars as pl
import pytest

from pipelines.identity.normalize import (
    FREE_EMAIL_DOMAINS,
    OUTPUT_SCHEMA,
    normalize_person_records,
    registered_domain,
)


def frame(**columns: list) -> pl.DataFrame:
    """A person-record frame with ``source``/``record_id`` filled in and the given optional columns."""
    n = len(next(iter(columns.values())))
    return pl.DataFrame({"source": ["test"] * n, "record_id": [str(i) for i in range(n)],
                         **{name: pl.Series(values, dtype=pl.String) for name, values in columns.items()}})


def column(out: pl.DataFrame, name: str) -> list:
    return out.get_column(name).to_list()


def test_gmail_dots_and_tags_are_dropped_and_googlemail_is_gmail():
    out = normalize_person_records(frame(email=[
        "John.Smith+promo@Gmail.com", "johnsmith@gmail.com", "j.o.h.n.smith@googlemail.com", "+tag@gmail.com",
    ]))
    assert column(out, "email_norm") == ["johnsmith@gmail.com"] * 3 + [None]
    assert column(out, "email_local") == ["johnsmith"] * 3 + [None]
    assert column(out, "email_domain") == ["gmail.com"] * 3 + [None]


def test_other_domains_keep_dots_and_plus_tags():
    out = normalize_person_records(frame(email=["Jane.Doe+news@yahoo.com", "first.last+crm@acme.com",
                                                "a.b@mail.acme.co.uk"]))
    assert column(out, "email_norm") == [
        "jane.doe+news@yahoo.com", "first.last+crm@acme.com", "a.b@mail.acme.co.uk"]
    assert column(out, "email_local") == ["jane.doe+news", "first.last+crm", "a.b"]
    assert column(out, "email_domain") == ["yahoo.com", "acme.com", "acme.co.uk"]


def test_email_case_and_whitespace():
    out = normalize_person_records(frame(email=["  JOE@Example.COM ", "joe @ example . com",
                                                "\tjoe@example.com\n"]))
    assert column(out, "email_norm") == ["joe@example.com"] * 3


@pytest.mark.parametrize("bad", ["notanemail", "a@b", "@acme.com", "joe@", "x@localhost", "a..b@acme.com",
                                 "a@b@c.com", "joe@acme..com", "", "   ", "n/a", "joe@-acme.com"])
def test_invalid_emails_are_null(bad: str):
    out = normalize_person_records(frame(email=[bad]))
    assert out.select("email_norm", "email_local", "email_domain", "email_is_free", "work_email").row(0) == (
        None,) * 5


def test_free_flag_and_work_email():
    out = normalize_person_records(frame(email=["a@gmail.com", "b@yahoo.co.uk", "c@hotmail.com", "d@acme.com",
                                                "e@mail.ru", "f@sub.acme.io", None]))
    assert column(out, "email_is_free") == [True, True, True, False, True, False, None]
    assert column(out, "work_email") == [None, None, None, "d@acme.com", None, "f@sub.acme.io", None]
    assert {"gmail.com", "googlemail.com", "yahoo.com", "outlook.com", "icloud.com", "proton.me",
            "gmx.de", "web.de", "mail.ru", "qq.com"} <= FREE_EMAIL_DOMAINS
    assert len(FREE_EMAIL_DOMAINS) >= 40


def test_registered_domain():
    values = pl.Series("v", ["https://www.shop.acme.co.uk/x?y=1", "a@mail.acme.com", "www.acme.com",
                             "http://acme.com/path", "acme.co.uk", "ACME.COM.", "http://user@acme.de:8080/",
                             "co.uk", "localhost", "127.0.0.1", "not a domain", "", None])
    assert registered_domain(values).to_list() == [
        "acme.co.uk", "acme.com", "acme.com", "acme.com", "acme.co.uk", "acme.com", "acme.de",
        None, None, None, None, None, None]
    assert registered_domain(values).name == "v"
    assert registered_domain(pl.Series([], dtype=pl.String)).to_list() == []


def test_website_domain():
    out = normalize_person_records(frame(website=["www.acme.com", "http://acme.com/path", "acme.co.uk",
                                                  "junk"]))
    assert column(out, "website_domain") == ["acme.com", "acme.com", "acme.co.uk", None]


@pytest.mark.parametrize(("phone", "country", "expected"), [
    ("+1 (415) 555-0134", None, "+14155550134"),
    ("415.555.0134", None, "+14155550134"),
    ("415.555.0134", "United States", "+14155550134"),
    ("1-415-555-0134", None, "+14155550134"),
    ("1 415 555 0134", "US", "+14155550134"),
    ("001 415 555 0134", None, "+14155550134"),
    ("+44 20 7946 0958", None, "+442079460958"),
    ("+44 20 7946 0958", "US", "+442079460958"),
    ("020 7946 0958", "GB", "+442079460958"),
    ("020 7946 0958", "United Kingdom", "+442079460958"),
    ("+44 (0)20 7946 0958", "UK", "+442079460958"),
    ("(0)20 7946 0958", "GB", "+442079460958"),
    ("44 20 7946 0958", "GB", "+442079460958"),
    ("011 44 20 7946 0958", "USA", "+442079460958"),
    ("415-555-0134 x123", "USA", "+14155550134"),
    ("+1 415 555 0134 ext. 12", None, "+14155550134"),
    ("(415) 555-0134 Ext 7", "US", "+14155550134"),
    ("030 1234567", "Germany", "+49301234567"),
    ("+49 (0) 30 1234567", None, "+49301234567"),
    ("01 23 45 67 89", "France", "+33123456789"),
    ("06 12 34 56 78", "FR", "+33612345678"),
    ("020 7946 0958", None, None),  # no country: not NANP-looking, so unknown
    ("555-0134", "US", None),  # a national number too short for the region
    ("020 1017 1017", "US", None),  # and one too long
    ("0123456789", None, None),
    ("123", "US", None),
    ("+1234567", None, None),  # too short for E.164
    ("+1234567890123456", None, None),  # too long for E.164
    ("n/a", "US", None),
    ("", None, None),
])
def test_phone_e164(phone: str, country: str | None, expected: str | None):
    out = normalize_person_records(frame(phone=[phone], mobile_phone=[phone], country=[country]))
    assert out.select("phone_e164", "mobile_e164").row(0) == (expected, expected)


@pytest.mark.parametrize(("formal", "nickname"), [
    ("Robert", "Bob"), ("Robert", "Rob"), ("Robert", "Bobby"), ("William", "Bill"), ("William", "Will"),
    ("Elizabeth", "Liz"), ("Elizabeth", "Beth"), ("Michael", "Mike"), ("Katherine", "Kate"), ("James", "Jim"),
    ("Jennifer", "Jen"), ("Thomas", "Tom"), ("Richard", "Rick"), ("Christopher", "Chris"), ("Daniel", "Dan"),
])
def test_nicknames_share_a_canonical(formal: str, nickname: str):
    out = normalize_person_records(frame(first_name=[formal, nickname.upper(), f" {nickname} "]))
    assert column(out, "first_canonical") == [formal.lower()] * 3
    assert column(out, "first_norm")[0] == formal.lower()


def test_names_fold_accents_and_keep_letters_only():
    out = normalize_person_records(frame(
        first_name=["José", "Jose", "Zoë", "Mary-Jane", "  ", "123", None],
        last_name=["Müller", "O'Brien", "van der Berg", "Smith Jr.", "", "Ñúñez", "Łukasz"],
    ))
    assert column(out, "first_norm") == ["jose", "jose", "zoe", "maryjane", None, None, None]
    assert column(out, "first_canonical")[:4] == ["jose", "jose", "zoe", "maryjane"]
    assert column(out, "last_norm") == ["muller", "obrien", "vanderberg", "smithjr", None, "nunez", "lukasz"]


def test_company_legal_suffixes_and_domains():
    out = normalize_person_records(frame(company=[
        "Acme Holdings, Inc.", "ACME Holdings", "acme holdings LLC", "Acme Holdings Ltd.", "acme.com",
        "https://www.acme.co.uk/", "Smith & Co.", "Smith and Company", "Müller GmbH & Co. KG", "AT&T Inc.",
        "Société Générale S.A.", "  ", "!!!", None,
    ]))
    assert column(out, "company_norm") == [
        "acme holdings", "acme holdings", "acme holdings", "acme holdings", "acme", "acme", "smith", "smith",
        "muller", "at and t", "societe generale", None, None, None]


@pytest.mark.parametrize(("raw", "code"), [
    ("United States", "US"), ("US", "US"), ("USA", "US"), ("U.S.", "US"), ("united states of america", "US"),
    ("UK", "GB"), ("United Kingdom", "GB"), ("Great Britain", "GB"), ("GB", "GB"), ("england", "GB"),
    ("Deutschland", "DE"), ("Germany", "DE"), ("DE", "DE"), ("France", "FR"), ("fr", "FR"), ("Canada", "CA"),
    ("CA", "CA"), ("India", "IN"), ("IN", "IN"), ("Australia", "AU"), ("AU", "AU"), ("Netherlands", "NL"),
    ("Holland", "NL"), ("The Netherlands", "NL"), ("NL", "NL"), ("Spain", "ES"), ("España", "ES"),
    ("ES", "ES"),
    ("Brazil", "BR"), ("Brasil", "BR"), ("Japan", "JP"), ("JP", "JP"), ("Singapore", "SG"), ("SG", "SG"),
    ("Ireland", "IE"), ("IE", "IE"), ("Sweden", "SE"), ("Sverige", "SE"), ("SE", "SE"), ("Switzerland", "CH"),
    ("Schweiz", "CH"), ("Italy", "IT"), ("Mexico", "MX"), ("México", "MX"), ("China", "CN"),
    ("South Korea", "KR"), ("New Zealand", "NZ"), ("South Africa", "ZA"), (" germany ", "DE"),
    ("Atlantis", None), ("??", None), ("", None),
])
def test_country_codes(raw: str, code: str | None):
    assert column(normalize_person_records(frame(country=[raw])), "country_code") == [code]


def test_city_and_title():
    out = normalize_person_records(frame(
        city=["  San   Francisco ", "São Paulo", "Zürich", "St. Louis", "12345", None],
        title=["Sr. VP, Sales & Marketing", "SVP Eng", "CTO", "Dir. of Mktg", "Jr Software Eng Mgr", None],
    ))
    assert column(out, "city_norm") == ["san francisco", "sao paulo", "zurich", "st louis", None, None]
    assert column(out, "title_norm") == [
        "senior vice president sales and marketing", "senior vice president engineer", "cto",
        "director of marketing", "junior software engineer manager", None]


def test_only_required_columns_yield_all_outputs_as_nulls():
    records = pl.DataFrame({"source": ["a", "b", "c"], "record_id": ["1", "2", "3"]})
    out = normalize_person_records(records)
    assert out.columns == ["source", "record_id", *OUTPUT_SCHEMA.names()]
    assert dict(out.select(OUTPUT_SCHEMA.names()).schema) == dict(OUTPUT_SCHEMA)
    assert out.select(OUTPUT_SCHEMA.names()).null_count().row(0) == (3,) * len(OUTPUT_SCHEMA)


def test_empty_frame_and_non_string_columns():
    empty = pl.DataFrame(schema={"source": pl.String, "record_id": pl.String, "email": pl.String})
    assert normalize_person_records(empty).height == 0
    odd = pl.DataFrame({"source": ["a", "b"], "record_id": ["1", "2"], "phone": [4155550134, None],
                        "email": [None, None], "country": pl.Series(["US", None], dtype=pl.Categorical)})
    out = normalize_person_records(odd)
    assert column(out, "phone_e164") == ["+14155550134", None]
    assert column(out, "country_code") == ["US", None]


def test_missing_required_column_raises():
    with pytest.raises(ValueError, match="record_id"):
        normalize_person_records(pl.DataFrame({"source": ["a"]}))


def test_passthrough_columns_row_order_and_count():
    records = frame(
        first_name=["Bob", None, "Zoë", "Bob"], email=["b@x.com", "junk", None, "b@x.com"],
        country=["US", "??", "DE", "US"],
    ).with_columns(extra=pl.Series([3.5, None, -1.0, 0.0]),
                   observed_at=pl.datetime(2024, 1, 2, time_zone="UTC"))
    out = normalize_person_records(records)
    assert out.height == records.height
    assert out.select(records.columns).equals(records)
    assert column(out, "record_id") == ["0", "1", "2", "3"]
    assert column(out, "first_canonical") == ["robert", None, "zoe", "robert"]


def test_garbage_does_not_raise():
    rng = random.Random(7)
    alphabet = "aZ09 .,;:@+-_()[]{}/\\#!?&'\"\t\n\r\x00éßøÆ中文日本語🙂\u200b\u202e–—"
    junk = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(300)]
    junk += ["@", "@@", ".", "..", "+", "00", "(0)", "x123", "ext", "http://", "https://@/", "www.", ":", "*",
             "a" * 500, "1" * 40, "+" + "9" * 20, "@gmail.com", ".@gmail.com", "NaN", "null", "None"]
    names = ("first_name", "last_name", "email", "phone", "mobile_phone", "title", "company", "website",
             "city", "country")
    records = frame(**dict.fromkeys(names, junk))
    out = normalize_person_records(records)
    assert out.height == len(junk)
    assert dict(out.select(OUTPUT_SCHEMA.names()).schema) == dict(OUTPUT_SCHEMA)
    e164 = out.get_column("phone_e164").drop_nulls()
    assert e164.str.contains(r"^\+[1-9]\d{7,14}$").all()
    emails = out.get_column("email_norm").drop_nulls()
    assert emails.str.contains(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$").all()
    assert registered_domain(pl.Series(junk)).len() == len(junk)


def test_the_shipped_phone_table_matches_the_installed_phonenumbers() -> None:
    """The real-time path reads phonenumbers' regions, calling codes, trunk prefixes and lengths from a shipped
    table (2 ms against 0.2 s for the metadata); after a phonenumbers upgrade it falls back to the metadata, and
    ``write_phone_table()`` refreshes the file."""
    import json

    from pipelines.identity.phones import PHONE_TABLE, _phone_table_from_metadata

    shipped = json.loads(PHONE_TABLE.read_text())
    assert shipped == _phone_table_from_metadata(), (
        f"{PHONE_TABLE} is stale: run `uv run python -c 'from pipelines.identity.phones import "
        "write_phone_table; write_phone_table()'`")
