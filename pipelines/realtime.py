"""The real-time path: one intake batch (a landing file of Segment events) → briefs and CRM tasks, in seconds.

Every step calls the batch stages' own functions with the batch's scope:

1. bronze: :func:`~pipelines.ingest.bronze.ingest_bronze` for just this file (a resent ``messageId`` is
   quarantined as a duplicate, so it creates nothing downstream);
2. identity: the events' deterministic keys (email, userId, anonymousId) are looked up among the resolved
   records; a batch component touching known persons joins the oldest of them, the rest become new persons with
   ids minted as a full run would. Probabilistic matching and merges of two known persons wait for the next
   batch identity run, which records them;
3. graph: the events' engagement edges (:func:`~pipelines.graph.edges.segment_engagements`), merged by edge id,
   so the batch graph run later finds them already there;
4. features and scores for the affected persons only (:func:`~pipelines.features.inputs.read_feature_inputs`
   with ``persons=``), with the champion model;
5. routing, briefs and outbox (:func:`~pipelines.routing.stage.run_routing_stage` with ``persons=``), given
   the scores in memory; the scores are appended to ``gold.lead_score_updates`` after that (the handoff is
   written first), where readers of current scores find them (:mod:`pipelines.scoring.current`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from contracts.registry import contract_for_table
from models import ModelRegistry, TrainedModel
from models.registry import EVENTS_TABLE as MODEL_EVENTS
from pipelines.features.inputs import (FEATURE_INPUT_TABLES, prefetch_scope, read_feature_inputs, scope_edges,
                                       scope_of)
from pipelines.graph.build import campaign_lookup
from pipelines.graph.edges import segment_engagements, with_edge_ids
from pipelines.graph.stage import GRAPH_EDGES
from pipelines.identity.clusters import components, key_links
from pipelines.identity.ids import CROSSWALK_SCHEMA, stable_ids
from pipelines.identity.normalize import normalize_person_records, registered_domain
from pipelines.identity.records import person_records
from pipelines.identity.resolve import deterministic_keys
from pipelines.identity.stage import CROSSWALK, PERSON_RECORDS, PERSONS
from pipelines.ingest.bronze import MANIFEST, QUARANTINE, ingest_bronze
from pipelines.outbox.tasks import CRM_TASKS, OWNER_UPDATES
from pipelines.routing.decisions import DECISIONS
from pipelines.routing.roster import Roster
from pipelines.routing.rules import RULE_VERSIONS, RoutingRules
from pipelines.routing.stage import BRIEFS, RoutingReport, run_routing_stage
from pipelines.scoring.current import LEAD_SCORE_UPDATES
from pipelines.scoring.stage import registry_for, score_leads
from pipelines.storage.delta import DeltaStore
from pipelines.storage.maintenance import checkpoint_long_logs, compact_small_files

__all__ = ["RealtimeReport", "route_event_batch", "match_event_persons", "warm_up", "REALTIME_TABLES"]

EVENTS = contract_for_table("segment_event")
# every table a micro-batch reads or writes: its own, and what the features read
REALTIME_TABLES = (RULE_VERSIONS, MANIFEST, f"bronze.{EVENTS.table}", QUARANTINE, PERSON_RECORDS,
                   MODEL_EVENTS, *FEATURE_INPUT_TABLES, DECISIONS, BRIEFS, CRM_TASKS, OWNER_UPDATES,
                   LEAD_SCORE_UPDATES)
_MODELS: dict[tuple[str, str], TrainedModel] = {}  # (models root, version) → model: a version never changes


@dataclass
class RealtimeReport:
    batch: str
    events_new: int = 0
    events_duplicate: int = 0
    events_quarantined: int = 0
    events_unattributed: int = 0   # anonymous visitors never identified: kept in bronze, nobody to route
    persons: int = 0
    persons_new: int = 0
    scored: int = 0
    routing: RoutingReport | None = None
    compacted: list[str] = field(default_factory=list)  # tables whose small files this run merged
    handed_off_at: dt.datetime | None = None  # when its decisions, briefs and CRM tasks were all written
    seconds: dict[str, float] = field(default_factory=dict)


def _keys_frame(keys: pl.DataFrame) -> dict[str, list[str]]:
    """Deterministic keys (``e:``/``u:``/``a:`` + value) → the record columns to look them up in."""
    cols = {"e:": "email_norm", "u:": "user_id", "a:": "anonymous_id", "l:": "sf_lead_id", "c:": "sf_contact_id"}
    out: dict[str, list[str]] = {}
    for prefix, col in cols.items():
        vals = keys.filter(pl.col("key").str.starts_with(prefix))["key"].str.strip_prefix(prefix).unique()
        if vals.len():
            out[col] = vals.to_list()
    return out


def match_event_persons(store: DeltaStore, records: pl.DataFrame, *, now: dt.datetime
                        ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(crosswalk rows for ``records``, normalised records with ``person_id``): deterministic matching of a
    micro-batch against the resolved records (module docstring, step 2)."""
    base = normalize_person_records(records)
    keys = deterministic_keys(base)
    lookup = _keys_frame(keys)
    key_columns = ["email_norm", "sf_lead_id", "sf_contact_id", "user_id", "anonymous_id", "last_norm", "person_id"]
    known = store.read(PERSON_RECORDS, columns=key_columns, where=lookup) if lookup else None
    if known is not None and known.height:
        known_keys = deterministic_keys(known).join(
            known.select(pl.int_range(pl.len(), dtype=pl.Int64).alias("row"), "person_id"), on="row")
        key_person = known_keys.group_by("key").agg(pl.col("person_id").min())
    else:
        key_person = pl.DataFrame(schema={"key": pl.String, "person_id": pl.String})
    n = base.height
    label = components(n, key_links(keys.select("row", "key"))) if n else np.zeros(0, dtype=np.int64)
    labelled = keys.with_columns(pl.Series("label", label[keys["row"].to_numpy()], dtype=pl.Int64))
    hits = labelled.join(key_person, on="key").group_by("label").agg(pl.col("person_id").min())
    since = store.read(CROSSWALK, columns=["person_id", "person_since"],
                       where={"person_id": hits["person_id"].to_list()}).group_by("person_id").agg(
        pl.col("person_since").min())
    frame = base.select("source", "record_id", pl.Series("label", label, dtype=pl.Int64))
    fresh = (frame.join(hits, on="label", how="anti").group_by("label")
             .agg(pl.concat_str("source", "record_id", separator="|").min().alias("anchor")))
    fresh = fresh.with_columns(new_id=stable_ids(fresh["anchor"]))
    now_lit = pl.lit(now).cast(pl.Datetime("us", "UTC"))
    ids = (frame.join(hits, on="label", how="left").join(fresh.select("label", "new_id"), on="label", how="left")
           .join(since, on="person_id", how="left")
           .with_columns(pl.coalesce("person_id", "new_id").alias("person_id"),
                         pl.when(pl.col("new_id").is_null()).then(pl.coalesce("person_since", now_lit))
                         .otherwise(now_lit).alias("person_since"),
                         pl.when(pl.col("new_id").is_null()).then(pl.lit("deterministic")).otherwise(pl.lit("none"))
                         .alias("link_method"), pl.lit(None, dtype=pl.Float64).alias("match_probability")))
    crosswalk = ids.select(CROSSWALK_SCHEMA.names()).cast(dict(CROSSWALK_SCHEMA))  # type: ignore[arg-type]
    return crosswalk, base.with_columns(crosswalk["person_id"])


