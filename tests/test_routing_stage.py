"""The routing stage on a small generated world: one decision, brief and task per hot or warm lead, re-runs that
add nothing, SLA escalation, the real-time path from an intake batch (as a Dagster run too), and dispatch to
the CRM stub over HTTP."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dagster as dg

import polars as pl
import pytest
from worlds import world_lakehouse

from assets.definitions import build_definitions
from assets.resources import Lakehouse
from contracts.registry import BRONZE_CONTRACTS
from handoff.crm_stub import running_crm_stub
from models import train
from pipelines.features.inputs import read_feature_inputs
from pipelines.identity.stage import CROSSWALK, PERSON_RECORDS
from pipelines.ingest.bronze import ingest_bronze_all
from pipelines.outbox import CRM_TASKS, dispatch
from pipelines.realtime import REALTIME_TABLES, route_event_batch
from pipelines.routing import (
    BRIEFS,
    DECISIONS,
    RuleBook,
    check_slas,
    read_decisions,
    read_roster,
    run_routing_stage,
)
from pipelines.scoring import (LEAD_SCORE_UPDATES, LEAD_SCORES, current_lead_scores, registry_for,
                               score_leads, split_holdout, training_frame)
from pipelines.storage.delta import DeltaStore

SCORED_AT = dt.datetime(2026, 11, 22, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 11, 23, 16, 0, tzinfo=dt.UTC)  # a Monday: most reps are at work somewhere
RULES_DIR = Path(__file__).resolve().parents[1] / "rules" / "routing"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DeltaStore]:
    root = tmp_path_factory.mktemp("routing")
    lake = world_lakehouse(root, persons=3_000, seed=9)
    inputs = read_feature_inputs(lake)
    fit_rows, _ = split_holdout(training_frame(inputs))
    model = train(fit_rows, label="converted", time_column="as_of", id_columns=["person_id"])
    registry = registry_for(lake, root / "models")
    version = registry.register(model, training_data_versions={})
    registry.promote(version, reason="test world too small for the ECE bar")
    lake.merge(LEAD_SCORES, score_leads(inputs, model, version=version, as_of=SCORED_AT), keys=["person_id"])
    return root, lake


def _run(root: Path, lake: DeltaStore, run_id: str, now: dt.datetime = NOW):
    book = RuleBook(RULES_DIR, lake)
    return run_routing_stage(lake, rules=book.active(), roster=read_roster(root / "landing/roster/roster.yaml"),
                             now=now, run_id=run_id)


def test_every_hot_or_warm_lead_gets_one_decision_brief_and_task_and_reruns_add_nothing(world) -> None:
    root, lake = world
    report = _run(root, lake, "r1")
    scores = lake.read(LEAD_SCORES)
    qualified = scores.filter(pl.col("probability") >= 0.4)["person_id"]
    log = read_decisions(lake)
    assert report.decisions == log.height == scores.height  # nurture leads are logged (to the nurture queue) too
    q = log.filter(pl.col("trigger").str.starts_with("qualified:"))
    assert sorted(q["person_id"]) == sorted(qualified) and q["handoff_id"].n_unique() == q.height
    assert set(q["tier"]) <= {"hot", "warm"} and (log.filter(pl.col("tier") == "nurture")["owner_id"] == "nurture").all()
    briefs, tasks = lake.read(BRIEFS), lake.read(CRM_TASKS)
    assert sorted(briefs["handoff_id"]) == sorted(q["handoff_id"]) == sorted(tasks["external_id"])
    assert (q["rule_version"] == "v0001").all() and q["model_version"].is_not_null().all()
    assert q["run_id"].unique().to_list() == ["r1"] and q["inputs_hash"].is_not_null().all()
    assert q.filter(pl.col("owner_kind") == "rep")["sla_due_at"].is_not_null().all()
    versions = {t: lake.version(t) for t in (DECISIONS, BRIEFS, CRM_TASKS)}
    again = _run(root, lake, "r2", NOW + dt.timedelta(minutes=5))
    assert (again.decisions, again.briefs, again.tasks) == (0, 0, 0)
    assert {t: lake.version(t) for t in versions} == versions


def test_a_crash_between_decisions_and_briefs_converges(world) -> None:
    root, lake = world
    _run(root, lake, "r1")
    dt_ = lake.table(BRIEFS)
    one = lake.read(BRIEFS)["handoff_id"][0]
    dt_.delete(f"handoff_id = '{one}'")  # as if the run died after logging that decision
    report = _run(root, lake, "r3", NOW + dt.timedelta(minutes=10))
    assert (report.decisions, report.briefs) == (0, 1)
    assert one in lake.read(BRIEFS)["handoff_id"].to_list()
    # a micro-batch touching that person does the same: the decision's whole row comes from the log
    brief = lake.read(BRIEFS).filter(pl.col("handoff_id") == one)
    lake.table(BRIEFS).delete(f"handoff_id = '{one}'")
    book = RuleBook(RULES_DIR, lake)
    roster = read_roster(root / "landing/roster/roster.yaml")
    scoped = run_routing_stage(lake, rules=book.active(), roster=roster, now=NOW + dt.timedelta(minutes=20),
                               run_id="r4", persons=brief["person_id"].to_list())
    assert (scoped.decisions, scoped.briefs) == (0, 1)
    again = lake.read(BRIEFS).filter(pl.col("handoff_id") == one)
    assert again.select("decision_id", "brief_markdown").equals(brief.select("decision_id", "brief_markdown"))


def test_sla_breach_escalates_to_the_manager_as_a_new_decision_of_the_same_handoff(world) -> None:
    root, lake = world
    _run(root, lake, "r1")
    roster = read_roster(root / "landing/roster/roster.yaml")
    rules = RuleBook(RULES_DIR, lake).active()
    status = check_slas(lake, rules=rules, roster=roster, now=NOW + dt.timedelta(days=7), run_id="s1")
    escalated = status.filter(pl.col("status") == "escalated")
    assert escalated.height > 0 and (escalated["escalations"] == 1).all()
    log = read_decisions(lake)
    esc = log.filter(pl.col("kind") == "escalation")
    assert esc.height == escalated.height and esc["reason"].str.starts_with("SLA breached: no Email or Call").all()
    managers = set(roster.reps["manager_id"].drop_nulls())
    assert set(esc["owner_id"]) <= managers | {rules.queues.fallback}
    tasks = lake.read(CRM_TASKS).join(esc.select(pl.col("handoff_id").alias("external_id"), "owner_id"),
                                      on="external_id")
    assert (tasks["owner_id"] == tasks["owner_id_right"]).all()  # the same task, reassigned
    again = check_slas(lake, rules=rules, roster=roster, now=NOW + dt.timedelta(days=7), run_id="s2")
    assert read_decisions(lake).filter(pl.col("kind") == "escalation").height == esc.height  # not twice
    assert again.height == status.height


def _event(kind: str, mid: str, **kw: object) -> dict:
    base = {"type": kind, "messageId": mid, "timestamp": "2026-11-23T15:59:00.000+00:00", "anonymousId": None,
            "userId": None, "context": {"ip": "192.0.2.1"}}
    return {**base, **kw}


def test_an_intake_batch_routes_the_persons_it_touches_and_a_replay_adds_nothing(world) -> None:
    root, lake = world
    landing = root / "landing"
    known = lake.read(PERSON_RECORDS).filter(pl.col("email_norm").is_not_null() & ~pl.col("email_is_free"))
    known_email, known_person = known.select("email_norm", "person_id").row(0)
    events = [
        _event("identify", "rt-1", userId="rt-user-1", traits={"email": "new.person@brandnew-co.example",
                                                              "firstName": "Nia", "lastName": "Okafor",
                                                              "company": "Brandnew Co", "country": "US"}),
        _event("track", "rt-2", userId="rt-user-1", event="Demo Requested",
               properties={"form_name": "Demo Request", "url": "https://www.handoffhq.example/demo"}),
        _event("identify", "rt-3", anonymousId="rt-anon-2", traits={"email": known_email}),
        _event("track", "rt-4", anonymousId="rt-anon-2", event="Pricing Page Viewed",
               properties={"url": "https://www.handoffhq.example/pricing"}),
        _event("track", "rt-5", anonymousId="never-identified", event="Page Viewed",
               properties={"url": "https://www.handoffhq.example/"}),
    ]
    batch = landing / "events" / "events_intake_20261123T155900000000_aaaaaaaaaaaa.jsonl"
    batch.write_text("".join(json.dumps(e) + "\n" for e in events))
    rules, roster = RuleBook(RULES_DIR, lake).active(), read_roster(landing / "roster/roster.yaml")
    batch_scores = lake.version(LEAD_SCORES)
    report = route_event_batch(lake, batch_files=[batch], landing_root=landing, rules=rules, roster=roster,
                               models_root=root / "models", now=NOW, run_id="rt1")
    assert (report.events_new, report.events_duplicate, report.events_unattributed) == (5, 0, 1)
    xw = lake.read(CROSSWALK).filter(pl.col("record_id").str.starts_with("rt-"))
    people = dict(xw.select("record_id", "person_id").iter_rows())
    assert people["rt-3"] == known_person and people["rt-1"] == people["rt-2"] != known_person
    assert report.persons == 2 and report.persons_new == 1 and report.scored == 2
    # the fresh scores go to the score log, which current scores read; the batch's table is not rewritten
    scored = current_lead_scores(lake, persons=[people["rt-1"], known_person])
    assert scored.height == 2 and scored["as_of"].to_list() == [NOW, NOW]
    assert lake.version(LEAD_SCORES) == batch_scores and lake.read(LEAD_SCORE_UPDATES).height == 2
    assert people["rt-1"] in read_decisions(lake)["person_id"].to_list()
    versions = {t: lake.version(t) for t in (DECISIONS, BRIEFS, CRM_TASKS, LEAD_SCORES, LEAD_SCORE_UPDATES)}
    replay = batch.with_name("events_intake_20261123T160000000000_bbbbbbbbbbbb.jsonl")
    # an SDK retry: the same messageIds in a new batch (sent again, so not byte-identical)
    replay.write_text("".join(json.dumps({**e, "sentAt": "2026-11-23T16:00:00.000Z"}) + "\n" for e in events))
    again = route_event_batch(lake, batch_files=[replay], landing_root=landing, rules=rules, roster=roster,
                              models_root=root / "models", now=NOW + dt.timedelta(seconds=30), run_id="rt2")
    assert (again.events_new, again.events_duplicate) == (0, 5)
    assert {t: lake.version(t) for t in versions} == versions


def test_dispatch_upserts_one_crm_task_per_handoff_twice_is_harmless(world) -> None:
    root, lake = world
    _run(root, lake, "r1")
    tasks = lake.read(CRM_TASKS)
    with running_crm_stub() as stub:
        first = dispatch(lake, endpoint=stub.url, backoff_seconds=0.01)
        second = dispatch(lake, endpoint=stub.url, backoff_seconds=0.01)
        assert len(stub.tasks) == tasks.height
    assert first.created == tasks.height and second.sent == 0


def test_replaying_every_event_of_the_world_adds_nothing(world) -> None:
    root, lake = world
    _run(root, lake, "r1")
    events = root / "landing" / "events"
    for f in sorted(events.glob("events_2*.jsonl")):  # the world's event exports, re-sent byte-different
        (events / f.name.replace("events_", "events_replay_")).write_bytes(f.read_bytes() + b"\n")
    watched = ("bronze.segment_event", DECISIONS, BRIEFS, CRM_TASKS)
    before = {t: (lake.version(t), lake.table(t).count()) for t in watched}
    report = ingest_bronze_all(BRONZE_CONTRACTS, store=lake, landing_root=root / "landing", run_id="replay")
    events_report = report["segment_event"]
    assert events_report.rows_bronze == 0 and events_report.quarantined_by_reason.get("duplicate_key", 0) > 0
    again = _run(root, lake, "r-replay", NOW + dt.timedelta(minutes=20))
    assert (again.decisions, again.briefs, again.tasks) == (0, 0, 0)
    assert {t: (lake.version(t), lake.table(t).count()) for t in watched} == before


def test_briefs_in_many_chunks_from_tables_read_once_equal_briefs_in_one(world, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.routing import stage

    root, lake = world
    out = {}
    for name, chunk in (("one", 10**9), ("many", 97)):  # 97: a dozen chunks, the whole-table reads path
        copy = tmp_path / name
        shutil.copytree(lake.root, copy)
        for table in ("audit/routing_decisions", "gold/briefs", "outbox/crm_tasks", "outbox/lead_owner_updates"):
            shutil.rmtree(copy / table, ignore_errors=True)
        monkeypatch.setattr(stage, "BRIEF_CHUNK", chunk)
        report = _run(root, DeltaStore(str(copy)), "r1")
        out[name] = DeltaStore(str(copy)).read(BRIEFS).select("handoff_id", "brief_markdown", "brief_html")
        assert report.briefs == out[name].height
    assert out["many"].height > 97 * 10
    assert out["many"].sort("handoff_id").equals(out["one"].sort("handoff_id"))


def test_account_chunks_keep_accounts_whole_with_exactly_their_edges() -> None:
    from pipelines.routing.stage import account_chunks

    persons = pl.DataFrame({"person_id": ["p1", "p2", "p3", "p4", "p5", "p6", "m1"],
                            "account_id": ["A", "B", "A", "C", None, "B", "A"]})
    todo = pl.DataFrame({"handoff_id": [f"h{i}" for i in range(1, 7)],
                         "person_id": ["p1", "p2", "p3", "p4", "p5", "p6"]})
    at = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    edges = pl.DataFrame({
        "src": ["person:p1", "person:m1", "person:p2", "person:p4", "person:p5", "person:zz", "account:A",
                "account:C", "account:Q"],
        "dst": ["content:page:a", "content:page:b", "content:page:c", "content:page:d", "content:page:e",
                "content:page:f", "topic:x", "topic:y", "topic:z"],
        "edge_type": ["engaged_with"] * 6 + ["surging_on"] * 3,
        "occurred_at": [at] * 9})
    chunks = account_chunks(todo, persons, edges, size=2)
    assert sorted(h for part, _ in chunks for h in part["handoff_id"]) == todo["handoff_id"].to_list()
    assert all(part.columns == todo.columns for part, _ in chunks)
    # in account order, two rows a chunk, an account never split; p5 (no account) fills the last
    assert [sorted(part["person_id"]) for part, _ in chunks] == [["p1", "p3"], ["p2", "p6"], ["p4", "p5"]]
    for part, part_edges in chunks:
        who = set(part["person_id"])
        accounts = set(persons.filter(pl.col("person_id").is_in(list(who)))["account_id"].drop_nulls())
        mates = set(persons.filter(pl.col("account_id").is_in(list(accounts)))["person_id"]) | who
        expected = edges.filter(pl.col("src").is_in([f"person:{p}" for p in mates])
                                | pl.col("src").is_in([f"account:{a}" for a in accounts]))
        assert part_edges.sort("src").equals(expected.sort("src"))


def test_a_micro_batch_reads_its_scope_once_and_sees_what_the_store_shows(world) -> None:
    """prefetch_scope: features, routing inputs and brief context of a few persons equal those read straight
    from the store, and every one of their reads is answered from the prefetched rows."""
    from dataclasses import fields

    from pipelines.features.inputs import prefetch_scope, scope_edges, scope_of
    from pipelines.identity.stage import PERSONS
    from pipelines.routing.inputs import brief_context, routing_inputs

    root, lake = world
    people = lake.read(PERSONS, columns=["person_id", "account_id"]).sort("person_id")
    persons = (people.drop_nulls("account_id").head(4)["person_id"].to_list()
               + people.filter(pl.col("account_id").is_null()).head(1)["person_id"].to_list())
    scope = scope_of(lake, persons)
    reads = prefetch_scope(lake, scope)
    edges = scope_edges(reads, persons, scope=scope)
    assert edges.equals(scope_edges(lake, persons, scope=scope))

    def same(a: pl.DataFrame, b: pl.DataFrame) -> None:
        assert a.sort(a.columns, nulls_last=True).equals(b.sort(b.columns, nulls_last=True))

    cached = read_feature_inputs(reads, persons=persons, edges=edges, scope=scope)
    direct = read_feature_inputs(lake, persons=persons, edges=edges, scope=scope)
    for f in fields(cached):
        same(getattr(cached, f.name), getattr(direct, f.name))
    assert min(cached.persons.height, cached.accounts.height, cached.engagements.height) > 0
    rules = RuleBook(RULES_DIR, lake).active()
    scores = lake.read(LEAD_SCORES).filter(pl.col("person_id").is_in(persons))
    same(routing_inputs(reads, rules, persons=persons, scores=scores, edges=edges),
         routing_inputs(lake, rules, persons=persons, scores=scores, edges=edges))
    context = brief_context(reads, persons, now=NOW, edges=edges)
    expected = brief_context(lake, persons, now=NOW, edges=edges)
    assert context.sort("person_id").select(sorted(context.columns)).to_dicts() == \
        expected.sort("person_id").select(sorted(expected.columns)).to_dicts()
    assert reads.passed == 0 and reads.served >= 10


def test_a_realtime_run_opens_its_tables_before_its_step_holds_the_pool(world) -> None:
    """The Dagster run of one intake batch, in process as its run worker executes it: the warm-up resource
    (set up before the step claims the lakehouse pool) leaves every table the micro-batch touches open for
    the step, in the step's own thread."""
    root, lake = world
    landing = root / "landing"
    batch = landing / "events" / "events_intake_20261123T170000000000_dddddddddddd.jsonl"
    sent = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).isoformat()  # the run scores as of its clock
    batch.write_text(json.dumps(_event("identify", "rt-dg-1", userId="rt-dg-user", timestamp=sent,
                                       traits={"email": "ana.dagster@warmup-test.example"})) + "\n")
    existing = [t for t in REALTIME_TABLES if (Path(lake.uri(t)) / "_delta_log").is_dir()]
    lakehouse = Lakehouse(landing_root=str(landing), lakehouse_root=lake.root,
                          models_root=str(root / "models"), catalog_path=str(root / "catalog.duckdb"),
                          rules_root=str(RULES_DIR), roster_path=str(landing / "roster" / "roster.yaml"))
    job = build_definitions(lakehouse).resolve_job_def("realtime_job")
    with dg.instance_for_test() as instance, ThreadPoolExecutor(1) as fresh_thread:  # no table open there yet
        instance.add_dynamic_partitions("intake_batches", [batch.stem])
        run = fresh_thread.submit(job.execute_in_process, instance=instance, partition_key=batch.stem)
        result = run.result()
    assert result.success
    metadata = result.asset_materializations_for_node("realtime__intake_handoffs")[0].metadata
    assert metadata["tables_open_at_start"].value == len(existing) > 10
    assert set(metadata["warm_up"].value) == {"tables", "suffix_list", "templates", "contract", "model"}
    assert [metadata[k].value for k in ("events_new", "persons_new", "scored")] == [1, 1, 1]
