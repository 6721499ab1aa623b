"""Persistent person ids: a person keeps their id across runs; merges and splits are recorded.

Rules, applied to a fresh clustering and the previous crosswalk:

- each previous id has a *home*: the new cluster holding most of its records (ties: the smallest cluster label);
- a cluster takes the oldest previous id whose home it is (``person_since``, then the id); the other previous ids
  homed there are recorded as merged into it;
- a cluster with no previous id homed in it gets a new id, ``p_`` + 16 hex digits of the MD5 of its first record
  key (so a re-run from scratch gives the same ids), salted when that id was ever used before;
- previous records that end up outside their id's home are recorded as a split to the id they now carry.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import polars as pl

__all__ = ["CROSSWALK_SCHEMA", "IDENTITY_CHANGE_SCHEMA", "assign_person_ids", "stable_ids"]

CROSSWALK_SCHEMA = pl.Schema({
    "source": pl.String, "record_id": pl.String, "person_id": pl.String,
    "person_since": pl.Datetime("us", "UTC"), "link_method": pl.String, "match_probability": pl.Float64,
})
IDENTITY_CHANGE_SCHEMA = pl.Schema({
    "change": pl.String,             # merge | split
    "person_id": pl.String,          # the id that survives (merge) or the id records moved to (split)
    "other_person_id": pl.String,    # the id absorbed (merge) or the id records left (split)
    "records": pl.Int64,
    "changed_at": pl.Datetime("us", "UTC"),
})


def stable_ids(keys: pl.Series, *, prefix: str = "p_") -> pl.Series:
    """``prefix`` + the first 16 hex digits of the MD5 of each key: stable across runs, machines and versions.

    Examples
    --------
    >>> stable_ids(pl.Series(["salesforce_lead|00Q1"])).to_list()
    ['p_1ca81694b8181814']
    """
    con = duckdb.connect()
    try:
        frame = pl.DataFrame({"k": keys.cast(pl.String)})
        out = con.sql(f"SELECT '{prefix}' || left(md5(k), 16) AS id FROM frame").pl()
    finally:
        con.close()
    return out["id"].alias(keys.name)


def assign_person_ids(assignment: pl.DataFrame, previous: pl.DataFrame, *,
                      now: datetime) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Person ids for ``assignment`` (``source``, ``record_id``, ``cluster``) given the ``previous`` crosswalk.

    Returns ``(ids, changes)``: ``ids`` has ``source, record_id, person_id, person_since``;
    ``changes`` follows :data:`IDENTITY_CHANGE_SCHEMA`. Records of ``previous`` absent from ``assignment`` are
    not touched (an incremental batch only carries the clusters it affects).
    """
    now_lit = pl.lit(now).cast(pl.Datetime("us", "UTC"))
    prev = previous.select("source", "record_id", pl.col("person_id").alias("prev_id"),
                           pl.col("person_since").alias("prev_since"))
    cur = assignment.select("source", "record_id", "cluster").join(
        prev, on=["source", "record_id"], how="left")
    counts = cur.drop_nulls("prev_id").group_by("cluster", "prev_id", "prev_since").len("records")
    home = (counts.sort(["prev_id", "records", "cluster"], descending=[False, True, False])
            .group_by("prev_id", maintain_order=True).first())
    chosen = (home.sort(["cluster", "prev_since", "prev_id"])
              .group_by("cluster", maintain_order=True).first()
              .select("cluster", pl.col("prev_id").alias("person_id"), pl.col("prev_since").alias("person_since")))

    anchors = (cur.join(chosen, on="cluster", how="anti")
               .group_by("cluster").agg(pl.min_horizontal(pl.concat_str("source", "record_id", separator="|"))
                                        .min().alias("anchor")))
    used = pl.concat([previous["person_id"], chosen["person_id"]]).unique()
    fresh = anchors.with_columns(person_id=stable_ids(anchors["anchor"]))
    for salt in range(1, 6):  # an id once used (now merged away) is never handed out again
        clash = fresh["person_id"].is_in(used.implode())
        if not clash.any():
            break
        salted = stable_ids(fresh["anchor"] + f"#{salt}")
        fresh = fresh.with_columns(person_id=pl.when(clash).then(salted).otherwise(pl.col("person_id")))
    fresh = fresh.select("cluster", "person_id", now_lit.alias("person_since"))
    by_cluster = pl.concat([chosen, fresh])

    ids = cur.join(by_cluster, on="cluster", how="left").select(
        "source", "record_id", "person_id", "person_since")
    merges = home.join(by_cluster, on="cluster").filter(pl.col("prev_id") != pl.col("person_id")).select(
        pl.lit("merge").alias("change"), "person_id", pl.col("prev_id").alias("other_person_id"),
        pl.col("records").cast(pl.Int64))
    splits = (counts.join(home.select("prev_id", pl.col("cluster").alias("home")), on="prev_id")
              .filter(pl.col("cluster") != pl.col("home"))
              .join(by_cluster, on="cluster")
              .select(pl.lit("split").alias("change"), "person_id", pl.col("prev_id").alias("other_person_id"),
                      pl.col("records").cast(pl.Int64)))
    changes = pl.concat([merges, splits]).with_columns(changed_at=now_lit)
    return ids, changes.select(IDENTITY_CHANGE_SCHEMA.names()).cast(IDENTITY_CHANGE_SCHEMA)  # type: ignore[arg-type]
