"""Incremental resolution: match a micro-batch of new person records against the persons already resolved.

:class:`IdentityIndex` holds what matching needs from the last full run (deterministic keys → person, the
comparison profiles in a DuckDB table, each person's mailboxes, the trained model). ``match`` then costs a few
joins and one Splink ``predict_between`` over the batch's profiles, not a re-run over every record:

1. deterministic keys of the batch (email, CRM ids, event identity) are looked up in the index and chained within
   the batch; a batch component touching two existing persons merges them (the older id survives, recorded);
2. components touching no existing person are scored against existing profiles with the same Splink model; the
   best candidate at or above the threshold whose mailboxes don't conflict takes them;
3. the rest become new persons, with ids minted exactly as a full run would.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np
import polars as pl

from .clusters import components, key_links, mailboxes_conflict
from .ids import CROSSWALK_SCHEMA, IDENTITY_CHANGE_SCHEMA, stable_ids
from .linkage import BLOCKING_KEYS, DEFAULT_THRESHOLD, MEMORY_LIMIT, LinkageModel
from .normalize import normalize_person_records
from .records import conform_person_records
from .resolve import deterministic_keys, profiles_of

__all__ = ["IdentityIndex", "IncrementalMatch"]

_TF_COLUMNS = ("first_norm", "last_norm")


@dataclass(frozen=True)
class IncrementalMatch:
    crosswalk: pl.DataFrame   # rows for the batch's records, plus re-pointed rows of merged persons
    changes: pl.DataFrame     # merges caused by the batch
    records: pl.DataFrame     # the batch's normalised records with person_id


class IdentityIndex:
    """The state a micro-batch is matched against. Build it once per process from the last full run."""

    def __init__(self, records: pl.DataFrame, crosswalk: pl.DataFrame, model: LinkageModel, *,
                 threshold: float = DEFAULT_THRESHOLD, threads: int | None = None) -> None:
        self.threshold = threshold
        self.model = model
        self.crosswalk = crosswalk.select(CROSSWALK_SCHEMA.names())
        persons = crosswalk.select("person_id", "person_since").unique("person_id").sort("person_id")
        self.persons = persons.with_row_index("person_ix").with_columns(pl.col("person_ix").cast(pl.Int64))
        ix = records.select("person_id").join(self.persons.select("person_id", "person_ix"), on="person_id",
                                              how="left", maintain_order="left")["person_ix"].to_numpy()
        self.keys = (deterministic_keys(records).join(pl.DataFrame({"row": np.arange(records.height),
                                                                    "person_ix": ix}), on="row")
                     .select("key", "person_ix").unique("key", keep="first"))
        self.mailboxes = (records.select(pl.Series("person_ix", ix), pl.col("email_domain").alias("domain"),
                                         pl.col("email_local").alias("local")).drop_nulls().unique())
        profiles, _ = profiles_of(records, ix)
        self._tf = {c: profiles.group_by(c).len().drop_nulls().with_columns(
            (pl.col("len") / profiles.height).alias(f"tf_{c}")).drop("len") for c in _TF_COLUMNS}
        self.profiles = profiles
        self._con = duckdb.connect(config={"memory_limit": MEMORY_LIMIT})
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        self._linker: Any = None

    def _splink(self) -> Any:
        if self._linker is None:
            from splink import DuckDBAPI, Linker
            self._db = DuckDBAPI(connection=self._con)
            self._existing = self._db.register(self.profiles.to_arrow(), table_name="existing_profiles")
            self._linker = Linker(self._existing, self.model.model_json, log_level="WARNING")
            for col, table in self._tf.items():  # frequencies of the existing population, computed once
                self._linker.table_management.register_term_frequency_lookup(
                    self._db.register(table.to_arrow(), table_name=f"tf_lookup_{col}"), col)
            self._batches = 0
        return self._linker

    def warm_up(self) -> None:
        """Register the profiles with DuckDB and load Splink now, so the first batch pays nothing extra."""
        self._splink()
        self.match(pl.DataFrame({"source": ["warm_up"], "record_id": ["0"]}), now=datetime.now(UTC))

    def _score(self, batch_profiles: pl.DataFrame) -> pl.DataFrame:
        linker = self._splink()
        self._batches += 1
        new = self._db.register(batch_profiles.to_arrow(), table_name=f"batch_{self._batches}")
        # the existing profiles sharing a blocking key with the batch, found by Polars semi-joins: Splink then
        # compares against a few thousand rows instead of re-reading every profile
        candidates = pl.concat([
            self.profiles.join(batch_profiles.select(cols).drop_nulls().unique(), on=list(cols), how="semi")
            for cols in BLOCKING_KEYS]).unique("unique_id")
        near = self._db.register(candidates.to_arrow(), table_name=f"candidates_{self._batches}")
        pairs = linker.inference.predict_between(new, near, threshold_match_probability=self.threshold,
                                                 warning_mode="never")
        out = self._con.sql(
            f"SELECT unique_id_l, unique_id_r, match_probability FROM {pairs.physical_name}").pl()
        pairs.drop_table_from_database_and_remove_from_cache()
        for table in (new, near):
            table.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        return out

    def match(self, records: pl.DataFrame, *, now: datetime | None = None) -> IncrementalMatch:
        """Person ids for a batch of new person records (same contract as :func:`resolve_persons`)."""
        now = now or datetime.now(UTC)
        base = normalize_person_records(conform_person_records(records))
        n, p = base.height, self.persons.height
        keys = deterministic_keys(base)
        hits = keys.join(self.keys, on="key").select("row", "person_ix").unique()
        # graph over batch rows 0..n-1 and existing persons n..n+p-1
        links = pl.concat([key_links(keys.select("row", "key")),
                           hits.select(pl.col("row").alias("left"), (pl.col("person_ix") + n).alias("right"))])
        label = components(n + p, links)[:n] if n else np.zeros(0, dtype=np.int64)
        touched = hits.with_columns(label=pl.Series(label[hits["row"].to_numpy()], dtype=pl.Int64))
        by_label = touched.group_by("label").agg(pl.col("person_ix").unique())

        unmatched = np.setdiff1d(np.unique(label), by_label["label"].to_numpy())
        scored = self._probabilistic(base, label, unmatched)
        person_of_label = self._resolve_labels(by_label, scored)

        frame = base.select("source", "record_id", pl.Series("label", label))
        assigned = frame.join(person_of_label, on="label", how="left")
        fresh = (assigned.filter(pl.col("person_ix").is_null()).group_by("label")
                 .agg(pl.min_horizontal(pl.concat_str("source", "record_id", separator="|")).min().alias("anchor")))
        fresh = fresh.with_columns(person_id=stable_ids(fresh["anchor"]))
        ids = (assigned.join(self.persons.select("person_ix", "person_id", "person_since"), on="person_ix",
                             how="left")
               .join(fresh.select("label", pl.col("person_id").alias("new_id")), on="label", how="left")
               .with_columns(person_id=pl.coalesce("person_id", "new_id"),
                             person_since=pl.coalesce("person_since", pl.lit(now).cast(pl.Datetime("us", "UTC")))))
        method = (frame.join(scored.select("label", "match_probability"), on="label", how="left")
                  .join(by_label.select("label", pl.lit(True).alias("det")), on="label", how="left"))
        crosswalk = ids.select(
            "source", "record_id", "person_id", "person_since",
            pl.when(method["det"].fill_null(False)).then(pl.lit("deterministic"))
            .when(method["match_probability"].is_not_null()).then(pl.lit("probabilistic"))
            .otherwise(pl.lit("none")).alias("link_method"),
            method["match_probability"].alias("match_probability"),
        )
        changes, repointed = self._merges(by_label, now)
        return IncrementalMatch(crosswalk=pl.concat([crosswalk.cast(CROSSWALK_SCHEMA), repointed]),  # type: ignore[arg-type]
                                changes=changes, records=base.with_columns(crosswalk["person_id"]))

    def _probabilistic(self, base: pl.DataFrame, label: np.ndarray, unmatched: np.ndarray) -> pl.DataFrame:
        empty = pl.DataFrame(schema={"label": pl.Int64, "person_ix": pl.Int64, "match_probability": pl.Float64})
        if unmatched.size == 0:
            return empty
        rows = np.flatnonzero(np.isin(label, unmatched))
        sub = base[rows.tolist()]
        # negative clusters never equal an existing person's, so every existing profile is a candidate
        profiles, _ = profiles_of(sub, -1 - label[rows])
        pairs = self._score(profiles)
        if pairs.height == 0:
            return empty
        cand = (pairs.join(profiles.select(pl.col("unique_id").alias("unique_id_l"),
                                           (-1 - pl.col("cluster")).alias("label")), on="unique_id_l")
                .join(self.profiles.select(pl.col("unique_id").alias("unique_id_r"),
                                           pl.col("cluster").alias("person_ix")), on="unique_id_r")
                .group_by("label", "person_ix").agg(pl.col("match_probability").max())
                .sort(["label", "match_probability"], descending=[False, True]))
        boxes_new = sub.select(pl.Series("label", label[rows]), "email_domain", "email_local").drop_nulls()
        keep = []
        for lab, ix, prob in cand.iter_rows():  # candidates of a small batch, not records
            mine = [(d, lc) for _, d, lc in boxes_new.filter(pl.col("label") == lab).iter_rows()]
            theirs = [(d, lc) for _, d, lc in self.mailboxes.filter(pl.col("person_ix") == ix).iter_rows()]
            if not mailboxes_conflict(mine, theirs):
                keep.append((lab, ix, prob))
        best = pl.DataFrame(keep, schema=empty.schema, orient="row")
        return best.group_by("label", maintain_order=True).first()

    def _resolve_labels(self, by_label: pl.DataFrame, scored: pl.DataFrame) -> pl.DataFrame:
        oldest = (by_label.explode("person_ix").join(self.persons.select("person_ix", "person_since"),
                                                     on="person_ix")
                  .sort(["label", "person_since", "person_ix"]).group_by("label", maintain_order=True).first()
                  .select("label", "person_ix"))
        return pl.concat([oldest, scored.select("label", "person_ix")]).cast({"label": pl.Int64})

    def _merges(self, by_label: pl.DataFrame, now: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
        multi = by_label.filter(pl.col("person_ix").list.len() > 1)
        if multi.height == 0:
            return IDENTITY_CHANGE_SCHEMA.to_frame(), CROSSWALK_SCHEMA.to_frame()
        members = multi.explode("person_ix").join(self.persons, on="person_ix")
        survivor = members.sort(["label", "person_since", "person_id"]).group_by("label", maintain_order=True).first()
        absorbed = members.join(survivor.select("label", pl.col("person_id").alias("into"),
                                                pl.col("person_since").alias("since")), on="label").filter(
            pl.col("person_id") != pl.col("into"))
        moved = self.crosswalk.join(absorbed.select("person_id", "into", "since"), on="person_id")
        changes = (moved.group_by("into", "person_id").len("records")
                   .select(pl.lit("merge").alias("change"), pl.col("into").alias("person_id"),
                           pl.col("person_id").alias("other_person_id"), pl.col("records").cast(pl.Int64),
                           pl.lit(now).cast(pl.Datetime("us", "UTC")).alias("changed_at")))
        repointed = moved.with_columns(person_id=pl.col("into"), person_since=pl.col("since")).select(
            CROSSWALK_SCHEMA.names()).cast(CROSSWALK_SCHEMA)  # type: ignore[arg-type]
        return changes.cast(IDENTITY_CHANGE_SCHEMA), repointed  # type: ignore[arg-type]
