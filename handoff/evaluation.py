"""Scoring the pipeline against a generated world's ground truth (never read by the pipeline itself)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

__all__ = ["TRUTH_TABLES", "truth_person_records", "account_accuracy", "scoring_oracle"]

# the generator's (source, object) → the bronze table the record lands in
TRUTH_TABLES = {
    ("salesforce", "Lead"): "salesforce_lead", ("salesforce", "Contact"): "salesforce_contact",
    ("hubspot", "contacts"): "hubspot_contact", ("marketo", "leads"): "marketo_lead",
    ("linkedin", "leadgen"): "linkedin_lead_gen", ("events", "identify"): "segment_event",
    ("events", "track"): "segment_event",
}


def truth_person_records(truth_dir: Path) -> pl.DataFrame:
    """``source`` (bronze table), ``record_id``, ``true_person_id``, ``true_account_id`` of every person record."""
    path = truth_dir / "source_records.parquet"
    if not path.exists():
        msg = f"no ground truth at {path}: evaluation needs a world made by `handoff world generate`"
        raise FileNotFoundError(msg)
    mapping = pl.DataFrame([(s, o, t) for (s, o), t in TRUTH_TABLES.items()],
                           schema=["source", "object", "table"], orient="row")
    truth = pl.read_parquet(path).join(mapping, on=["source", "object"])
    return truth.select(pl.col("table").alias("source"), pl.col("source_record_id").alias("record_id"),
                        pl.col("person_id").alias("true_person_id"), pl.col("account_id").alias("true_account_id")
                        ).unique(["source", "record_id"], keep="last", maintain_order=True)  # re-exported records




def _majority(frame: pl.DataFrame, by: str, value: str) -> pl.DataFrame:
    """Per ``by`` the most frequent non-null ``value`` (ties: the smallest)."""
    return (frame.filter(pl.col(value).is_not_null()).group_by(by, value).len()
            .sort([by, "len", value], descending=[False, True, False])
            .group_by(by, maintain_order=True).first().select(by, value))


def account_accuracy(person_accounts: pl.DataFrame, truth_dir: Path, *, records: pl.DataFrame) -> dict:
    """Person → account accuracy of :func:`pipelines.identity.accounts.match_accounts` against the truth.

    Parameters
    ----------
    person_accounts
        ``person_id, account_id, match_method`` (one row per person).
    truth_dir
        The world's ``truth/`` folder (``source_records.parquet``, ``accounts.parquet``).
    records
        ``source, record_id, person_id`` of the resolved records (the crosswalk or ``Resolution.records``):
        they tie a predicted person to the generator's records.

    Returns
    -------
    dict
        ``persons`` (predicted persons with a true account), ``correct``, ``accuracy``, ``hierarchy_correct``,
        ``hierarchy_accuracy`` and ``by_method`` (``{method: {"persons", "correct", "accuracy"}}``).

    Notes
    -----
    A person's true account is the majority non-null ``true_account_id`` of their records; persons whose
    records have none (freelancers) are left out. A predicted Salesforce account maps to the truth account
    of that ``salesforce_account_id``; a predicted ``prospect:<domain>`` to the truth account whose domain or
    alias domain is ``<domain>``. **Strict**: ``correct`` needs exactly the generator's account of the person;
    an employee of a subsidiary matched to its parent (or the reverse) is wrong. ``hierarchy_correct`` also
    accepts any account under the same top-level parent, as a secondary figure.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> pl.DataFrame({"source": ["salesforce"] * 3, "object": ["Contact"] * 3,
    ...               "source_record_id": ["c1", "c2", "c3"], "file": ["f"] * 3, "row": [1, 2, 3],
    ...               "person_id": [1, 2, 3], "account_id": [10, 11, 10]}
    ...              ).write_parquet(d / "source_records.parquet")
    >>> pl.DataFrame({"account_id": [10, 11], "salesforce_account_id": ["001A", None],
    ...               "domain": ["a.com", "b.com"], "alias_domains": [[], ["getb.com"]],
    ...               "parent_account_id": [None, None]}).write_parquet(d / "accounts.parquet")
    >>> recs = pl.DataFrame({"source": ["salesforce_contact"] * 3, "record_id": ["c1", "c2", "c3"],
    ...                      "person_id": ["p1", "p2", "p3"]})
    >>> pa = pl.DataFrame({"person_id": ["p1", "p2", "p3"], "account_id": ["001A", "prospect:getb.com", None],
    ...                    "match_method": ["crm_relation", "prospect_domain", "none"]})
    >>> r = account_accuracy(pa, d, records=recs)
    >>> (r["persons"], r["correct"], r["by_method"]["prospect_domain"]["accuracy"])
    (3, 2, 1.0)
    """
    truth_dir = Path(truth_dir)
    truth = truth_person_records(truth_dir)
    accounts = pl.read_parquet(truth_dir / "accounts.parquet")
    top = accounts.select("account_id", pl.coalesce("parent_account_id", "account_id").alias("top"))
    by_domain = pl.concat([
        accounts.select(pl.col("domain"), "account_id"),
        accounts.select(pl.col("alias_domains").alias("domain"), "account_id").explode("domain"),
    ]).drop_nulls().unique("domain", keep="first").select(
        (pl.lit("prospect:") + pl.col("domain")).alias("predicted"), "account_id")
    by_sf = accounts.filter(pl.col("salesforce_account_id").is_not_null()).select(
        pl.col("salesforce_account_id").alias("predicted"), "account_id")
    mapping = pl.concat([by_sf, by_domain]).unique("predicted", keep="first")

    linked = records.select("source", "record_id", "person_id").join(truth, on=["source", "record_id"])
    true_account = _majority(linked, "person_id", "true_account_id")
    scored = (true_account
              .join(person_accounts.select("person_id", pl.col("account_id").alias("predicted"),
                                           "match_method"), on="person_id", how="left")
              .join(mapping, on="predicted", how="left")
              .join(top, on="account_id", how="left")
              .join(top.rename({"account_id": "true_account_id", "top": "true_top"}), on="true_account_id",
                    how="left")
              .with_columns(correct=(pl.col("account_id") == pl.col("true_account_id")).fill_null(False),
                            hierarchy=(pl.col("top") == pl.col("true_top")).fill_null(False),
                            match_method=pl.col("match_method").fill_null("none")))
    n = scored.height
    k = int(scored["correct"].sum())
    h = int(scored["hierarchy"].sum())
    per = scored.group_by("match_method").agg(pl.len().alias("persons"),
                                              pl.col("correct").sum().alias("correct"))
    by_method = {m: {"persons": int(p), "correct": int(c), "accuracy": c / p if p else 0.0}
                 for m, p, c in per.sort("match_method").iter_rows()}
    return {"persons": n, "correct": k, "accuracy": k / n if n else 0.0, "hierarchy_correct": h,
            "hierarchy_accuracy": h / n if n else 0.0, "by_method": by_method}


def scoring_oracle(keys: pl.DataFrame, crosswalk: pl.DataFrame, truth_dir: Path) -> pl.Series:
    """The generator's own probability of the label for each ``person_id`` of ``keys`` (order kept).

    The label is an opportunity for the person *or their account*, so the oracle is the true probability that
    anyone there converts: ``1 - prod(1 - propensity)`` over the true account's persons (the person's own
    propensity when they have no account). A resolved person maps to the true person most of its records belong to.
    """
    truth = truth_person_records(truth_dir)
    true_of = (crosswalk.join(truth, on=["source", "record_id"]).group_by("person_id")
               .agg(pl.col("true_person_id").mode().first()))
    persons = pl.read_parquet(truth_dir / "persons.parquet", columns=["person_id", "account_id", "propensity"])
    by_account = (persons.drop_nulls("account_id").group_by("account_id")
                  .agg((1 - (1 - pl.col("propensity")).product()).alias("account_propensity")))
    oracle = (persons.join(by_account, on="account_id", how="left")
              .select(pl.col("person_id").alias("true_person_id"),
                      pl.coalesce("account_propensity", "propensity").alias("oracle")))
    return (keys.join(true_of, on="person_id", how="left", maintain_order="left")
            .join(oracle, on="true_person_id", how="left", maintain_order="left")["oracle"].fill_null(0.0))
