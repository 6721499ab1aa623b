"""Conform one landing file to its bronze contract: map, coerce, validate, split good rows from bad.

Pure: a file and a contract in, three frames out (bronze rows, quarantined rows, the manifest row). Every raw
record ends in exactly one of bronze or quarantine; a file that cannot be conformed at all is rejected whole,
all its records quarantined with the file-level reason, so ``rows_raw == rows_bronze + rows_quarantined``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandera.polars as pa
import polars as pl

from contracts.spec import BronzeContract
from pipelines.ingest.coerce import TYPE_NAMES, parse_series
from pipelines.ingest.readers import UnparseableFileError, jsonl_extra_keys, read_landing_file
from pipelines.ingest.reasons import REASONS, remedy

__all__ = ["FileIngest", "conform_file", "QUARANTINE_SCHEMA", "MANIFEST_SCHEMA"]

QUARANTINE_SCHEMA = pl.Schema({
    "source_system": pl.String, "object": pl.String, "contract": pl.String, "source_file": pl.String,
    "source_file_hash": pl.String, "source_row": pl.Int64, "field": pl.String, "reason": pl.String,
    "detail": pl.String, "remedy": pl.String, "raw": pl.String, "run_id": pl.String,
    "quarantined_at": pl.Datetime("us", "UTC"),
})
MANIFEST_SCHEMA = pl.Schema({
    "source_file_hash": pl.String, "source_system": pl.String, "object": pl.String, "contract": pl.String,
    "source_file": pl.String, "file_bytes": pl.Int64, "status": pl.String, "message": pl.String,
    "rows_raw": pl.Int64, "rows_bronze": pl.Int64, "rows_quarantined": pl.Int64,
    "extra_columns": pl.List(pl.String), "missing_optional_columns": pl.List(pl.String),
    "run_id": pl.String, "ingested_at": pl.Datetime("us", "UTC"),
})
_FAILURE_SCHEMA = {"__row": pl.Int64, "field": pl.String, "reason": pl.String, "detail": pl.String,
                   "stage": pl.Int32}
_CHECK_REASONS = {
    "not_nullable": "required_missing", "str_matches": "invalid_format", "isin": "invalid_value",
    "greater_than_or_equal_to": "out_of_range", "less_than_or_equal_to": "out_of_range",
    "in_range": "out_of_range", "greater_than": "out_of_range", "less_than": "out_of_range",
    "is_json_object": "invalid_json", "field_uniqueness": "duplicate_key",
}


@dataclass(frozen=True)
class FileIngest:
    """What one landing file became."""

    bronze: pl.DataFrame
    quarantine: pl.DataFrame
    manifest: pl.DataFrame

    @property
    def status(self) -> str:
        return str(self.manifest["status"][0])

    @property
    def message(self) -> str:
        return str(self.manifest["message"][0])


def conform_file(
    path: Path,
    contract: BronzeContract,
    *,
    source_file: str,
    file_hash: str,
    run_id: str,
    ingested_at: dt.datetime,
) -> FileIngest:
    """Conform ``path`` to ``contract``.

    Parameters
    ----------
    path
        The landing file.
    contract
        The bronze contract it belongs to.
    source_file
        Its path relative to the landing root, recorded as provenance.
    file_hash, run_id, ingested_at
        Provenance recorded on every output row.
    """
    prov = {"source_system": contract.source, "source_file": source_file, "source_file_hash": file_hash,
            "run_id": run_id, "contract": contract.name}
    try:
        raw = read_landing_file(path, contract)
    except UnparseableFileError as exc:
        return _rejected(contract, prov, None, "unparseable_file", str(exc), path, ingested_at)

    internal = {"__row", "__json_ok", "__line"}
    vendor_cols = [c for c in raw.columns if c not in internal]
    if contract.file_format == "csv":
        missing = [v for v in contract.required_vendor_columns if v not in vendor_cols]
        if missing:
            hint = _case_hint(missing, vendor_cols)
            msg = (f"{source_file}: missing required column(s) {', '.join(missing)} for contract {contract.name}"
                   f"{hint}; file rejected whole, nothing loaded. Add the column(s) to the export and re-deliver.")
            return _rejected(contract, prov, raw, "missing_required_column", msg, path, ingested_at,
                             field=",".join(missing))
        known = {c.vendor for c in contract.columns}
        extras = [c for c in vendor_cols if c not in known]
        missing_optional = [c.vendor for c in contract.columns if c.vendor not in vendor_cols]
    else:
        extras = jsonl_extra_keys(raw)
        missing_optional = []

    typed, failures = _coerce(raw, contract, prov, ingested_at, extras)
    failures = pl.concat([failures, _validate(typed, contract, raw["__row"])], how="vertical")
    failures = pl.concat([failures, _duplicates(typed, contract, raw["__row"], failures)], how="vertical")

    bad_rows = failures.select("__row").unique()
    bronze = typed.join(bad_rows.rename({"__row": "source_row"}), on="source_row", how="anti",
                        maintain_order="left")
    quarantine = _quarantine_rows(raw, failures, prov, contract, ingested_at)
    drift = f"; schema drift: extra column(s) {', '.join(extras)} kept in `extras`" if extras else ""
    message = (f"{source_file}: {bronze.height} row(s) loaded, {quarantine.height} quarantined{drift}")
    manifest = _manifest(prov, contract, path, "loaded", message, raw.height, bronze.height,
                         quarantine.height, extras, missing_optional, ingested_at)
    return FileIngest(bronze, quarantine, manifest)


def _coerce(raw: pl.DataFrame, contract: BronzeContract, prov: dict[str, str], ingested_at: dt.datetime,
            extras: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    present = set(raw.columns)
    typed_cols: list[pl.Series] = []
    failures: list[pl.DataFrame] = []
    for col in contract.columns:
        if col.vendor not in present:
            typed_cols.append(pl.Series(col.name, [None] * raw.height, dtype=col.dtype))
            continue
        values = raw[col.vendor]
        parsed = parse_series(values, col.dtype).cast(col.dtype).alias(col.name)
        typed_cols.append(parsed)
        if col.dtype == pl.String:
            continue
        missed = values.is_not_null() & parsed.is_null()
        if missed.any():
            expected = TYPE_NAMES.get(col.dtype.base_type(), str(col.dtype))
            failures.append(pl.DataFrame({"__row": raw["__row"].filter(missed), "value": values.filter(missed)})
                            .select("__row", field=pl.lit(col.vendor), reason=pl.lit(col.parse_reason),
                                    detail=_text(f"{col.vendor}='", pl.col("value"), f"' is not {expected}"),
                                    stage=pl.lit(1, pl.Int32)))
    if contract.file_format == "jsonl":
        extras_col = raw["__line"]
    elif extras:
        extras_col = raw.select(pl.struct(extras).struct.json_encode()).to_series()
    else:
        extras_col = pl.Series([None] * raw.height, dtype=pl.String)
    provenance = [pl.lit(v).alias(k) for k, v in prov.items()] + [
        pl.lit(ingested_at).cast(pl.Datetime("us", "UTC")).alias("ingested_at"),
    ]
    typed = (pl.DataFrame(typed_cols, height=raw.height)
             .with_columns(raw["__row"].alias("source_row"), extras_col.alias("extras"), *provenance)
             .select(list(contract.schema.columns)))
    if "__json_ok" in raw.columns:
        failures.insert(0, raw.filter(~pl.col("__json_ok")).select(
            "__row", field=pl.lit("line"), reason=pl.lit("invalid_json"),
            detail=_text("line ", pl.col("__row"), " is not a JSON object"), stage=pl.lit(0, pl.Int32)))
    if not failures:
        return typed, _empty_failures()
    return typed, pl.concat([f.cast(_FAILURE_SCHEMA) for f in failures])


def _validate(typed: pl.DataFrame, contract: BronzeContract, rows: pl.Series) -> pl.DataFrame:
    try:
        contract.model.validate(typed, lazy=True)
        return _empty_failures()
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    if cases.filter(pl.col("index").is_null()).height:
        msg = (f"contract {contract.name} failed at table level, which conforming should prevent: "
               f"{cases.filter(pl.col('index').is_null()).to_dicts()[:3]}; this is a bug in the ingest engine")
        raise RuntimeError(msg)
    vendor_of = {c.name: c.vendor for c in contract.columns}
    check = pl.col("check").str.replace(r"\(.*$", "")
    named = check.str.contains(":")
    reason = pl.when(named).then(check.str.split(":").list.first()).otherwise(
        check.replace_strict(_CHECK_REASONS, default="check_failed"))
    field = pl.when(named).then(check.str.split(":").list.last()).otherwise(
        pl.col("column").replace_strict(vendor_of, default=pl.col("column")))
    cases = cases.with_columns(rows.gather(cases["index"].cast(pl.Int64)).alias("__row"))
    return cases.select(
        "__row",
        field=field,
        reason=reason,
        detail=pl.when(named).then(_text(field, " fails ", check))
        .when(pl.col("failure_case").is_null()).then(_text(field, " is required but empty"))
        .otherwise(_text(field, "='", pl.col("failure_case"), "' fails ", pl.col("check"))),
        stage=pl.lit(2, pl.Int32),
    ).cast(_FAILURE_SCHEMA)


def _duplicates(typed: pl.DataFrame, contract: BronzeContract, rows: pl.Series,
                failures: pl.DataFrame) -> pl.DataFrame:
    keys = list(contract.key)
    candidates = typed.select("source_row", *keys).join(
        failures.select(pl.col("__row").alias("source_row")).unique(), on="source_row", how="anti",
        maintain_order="left").drop_nulls(keys)
    dupes = candidates.filter(~pl.struct(keys).is_first_distinct())
    key_fields = ", ".join(contract.vendor_column(k) for k in keys)
    return dupes.select(
        __row=pl.col("source_row"),
        field=pl.lit(key_fields),
        reason=pl.lit("duplicate_key"),
        detail=_text(f"{key_fields} repeats an earlier row of this file (",
                         pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator=", "), ")"),
        stage=pl.lit(3, pl.Int32),
    ).cast(_FAILURE_SCHEMA)


def _quarantine_rows(raw: pl.DataFrame, failures: pl.DataFrame, prov: dict[str, str],
                     contract: BronzeContract, ingested_at: dt.datetime) -> pl.DataFrame:
    if failures.height == 0:
        return QUARANTINE_SCHEMA.to_frame()
    per_row = (
        failures.unique(["__row", "field"], keep="first", maintain_order=True)
        .sort(["__row", "stage"], maintain_order=True)
        .group_by("__row", maintain_order=True)
        .agg(pl.col("field").first(), pl.col("reason").first(), pl.col("detail").str.join("; "))
    )
    raw_payload = pl.col("__line") if "__line" in raw.columns else pl.struct(
        [c for c in raw.columns if not c.startswith("__")]).struct.json_encode()
    failing = raw.join(per_row.select("__row"), on="__row", how="semi")
    raws = failing.select("__row", raw_payload.alias("raw"))
    return per_row.join(raws, on="__row", how="left").select(
        *[pl.lit(prov[k]).alias(k) for k in ("source_system",)],
        object=pl.lit(contract.object),
        contract=pl.lit(prov["contract"]),
        source_file=pl.lit(prov["source_file"]),
        source_file_hash=pl.lit(prov["source_file_hash"]),
        source_row=pl.col("__row"),
        field=pl.col("field"),
        reason=pl.col("reason"),
        detail=pl.col("detail"),
        remedy=pl.col("reason").replace_strict(REASONS, default=remedy("")),
        raw=pl.col("raw"),
        run_id=pl.lit(prov["run_id"]),
        quarantined_at=pl.lit(ingested_at).cast(pl.Datetime("us", "UTC")),
    ).cast(QUARANTINE_SCHEMA)


def _rejected(contract: BronzeContract, prov: dict[str, str], raw: pl.DataFrame | None, reason: str,
              message: str, path: Path, ingested_at: dt.datetime, *, field: str = "file") -> FileIngest:
    if raw is None:
        failures = pl.DataFrame({"__row": [None], "field": [field], "reason": [reason], "detail": [message],
                                 "stage": [0]}, schema=_FAILURE_SCHEMA)
        raw = pl.DataFrame({"__row": [None]}, schema={"__row": pl.Int64})
    else:
        failures = raw.select("__row", field=pl.lit(field), reason=pl.lit(reason), detail=pl.lit(message),
                              stage=pl.lit(0, pl.Int32)).cast(_FAILURE_SCHEMA)
    quarantine = _quarantine_rows(raw, failures, prov, contract, ingested_at)
    rows_raw = None if reason == "unparseable_file" else raw.height
    manifest = _manifest(prov, contract, path, "rejected", message, rows_raw, 0, quarantine.height, [], [],
                         ingested_at)
    empty = contract.schema.columns
    bronze = pl.DataFrame(schema={name: col.dtype.type for name, col in empty.items()})
    return FileIngest(bronze, quarantine, manifest)


def _manifest(prov: dict[str, str], contract: BronzeContract, path: Path, status: str, message: str,
              rows_raw: int | None, rows_bronze: int, rows_quarantined: int, extras: list[str],
              missing_optional: list[str], ingested_at: dt.datetime) -> pl.DataFrame:
    row = {
        "source_file_hash": prov["source_file_hash"], "source_system": contract.source, "object": contract.object,
        "contract": contract.name, "source_file": prov["source_file"], "file_bytes": path.stat().st_size,
        "status": status, "message": message, "rows_raw": rows_raw, "rows_bronze": rows_bronze,
        "rows_quarantined": rows_quarantined, "extra_columns": extras, "missing_optional_columns": missing_optional,
        "run_id": prov["run_id"], "ingested_at": ingested_at,
    }
    return pl.DataFrame([row], schema=MANIFEST_SCHEMA)


def _case_hint(missing: list[str], present: list[str]) -> str:
    lowered = {p.lower(): p for p in present}
    near = [f"{lowered[m.lower()]!r} for {m!r}" for m in missing if m.lower() in lowered]
    return f" (found {', '.join(near)}: headers are case-sensitive)" if near else ""


def _text(*parts: str | pl.Expr) -> pl.Expr:
    """Concatenate literal text and expressions (``pl.format`` panics on filtered views in Polars 2.1)."""
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p.cast(pl.String) for p in parts])


def _empty_failures() -> pl.DataFrame:
    return pl.DataFrame(schema=_FAILURE_SCHEMA)
