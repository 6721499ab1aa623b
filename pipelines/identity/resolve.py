"""Person resolution: normalise, link deterministically, link the rest with Splink, keep ids persistent.

:func:`resolve_persons` is a plain function over any frame of person records (see
:mod:`pipelines.identity.records`); the Dagster assets and the evaluation command call it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import logging
import time
from datetime import UTC, datetime

import numpy as np
import polars as pl

from .clusters import components, key_links, merge_without_conflicts
from .ids import CROSSWALK_SCHEMA, IDENTITY_CHANGE_SCHEMA, assign_person_ids
from .linkage import DEFAULT_THRESHOLD, PROFILE_COLUMNS, LinkageModel, predict_pairs, train_model
from .normalize import normalize_person_records
from .records import conform_person_records

_log = logging.getLogger(__name__)

__all__ = ["ResolverOptions", "Resolution", "OVERRIDE_SCHEMA", "resolve_persons", "deterministic_keys",
           "profiles_of", "cluster_links", "mailboxes_of", "LINK_METHODS"]

OVERRIDE_SCHEMA = pl.Schema({
    "rule": pl.String,  # must_link | cannot_link
    "source_l": pl.String, "record_id_l": pl.String, "source_r": pl.String, "record_id_r": pl.String,
    "reason": pl.String, "created_by": pl.String,
})
# strongest first: a record's link_method is the strongest link it has into its cluster
LINK_METHODS = ("override", "crm_id", "email", "event_identity", "probabilistic", "none")


@dataclass(frozen=True)
class ResolverOptions:
    """Tuning of :func:`resolve_persons`.

    threshold: match probability at which a probabilistic pair links (see docs/identity.md).
    generic_key_surnames: a shared email or id held by records with more distinct surnames than this is treated
        as a shared inbox (info@, a team address) and links nothing.
    model: a trained linkage model to reuse; trained on the data when ``None``.
    threads: DuckDB threads for Splink (``None``: DuckDB's default, all cores).
    """

    threshold: float = DEFAULT_THRESHOLD
    generic_key_surnames: int = 2
    model: LinkageModel | None = None
    threads: int | None = None


@dataclass(frozen=True)
class Resolution:
    """What a resolution run produced."""

    crosswalk: pl.DataFrame          # CROSSWALK_SCHEMA: one row per record
    changes: pl.DataFrame            # IDENTITY_CHANGE_SCHEMA: merges and splits of earlier ids
    records: pl.DataFrame            # the normalised records with person_id (for accounts and golden records)
    model: LinkageModel
    stats: dict[str, int] = field(default_factory=dict)
    override_conflicts: pl.DataFrame = field(default_factory=pl.DataFrame)


def deterministic_keys(records: pl.DataFrame, *, generic_key_surnames: int = 2) -> pl.DataFrame:
    """Keys that tie records to one person with certainty: ``row``, ``key``, ``method``.

    Same normalised email; CRM ids (a Marketo lead's sfdcLeadId/sfdcContactId, a converted lead's contact);
    event identity (events sharing a userId or an anonymousId). Keys held by records of more than
    ``generic_key_surnames`` distinct surnames are dropped (shared inboxes).
    """
    frame = records.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), "email_norm", "sf_lead_id",
                           "sf_contact_id", "user_id", "anonymous_id", "last_norm")
    parts = [
        ("email", "e:", "email_norm"), ("crm_id", "l:", "sf_lead_id"), ("crm_id", "c:", "sf_contact_id"),
        ("event_identity", "u:", "user_id"), ("event_identity", "a:", "anonymous_id"),
    ]
    keys = pl.concat([
        frame.filter(pl.col(col).is_not_null()).select(
            "row", (pl.lit(prefix) + pl.col(col)).alias("key"), pl.lit(method).alias("method"), "last_norm")
        for method, prefix, col in parts
    ])
    generic = (keys.group_by("key").agg(pl.col("last_norm").n_unique().alias("surnames"))
               .filter(pl.col("surnames") > generic_key_surnames))
    return keys.join(generic, on="key", how="anti").select("row", "key", "method")


def profiles_of(records: pl.DataFrame, cluster: np.ndarray) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Distinct comparison profiles per deterministic cluster: ``(profiles, row_to_profile)``."""
    frame = records.select(
        pl.Series("cluster", cluster),
        "first_norm", "first_canonical", "last_norm", "email_norm", "email_local", "email_domain", "email_is_free",
        pl.coalesce("phone_e164", "mobile_e164").alias("phone"),
        pl.coalesce(pl.when(~pl.col("email_is_free")).then(pl.col("email_domain")), "website_domain")
        .alias("org_domain"),
        "company_norm", pl.col("company_norm").str.split(" ").list.first().alias("company_token"),
        pl.when(~pl.col("email_is_free")).then(pl.col("email_local").str.slice(0, 4)).alias("local_prefix"),
        "city_norm", "country_code", "title_norm",
    )
    # one 64-bit hash per row identifies its profile (a collision among ~10^6 profiles is ~10^-7 likely)
    hashed = frame.with_columns(_h=pl.struct("cluster", *PROFILE_COLUMNS).hash(seed=7))
    profiles = (hashed.unique("_h", keep="first", maintain_order=True).with_row_index("unique_id")
                .with_columns(pl.col("unique_id").cast(pl.Int64)))
    row_to_profile = hashed.select("cluster", "_h").join(profiles.select("_h", "unique_id"), on="_h", how="left",
                                                        maintain_order="left").drop("_h")
    profiles = profiles.drop("_h")
    return profiles, row_to_profile


def cluster_links(pairs: pl.DataFrame, profiles: pl.DataFrame) -> pl.DataFrame:
    """Scored profile pairs as links between their deterministic clusters (``left``, ``right``,
    ``match_probability``), pairs inside one cluster dropped."""
    rep = profiles.select("unique_id", "cluster")
    return (pairs.join(rep.rename({"unique_id": "unique_id_l", "cluster": "left"}), on="unique_id_l")
            .join(rep.rename({"unique_id": "unique_id_r", "cluster": "right"}), on="unique_id_r")
            .filter(pl.col("left") != pl.col("right")))


def mailboxes_of(records: pl.DataFrame, cluster: np.ndarray) -> pl.DataFrame:
    """``cluster``, ``domain``, ``local`` of every record's normalised email (for conflict-aware merging)."""
    return records.select(pl.Series("cluster", cluster), pl.col("email_domain").alias("domain"),
                          pl.col("email_local").alias("local")).drop_nulls()


def _override_links(records: pl.DataFrame, overrides: pl.DataFrame, rule: str) -> pl.DataFrame:
    rows = records.select("source", "record_id", pl.int_range(pl.len(), dtype=pl.Int64).alias("row"))
    picked = overrides.filter(pl.col("rule") == rule)
    return (picked.join(rows.rename({"source": "source_l", "record_id": "record_id_l", "row": "left"}),
                        on=["source_l", "record_id_l"])
            .join(rows.rename({"source": "source_r", "record_id": "record_id_r", "row": "right"}),
                  on=["source_r", "record_id_r"])
            .select("left", "right"))


def resolve_persons(records: pl.DataFrame, *, previous: pl.DataFrame | None = None,
                    overrides: pl.DataFrame | None = None, options: ResolverOptions | None = None,
                    now: datetime | None = None) -> Resolution:
    """Resolve person records to persistent person ids.

    Parameters
    ----------
    records
        Person records: ``source`` and ``record_id`` required, every other contract column optional.
    previous
        The crosswalk of the last run (:data:`CROSSWALK_SCHEMA`); ids found there are kept.
    overrides
        Manual must-link / cannot-link pairs (:data:`OVERRIDE_SCHEMA`); they hold in every run.
    """
    options = options or ResolverOptions()
    now = now or datetime.now(UTC)
    overrides = overrides if overrides is not None else OVERRIDE_SCHEMA.to_frame()
    previous = previous if previous is not None else CROSSWALK_SCHEMA.to_frame()

    timings = {"start": time.perf_counter()}
    base = normalize_person_records(conform_person_records(records))
    dupes = base.select("source", "record_id").is_duplicated()
    if dupes.any():
        first = base.filter(dupes).row(0)
        msg = (f"person records must be unique by (source, record_id); {first[0]!r} {first[1]!r} repeats: "
               "deduplicate the bronze rows (latest per id) first")
        raise ValueError(msg)
    n = base.height

    timings["normalise"] = time.perf_counter()
    _log.info("identity: %s done", "normalise")
    keys = deterministic_keys(base, generic_key_surnames=options.generic_key_surnames)
    det_links = key_links(keys.select("row", "key"))
    must = _override_links(base, overrides, "must_link")
    cannot = _override_links(base, overrides, "cannot_link")
    det_cluster = components(n, pl.concat([det_links, must]))

    timings["deterministic"] = time.perf_counter()
    _log.info("identity: %s done", "deterministic")
    profiles, row_to_profile = profiles_of(base, det_cluster)
    timings["profiles"] = time.perf_counter()
    _log.info("identity: %s done", "profiles")
    model = options.model or train_model(profiles, threads=options.threads)
    timings["train"] = time.perf_counter()
    _log.info("identity: %s done", "train")
    pairs = predict_pairs(profiles, model, threshold=options.threshold, threads=options.threads)
    timings["predict"] = time.perf_counter()
    _log.info("identity: %s done", "predict")
    prob = cluster_links(pairs, profiles)
    mailboxes = mailboxes_of(base, det_cluster)
    cluster = merge_without_conflicts(det_cluster, prob, mailboxes)
    # cannot-link: a pair that ends up together loses every probabilistic link inside its cluster
    conflicts = cannot.filter(pl.Series(cluster[cannot["left"].to_numpy()] == cluster[cannot["right"].to_numpy()]))
    if conflicts.height:
        bad = np.unique(cluster[conflicts["left"].to_numpy()])
        prob = prob.filter(~pl.Series(np.isin(cluster[prob["left"].to_numpy()], bad)))
        cluster = merge_without_conflicts(det_cluster, prob, mailboxes)
    still = cannot.filter(pl.Series(cluster[cannot["left"].to_numpy()] == cluster[cannot["right"].to_numpy()]))

    timings["merge"] = time.perf_counter()
    _log.info("identity: %s done", "merge")
    ids, changes = assign_person_ids(
        base.select("source", "record_id", pl.Series("cluster", cluster)), previous, now=now)

    # only the probabilistic links the conflict-aware merge accepted explain how a record joined its person
    accepted = prob.filter(pl.Series(cluster[prob["left"].to_numpy()] == cluster[prob["right"].to_numpy()]))
    method = _link_methods(n, keys, must, accepted, row_to_profile["cluster"].to_numpy(), cluster)
    crosswalk = ids.with_columns(method).select(CROSSWALK_SCHEMA.names()).cast(CROSSWALK_SCHEMA)  # type: ignore[arg-type]
    timings["ids"] = time.perf_counter()
    _log.info("identity: %s done", "ids")
    stats = {f"records_linked_by_{m}": int(c) for m, c in
             crosswalk.group_by("link_method").len().iter_rows()}
    stats |= {"records": n, "persons": int(crosswalk["person_id"].n_unique()), "profiles": profiles.height,
              "probabilistic_pairs": pairs.height, "merges": int((changes["change"] == "merge").sum()),
              "splits": int((changes["change"] == "split").sum())}
    marks = list(timings.items())
    stats |= {f"seconds_{name}": round(t - marks[i][1], 2) for i, (name, t) in enumerate(marks[1:])}
    return Resolution(crosswalk=crosswalk, changes=changes.cast(IDENTITY_CHANGE_SCHEMA),  # type: ignore[arg-type]
                      records=base.with_columns(crosswalk["person_id"]), model=model, stats=stats,
                      override_conflicts=still)


def _link_methods(n: int, keys: pl.DataFrame, must: pl.DataFrame, prob: pl.DataFrame,
                  det_cluster: np.ndarray, cluster: np.ndarray) -> list[pl.Series]:
    """Per record: the strongest link it has into its final cluster, and its best match probability."""
    rank = {m: i for i, m in enumerate(LINK_METHODS)}
    shared = keys.join(keys.group_by("key").len().filter(pl.col("len") > 1).select("key"), on="key")
    best = np.full(n, rank["none"], dtype=np.int64)
    by_key = shared.with_columns(pl.col("method").replace_strict(rank, return_dtype=pl.Int64).alias("r"))
    np.minimum.at(best, by_key["row"].to_numpy(), by_key["r"].to_numpy())
    for col in ("left", "right"):
        np.minimum.at(best, must[col].to_numpy(), rank["override"])
    # a probabilistic link joins whole deterministic clusters: every record of a linked cluster counts
    prob_clusters = np.unique(np.concatenate([prob["left"].to_numpy(), prob["right"].to_numpy()]))
    in_prob = np.isin(det_cluster, prob_clusters)
    best = np.where(in_prob & (best == rank["none"]), rank["probabilistic"], best)
    per_cluster = (pl.concat([prob.select(pl.col("left").alias("c"), "match_probability"),
                              prob.select(pl.col("right").alias("c"), "match_probability")])
                   .group_by("c").agg(pl.col("match_probability").max()))
    probability = (pl.DataFrame({"c": det_cluster}).join(per_cluster, on="c", how="left", maintain_order="left")
                   ["match_probability"].fill_nan(None))
    single = np.bincount(cluster, minlength=n)[cluster] == 1
    best = np.where(single, rank["none"], best)
    return [pl.Series("link_method", np.array(LINK_METHODS, dtype=object)[best], dtype=pl.String),
            probability]
