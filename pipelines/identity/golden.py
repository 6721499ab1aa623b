"""Golden records: one row per resolved person and one per account, built by survivorship.

Person survivorship, per field independently: records are ranked by

1. not deleted before deleted (a deleted record's value counts only when no live record has one);
2. the trust of their source (:data:`SOURCE_TRUST`, most trusted first: ``salesforce_contact``,
   ``salesforce_lead``, ``marketo_lead``, ``hubspot_contact``, ``linkedin_lead_gen``, ``segment_event``;
   any other source after them);
3. the most recent ``observed_at`` first (unknown times last);

and the field takes the first non-null value down that ranking. So a trusted source beats a more recent
untrusted one, and within a source the most recent value wins. ``email`` prefers a work address: the best
work email, else the best personal (free-domain) one; ``personal_email`` is the best personal one. Emails are
trimmed and lower-cased and only valid ones count; ``phone`` is E.164 (the office phone, else the mobile);
text fields are trimmed, empty strings count as null; ``country_code`` is the ISO code of the normaliser.
``sources``, ``record_count``, ``first_seen`` and ``last_seen`` count every record, deleted ones too.

Accounts: the Salesforce accounts plus the prospects, with the number of persons matched to each and the
alias domains learned from those persons (see :func:`golden_accounts`).

Everything is vectorised: one sort, then one ``group_by`` taking each field's first non-null value.
"""

from __future__ import annotations

import polars as pl

from .accounts import ACCOUNT_SCHEMA, ALIAS_MIN_PERSONS, ALIAS_MIN_SHARE

__all__ = ["GOLDEN_PERSON_SCHEMA", "SOURCE_TRUST", "golden_accounts", "golden_persons"]

SOURCE_TRUST = ("salesforce_contact", "salesforce_lead", "marketo_lead", "hubspot_contact",
                "linkedin_lead_gen", "segment_event")

GOLDEN_PERSON_SCHEMA = pl.Schema({
    "person_id": pl.String, "first_name": pl.String, "last_name": pl.String, "email": pl.String,
    "personal_email": pl.String, "phone": pl.String, "title": pl.String, "company": pl.String,
    "city": pl.String, "region": pl.String, "country_code": pl.String, "account_id": pl.String, "ultimate_account_id": pl.String,
    "account_match_method": pl.String, "sources": pl.List(pl.String), "record_count": pl.UInt32,
    "first_seen": pl.Datetime("us", "UTC"), "last_seen": pl.Datetime("us", "UTC"),
})
_INPUT = {
    "source": pl.String, "first_name": pl.String, "last_name": pl.String, "email": pl.String,
    "email_norm": pl.String, "email_is_free": pl.Boolean, "phone_e164": pl.String, "mobile_e164": pl.String,
    "title": pl.String, "company": pl.String, "city": pl.String, "region": pl.String, "country_code": pl.String,
    "observed_at": pl.Datetime("us", "UTC"), "is_deleted": pl.Boolean,
}


def _text(name: str) -> pl.Expr:
    value = pl.col(name).str.strip_chars()
    return pl.when(value.str.len_chars() > 0).then(value).alias(name)


def golden_persons(records: pl.DataFrame, person_accounts: pl.DataFrame) -> pl.DataFrame:
    """One golden record per ``person_id`` in :data:`GOLDEN_PERSON_SCHEMA` (survivorship: module docstring).

    Parameters
    ----------
    records
        Normalised person records with ``person_id`` (``Resolution.records``); read: ``source, first_name,
        last_name, email, email_norm, email_is_free, phone_e164, mobile_e164, title, company, city,
        country_code, observed_at, is_deleted`` (missing ones count as null).
    person_accounts
        :func:`~pipelines.identity.accounts.match_accounts` (``person_id, account_id, ultimate_account_id,
        match_method``).

    Returns
    -------
    pl.DataFrame
        One row per person of ``records``, sorted by ``person_id``; persons without an account row get null
        account columns.

    Raises
    ------
    ValueError
        When ``records`` has no ``person_id``.

    Examples
    --------
    >>> from datetime import datetime, UTC
    >>> recs = pl.DataFrame({
    ...     "person_id": ["p1", "p1", "p1"],
    ...     "source": ["hubspot_contact", "salesforce_contact", "segment_event"],
    ...     "title": ["VP Sales", "Head of Sales", "CRO"], "email": ["ann@acme.com", None, "ann@gmail.com"],
    ...     "email_norm": ["ann@acme.com", None, "ann@gmail.com"], "email_is_free": [False, None, True],
    ...     "observed_at": [datetime(2026, 3, 1, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC),
    ...                     datetime(2026, 5, 1, tzinfo=UTC)]})
    >>> pa = pl.DataFrame({"person_id": ["p1"], "account_id": ["A1"], "ultimate_account_id": ["A1"],
    ...                    "match_method": ["work_email_domain"]})
    >>> g = golden_persons(recs, pa)
    >>> g.select("title", "email", "personal_email", "account_id", "record_count").row(0)
    ('Head of Sales', 'ann@acme.com', 'ann@gmail.com', 'A1', 3)
    >>> g["sources"].to_list()
    [['hubspot_contact', 'salesforce_contact', 'segment_event']]
    """
    if "person_id" not in records.columns:
        msg = "records need a person_id column: build golden persons from the resolver's records"
        raise ValueError(msg)
    cols = [(pl.col(c) if c in records.columns else pl.lit(None)).cast(t).alias(c) for c, t in _INPUT.items()]
    frame = (records.select(pl.col("person_id").cast(pl.String), *cols)
             .filter(pl.col("person_id").is_not_null()))
    trust = {s: i for i, s in enumerate(SOURCE_TRUST)}
    valid = pl.col("email_norm").is_not_null()
    email = pl.col("email").str.strip_chars().str.to_lowercase()
    frame = frame.with_columns(
        _text("first_name"), _text("last_name"), _text("title"), _text("company"), _text("city"),
        _text("region").str.to_uppercase(),
        pl.when(valid & pl.col("email_is_free").not_()).then(email).alias("work_email"),
        pl.when(valid & pl.col("email_is_free")).then(email).alias("personal_email"),
        pl.coalesce("phone_e164", "mobile_e164").alias("phone"),
        pl.col("is_deleted").fill_null(False).alias("_deleted"),
        pl.col("source").replace_strict(trust, default=len(trust), return_dtype=pl.Int32).alias("_trust"),
    ).sort(["person_id", "_deleted", "_trust", "observed_at"], descending=[False, False, False, True],
           nulls_last=True, maintain_order=True)
    fields = ["first_name", "last_name", "work_email", "personal_email", "phone", "title", "company", "city",
              "region", "country_code"]
    golden = frame.group_by("person_id", maintain_order=True).agg(
        *[pl.col(f).drop_nulls().first() for f in fields],
        pl.col("source").drop_nulls().unique().sort().alias("sources"),
        pl.len().alias("record_count"),
        pl.col("observed_at").min().alias("first_seen"), pl.col("observed_at").max().alias("last_seen"),
    )
    accounts = person_accounts.select(
        pl.col("person_id").cast(pl.String), "account_id", "ultimate_account_id",
        pl.col("match_method").alias("account_match_method"))
    return (golden.with_columns(pl.coalesce("work_email", "personal_email").alias("email"))
            .join(accounts, on="person_id", how="left", maintain_order="left")
            .select(GOLDEN_PERSON_SCHEMA.names()).cast(dict(GOLDEN_PERSON_SCHEMA)))  # type: ignore[arg-type]


