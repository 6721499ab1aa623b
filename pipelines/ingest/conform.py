"""Conform one landing file to its bronze contract: map, coerce, validate, split good rows from bad.

Pure: a file and a contract in, three frames out (bronze rows, quarantined rows, the manifest row). Every raw
record ends in exactly one of bronze or quarantine; a file that cannot be conformed at all is rejected whole,
all its records quarantined with the file-level reason, so ``rows_raw == rows_bronze + rows_quarantined``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandera.polars as pa
import polars as pl

from contracts.spec import BronzeContract
from pipelines.ingest.coerce import TYPE_NAMES, parse_series
from pipelines.ingest.readers import (
    DEFAULT_BATCH_ROWS,
    LandingFile,
    UnparseableFileError,
    jsonl_extra_keys,
    open_landing_file,
)
from pipelines.ingest.reasons import REASONS, remedy

__all__ = ["FileConformance", "FileIngest", "conform_file", "QUARANTINE_SCHEMA", "MANIFEST_SCHEMA",
           "CHECK_AHEAD_BYTES"]

# files up to this size are read and checked ahead of their turn (:meth:`FileConformance.check_ahead`): the
# real-time path's micro-batches and the Segment exports' hourly files, not a vendor's multi-GB full export
CHECK_AHEAD_BYTES = 64 * 2**20

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
    """What one landing file became (materialized; the bronze stage streams instead)."""

    bronze: pl.DataFrame
    quarantine: pl.DataFrame
    manifest: pl.DataFrame

    @property
    def status(self) -> str:
        return str(self.manifest["status"][0])

    @property
    def message(self) -> str:
        return str(self.manifest["message"][0])


class FileConformance:
    """Conform one landing file to its contract, batch by batch.

    Opening reads the header: a file missing a required column (or unreadable) is rejected whole right away.
    :meth:`bronze_batches` then streams the good rows of each batch while collecting the quarantined ones;
    duplicate keys are caught across batches. After the stream, :meth:`quarantine` and :meth:`manifest` hold
    the rest, and ``rows_raw == rows_bronze + rows_quarantined``.
    """

    def __init__(self, path: Path, contract: BronzeContract, *, source_file: str, file_hash: str, run_id: str,
                 ingested_at: dt.datetime, batch_rows: int = DEFAULT_BATCH_ROWS) -> None:
        self.path, self.contract, self.ingested_at = path, contract, ingested_at
        # set before :meth:`bronze_batches` for global-key contracts: the keys already ingested (later
        # repeats are duplicates), or, for a micro-batch, a lookup: batch's distinct keys -> those ingested
        self.seen: pl.DataFrame | None = None
        self.known_keys: Callable[[pl.DataFrame], pl.DataFrame] | None = None
        self.prov = {"source_system": contract.source, "source_file": source_file, "source_file_hash": file_hash,
                     "run_id": run_id, "contract": contract.name}
        self.rows_raw: int | None = 0
        self.rows_bronze = 0
        self.extras: list[str] = []
        self.missing_optional: list[str] = []
        self.status, self.message = "loaded", ""
        self._reject: tuple[str, str, str] | None = None  # reason, message, field
        self._quarantine: list[pl.DataFrame] = []
        self._file: LandingFile | None = None
        # :meth:`check_ahead`'s batches, or the error reading them raised
        self._ahead: list[tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]] | UnparseableFileError | None
        self._ahead = None
        try:
            self._file = open_landing_file(path, contract, batch_rows=batch_rows)
        except UnparseableFileError as exc:
            self.fail(exc)
            return
        if contract.file_format == "csv":
            vendor_cols = self._file.columns
            missing = [v for v in contract.required_vendor_columns if v not in vendor_cols]
            if missing:
                msg = (f"{source_file}: missing required column(s) {', '.join(missing)} for contract "
                       f"{contract.name}{_case_hint(missing, vendor_cols)}; file rejected whole, nothing loaded. "
                       "Add the column(s) to the export and re-deliver.")
                self._reject = ("missing_required_column", msg, ",".join(missing))
                self.status, self.message = "rejected", msg
            known = {c.vendor for c in contract.columns}
            self.extras = [c for c in vendor_cols if c not in known and c != "__row"]
            self.missing_optional = [c.vendor for c in contract.columns if c.vendor not in vendor_cols]

    @property
    def rejected(self) -> bool:
        return self.status == "rejected"

    def fail(self, exc: Exception) -> None:
        """The file turned out unreadable (possibly mid-way): reject it whole, one file-level quarantine row."""
        self.status, self.message = "rejected", str(exc)
        self.rows_raw, self.rows_bronze = None, 0
        failure = pl.DataFrame({"__row": [None], "field": ["file"], "reason": ["unparseable_file"],
                                "detail": [str(exc)], "stage": [0]}, schema=_FAILURE_SCHEMA)
        raw = pl.DataFrame({"__row": [None]}, schema={"__row": pl.Int64})
        self._quarantine = [_quarantine_rows(raw, failure, self.prov, self.contract, self.ingested_at)]

    def check_ahead(self, *, max_bytes: int = CHECK_AHEAD_BYTES) -> None:
        """Read, type and check the rows of a file up to ``max_bytes`` now, holding them, so that only the
        duplicate check (:meth:`bronze_batches`) has to wait for the files before it. Larger files stream."""
        if self._file is None or self._reject is not None or self.path.stat().st_size > max_bytes:
            return
        try:
            self._ahead = list(self._checked_batches())
        except UnparseableFileError as exc:  # raised where the stream would have raised it
            self._ahead = exc

    def _checked_batches(self) -> Iterator[tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]]:
        """(raw, typed, failures) per batch: the file's records read, typed and checked against the contract's
        rules; duplicates are left to :meth:`bronze_batches`."""
        assert self._file is not None
        extras: set[str] = set(self.extras)
        for raw in self._file.batches():
            self.rows_raw = (self.rows_raw or 0) + raw.height
            if self.contract.file_format == "jsonl":
                extras.update(jsonl_extra_keys(raw))
            typed, failures = _coerce(raw, self.contract, self.prov, self.ingested_at, self.extras)
            failures = pl.concat([failures, _validate(typed, self.contract, raw["__row"])])
            yield raw, typed, failures
        self.extras = sorted(extras)

    def bronze_batches(self) -> Iterator[pl.DataFrame]:
        """The good rows of each batch, typed by the contract, with provenance."""
        if self._file is None:
            return
        if self._reject is not None:
            reason, msg, field = self._reject
            for raw in self._file.batches():
                self.rows_raw = (self.rows_raw or 0) + raw.height
                failures = raw.select("__row", field=pl.lit(field), reason=pl.lit(reason), detail=pl.lit(msg),
                                      stage=pl.lit(0, pl.Int32)).cast(_FAILURE_SCHEMA)
                self._quarantine.append(_quarantine_rows(raw, failures, self.prov, self.contract,
                                                         self.ingested_at))
            return
        if isinstance(self._ahead, UnparseableFileError):
            raise self._ahead
        checked = self._checked_batches() if self._ahead is None else iter(self._ahead)
        self._ahead = None
        seen = self.seen
        for raw, typed, failures in checked:
            if self.known_keys is not None:
                seen = _with_known(seen, typed, self.contract, self.known_keys)
            dupes, seen = _duplicates(typed, self.contract, failures, seen)
            failures = pl.concat([failures, dupes])
            self._quarantine.append(_quarantine_rows(raw, failures, self.prov, self.contract, self.ingested_at))
            del raw
            bronze = typed.join(failures.select(pl.col("__row").alias("source_row")).unique(), on="source_row",
                                how="anti", maintain_order="left")
            self.rows_bronze += bronze.height
            yield bronze
        self.seen = seen

    def quarantine(self) -> pl.DataFrame:
        return pl.concat(self._quarantine) if self._quarantine else QUARANTINE_SCHEMA.to_frame()

    def empty_bronze(self) -> pl.DataFrame:
        return pl.DataFrame(schema={n: c.dtype.type for n, c in self.contract.schema.columns.items()})

    def manifest(self) -> pl.DataFrame:
        quarantined = sum(q.height for q in self._quarantine)
        if not self.rejected:
            drift = (f"; schema drift: extra column(s) {', '.join(self.extras)} kept in `extras`"
                     if self.extras else "")
            self.message = (f"{self.prov['source_file']}: {self.rows_bronze} row(s) loaded, {quarantined} "
                            f"quarantined{drift}")
        row = {
            "source_file_hash": self.prov["source_file_hash"], "source_system": self.contract.source,
            "object": self.contract.object, "contract": self.contract.name,
            "source_file": self.prov["source_file"], "file_bytes": self.path.stat().st_size,
            "status": self.status, "message": self.message, "rows_raw": self.rows_raw,
            "rows_bronze": self.rows_bronze, "rows_quarantined": quarantined,
            "extra_columns": [] if self.rejected else self.extras,
            "missing_optional_columns": [] if self.rejected else self.missing_optional,
            "run_id": self.prov["run_id"], "ingested_at": self.ingested_at,
        }
        return pl.DataFrame([row], schema=MANIFEST_SCHEMA)


def conform_file(
    path: Path,
    contract: BronzeContract,
    *,
    source_file: str,
    file_hash: str,
    run_id: str,
    ingested_at: dt.datetime,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> FileIngest:
    """Conform ``path`` to ``contract`` and collect the result in memory (small files, tests, tools).

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
    batch_rows
        Records per batch; results do not depend on it.
    """
    conformance = FileConformance(path, contract, source_file=source_file, file_hash=file_hash, run_id=run_id,
                                  ingested_at=ingested_at, batch_rows=batch_rows)
    try:
        parts = list(conformance.bronze_batches())
    except UnparseableFileError as exc:
        conformance.fail(exc)
        parts = []
    bronze = pl.concat(parts) if parts else conformance.empty_bronze()
    return FileIngest(bronze, conformance.quarantine(), conformance.manifest())


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
    if contract.file_format == "jsonl":  # the whole line, for the rows that carry keys outside the contract
        extras_col = raw.select(pl.when(pl.col("__unknown").list.len() > 0).then(pl.col("__line"))).to_series()
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


def _with_known(seen: pl.DataFrame | None, typed: pl.DataFrame, contract: BronzeContract,
                known_keys: Callable[[pl.DataFrame], pl.DataFrame]) -> pl.DataFrame:
    """``seen`` plus the keys of ``typed`` that ``known_keys`` finds already ingested (a narrow lookup instead
    of holding every key of the table)."""
    keys = list(contract.key)
    found = known_keys(typed.select(keys).drop_nulls(keys).unique()).select(keys)
    found = found.select(pl.struct(keys).hash().alias("__h"), *keys)
    return found if seen is None else pl.concat([seen, found])


def _duplicates(typed: pl.DataFrame, contract: BronzeContract, failures: pl.DataFrame,
                seen: pl.DataFrame | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows repeating the key of an earlier good row (in this batch or an earlier one); updates ``seen``.

    ``seen`` holds each earlier key with its 64-bit hash: a batch is matched against the hashes (cheap), and
    only the rows whose hash matched are compared on the full key, so a collision never flags a good row.
    """
    keys = list(contract.key)
    candidates = (
        typed.select("source_row", *keys)
        .join(failures.select(pl.col("__row").alias("source_row")).unique(), on="source_row", how="anti",
              maintain_order="left")
        .drop_nulls(keys)
        .with_columns(pl.struct(keys).hash().alias("__h"))
    )
    repeated = ~pl.struct(keys).is_first_distinct()
    if seen is not None and seen.height:
        # the earlier keys sharing a hash with this batch: a scan of their hashes against a set of the batch's
        # (not a set of, nor a join on, every earlier key, which grew with each file: the 100 files of 16k
        # Segment events at 1M persons took 61.2 CPU-s that way, 43.7 this way)
        hits = seen.filter(pl.col("__h").is_in(candidates["__h"].implode()))
        if hits.height:
            confirmed = candidates.join(hits.select(keys), on=keys, how="semi")["source_row"]
            repeated = repeated | pl.col("source_row").is_in(confirmed.implode())
    flagged = candidates.with_columns(__dup=repeated)
    dupes = flagged.filter(pl.col("__dup"))
    fresh = flagged.filter(~pl.col("__dup")).select("__h", *keys)
    seen = fresh if seen is None else pl.concat([seen, fresh])
    key_fields = ", ".join(contract.vendor_column(k) for k in keys)
    out = dupes.select(
        __row=pl.col("source_row"),
        field=pl.lit(key_fields),
        reason=pl.lit("duplicate_key"),
        detail=_text(f"{key_fields} repeats an earlier row{' (this file or one ingested before)' if contract.key_is_global else ' of this file'} (",
                     pl.concat_str([pl.col(k).cast(pl.String) for k in keys], separator=", "), ")"),
        stage=pl.lit(3, pl.Int32),
    ).cast(_FAILURE_SCHEMA)
    return out, seen


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
    vendor_cols = [c for c in raw.columns if not c.startswith("__")]
    if "__line" in raw.columns:
        raw_payload = pl.col("__line")
    elif vendor_cols:
        raw_payload = pl.struct(vendor_cols).struct.json_encode()
    else:  # a file-level failure: no record to show
        raw_payload = pl.lit(None, dtype=pl.String)
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


def _case_hint(missing: list[str], present: list[str]) -> str:
    lowered = {p.lower(): p for p in present}
    near = [f"{lowered[m.lower()]!r} for {m!r}" for m in missing if m.lower() in lowered]
    return f" (found {', '.join(near)}: headers are case-sensitive)" if near else ""


def _text(*parts: str | pl.Expr) -> pl.Expr:
    """Concatenate literal text and expressions (``pl.format`` panics on filtered views in Polars 2.1)."""
    return pl.concat_str([pl.lit(p) if isinstance(p, str) else p.cast(pl.String) for p in parts])


def _empty_failures() -> pl.DataFrame:
    return pl.DataFrame(schema=_FAILURE_SCHEMA)
