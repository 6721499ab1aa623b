"""Landing files (CSV / JSONL / YAML) and the truth tables, written deterministically."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from . import defects
from .core import stream

HIDDEN_PID = "__person_id"
HIDDEN_AID = "__account_id"


@dataclass
class Table:
    """One landing file: vendor columns (all String) plus hidden truth columns, already in file order."""

    source: str
    obj: str
    path: str  # landing-relative
    df: pl.DataFrame
    key: list[str]
    record_object: str | None = None  # object name in source_records when rows are person-bearing
    inject: bool = True


SOURCE_RECORD_SCHEMA = {
    "source": pl.String,
    "object": pl.String,
    "source_record_id": pl.String,
    "file": pl.String,
    "row": pl.Int64,
    "person_id": pl.Int64,
    "account_id": pl.Int64,
}
BAD_ROW_SCHEMA = {
    "file": pl.String,
    "row": pl.Int64,
    "source": pl.String,
    "object": pl.String,
    "kind": pl.String,
    "field": pl.String,
}


@dataclass
class Sink:
    out_dir: Path
    seed: int
    rate: float
    files: dict[str, int] = field(default_factory=dict)
    bad: list[pl.DataFrame] = field(default_factory=list)
    records: list[pl.DataFrame] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)

    @property
    def landing(self) -> Path:
        return self.out_dir / "landing"

    @property
    def truth(self) -> Path:
        return self.out_dir / "truth"

    def _target(self, rel: str) -> Path:
        p = self.landing / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def emit(self, t: Table) -> None:
        df = t.df
        visible = [c for c in df.columns if not c.startswith("__")]
        empty = df.select((pl.col(c).str.len_bytes() == 0).any() for c in visible).row(0)
        fix = [c for c, e in zip(visible, empty, strict=True) if e]
        if fix:  # empty string means null: never write a quoted empty value
            df = df.with_columns(
                pl.when(pl.col(c).str.len_bytes() == 0).then(None).otherwise(pl.col(c)).alias(c) for c in fix
            )
        if t.inject:
            rng = stream(self.seed, "defects:" + t.path)
            p = defects.plan(rng, t.obj, df.height, self.rate)
            df = defects.apply(rng, df, p, t.key)
            self._bad(t.path, t.source, t.obj, p)
        df.select(visible).write_csv(self._target(t.path))
        self.files[t.path] = df.height
        if t.record_object is not None:
            self.add_records(t.source, t.record_object, t.path, df[t.key[0]], df[HIDDEN_PID], df[HIDDEN_AID])

    def _bad(self, rel: str, source: str, obj: str, p: pl.DataFrame) -> None:
        if p.height:
            self.bad.append(
                p.select(
                    pl.lit(rel).alias("file"),
                    (pl.col("pos") + 1).alias("row"),
                    pl.lit(source).alias("source"),
                    pl.lit(obj).alias("object"),
                    "kind",
                    "field",
                )
            )

    def add_bad(self, rel: str, source: str, obj: str, p: pl.DataFrame) -> None:
        self._bad(rel, source, obj, p)

    def add_records(
        self,
        source: str,
        obj: str,
        rel: str,
        ids: pl.Series,
        pid: pl.Series,
        aid: pl.Series,
        rows: np.ndarray | None = None,
    ) -> None:
        n = len(ids)
        self.records.append(
            pl.DataFrame(
                {
                    "source": [source] * n if n else [],
                    "object": [obj] * n if n else [],
                    "source_record_id": ids.cast(pl.String),
                    "file": [rel] * n if n else [],
                    "row": np.arange(1, n + 1, dtype=np.int64) if rows is None else rows.astype(np.int64),
                    "person_id": pid.cast(pl.Int64),
                    "account_id": aid.cast(pl.Int64),
                },
                schema=SOURCE_RECORD_SCHEMA,
            )
        )

    def write_text(self, rel: str, text: str, rows: int | None = None) -> None:
        self._target(rel).write_text(text, encoding="utf-8")
        if rows is not None:
            self.files[rel] = rows

    def write_lines(self, rel: str, lines: pl.Series) -> None:
        """JSON Lines: one string per line, written verbatim."""
        pl.DataFrame({"l": lines}).write_csv(self._target(rel), include_header=False, quote_style="never")
        self.files[rel] = len(lines)

    def reject(self, rel: str, reason: str) -> None:
        self.rejected.append({"file": rel, "reason": reason})

    def finish(self, persons: pl.DataFrame, accounts: pl.DataFrame, meta: dict) -> None:
        self.truth.mkdir(parents=True, exist_ok=True)
        rec = pl.concat(self.records) if self.records else pl.DataFrame(schema=SOURCE_RECORD_SCHEMA)
        rec.sort(["file", "row"]).write_parquet(self.truth / "source_records.parquet")
        bad = pl.concat(self.bad) if self.bad else pl.DataFrame(schema=BAD_ROW_SCHEMA)
        bad.sort(["file", "row"]).write_parquet(self.truth / "bad_rows.parquet")
        pl.DataFrame(self.rejected, schema={"file": pl.String, "reason": pl.String}).sort(
            "file"
        ).write_parquet(self.truth / "rejected_files.parquet")
        persons.write_parquet(self.truth / "persons.parquet")
        accounts.write_parquet(self.truth / "accounts.parquet")
        meta = dict(
            meta,
            data_rows=sum(self.files.values()),
            bad_rows=bad.height,
            rejected_files=[r["file"] for r in self.rejected],
            files=dict(sorted(self.files.items())),
        )
        (self.truth / "world.json").write_text(
            json.dumps(meta, indent=2, sort_keys=False) + "\n", encoding="utf-8"
        )
