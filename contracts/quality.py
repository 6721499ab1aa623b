"""Great Expectations suites for bronze tables, derived from each contract (the declaration, not the run).

Each suite is a list of named :class:`Expectation` specs; :mod:`pipelines.quality` turns them into GX 1.x
expectations and runs them. ``blocking`` expectations stop downstream assets when they fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contracts.spec import BronzeContract

__all__ = ["Expectation", "bronze_suite", "EMAIL_REGEX", "EMAIL_VALIDITY_MIN"]

EMAIL_REGEX = r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$"
EMAIL_VALIDITY_MIN = 0.95


@dataclass(frozen=True)
class Expectation:
    """One check of a suite: which GX expectation, its arguments, and whether a failure blocks."""

    check: str
    gx_type: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    blocking: bool = False
    description: str = ""


def bronze_suite(contract: BronzeContract) -> dict[str, list[Expectation]]:
    """The checks on a bronze table, grouped by Dagster asset check name.

    Examples
    --------
    >>> from contracts.registry import contract_for_table
    >>> sorted(bronze_suite(contract_for_table("salesforce_lead")))
    ['email_validity', 'freshness', 'ids_unique', 'required_complete']
    """
    key = list(contract.key)
    suite: dict[str, list[Expectation]] = {
        "ids_unique": [Expectation(
            "ids_unique", "ExpectCompoundColumnsToBeUnique",
            {"column_list": [*key, "source_file_hash"]}, blocking=True,
            description=f"{', '.join(key)} unique within each delivered file")],
        "required_complete": [
            Expectation("required_complete", "ExpectColumnValuesToNotBeNull", {"column": c.name}, blocking=True,
                        description=f"{c.vendor} is never empty")
            for c in contract.columns if c.required
        ],
    }
    if contract.email_column:
        suite["email_validity"] = [Expectation(
            "email_validity", "ExpectColumnValuesToMatchRegex",
            {"column": contract.email_column, "regex": EMAIL_REGEX, "mostly": EMAIL_VALIDITY_MIN},
            description=f"at least {EMAIL_VALIDITY_MIN:.0%} of non-empty emails are syntactically valid")]
    if contract.freshness_column:
        suite["freshness"] = [Expectation(
            "freshness", "ExpectColumnMaxToBeBetween",
            {"column": contract.freshness_column, "max_age_days": contract.freshness_max_age_days},
            description=f"newest {contract.freshness_column} is at most "
                        f"{contract.freshness_max_age_days:g} days old")]
    return suite
