"""Accounts: the Salesforce account table, and every resolved person matched to one account.

:func:`account_table` turns bronze ``salesforce_account`` rows into one row per account (latest version), with
names and places normalised exactly like person records (:func:`~pipelines.identity.normalize.
normalize_person_records`) and the ParentId hierarchy rolled up to the ultimate parent.

:func:`match_accounts` gives each person (``person_id`` of the resolver's records) at most one account. The
evidence, strongest first (:data:`MATCH_METHODS`):

1. ``crm_relation``: the person's records carry the ``sf_account_id`` of a known account (Contact.AccountId,
   a converted Lead's account); majority vote, the most recent wins ties.
2. ``work_email_domain``: the registered domain of a non-free work email is an account's domain.
3. ``alias_domain``: a work email domain *learned* to belong to an account (of the persons tied to an account
   by the CRM or by their website who use the domain, at least :data:`ALIAS_MIN_PERSONS` and
   :data:`ALIAS_MIN_SHARE` are tied to that one account), or a record's ``website_domain`` is an account's
   domain or learned alias.
4. ``company_name_country``: ``company_norm`` (spaces ignored) + ``country_code`` equal those of exactly one
   account; when the record or the account has no country, a name held by exactly one account matches too
   (confidence times :data:`NAME_WITHOUT_COUNTRY_FACTOR`).
5. ``prospect_domain``: no account fits but the person has a non-free work domain (or a website): the
   prospect account ``"prospect:" + domain``; work domains learned as aliases of a prospect's website fold
   into that prospect.
6. ``none``.

Free email domains (:data:`~pipelines.identity.normalize.FREE_EMAIL_DOMAINS`) never match by domain: not as
emails, not as websites, not as an account's domain. Deleted accounts match only through the CRM relation;
deleted person records count as evidence with weight :data:`DELETED_WEIGHT`. Within a method the account with
the most evidence wins, then the most recent. Confidence is :data:`METHOD_CONFIDENCE` of the method, times
the winner's share of that method's evidence, times :data:`CONFLICT_FACTOR` when any evidence of the person
points at another known account.
"""

from __future__ import annotations

import math

import polars as pl

from .normalize import FREE_EMAIL_DOMAINS, normalize_person_records

__all__ = ["ACCOUNT_SCHEMA", "ALIAS_MIN_PERSONS", "ALIAS_MIN_SHARE", "CONFLICT_FACTOR", "DELETED_WEIGHT",
           "MATCH_METHODS", "METHOD_CONFIDENCE", "NAME_WITHOUT_COUNTRY_FACTOR", "PERSON_ACCOUNT_SCHEMA",
           "PROSPECT_PREFIX", "account_table", "match_accounts", "prospect_accounts"]

MATCH_METHODS = ("crm_relation", "work_email_domain", "alias_domain", "company_name_country",
                 "prospect_domain", "none")
METHOD_CONFIDENCE = {  # of a clean match: conservative, below each precision measured on generated worlds
    "crm_relation": 0.99, "work_email_domain": 0.95, "alias_domain": 0.9, "company_name_country": 0.8,
    "prospect_domain": 0.7, "none": 0.0,
}
CONFLICT_FACTOR = 0.8      # confidence multiplier when the person's evidence also names another known account
ALIAS_MIN_PERSONS = 2      # a domain becomes an account's alias with at least this many persons...
ALIAS_MIN_SHARE = 0.8      # ...who are at least this share of the tied persons using the domain
NAME_WITHOUT_COUNTRY_FACTOR = 0.9  # confidence multiplier of a company name match no country confirms
DELETED_WEIGHT = 0.1       # evidence weight of a deleted person record (a live record weighs 1)
PROSPECT_PREFIX = "prospect:"

