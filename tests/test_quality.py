"""The Great Expectations suites: each named check gets its own outcome from one validation of the suite."""

from __future__ import annotations

import datetime as dt

import polars as pl

from contracts.quality import EMAIL_REGEX, Expectation
from pipelines.quality import columns_needed, run_suite

NOW = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)


def _suite() -> dict[str, list[Expectation]]:
    return {
        "ids_unique": [Expectation("ids_unique", "ExpectCompoundColumnsToBeUnique",
                                   {"column_list": ["id", "source_file_hash"]}, blocking=True,
                                   description="id unique within each delivered file")],
        "required_complete": [
            Expectation("required_complete", "ExpectColumnValuesToNotBeNull", {"column": c}, blocking=True,
                        description="never empty") for c in ("id", "last_name")],
        "email_validity": [Expectation("email_validity", "ExpectColumnValuesToMatchRegex",
                                       {"column": "email", "regex": EMAIL_REGEX, "mostly": 0.75})],
        "freshness": [Expectation("freshness", "ExpectColumnMaxToBeBetween",
                                  {"column": "modified_at", "max_age_days": 2})],
    }


def test_each_check_gets_its_own_outcome_and_counts() -> None:
    frame = pl.DataFrame({
        "id": ["a", "b", "b", "c", "d"],  # b twice in file f1
        "source_file_hash": ["f1", "f1", "f1", "f2", "f2"],
        "last_name": ["A", None, "B", None, "D"],  # two missing
        "email": ["a@x.com", "b@x.com", "nope", "c@x.com", "d@x.com"],  # 4 of 5 valid: above 75 %
        "modified_at": [NOW - dt.timedelta(days=d) for d in (10, 9, 8, 7, 3)],  # newest 3 days old
        "unused": [1, 2, 3, 4, 5],
    })
    suite = _suite()
    assert columns_needed(suite) == ["email", "id", "last_name", "modified_at", "source_file_hash"]
    out = run_suite(frame, suite, name="people", now=NOW)
    assert {c: o.passed for c, o in out.items()} == {
        "ids_unique": False, "required_complete": False, "email_validity": True, "freshness": False}
    assert {c: o.blocking for c, o in out.items()} == {
        "ids_unique": True, "required_complete": True, "email_validity": False, "freshness": False}
    assert out["ids_unique"].details[0]["unexpected_count"] == 2
    required = {d["column"]: (d["success"], d["unexpected_count"]) for d in out["required_complete"].details}
    assert required == {"id": (True, 0), "last_name": (False, 2)}
    assert out["email_validity"].details[0]["unexpected_count"] == 1
    assert out["freshness"].details[0]["expectation"] == "ExpectColumnMaxToBeBetween"

    fixed = frame.filter(pl.int_range(pl.len()) != 2).with_columns(
        pl.col("last_name").fill_null("Z"), pl.lit(NOW - dt.timedelta(hours=5)).alias("modified_at"))
    assert all(o.passed for o in run_suite(fixed, suite, name="people", now=NOW).values())
