"""Quarantine reason codes: what went wrong with a row or file, and what the user should do about it."""

from __future__ import annotations

__all__ = ["REASONS", "remedy"]

REASONS: dict[str, str] = {
    "missing_required_column": "add the column to the export (headers are case-sensitive) and re-deliver the file",
    "unparseable_file": "re-export the file as UTF-8 CSV with a header row (or JSON Lines) and re-deliver it",
    "required_missing": "fill the field in the source system and re-export the record",
    "type_mismatch": "fix the value in the source system (ISO 8601 timestamps, plain numbers, true/false) "
    "and re-export the record",
    "invalid_format": "correct the identifier in the source system and re-export the record",
    "out_of_range": "correct the value in the source system and re-export the record",
    "invalid_value": "use one of the allowed values (see the contract) or propose a contract change",
    "invalid_json": "send one well-formed JSON object (per line, or per field) and re-deliver",
    "duplicate_key": "the first row with this key was loaded; remove the duplicate from the export",
}


def remedy(reason: str) -> str:
    """What a user should do about a quarantined row with this reason code.

    Examples
    --------
    >>> remedy("duplicate_key").startswith("the first row")
    True
    """
    return REASONS.get(reason, "inspect the raw row in quarantine.records and correct it at the source")