ACCOUNT_SCHEMA = pl.Schema({
    "account_id": pl.String, "name": pl.String, "company_norm": pl.String, "domain": pl.String,
    "country_code": pl.String, "parent_id": pl.String, "ultimate_parent_id": pl.String, "industry": pl.String,
    "employees": pl.Int64, "owner_id": pl.String, "type": pl.String, "is_deleted": pl.Boolean,
    "is_prospect": pl.Boolean,
})
PERSON_ACCOUNT_SCHEMA = pl.Schema({
    "person_id": pl.String, "account_id": pl.String, "ultimate_account_id": pl.String,
    "match_method": pl.String, "confidence": pl.Float64, "account_domain": pl.String,
    "person_domain": pl.String,
})
_RECORD_COLUMNS = {
    "sf_account_id": pl.String, "observed_at": pl.Datetime("us", "UTC"), "is_deleted": pl.Boolean,
    "email_domain": pl.String, "email_is_free": pl.Boolean, "website_domain": pl.String,
    "company_norm": pl.String, "country_code": pl.String,
}
_FREE = sorted(FREE_EMAIL_DOMAINS)
_PROSPECT = pl.col("account_id").str.starts_with(PROSPECT_PREFIX)


def _normalised_companies(frame: pl.DataFrame) -> pl.DataFrame:
    """``company_norm, website_domain, country_code`` of ``company, website, country`` (person rules)."""
    record_id = pl.int_range(pl.len()).cast(pl.String).alias("record_id")
    base = frame.select(pl.lit("account").alias("source"), record_id, "company", "website", "country")
    return normalize_person_records(base).select("company_norm", "website_domain", "country_code")


def _ultimate_parents(ids: pl.Series, parents: pl.Series) -> pl.Series:
    """Roll ``parents`` up to the top by pointer doubling; cycle-safe (a cycle's top is its smallest id)."""
    known = parents.is_in(ids.implode()) & (parents != ids)
    up = pl.select(pl.when(known).then(parents).otherwise(ids)).to_series()
    first = pl.DataFrame({"id": ids, "up": up})
    frame = first.with_columns(mn=pl.col("id"))  # mn: the smallest id on the 2^k hops walked from id
    for _ in range(math.ceil(math.log2(max(frame.height, 2))) + 1):  # 2^k hops then exceed any path
        hop = frame.select(pl.col("id").alias("up"), pl.col("up").alias("up2"), pl.col("mn").alias("mn2"))
        nxt = frame.join(hop, on="up", how="left", maintain_order="left").select(
            "id", pl.col("up2").alias("up"), pl.min_horizontal("mn", "mn2").alias("mn"))
        settled = nxt["up"].equals(frame["up"])
        frame = nxt
        if settled:  # every walk ends on a root or on a cycle it has gone round
            break
    # z = the end of the walk: a root when its own parent is itself, else on a cycle whose ids mn(z) spans
    ends = (frame.select("id", "up")
            .join(first.select(pl.col("id").alias("up"), pl.col("up").alias("z_up")), on="up", how="left",
                  maintain_order="left")
            .join(frame.select(pl.col("id").alias("up"), pl.col("mn").alias("z_mn")), on="up", how="left",
                  maintain_order="left"))
    return ends.select(pl.when(pl.col("z_up") == pl.col("up")).then("up").otherwise("z_mn")).to_series()


