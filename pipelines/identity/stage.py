"""The identity stage over a lakehouse: bronze person records → crosswalk, persons, accounts (Delta, silver).

The pure functions (:func:`resolve_persons`, :func:`match_accounts`, the golden builders) do the work; this
module only reads their inputs from Delta and writes their outputs back, by key, so a re-run on unchanged
bronze makes no new table version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl

from pipelines.storage.delta import DeltaStore

from .accounts import account_table, match_accounts, prospect_accounts
from .golden import golden_accounts, golden_persons
from .ids import CROSSWALK_SCHEMA, IDENTITY_CHANGE_SCHEMA
from .linkage import LinkageModel
from .records import PERSON_SOURCES, read_person_records
from .resolve import OVERRIDE_SCHEMA, Resolution, ResolverOptions, resolve_persons

__all__ = ["IDENTITY_TABLES", "IdentityReport", "run_identity_stage", "load_model", "MODEL_REGISTRY",
           "OVERRIDES", "CROSSWALK", "PERSON_RECORDS", "IDENTITY_CHANGES"]

CROSSWALK = "silver.person_crosswalk"
PERSON_RECORDS = "silver.person_records"
IDENTITY_CHANGES = "silver.identity_changes"
OVERRIDES = "silver.identity_overrides"
PERSON_ACCOUNTS = "silver.person_accounts"
PERSONS = "silver.persons"
ACCOUNTS = "silver.accounts"
MODEL_REGISTRY = "audit.identity_models"
IDENTITY_TABLES = (CROSSWALK, PERSON_RECORDS, IDENTITY_CHANGES, PERSON_ACCOUNTS, PERSONS, ACCOUNTS)
_MODEL_SCHEMA = pl.Schema({"model_id": pl.String, "created_at": pl.Datetime("us", "UTC"), "run_id": pl.String,
                           "model_json": pl.String})


@dataclass(frozen=True)
class IdentityReport:
    stats: dict[str, int]
    model_id: str
    inputs: dict[str, int | None]                      # bronze table → version read
    outputs: dict[str, tuple[int | None, int | None]]  # silver table → (version before, after)
    override_conflicts: pl.DataFrame
    cluster_outliers: pl.DataFrame
    account_methods: dict[str, int] = field(default_factory=dict)


def load_model(store: DeltaStore) -> tuple[str, LinkageModel] | None:
    """The newest registered linkage model, if any."""
    if store.table(MODEL_REGISTRY) is None:
        return None
    latest = store.read(MODEL_REGISTRY).sort("created_at").tail(1)
    return latest["model_id"][0], LinkageModel.loads(latest["model_json"][0])


def _register_model(store: DeltaStore, model: LinkageModel, *, run_id: str, now: datetime) -> str:
    text = model.dumps()
    model_id = "idm_" + hashlib.sha256(text.encode()).hexdigest()[:12]
    known = store.read_or_empty(MODEL_REGISTRY, _MODEL_SCHEMA, columns=["model_id"])["model_id"].to_list()
    if model_id not in known:
        store.append(MODEL_REGISTRY, pl.DataFrame([{"model_id": model_id, "created_at": now, "run_id": run_id,
                                                    "model_json": text}], schema=_MODEL_SCHEMA))
    return model_id


def cluster_outliers(resolution: Resolution, *, max_records: int = 60, max_surnames: int = 2) -> pl.DataFrame:
    """Persons whose cluster looks wrong: too many non-event records, or too many distinct surnames."""
    return (resolution.records.filter(pl.col("source") != "segment_event")
            .group_by("person_id").agg(pl.len().alias("records"),
                                        pl.col("last_norm").drop_nulls().n_unique().alias("surnames"))
            .filter((pl.col("records") > max_records) | (pl.col("surnames") > max_surnames))
            .sort("records", descending=True))


def run_identity_stage(store: DeltaStore, *, run_id: str, now: datetime | None = None,
                       retrain: bool = False, threads: int | None = None) -> IdentityReport:
    """Resolve every person record in bronze and refresh the silver identity tables.

    The registered linkage model is reused (ids and probabilities stay comparable between runs); one is trained
    and registered when none exists or ``retrain`` is set.
    """
    now = now or datetime.now(UTC)
    inputs = {f"bronze.{s.table}": store.version(f"bronze.{s.table}") for s in PERSON_SOURCES}
    inputs["bronze.salesforce_account"] = store.version("bronze.salesforce_account")
    before = {t: store.version(t) for t in IDENTITY_TABLES}

    records = read_person_records(store)
    previous = store.read_or_empty(CROSSWALK, CROSSWALK_SCHEMA)
    overrides = store.read_or_empty(OVERRIDES, OVERRIDE_SCHEMA)
    registered = None if retrain else load_model(store)
    options = ResolverOptions(model=registered[1] if registered else None, threads=threads)
    resolution = resolve_persons(records, previous=previous, overrides=overrides, options=options, now=now)
    model_id = _register_model(store, resolution.model, run_id=run_id, now=now)

    accounts = account_table(store.read("bronze.salesforce_account")) if inputs["bronze.salesforce_account"] \
        is not None else None
    person_accounts = match_accounts(resolution.records, accounts) if accounts is not None else None

    store.merge(CROSSWALK, resolution.crosswalk, keys=["source", "record_id"])
    store.merge(PERSON_RECORDS, resolution.records, keys=["source", "record_id"])
    if resolution.changes.height:
        store.append(IDENTITY_CHANGES, resolution.changes.cast(IDENTITY_CHANGE_SCHEMA))  # type: ignore[arg-type]
    methods: dict[str, int] = {}
    if person_accounts is not None and accounts is not None:
        prospects = prospect_accounts(person_accounts, resolution.records)
        store.merge(PERSON_ACCOUNTS, person_accounts, keys=["person_id"], full_state=True)
        store.merge(PERSONS, golden_persons(resolution.records, person_accounts), keys=["person_id"],
                    full_state=True)
        store.merge(ACCOUNTS, golden_accounts(accounts, prospects, person_accounts), keys=["account_id"],
                    full_state=True)
        methods = dict(person_accounts.group_by("match_method").len().iter_rows())
    after = {t: store.version(t) for t in IDENTITY_TABLES}
    return IdentityReport(stats=resolution.stats, model_id=model_id, inputs=inputs,
                          outputs={t: (before[t], after[t]) for t in IDENTITY_TABLES},
                          override_conflicts=resolution.override_conflicts,
                          cluster_outliers=cluster_outliers(resolution), account_methods=methods)
