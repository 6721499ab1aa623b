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

__all__ = ["PROFILE_COLUMNS", "DEFAULT_THRESHOLD", "settings", "train_model", "predict_pairs", "LinkageModel"]

PROFILE_COLUMNS = ("first_norm", "first_canonical", "last_norm", "email_norm", "email_local", "email_domain",
                   "email_is_free", "phone", "org_domain", "company_norm", "city_norm", "country_code", "title_norm")
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


def _blocking_rules() -> list[Any]:
    from splink import block_on
    return [
        block_on("first_canonical", "last_norm", "org_domain"),
        block_on("first_canonical", "last_norm", "company_norm"),
        block_on("last_norm", "phone"),
        block_on("phone"),
        block_on("email_domain", "last_norm"),
        block_on("first_canonical", "last_norm", "city_norm"),
        block_on("email_local", "last_norm"),
    ]


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
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def train_model(profiles: pl.DataFrame, *, label_column: str = "cluster", seed: int = 7,
                threads: int | None = None) -> LinkageModel:
    """Estimate the model without ground-truth labels.

    u comes from random sampling; m from the pairs the deterministic stage already tied together
    (``label_column``: profiles in one deterministic cluster are the same person by email or CRM id), which
    teaches the model what true duplicates with *different* emails, name spellings and missing fields look like;
    the prior from near-certain rules.
    """
    from splink import block_on
    con = _connection(threads)
    try:
        linker = _linker(profiles, settings(), con)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("first_canonical", "last_norm", "phone"),
             block_on("first_canonical", "last_norm", "org_domain", "city_norm")], recall=0.6)
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
        return pl.from_arrow(con.sql(  # type: ignore[return-value]
            f"SELECT unique_id_l, unique_id_r, match_probability FROM {pairs.physical_name}").arrow())
    finally:
        con.close()