def account_table(salesforce_accounts: pl.DataFrame) -> pl.DataFrame:
    """One row per Salesforce account (its latest version) in :data:`ACCOUNT_SCHEMA`.

    Parameters
    ----------
    salesforce_accounts
        Rows of ``bronze.salesforce_account``: ``id`` and ``name`` at least; ``website, billing_country,
        parent_id, industry, number_of_employees, owner_id, type, is_deleted`` and the provenance columns
        (``ingested_at, source_file, source_row``: they order the versions of a record) when present.

    Returns
    -------
    pl.DataFrame
        ``account_id`` (the Salesforce id), ``name``, ``company_norm`` (as for persons), ``domain``
        (registered domain of the website, never a free email domain), ``country_code``, ``parent_id``,
        ``ultimate_parent_id`` (the top of the ParentId chain through known accounts: the account itself
        when it has no known parent, a cycle's smallest id on or under a cycle), ``industry``, ``employees``,
        ``owner_id``, ``type``, ``is_deleted`` and ``is_prospect`` (False).

    Examples
    --------
    >>> raw = pl.DataFrame({"id": ["A", "B", "C"], "name": ["Acme Corp", "Acme Europe Ltd", "Acme DE GmbH"],
    ...                     "website": ["https://www.acme.com/", "acme-uk.com", None],
    ...                     "billing_country": ["USA", "United Kingdom", "Germany"],
    ...                     "parent_id": [None, "A", "B"]})
    >>> cols = ["account_id", "company_norm", "domain", "country_code", "ultimate_parent_id"]
    >>> for row in account_table(raw).select(cols).rows():
    ...     print(row)
    ('A', 'acme', 'acme.com', 'US', 'A')
    ('B', 'acme europe', 'acme-uk.com', 'GB', 'A')
    ('C', 'acme de', None, 'DE', 'A')
    """
    missing = [c for c in ("id", "name") if c not in salesforce_accounts.columns]
    if missing:
        msg = f"salesforce accounts lack required column(s): {', '.join(missing)}"
        raise ValueError(msg)
    frame = salesforce_accounts.filter(pl.col("id").is_not_null())
    order = [c for c in ("ingested_at", "source_file", "source_row") if c in frame.columns]
    if order:
        frame = frame.sort(order, maintain_order=True)
    frame = frame.unique("id", keep="last", maintain_order=True)

    def col(name: str, dtype: pl.DataType) -> pl.Expr:
        return (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype, strict=False).alias(name)

    frame = frame.select(
        col("id", pl.String), col("name", pl.String), col("website", pl.String),
        col("billing_country", pl.String), col("parent_id", pl.String), col("industry", pl.String),
        col("number_of_employees", pl.Int64),
        col("owner_id", pl.String), col("type", pl.String), col("is_deleted", pl.Boolean))
    norm = _normalised_companies(frame.select(pl.col("name").alias("company"), "website",
                                              pl.col("billing_country").alias("country")))
    return frame.with_columns(norm).select(
        pl.col("id").alias("account_id"), "name", "company_norm",
        pl.when(~pl.col("website_domain").is_in(_FREE)).then("website_domain").alias("domain"),
        "country_code", "parent_id",
        _ultimate_parents(frame["id"], frame["parent_id"]).alias("ultimate_parent_id"),
        "industry", pl.col("number_of_employees").alias("employees"), "owner_id", "type",
        pl.col("is_deleted").fill_null(False), pl.lit(False).alias("is_prospect"),
    ).cast(dict(ACCOUNT_SCHEMA))  # type: ignore[arg-type]


def _evidence(records: pl.DataFrame) -> pl.DataFrame:
    """One row per record: the columns matching reads (nulls when missing), its weight and work domain."""
    if "person_id" not in records.columns:
        msg = "records need a person_id column: match accounts on the resolver's records (Resolution.records)"
        raise ValueError(msg)
    cols = [(pl.col(c) if c in records.columns else pl.lit(None)).cast(t).alias(c)
            for c, t in _RECORD_COLUMNS.items()]
    frame = (records.select(pl.col("person_id").cast(pl.String), *cols)
             .filter(pl.col("person_id").is_not_null()))
    work = pl.col("email_is_free").not_() & ~pl.col("email_domain").is_in(_FREE)
    return frame.with_columns(
        row=pl.int_range(pl.len()),
        weight=pl.when(pl.col("is_deleted").fill_null(False)).then(DELETED_WEIGHT).otherwise(1.0),
        work_domain=pl.when(work).then("email_domain"),
        website_domain=pl.when(~pl.col("website_domain").is_in(_FREE)).then("website_domain"),
    )