def _event_persons(new: pl.DataFrame, crosswalk: pl.DataFrame, store: DeltaStore) -> pl.DataFrame:
    """``message_id, person_id, attribution``: identified events, and anonymous events of known visitors."""
    direct = crosswalk.filter(pl.col("source") == "segment_event").select(
        pl.col("record_id").alias("message_id"), "person_id", pl.lit("identified").alias("attribution"))
    rest = new.join(direct, on="message_id", how="anti")
    ids = {c: rest[c].drop_nulls().unique().to_list() for c in ("user_id", "anonymous_id")}
    ids = {c: v for c, v in ids.items() if v}
    if not ids or rest.height == 0:
        return direct
    seen = store.read(PERSON_RECORDS, columns=["user_id", "anonymous_id", "person_id"], where=ids)
    seen = pl.concat([seen, crosswalk.join(new.select(pl.col("message_id").alias("record_id"), "user_id",
                                                      "anonymous_id"), on="record_id")
                      .select("user_id", "anonymous_id", "person_id")])
    visitors = []
    for col in ids:  # a visitor id seen with one person only attributes (a shared browser attributes nothing)
        one = (seen.drop_nulls(col).group_by(col).agg(pl.col("person_id").unique())
               .filter(pl.col("person_id").list.len() == 1).with_columns(pl.col("person_id").list.first()))
        visitors.append(rest.join(one, on=col).select("message_id", "person_id"))
    attributed = pl.concat(visitors).unique("message_id", keep="first").with_columns(
        pl.lit("visitor").alias("attribution"))
    return pl.concat([direct, attributed])