def golden_accounts(accounts: pl.DataFrame, prospects: pl.DataFrame, person_accounts: pl.DataFrame
                    ) -> pl.DataFrame:
    """Salesforce accounts and prospects in one table, with ``alias_domains`` and ``persons``.

    Parameters
    ----------
    accounts
        :func:`~pipelines.identity.accounts.account_table`.
    prospects
        :func:`~pipelines.identity.accounts.prospect_accounts`.
    person_accounts
        :func:`~pipelines.identity.accounts.match_accounts` (``person_id, account_id, person_domain``).

    Returns
    -------
    pl.DataFrame
        :data:`~pipelines.identity.accounts.ACCOUNT_SCHEMA` plus ``alias_domains`` (sorted list: the persons'
        domains other than the account's own and other than any account's domain that at least
        :data:`~pipelines.identity.accounts.ALIAS_MIN_PERSONS` persons of the account use, who are at least
        :data:`~pipelines.identity.accounts.ALIAS_MIN_SHARE` of all persons using the domain) and ``persons``
        (persons matched directly to the account). An account without a website has its own domain among
        its aliases. Salesforce accounts first, then prospects, each sorted by
        ``account_id``.

    Examples
    --------
    >>> accts = pl.DataFrame({"account_id": ["A1"], "domain": ["acme.com"], "is_prospect": [False]})
    >>> prospects = pl.DataFrame({"account_id": ["prospect:beta.io"], "domain": ["beta.io"],
    ...                           "is_prospect": [True]})
    >>> pa = pl.DataFrame({"person_id": ["p1", "p2", "p3", "p4"],
    ...                    "account_id": ["A1", "A1", "A1", "prospect:beta.io"],
    ...                    "person_domain": ["acme.com", "getacme.com", "getacme.com", "beta.io"]})
    >>> golden_accounts(accts, prospects, pa).select("account_id", "alias_domains", "persons").rows()
    [('A1', ['getacme.com'], 3), ('prospect:beta.io', [], 1)]
    """
    def conform(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.select((pl.col(c) if c in frame.columns else pl.lit(None)).cast(t).alias(c)
                            for c, t in ACCOUNT_SCHEMA.items())

    table = pl.concat([conform(accounts).sort("account_id"), conform(prospects).sort("account_id")])
    members = person_accounts.select(
        "person_id", "account_id",
        (pl.col("person_domain") if "person_domain" in person_accounts.columns else pl.lit(None))
        .cast(pl.String).alias("domain"))
    persons = members.filter(pl.col("account_id").is_not_null()).group_by("account_id").agg(
        pl.col("person_id").n_unique().alias("persons"))
    used = (members.filter(pl.col("domain").is_not_null()).group_by("domain", "account_id")
            .agg(pl.col("person_id").n_unique().alias("n"))
            .with_columns(total=pl.col("n").sum().over("domain")))
    aliases = (used.filter(pl.col("account_id").is_not_null() & (pl.col("n") >= ALIAS_MIN_PERSONS)
                           & (pl.col("n") >= ALIAS_MIN_SHARE * pl.col("total")))
               .join(table.select("domain").drop_nulls(), on="domain", how="anti")
               .group_by("account_id").agg(pl.col("domain").sort().alias("alias_domains")))
    return (table.join(aliases, on="account_id", how="left", maintain_order="left")
            .join(persons, on="account_id", how="left", maintain_order="left")
            .with_columns(pl.col("alias_domains").fill_null(pl.lit([], dtype=pl.List(pl.String))),
                          pl.col("persons").fill_null(0).cast(pl.Int64)))
