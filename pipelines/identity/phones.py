"""Phone numbers to E.164, as Polars expressions: phonenumbers' regions, calling codes, national trunk prefixes
and possible lengths, read from a shipped table (:data:`PHONE_TABLE`) so a real-time run does not load the
metadata of every region (0.2 s)."""

from __future__ import annotations

import functools
import json
from importlib.metadata import version
from pathlib import Path

import polars as pl

__all__ = ["PHONE_TABLE", "phone_tables", "write_phone_table", "phone_digits", "international_digits", "e164"]

_PHONE_EXT_RE = r"(?i)\s*(?:extension|ext|ex|x|#)\s*[.:]?\s*\d{1,6}\s*$"

PHONE_TABLE = Path(__file__).with_name("phone_regions.json")


@functools.cache
def phone_tables() -> tuple[pl.Series, pl.Series, pl.Series, frozenset[int]]:
    """Regions (ISO2, sorted), their calling codes and national trunk prefixes (aligned by region index), and
    ``index * 32 + length`` for each possible national number length.

    From :data:`PHONE_TABLE`, written from phonenumbers' metadata by :func:`write_phone_table`, when it was
    written for the installed phonenumbers (2 ms); from the metadata itself otherwise (about 0.2 s, which every
    real-time run would pay)."""
    try:
        table = json.loads(PHONE_TABLE.read_text())
    except FileNotFoundError:
        table = {}
    if table.get("phonenumbers") != version("phonenumbers"):
        table = _phone_table_from_metadata()
    return (pl.Series(table["regions"]), pl.Series(table["codes"]), pl.Series(table["prefixes"]),
            frozenset(table["lengths"]))


def write_phone_table(path: Path = PHONE_TABLE) -> None:
    """Write :data:`PHONE_TABLE` from the installed phonenumbers (after upgrading it)."""
    path.write_text(json.dumps(_phone_table_from_metadata(), separators=(",", ":")) + "\n")


def _phone_table_from_metadata() -> dict:
    import phonenumbers

    regions, codes, prefixes, lengths = [], [], [], set()
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        if meta is None:
            continue
        regions.append(region)
        codes.append(str(phonenumbers.country_code_for_region(region)))
        prefixes.append(meta.national_prefix or "")
        if meta.general_desc is not None:
            i = len(regions) - 1
            lengths.update(i * 32 + n for n in meta.general_desc.possible_length or () if 0 < n < 32)
    return {"phonenumbers": version("phonenumbers"), "regions": regions, "codes": codes, "prefixes": prefixes,
            "lengths": sorted(lengths)}


def phone_digits(column: str) -> tuple[pl.Expr, pl.Expr]:
    """(digits, written with a leading +) after dropping an extension and an optional "(0)" trunk."""
    digits = pl.col(column).str.replace(_PHONE_EXT_RE, "").str.replace_all(r"[^0-9]*\(\s*0\s*\)|[^0-9]+", "")
    return digits, pl.col(column).str.contains(r"^\s*\+")


def international_digits(digits: str, plus: str) -> pl.Expr:
    """E.164 digits (no +) from digits and the region's calling code ``_cc``, trunk ``_np``, index ``_ri``.

    A national number (no + or 00) must have a length phonenumbers lists as possible for the region."""
    lengths = phone_tables()[3]
    d, cc, np_ = pl.col(digits), pl.col("_cc"), pl.col("_np")
    n, n_cc = d.str.len_chars().cast(pl.Int64), cc.str.len_chars().cast(pl.Int64)

    def possible(k: pl.Expr) -> pl.Expr:
        return (pl.col("_ri") * 32 + k).is_in(lengths)

    trunk = (np_.str.len_bytes() > 0) & d.str.starts_with(np_)
    has_cc = d.str.starts_with(cc) & possible(n - n_cc) & ~possible(n)  # "44 20 7946 0958", no +
    national = (pl.when(trunk).then(d.str.slice(np_.str.len_chars()))
                .when(has_cc).then(d.str.slice(n_cc)).otherwise(d))
    no_region = cc.is_null()
    return (pl.when(pl.col(plus)).then(d)
            .when(d.str.starts_with("00")).then(d.str.slice(2))
            .when((cc == "1") & d.str.starts_with("011")).then(d.str.slice(3))
            .when(~no_region & possible(national.str.len_chars().cast(pl.Int64)))
            .then(pl.concat_str(cc, national))
            .when(no_region & d.str.contains(r"^[2-9]\d{9}$")).then(pl.concat_str(pl.lit("1"), d))
            .when(no_region & d.str.contains(r"^1[2-9]\d{9}$")).then(d))


def e164(digits: str) -> pl.Expr:
    return pl.when(pl.col(digits).str.contains(r"^[1-9]\d{7,14}$")).then(pl.concat_str(pl.lit("+"), digits))