def route_event_batch(store: DeltaStore, *, batch_files: list[Path], landing_root: Path, rules: RoutingRules,
                      roster: Roster, models_root: str | Path, now: dt.datetime, run_id: str) -> RealtimeReport:
    """Take one micro-batch (intake files, in arrival order) from landing to routed handoffs (see the module).

    The caller holds the lakehouse's write pool, so the tables are pinned (:meth:`DeltaStore.pinned`): each is
    brought up to date once, not at every one of the run's forty-odd reads. At the end, the small files of the
    tables it wrote are merged (:func:`~pipelines.storage.maintenance.compact_small_files`, at most three
    tables a run, once a table has six of them) and their logs checkpointed every ten commits.
    """
    with store.pinned() as written:
        report = _route_event_batch(store, batch_files=batch_files, landing_root=landing_root, rules=rules,
                                    roster=roster, models_root=models_root, now=now, run_id=run_id)
        t = time.perf_counter()
        # each micro-batch leaves a small file in the tables it wrote: merge them before they slow every read
        report.compacted = [m.table for m in compact_small_files(store, written)]
        checkpoint_long_logs(store, written)  # and the log entries, so the next run's opens replay few
        report.seconds["compact"] = time.perf_counter() - t
    return report


def _route_event_batch(store: DeltaStore, *, batch_files: list[Path], landing_root: Path, rules: RoutingRules,
                       roster: Roster, models_root: str | Path, now: dt.datetime,
                       run_id: str) -> RealtimeReport:
    report = RealtimeReport(batch=batch_files[0].stem if batch_files else "")
    t = time.perf_counter()
    bronze = ingest_bronze(EVENTS, store=store, landing_root=landing_root, run_id=run_id, now=now,
                           only=batch_files)
    report.events_new = bronze.rows_bronze
    report.events_duplicate = bronze.quarantined_by_reason.get("duplicate_key", 0)
    report.events_quarantined = bronze.rows_quarantined - report.events_duplicate
    # the batch's rows in bronze, whether this run or an earlier, interrupted one loaded them: everything
    # downstream is keyed, so a re-run converges
    rels = [f.resolve().relative_to(landing_root.resolve()).as_posix() for f in batch_files]
    new = store.read(f"bronze.{EVENTS.table}", where={"source_file": rels})
    report.seconds["bronze"] = time.perf_counter() - t
    if new.height == 0:
        return report
    t = time.perf_counter()
    crosswalk, records = match_event_persons(store, person_records({"segment_event": new}), now=now)
    report.persons_new = int(crosswalk.filter(pl.col("link_method") == "none")["person_id"].n_unique())
    # rows keyed by message id: if this run inserted every bronze row of the batch, none can exist downstream
    # yet (bronze quarantines a resent id, and a re-run after a crash finds its rows already in bronze)
    fresh = bronze.rows_bronze == new.height
    store.merge(CROSSWALK, crosswalk, keys=["source", "record_id"], keys_are_new=fresh)
    store.merge(PERSON_RECORDS, records, keys=["source", "record_id"], keys_are_new=fresh)
    _new_persons(store, records, crosswalk, keys_are_new=fresh)
    report.seconds["identity"] = time.perf_counter() - t
    t = time.perf_counter()
    who = _event_persons(new, crosswalk, store)
    report.events_unattributed = new.height - who.height
    edges = segment_engagements({"segment_event": new}, who.lazy(), campaign_lookup({}))
    if edges is not None:  # an event's edge id derives from its message id: new events, new edges
        store.merge(GRAPH_EDGES, with_edge_ids(edges.collect()), keys=["edge_id"], keys_are_new=fresh)
    affected = who["person_id"].unique().sort().to_list()
    report.persons = len(affected)
    report.seconds["graph"] = time.perf_counter() - t
    if not affected:
        return report
    t = time.perf_counter()
    registry = registry_for(store, models_root)
    champion = registry.champion()
    if champion is None:
        msg = "no champion lead-score model: run the batch job (handoff run) before the real-time path"
        raise RuntimeError(msg)
    scope = scope_of(store, affected)
    reads = prefetch_scope(store, scope)  # the scope's rows at once: features, routing and briefs share them
    edges = scope_edges(reads, affected, scope=scope)
    inputs = read_feature_inputs(reads, persons=affected, edges=edges, scope=scope)
    scores = score_leads(inputs, _model(registry, champion), version=champion, as_of=now, persons=affected)
    report.scored = scores.height
    report.seconds["score"] = time.perf_counter() - t
    t = time.perf_counter()
    report.routing = run_routing_stage(store, rules=rules, roster=roster, now=now, run_id=run_id,
                                       persons=affected, scores=scores, edges=edges, reads=reads)
    report.handed_off_at = dt.datetime.now(dt.UTC)  # decisions, briefs and CRM tasks are written
    report.seconds["route"] = time.perf_counter() - t
    t = time.perf_counter()
    if scores.height:  # last: routing took the scores in memory, so what sales sees is written first
        # appended to the score log, not upserted: one small file whatever the table's size (scoring.current)
        store.append(LEAD_SCORE_UPDATES, scores)
    report.seconds["scores_table"] = time.perf_counter() - t
    return report


