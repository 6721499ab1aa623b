"""The probabilistic stage: a Splink model over person *profiles*, trained without labels, run on DuckDB.

Profiles are the distinct identity-bearing value combinations left after the deterministic links (one row per
deterministic cluster and distinct combination), so Splink compares far fewer rows than there are records and
never re-scores what an email or CRM id already tied together.

The comparisons carry the evidence that separates namesakes and same-name colleagues from true duplicates:

- term-frequency adjusted names (a shared rare surname says more than a shared common one);
- email: exact; the same mailbox with a one-edit typo; *different work mailboxes at one company domain* (strong
  evidence of two colleagues) and *addresses that differ only by digits* (look-alike namesakes) get levels of
  their own, so the unsupervised fit learns how rarely true duplicates look like that;
- phone, organisation (registered domain, then normalised company name), place and title.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import polars as pl

__all__ = ["PROFILE_COLUMNS", "DEFAULT_THRESHOLD", "BLOCKING_KEYS", "settings", "train_model", "predict_pairs",
           "prior_match_probability", "LinkageModel"]

PROFILE_COLUMNS = ("first_norm", "first_canonical", "last_norm", "email_norm", "email_local", "email_domain",
                   "email_is_free", "phone", "org_domain", "company_norm", "company_token", "local_prefix",
                   "city_norm", "country_code", "title_norm")
MEMORY_LIMIT = "3GB"  # DuckDB spills to disk beyond this, so a 1M-person run stays within a laptop's memory
DEFAULT_THRESHOLD = 0.95  # documented in docs/identity.md: the match probability at which a pair links


def _comparisons() -> list[Any]:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def both(col: str) -> str:
        return f'"{col}_l" IS NOT NULL AND "{col}_r" IS NOT NULL'

    first = cl.CustomComparison(output_column_name="first_name", comparison_levels=[
        cll.NullLevel("first_norm"),
        cll.ExactMatchLevel("first_norm", term_frequency_adjustments=True),
        cll.ExactMatchLevel("first_canonical"),
        cll.JaroWinklerLevel("first_norm", 0.88),
        cll.ElseLevel(),
    ])
    last = cl.CustomComparison(output_column_name="last_name", comparison_levels=[
        cll.NullLevel("last_norm"),
        cll.ExactMatchLevel("last_norm", term_frequency_adjustments=True),
        cll.JaroWinklerLevel("last_norm", 0.9),
        cll.ElseLevel(),
    ])
    email = cl.CustomComparison(output_column_name="email", comparison_levels=[
        cll.NullLevel("email_norm"),
        cll.ExactMatchLevel("email_norm"),
        cll.CustomLevel(
            "email_domain_l = email_domain_r AND regexp_replace(email_local_l, '[0-9]', '', 'g') = "
            "regexp_replace(email_local_r, '[0-9]', '', 'g')", label_for_charts="differ only by digits")
        # a colleague's or namesake's de-duplicated address (jsmith / jsmith2): true duplicates almost never
        # look like this, and the deterministic stage cannot show it (it links only equal addresses)
        .configure(m_probability=1e-4, fix_m_probability=True),
        cll.CustomLevel("email_domain_l = email_domain_r AND damerau_levenshtein(email_local_l, email_local_r) <= 1"
                        " AND left(email_local_l, 1) = left(email_local_r, 1)",
                        label_for_charts="one-edit typo after the first letter"),
        cll.CustomLevel("email_domain_l = email_domain_r AND NOT email_is_free_l",
                        label_for_charts="other mailbox, same company domain"),
        cll.CustomLevel("email_local_l = email_local_r", label_for_charts="same local part, other domain"),
        cll.ElseLevel(),
    ])
    phone = cl.CustomComparison(output_column_name="phone", comparison_levels=[
        cll.NullLevel("phone"), cll.ExactMatchLevel("phone"), cll.ElseLevel()])
    org = cl.CustomComparison(output_column_name="organisation", comparison_levels=[
        cll.CustomLevel(f"NOT ({both('org_domain')}) AND NOT ({both('company_norm')})").configure(is_null_level=True),
        cll.ExactMatchLevel("org_domain"),
        cll.ExactMatchLevel("company_norm"),
        cll.JaroWinklerLevel("company_norm", 0.9),
        cll.ExactMatchLevel("company_token").configure(label_for_charts="same first word of the company"),
        cll.ElseLevel(),
    ])
    place = cl.CustomComparison(output_column_name="place", comparison_levels=[
        cll.CustomLevel(f"NOT ({both('city_norm')}) AND NOT ({both('country_code')})").configure(is_null_level=True),
        cll.ExactMatchLevel("city_norm"),
        cll.ExactMatchLevel("country_code"),
        cll.ElseLevel(),
    ])
    title = cl.CustomComparison(output_column_name="title", comparison_levels=[
        cll.NullLevel("title_norm"), cll.ExactMatchLevel("title_norm"), cll.ElseLevel()])
    return [first, last, email, phone, org, place, title]


BLOCKING_KEYS = (  # each keeps its largest block small at 1M persons: no bare phone (switchboards), no
    ("first_canonical", "last_norm", "org_domain"),  # free-mail domain (gmail + smith), no bare local part
    ("first_canonical", "last_norm", "company_norm"),
    ("last_norm", "phone"),
    ("org_domain", "last_norm"),
    ("first_canonical", "last_norm", "city_norm"),
    ("org_domain", "first_canonical"),               # a typo in the surname
    ("first_canonical", "phone"),
    ("first_canonical", "last_norm", "company_token"),  # brand only vs legal name ("Acme" / "Acme Holdings")
    ("org_domain", "local_prefix"),                  # a work address with a typo, little else on the record
)


def _blocking_rules() -> list[str]:
    """Candidate pairs share one of :data:`BLOCKING_KEYS` and come from different deterministic clusters
    (pairs inside a cluster are already linked: comparing them would only cost time)."""
    return [" AND ".join([*(f"l.{c} = r.{c}" for c in cols), "l.cluster <> r.cluster"]) for cols in BLOCKING_KEYS]


def settings(*, probability_two_random_records_match: float = 1e-6) -> Any:
    """The Splink settings: comparisons and the blocking rules that generate candidate pairs."""
    from splink import SettingsCreator
    return SettingsCreator(
        link_type="dedupe_only", unique_id_column_name="unique_id",
        comparisons=_comparisons(), blocking_rules_to_generate_predictions=_blocking_rules(),
        probability_two_random_records_match=probability_two_random_records_match,
        retain_matching_columns=False, retain_intermediate_calculation_columns=False,
    )


class LinkageModel:
    """A trained Splink model as JSON (stored in the registry beside the crosswalk), with its DuckDB runner."""

    def __init__(self, model_json: dict[str, Any]) -> None:
        self.model_json = model_json

    def dumps(self) -> str:
        return json.dumps(self.model_json, sort_keys=True)

    @classmethod
    def loads(cls, text: str) -> LinkageModel:
        return cls(json.loads(text))


def _linker(profiles: pl.DataFrame, model: Any, con: duckdb.DuckDBPyConnection) -> Any:
    from splink import DuckDBAPI, Linker
    db = DuckDBAPI(connection=con)
    frame = db.register(profiles.to_arrow(), table_name="profiles")
    return Linker(frame, model, log_level="WARNING")


def _connection(threads: int | None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT, "preserve_insertion_order": False})
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def prior_match_probability(profiles: pl.DataFrame, *, recall: float = 0.6) -> float:
    """Probability that two random profiles are one person, from near-certain evidence counted in Polars:
    pairs across deterministic clusters sharing name and phone, or name, organisation and city, over all
    pairs, scaled up by the recall those rules are assumed to have (Splink's direct estimate, without SQL)."""
    n = profiles.height
    if n < 2:
        return 1e-6
    found = 0
    for keys in (("first_canonical", "last_norm", "phone"), ("first_canonical", "last_norm", "org_domain",
                                                                 "city_norm")):
        groups = (profiles.drop_nulls(list(keys)).group_by(keys).agg(pl.len().alias("n"),
                                                                    pl.col("cluster").n_unique().alias("c")))
        found += int(groups.select(((pl.col("c") - 1) * pl.col("c") // 2).sum()).item() or 0)
    total = n * (n - 1) / 2
    return float(min(max(found / recall / total, 1e-9), 0.5))


def train_model(profiles: pl.DataFrame, *, label_column: str = "cluster", seed: int = 7,
                sample_profiles: int = 300_000, threads: int | None = None) -> LinkageModel:
    """Estimate the model without ground-truth labels.

    u comes from random sampling; m from the pairs the deterministic stage already tied together
    (``label_column``: profiles in one deterministic cluster are the same person by email or CRM id), which
    teaches the model what true duplicates with *different* emails, name spellings and missing fields look like;
    the prior from near-certain rules (:func:`prior_match_probability`). m and u are learned on whole clusters
    sampled down to about ``sample_profiles`` profiles: the proportions, not the size, are what they measure.
    """
    prior = prior_match_probability(profiles)
    clusters = profiles[label_column].unique()
    if profiles.height > sample_profiles:
        keep = clusters.sample(fraction=sample_profiles / profiles.height, seed=seed)
        profiles = profiles.filter(pl.col(label_column).is_in(keep.implode()))
    con = _connection(threads)
    try:
        linker = _linker(profiles, settings(probability_two_random_records_match=prior), con)
        linker.training.estimate_u_using_random_sampling(max_pairs=3e6, seed=seed)
        linker.training.estimate_m_from_label_column(label_column)
        return LinkageModel(linker.misc.save_model_to_json())
    finally:
        con.close()


def predict_pairs(profiles: pl.DataFrame, model: LinkageModel, *, threshold: float = DEFAULT_THRESHOLD,
                  threads: int | None = None) -> pl.DataFrame:
    """Scored candidate pairs at or above ``threshold``: ``unique_id_l``, ``unique_id_r``, ``match_probability``."""
    con = _connection(threads)
    try:
        linker = _linker(profiles, model.model_json, con)
        pairs = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
        return con.sql(f"SELECT unique_id_l, unique_id_r, match_probability FROM {pairs.physical_name}").pl()
    finally:
        con.close()
