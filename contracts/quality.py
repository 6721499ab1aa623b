"""Great Expectations suites for bronze tables, derived from each contract (the declaration, not the run).

Each suite is a list of named :class:`Expectation` specs; :mod:`pipelines.quality` turns them into GX 1.x
expectations and runs them. ``blocking`` expectations stop downstream assets when they fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from contracts.spec import BronzeContract

__all__ = ["Expectation", "SuiteCheck", "bronze_suite", "suite_checks", "EMAIL_REGEX", "EMAIL_VALIDITY_MIN"]

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


@dataclass(frozen=True)
class SuiteCheck:
    """One named check of a suite as Dagster declares it: whether a failure blocks, and what it checks."""

    name: str
    blocking: bool
    description: str


def suite_checks(contract: BronzeContract) -> dict[str, SuiteCheck]:
    """The checks of a bronze table's suite, without the columns they cover.

    Cheap: it does not build the contract's Pandera schema, so the code location can declare every table's
    checks at import and build a suite (:func:`bronze_suite`) only when its checks run.

    Examples
    --------
    >>> from contracts.registry import contract_for_table
    >>> [(c.name, c.blocking) for c in suite_checks(contract_for_table("salesforce_lead")).values()]
    [('ids_unique', True), ('required_complete', True), ('email_validity', False), ('freshness', False)]
    """
    checks = [
        SuiteCheck("ids_unique", True, f"{', '.join(contract.key)} unique within each delivered file"),
        SuiteCheck("required_complete", True, "every column the contract requires is never empty"),
    ]
    if contract.email_column:
        checks.append(SuiteCheck("email_validity", False, f"at least {EMAIL_VALIDITY_MIN:.0%} of non-empty "
                                                          "emails are syntactically valid"))
    if contract.freshness_column:
        checks.append(SuiteCheck("freshness", False, f"newest {contract.freshness_column} is at most "
                                                     f"{contract.freshness_max_age_days:g} days old"))
    return {c.name: c for c in checks}


def bronze_suite(contract: BronzeContract) -> dict[str, list[Expectation]]:
    """The expectations of each check of :func:`suite_checks`, by check name.

    Examples
    --------
    >>> from contracts.registry import contract_for_table
    >>> sorted(bronze_suite(contract_for_table("salesforce_lead")))
    ['email_validity', 'freshness', 'ids_unique', 'required_complete']
    """
    checks = suite_checks(contract)

    def expect(check: str, gx_type: str, kwargs: dict[str, Any], description: str = "") -> Expectation:
        c = checks[check]
        return Expectation(check, gx_type, kwargs, blocking=c.blocking,
                           description=description or c.description)

    suite = {
        "ids_unique": [expect("ids_unique", "ExpectCompoundColumnsToBeUnique",
                              {"column_list": [*contract.key, "source_file_hash"]})],
        "required_complete": [expect("required_complete", "ExpectColumnValuesToNotBeNull", {"column": c.name},
                                     f"{c.vendor} is never empty")
                              for c in contract.columns if c.required],
    }
    if "email_validity" in checks:
        suite["email_validity"] = [expect("email_validity", "ExpectColumnValuesToMatchRegex",
                                          {"column": contract.email_column, "regex": EMAIL_REGEX,
                                           "mostly": EMAIL_VALIDITY_MIN})]
    if "freshness" in checks:
        suite["freshness"] = [expect("freshness", "ExpectColumnMaxToBeBetween",
                                     {"column": contract.freshness_column,
                                      "max_age_days": contract.freshness_max_age_days})]
    return suite