def _votes(ev: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per (person, ``key``): summed evidence weight ``support`` and latest observation ``last``."""
    return (ev.filter(pl.col(key).is_not_null()).group_by("person_id", key)
            .agg(pl.col("weight").sum().alias("support"), pl.col("observed_at").max().alias("last")))


def _best(frame: pl.DataFrame, value: str) -> pl.DataFrame:
    """Per person: ``value`` of the largest support, then the latest, then the smallest (deterministic)."""
    return (frame.sort(["person_id", "support", "last", value], descending=[False, True, True, False],
                       nulls_last=True)
            .group_by("person_id", maintain_order=True).first().select("person_id", value))


def _learn_aliases(domains: pl.DataFrame, anchors: pl.DataFrame, index: pl.DataFrame) -> pl.DataFrame:
    """``alias -> account_id``: work domains no account owns, used mostly by persons of one account."""
    pairs = (domains.select("person_id", pl.col("work_domain").alias("alias")).unique()
             .join(index.select(pl.col("domain").alias("alias")), on="alias", how="anti")
             .join(anchors, on="person_id"))
    counts = pairs.group_by("alias", "account_id").agg(pl.len().alias("n"))
    return (counts.with_columns(total=pl.col("n").sum().over("alias"))
            .filter((pl.col("n") >= ALIAS_MIN_PERSONS) & (pl.col("n") >= ALIAS_MIN_SHARE * pl.col("total")))
            .select("alias", "account_id"))


def _name_matches(ev: pl.DataFrame, live: pl.DataFrame) -> pl.DataFrame:
    """Votes of records whose company names exactly one account in their country, else one account in a
    country that does not contradict (either side unknown), with ``quality`` 1 or the no-country factor."""
    key = pl.col("company_norm").str.replace_all(" ", "", literal=True).alias("name_key")
    accts = live.filter(pl.col("company_norm").is_not_null()).select(
        key, "account_id", pl.col("country_code").alias("account_country"))
    cc, acc_cc = pl.col("country_code"), pl.col("account_country")
    hits = (ev.filter(pl.col("company_norm").is_not_null()).with_columns(key).join(accts, on="name_key")
            .filter(cc.is_null() | acc_cc.is_null() | (cc == acc_cc))
            .with_columns(exact=(cc == acc_cc).fill_null(False))
            .with_columns(n_exact=pl.col("exact").sum().over("row"), n=pl.len().over("row")))
    picked = hits.filter((pl.col("exact") & (pl.col("n_exact") == 1))
                         | ((pl.col("n_exact") == 0) & (pl.col("n") == 1)))
    return (picked.group_by("person_id", "account_id")
            .agg(pl.col("weight").sum().alias("support"), pl.col("observed_at").max().alias("last"),
                 pl.when(pl.col("exact").any()).then(1.0).otherwise(NAME_WITHOUT_COUNTRY_FACTOR)
                 .alias("quality")))


def _candidates(frame: pl.DataFrame, method: str) -> pl.DataFrame:
    quality = pl.col("quality") if "quality" in frame.columns else pl.lit(1.0)
    return frame.select("person_id", "account_id", pl.lit(method).alias("method"), "support", "last",
                        quality.cast(pl.Float64).alias("quality"))


def _all_candidates(ev: pl.DataFrame, known: pl.DataFrame) -> pl.DataFrame:
    """Every (person, account, method) the evidence supports, with support, last and quality."""
    live = known.filter(~pl.col("is_deleted"))
    # one account per domain: a top-level account first, then the smallest id
    index = (live.filter(pl.col("domain").is_not_null() & ~pl.col("domain").is_in(_FREE))
             .sort(pl.col("account_id") != pl.col("ultimate_parent_id"), "account_id")
             .unique("domain", keep="first", maintain_order=True).select("domain", "account_id"))
    crm = _votes(ev.join(known.select(pl.col("account_id").alias("sf_account_id")), on="sf_account_id",
                         how="semi"), "sf_account_id").rename({"sf_account_id": "account_id"})
    email = _votes(ev, "work_domain")
    web = _votes(ev, "website_domain")
    web_hit = web.join(index, left_on="website_domain", right_on="domain")
    web_miss = web.join(index, left_on="website_domain", right_on="domain", how="anti")

    # aliases of real accounts, learned from persons anchored by the CRM, else by their website
    anchors = pl.concat([_best(crm, "account_id"), _best(web_hit, "account_id")]).unique(
        "person_id", keep="first", maintain_order=True)
    aliases = _learn_aliases(email, anchors, index)
    # aliases of prospects, learned from persons whose only anchor is a website no account owns
    web_only = (_best(web_miss, "website_domain").join(anchors, on="person_id", how="anti")
                .select("person_id",
                        (pl.lit(PROSPECT_PREFIX) + pl.col("website_domain")).alias("account_id")))
    prospect_aliases = (_learn_aliases(email, web_only, index)
                        .filter(pl.col("account_id") != pl.lit(PROSPECT_PREFIX) + pl.col("alias"))
                        .join(aliases.select("alias"), on="alias", how="anti"))

    email_miss = (email.join(index, left_on="work_domain", right_on="domain", how="anti")
                  .join(aliases, left_on="work_domain", right_on="alias", how="anti"))
    prospect_email = (email_miss.join(prospect_aliases, left_on="work_domain", right_on="alias", how="left")
                      .with_columns(account_id=pl.coalesce("account_id",
                                                           pl.lit(PROSPECT_PREFIX) + pl.col("work_domain"))))
    prospect_web = (web_miss.join(aliases, left_on="website_domain", right_on="alias", how="anti")
                    .with_columns(account_id=pl.lit(PROSPECT_PREFIX) + pl.col("website_domain")))
    return pl.concat([
        _candidates(crm, "crm_relation"),
        _candidates(email.join(index, left_on="work_domain", right_on="domain"), "work_email_domain"),
        _candidates(email.join(aliases, left_on="work_domain", right_on="alias"), "alias_domain"),
        _candidates(web_hit, "alias_domain"),
        _candidates(web.join(aliases, left_on="website_domain", right_on="alias"), "alias_domain"),
        _candidates(_name_matches(ev, live), "company_name_country"),
        _candidates(prospect_email, "prospect_domain"),
        _candidates(prospect_web, "prospect_domain"),
    ])


def match_accounts(records: pl.DataFrame, accounts: pl.DataFrame) -> pl.DataFrame:
    """Each person's account: one row per ``person_id`` in :data:`PERSON_ACCOUNT_SCHEMA`.

    Parameters
    ----------
    records
        Normalised person records with ``person_id`` (``Resolution.records``); read: ``sf_account_id,
        observed_at, is_deleted, email_domain, email_is_free, website_domain, company_norm, country_code``
        (missing ones count as null).
    accounts
        :func:`account_table` (``account_id, domain, company_norm, country_code, ultimate_parent_id`` and
        ``is_deleted`` when present).

    Returns
    -------
    pl.DataFrame
        ``person_id, account_id, ultimate_account_id, match_method`` (:data:`MATCH_METHODS`), ``confidence``
        (0 to 1), ``account_domain`` (the account's domain) and ``person_domain`` (the person's main work
        email domain, else website domain: :func:`~pipelines.identity.golden.golden_accounts` learns alias
        domains from it). ``account_id`` is null for ``none``; prospects are ``"prospect:<domain>"`` and
        their own ultimate account. Sorted by ``person_id``.

    Raises
    ------
    ValueError
        When ``records`` has no ``person_id``.

    Examples
    --------
    >>> accts = account_table(pl.DataFrame({"id": ["A1"], "name": ["Acme Inc"], "website": ["acme.com"],
    ...                                     "billing_country": ["US"], "parent_id": [None]}))
    >>> recs = pl.DataFrame({"person_id": ["p1", "p2", "p3", "p4", "p5"],
    ...     "sf_account_id": ["A1", None, None, None, None],
    ...     "email_domain": [None, "acme.com", "gmail.com", "beta.io", "gmail.com"],
    ...     "email_is_free": [None, False, True, False, True],
    ...     "company_norm": [None, None, "acme", None, None], "country_code": [None, None, "US", None, None]})
    >>> for row in match_accounts(recs, accts).select("person_id", "account_id", "match_method").rows():
    ...     print(row)
    ('p1', 'A1', 'crm_relation')
    ('p2', 'A1', 'work_email_domain')
    ('p3', 'A1', 'company_name_country')
    ('p4', 'prospect:beta.io', 'prospect_domain')
    ('p5', None, 'none')
    """
    ev = _evidence(records)
    deleted = pl.col("is_deleted").fill_null(False) if "is_deleted" in accounts.columns else pl.lit(False)
    known = accounts.select("account_id", "domain", "company_norm", "country_code", "ultimate_parent_id",
                            deleted.alias("is_deleted"))
    rank = {m: i for i, m in enumerate(MATCH_METHODS)}
    candidates = (_all_candidates(ev, known).group_by("person_id", "account_id", "method")
                  .agg(pl.col("support").sum(), pl.col("last").max(), pl.col("quality").max())
                  .with_columns(rank=pl.col("method").replace_strict(rank, return_dtype=pl.Int32)))
    conflict = (candidates.filter(~_PROSPECT).group_by("person_id")
                .agg((pl.col("account_id").n_unique() > 1).alias("conflict")))
    share = pl.col("support") / pl.col("support").sum().over("person_id", "rank")
    winners = (candidates.with_columns(share=share)
               .sort(["person_id", "rank", "support", "last", "account_id"],
                     descending=[False, False, True, True, False], nulls_last=True)
               .group_by("person_id", maintain_order=True).first()
               .join(conflict, on="person_id", how="left"))
    factor = pl.when(pl.col("conflict").fill_null(False)).then(CONFLICT_FACTOR).otherwise(1.0)
    base = pl.col("method").replace_strict(METHOD_CONFIDENCE, return_dtype=pl.Float64)
    winners = winners.select("person_id", "account_id", pl.col("method").alias("match_method"),
                             (base * pl.col("share") * pl.col("quality") * factor).round(4)
                             .alias("confidence"))

    email, web = _votes(ev, "work_domain"), _votes(ev, "website_domain")
    person_domain = pl.concat([_best(email, "work_domain").rename({"work_domain": "person_domain"}),
                               _best(web, "website_domain").rename({"website_domain": "person_domain"})])
    out = (ev.select("person_id").unique()
           .join(winners, on="person_id", how="left")
           .join(known.select("account_id", "ultimate_parent_id", pl.col("domain").alias("account_domain")),
                 on="account_id", how="left")
           .join(person_domain.unique("person_id", keep="first", maintain_order=True), on="person_id",
                 how="left"))
    return out.select(
        "person_id", "account_id",
        pl.when(_PROSPECT).then("account_id").otherwise("ultimate_parent_id").alias("ultimate_account_id"),
        pl.col("match_method").fill_null("none"), pl.col("confidence").fill_null(0.0),
        pl.when(_PROSPECT).then(pl.col("account_id").str.strip_prefix(PROSPECT_PREFIX))
        .otherwise("account_domain").alias("account_domain"),
        "person_domain",
    ).sort("person_id").cast(dict(PERSON_ACCOUNT_SCHEMA))  # type: ignore[arg-type]


def prospect_accounts(person_accounts: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """The prospect accounts of :func:`match_accounts` in :data:`ACCOUNT_SCHEMA` (``is_prospect`` True).

    ``name`` is the company written by the most persons of the prospect (then in the most records, then
    alphabetically first), ``company_norm`` its normalisation, ``country_code`` the most common among its
    persons' records, ``domain`` the prospect's domain. Hierarchy and firmographics are unknown; a prospect
    is its own ultimate parent.

    Examples
    --------
    >>> pa = pl.DataFrame({"person_id": ["p1", "p2"], "account_id": ["prospect:beta.io"] * 2})
    >>> recs = pl.DataFrame({"person_id": ["p1", "p2", "p2"], "company": ["Beta", "Beta Ltd", "Beta Ltd"],
    ...                      "country_code": ["GB", "GB", None]})
    >>> (prospect_accounts(pa, recs).select("account_id", "name", "company_norm", "domain", "country_code")
    ...     .row(0))
    ('prospect:beta.io', 'Beta Ltd', 'beta', 'beta.io', 'GB')
    """
    members = person_accounts.filter(_PROSPECT).select("person_id", "account_id")
    text = [(pl.col(c) if c in records.columns else pl.lit(None)).cast(pl.String).alias(c)
            for c in ("company", "country_code")]
    ev = records.select(pl.col("person_id").cast(pl.String), *text).join(members, on="person_id")

    def mode(col: str) -> pl.DataFrame:
        counts = (ev.filter(pl.col(col).is_not_null()).group_by("account_id", col)
                  .agg(pl.col("person_id").n_unique().alias("persons"), pl.len().alias("rows")))
        return (counts.sort(["account_id", "persons", "rows", col], descending=[False, True, True, False])
                .group_by("account_id", maintain_order=True).first().select("account_id", col))

    frame = (members.select("account_id").unique().sort("account_id")
             .join(mode("company"), on="account_id", how="left", maintain_order="left")
             .join(mode("country_code"), on="account_id", how="left", maintain_order="left"))
    none = pl.lit(None, pl.String)
    norm = _normalised_companies(frame.select("company", none.alias("website"), none.alias("country")))
    return frame.select(
        "account_id", pl.col("company").alias("name"), norm["company_norm"],
        pl.col("account_id").str.strip_prefix(PROSPECT_PREFIX).alias("domain"), "country_code",
        none.alias("parent_id"), pl.col("account_id").alias("ultimate_parent_id"), none.alias("industry"),
        pl.lit(None, pl.Int64).alias("employees"), none.alias("owner_id"), none.alias("type"),
        pl.lit(False).alias("is_deleted"), pl.lit(True).alias("is_prospect"),
    ).cast(dict(ACCOUNT_SCHEMA))  # type: ignore[arg-type]