def warm_up(store: DeltaStore, *, models_root: str | Path) -> dict[str, float]:
    """Pay a fresh process's first-use costs of the real-time path before it holds the lakehouse; returns
    seconds per part. Nothing is written.

    It opens the Delta tables a micro-batch touches (:data:`REALTIME_TABLES`; the store keeps them open per
    thread), loads the public suffix list and the champion model, compiles the brief templates and the event
    contract's schema. A real-time run does this when it starts, while an earlier run still holds the
    ``lakehouse_writes`` pool: its own step then holds the pool about 0.4 s shorter at 100k persons.
    """
    from pipelines.briefs.render import template_version  # (Jinja2: imported where briefs are made)

    seconds: dict[str, float] = {}

    def timed(part: str, work: Callable[[], object]) -> None:
        start = time.perf_counter()
        work()
        seconds[part] = time.perf_counter() - start

    timed("tables", lambda: [store.table(t) for t in REALTIME_TABLES])
    timed("suffix_list", lambda: registered_domain(pl.Series(["www.example.co.uk"])))
    timed("templates", template_version)
    timed("contract", EVENTS.model.to_schema)

    def champion() -> None:
        registry = registry_for(store, models_root)
        if (version := registry.champion()) is not None:
            _model(registry, version)

    timed("model", champion)
    return seconds


def _model(registry: ModelRegistry, version: str) -> TrainedModel:
    """``registry``'s model ``version``, loaded once per process (a registered version never changes)."""
    key = (str(registry.root), version)
    if key not in _MODELS:
        _MODELS.clear()  # a new champion: the old one is not needed again
        _MODELS[key] = registry.load(version)
    return _MODELS[key]


def _new_persons(store: DeltaStore, records: pl.DataFrame, crosswalk: pl.DataFrame, *,
                 keys_are_new: bool = False) -> None:
    """Golden rows for persons first seen in this batch (accounts come with the next batch identity run); their
    ids are minted from this batch's records, so ``keys_are_new`` when those records are."""
    from pipelines.identity.golden import golden_persons

    fresh = crosswalk.filter(pl.col("link_method") == "none")["person_id"].unique()
    if fresh.len() == 0:
        return
    mine = records.filter(pl.col("person_id").is_in(fresh.implode()))
    empty = pl.DataFrame(schema={"person_id": pl.String, "account_id": pl.String, "ultimate_account_id": pl.String,
                                 "match_method": pl.String})
    store.merge(PERSONS, golden_persons(mine, empty), keys=["person_id"], keys_are_new=keys_are_new)
