"""The code location under Dagster: the job on a real instance, lineage, blocking checks, deprecations."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import polars as pl

from assets import routing
from assets.definitions import INGEST_JOB, build_definitions
from assets.resources import Lakehouse
from pipelines.lineage import LINEAGE
from pipelines.storage.delta import DeltaStore

REPO = Path(__file__).resolve().parents[1]
# bronze, identity, graph, scores, routing (decisions, briefs, tasks, owner updates, SLA, real-time, dispatch),
# catalog, table maintenance
ASSETS = 15 + 6 + 2 + 1 + 7 + 1 + 1


def _lakehouse(tmp_path: Path, landing: Path) -> Lakehouse:
    return Lakehouse(landing_root=str(landing), lakehouse_root=str(tmp_path / "lakehouse"),
                     catalog_path=str(tmp_path / "catalog.duckdb"), models_root=str(tmp_path / "models"))


def _run(defs: dg.Definitions, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def(INGEST_JOB).execute_in_process(instance=instance, raise_on_error=False)


def test_code_location_loads_without_deprecation_warnings() -> None:
    code = ("import warnings; warnings.simplefilter('error', DeprecationWarning);"
            "import dagster as dg; warnings.simplefilter('error', dg.BetaWarning) if hasattr(dg, 'BetaWarning')"
            " else None; from assets.definitions import defs; defs.resolve_all_job_defs();"
            "print(len(list(defs.resolve_asset_graph().get_all_asset_keys())))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert int(out.stdout.strip().splitlines()[-1]) == ASSETS


def test_job_records_lineage_and_a_rerun_changes_nothing(tmp_path: Path, vendor_landing: Path) -> None:
    lakehouse = _lakehouse(tmp_path, vendor_landing)
    defs = build_definitions(lakehouse)
    store = DeltaStore(lakehouse.lakehouse_root)
    with dg.instance_for_test() as instance:
        first = _run(defs, instance)
        assert first.success
        lineage = store.read(LINEAGE)
        assert lineage.height == 15  # one row per bronze asset that wrote
        lead = lineage.filter(pl.col("asset") == "bronze/salesforce_lead").row(0, named=True)
        outputs = {o["table"]: o for o in json.loads(lead["outputs"])}
        assert outputs["bronze.salesforce_lead"]["version_before"] is None
        assert outputs["bronze.salesforce_lead"]["version_after"] == store.version("bronze.salesforce_lead")
        assert lead["rows_in"] == lead["rows_out"] + lead["rows_quarantined"] == 17
        assert lead["run_id"] == first.run_id

        before = {t: store.version(t) for t in store.tables()}
        catalog_mtime = Path(lakehouse.catalog_path).stat().st_mtime_ns
        second = _run(defs, instance)
        assert second.success
        assert {t: store.version(t) for t in store.tables()} == before
        assert Path(lakehouse.catalog_path).stat().st_mtime_ns == catalog_mtime

        mats = [m for m in second.asset_materializations_for_node("bronze_ingest")
                if m.asset_key == dg.AssetKey(["bronze", "salesforce_lead"])]
        assert mats[0].metadata["files_skipped_already_ingested"].value == 2
        assert mats[0].metadata["rows_bronze"].value == 0


def test_failing_blocking_check_stops_downstream_assets(tmp_path: Path, vendor_landing: Path) -> None:
    lakehouse = _lakehouse(tmp_path, vendor_landing)
    defs = build_definitions(lakehouse)
    store = DeltaStore(lakehouse.lakehouse_root)
    with dg.instance_for_test() as instance:
        assert _run(defs, instance).success
        # A writer outside the contract slips a row with an empty required field into bronze.
        # (It keeps a real file hash: rows of unknown files are deleted as crash leftovers.)
        bad = store.read("bronze.salesforce_lead").head(1).with_columns(pl.lit(None, pl.String).alias("last_name"))
        store.append("bronze.salesforce_lead", bad)
        Path(lakehouse.catalog_path).unlink()
        result = _run(defs, instance)
        evaluations = {
            ev.check_name: ev.passed for ev in result.get_asset_check_evaluations()
            if ev.asset_key == dg.AssetKey(["bronze", "salesforce_lead"])
        }
        assert evaluations["required_complete"] is False
        catalog_mats = result.asset_materializations_for_node("catalog__analyst_catalog")
        assert catalog_mats == []
        assert not Path(lakehouse.catalog_path).exists()


def test_dg_check_defs(tmp_path: Path) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "dagster.yaml").read_text())
    dg_cli = Path(sys.executable).with_name("dg")
    out = subprocess.run([str(dg_cli), "check", "defs"], cwd=REPO, capture_output=True, text=True,
                         env={**os.environ, "DAGSTER_HOME": str(home)})
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "All definitions loaded successfully" in out.stdout + out.stderr


def test_ui_serves_the_code_location_without_warnings(tmp_path: Path) -> None:
    """`handoff ui` (dg dev on this repo's instance) loads every asset, warns about nothing, stops on SIGTERM."""
    import json as _json
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "ui.log"
    env = {**os.environ, "HANDOFF_HOME": str(REPO), "DAGSTER_DISABLE_TELEMETRY": "1"}
    with log.open("w") as out:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("handoff")), "ui", "--port", str(port)],
                                cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        query = _json.dumps({"query": "{ assetNodes { assetKey { path } } }"}).encode()
        deadline, assets = time.monotonic() + 120, None
        while time.monotonic() < deadline and assets is None:
            time.sleep(1)
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=query,
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=5) as resp:
                    assets = _json.load(resp)["data"]["assetNodes"]
            except OSError:
                continue
        assert assets is not None, log.read_text()[-3000:]
        assert len(assets) == ASSETS
        text = log.read_text().lower()
        assert "deprecat" not in text and "superseded" not in text and "warning" not in text, text[-3000:]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            raise
    assert proc.returncode is not None


def test_intake_sensor_makes_the_files_since_its_cursor_one_micro_batch_run(tmp_path: Path, monkeypatch) -> None:
    from assets.routing import batch_files, intake_sensor

    monkeypatch.setattr(routing, "INTAKE_POLL_SECONDS", 0.5)

    events = tmp_path / "landing" / "events"
    events.mkdir(parents=True)
    for name in ("events_intake_20261123T100000000000_aaa", "events_intake_20261123T100001000000_bbb",
                 "events_2026-11-22_0001"):  # the last is a batch export, not an intake batch
        (events / f"{name}.jsonl").write_text("{}\n")
    lakehouse = _lakehouse(tmp_path, tmp_path / "landing")
    with dg.instance_for_test() as instance:
        ctx = dg.build_sensor_context(instance=instance, resources={"lakehouse": lakehouse})
        result = intake_sensor(ctx)
        batch = "events_intake_20261123T100000000000_aaa~events_intake_20261123T100001000000_bbb"
        assert [(r.run_key, r.partition_key) for r in result.run_requests] == [(batch, batch)]
        assert result.dynamic_partitions_requests[0].partition_keys == [batch]
        assert result.cursor == "events_intake_20261123T100001000000_bbb"
        assert [p.name for p in batch_files(events, batch)] == [
            "events_intake_20261123T100000000000_aaa.jsonl", "events_intake_20261123T100001000000_bbb.jsonl"]
        later = dg.build_sensor_context(instance=instance, resources={"lakehouse": lakehouse},
                                        cursor=result.cursor)
        started = time.monotonic()
        assert intake_sensor(later).run_requests == []  # nothing new after the cursor, after a long poll
        assert time.monotonic() - started >= routing.INTAKE_POLL_SECONDS


def test_an_empty_intake_sensor_tick_long_polls_for_the_next_file(tmp_path: Path, monkeypatch) -> None:
    """A tick that finds no new intake file waits for one (up to INTAKE_POLL_SECONDS) and turns it into a run
    at once, instead of leaving it to the daemon's next tick five seconds later."""
    import threading

    from assets.routing import intake_sensor

    monkeypatch.setattr(routing, "INTAKE_POLL_SECONDS", 3.0)
    events = tmp_path / "landing" / "events"
    events.mkdir(parents=True)
    name = "events_intake_20261123T100002000000_ccc"
    landed: list[float] = []

    def land() -> None:
        time.sleep(0.4)
        (events / f".{name}.jsonl.tmp").write_text("{}\n")
        (events / f".{name}.jsonl.tmp").rename(events / f"{name}.jsonl")  # as the intake lands files
        landed.append(time.monotonic())

    writer = threading.Thread(target=land)
    with dg.instance_for_test() as instance:
        lakehouse = _lakehouse(tmp_path, tmp_path / "landing")
        ctx = dg.build_sensor_context(instance=instance, resources={"lakehouse": lakehouse},
                                      cursor="events_intake_20261123T100001000000_bbb")
        writer.start()
        result = intake_sensor(ctx)
        waited = time.monotonic() - landed[0]
        writer.join()
    assert [r.run_key for r in result.run_requests] == [name] and result.cursor == name
    assert waited < 1.0  # picked up within the poll, well before the poll's end


def test_maintenance_job_compacts_small_files_and_keeps_every_row(tmp_path: Path) -> None:
    lakehouse = _lakehouse(tmp_path, tmp_path / "landing")
    store = DeltaStore(lakehouse.lakehouse_root)
    scored = dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC)  # a batch score, then a micro-batch's rescoring
    store.append("gold.lead_scores", pl.DataFrame(
        {"person_id": ["p1"], "as_of": [scored], "probability": [0.1]}))
    store.append("gold.lead_score_updates", pl.DataFrame(
        {"person_id": ["p1"], "as_of": [scored + dt.timedelta(hours=1)], "probability": [0.8]}))
    for i in range(12):  # what twelve micro-batches leave behind
        store.append("silver.graph_edges", pl.DataFrame({"edge_id": [f"e{i}a", f"e{i}b"], "weight": [1.0, 2.0]}))
    store.append("gold.briefs", pl.DataFrame({"handoff_id": ["h1"]}))  # one file: left alone
    rows_before = store.read("silver.graph_edges").sort("edge_id")
    defs = build_definitions(lakehouse)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("maintenance_job").execute_in_process(instance=instance)
    assert result.success
    assert len(store.files("silver.graph_edges")) == 1
    assert store.read("silver.graph_edges").sort("edge_id").equals(rows_before)
    log = store.read("audit.table_maintenance")
    assert log.select("table", "files_before", "files_after").rows() == [("silver.graph_edges", 12, 1)]
    assert log["run_id"].to_list() == [result.run_id]
    assert store.version("silver.graph_edges") == 12  # the compaction is one more version: time travel stays
    assert store.read("silver.graph_edges", version=3).height == 8
    # the real-time score log is folded into the batch's table first
    assert store.read("gold.lead_scores")["probability"].to_list() == [0.8]
    assert store.read("gold.lead_score_updates").height == 0
    materialized = result.asset_materializations_for_node("audit__table_maintenance")
    assert materialized[0].metadata["score_updates_folded"].value == 1


def test_the_intake_sensor_keeps_at_most_two_realtime_runs_alive(tmp_path: Path, monkeypatch) -> None:
    """One run holding the lakehouse and one starting behind it: with both alive, new files wait (and join a
    later, larger micro-batch) instead of queueing a third run; when one finishes, the files go at once."""
    from assets.routing import intake_sensor

    monkeypatch.setattr(routing, "INTAKE_POLL_SECONDS", 0.6)
    events = tmp_path / "landing" / "events"
    events.mkdir(parents=True)
    (events / "events_intake_20261123T100000000000_aaa.jsonl").write_text("{}\n")
    lakehouse = _lakehouse(tmp_path, tmp_path / "landing")
    with dg.instance_for_test() as instance:
        for status in (dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING):
            instance.add_run(dg.DagsterRun(job_name="realtime_job", status=status))
        held = intake_sensor(dg.build_sensor_context(instance=instance, resources={"lakehouse": lakehouse}))
        assert held.run_requests == [] and "1 new intake file(s) wait for run" in held.skip_reason.skip_message
        instance.add_run(dg.DagsterRun(job_name="other_job", status=dg.DagsterRunStatus.STARTED))  # not counted
        running = instance.get_runs(dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED], job_name="realtime_job"))
        instance.report_run_failed(running[0])
        went = intake_sensor(dg.build_sensor_context(instance=instance, resources={"lakehouse": lakehouse}))
        assert [r.run_key for r in went.run_requests] == ["events_intake_20261123T100000000000_aaa"]


def test_the_pool_watchdog_hands_a_free_slot_to_a_step_left_waiting_beside_it() -> None:
    """Dagster's race: a step found the pool full, and registered as waiting only after the holder had freed
    its slot, so nobody hands it the slot. The watchdog does; it leaves a waiting step alone while the slot is
    held."""
    from assets.pools import pool_watchdog

    pool = "lakehouse_writes"
    with dg.instance_for_test(overrides={"concurrency": {"pools": {"default_limit": 1}}}) as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots(pool, 1)
        assert storage.claim_concurrency_slot(pool, "holder", "step").is_claimed
        # the slot is held: a waiter stays waiting, and the watchdog does not hand it anything
        storage.add_pending_step(concurrency_key=pool, run_id="queued", step_key="step")
        idle = pool_watchdog(dg.build_sensor_context(instance=instance))
        assert idle.skip_message == "no step waits beside a free slot"
        assert not storage.claim_concurrency_slot(pool, "queued", "step").is_claimed
        storage.free_concurrency_slot_for_step("holder", "step")  # the normal path hands it over at once
        assert storage.claim_concurrency_slot(pool, "queued", "step").is_claimed
        storage.free_concurrency_slot_for_step("queued", "step")

        # the race: the slot is free, but the waiter registered unassigned (as after a lost race)
        storage.add_pending_step(concurrency_key=pool, run_id="stuck", step_key="step", should_assign=False)
        assert not storage.claim_concurrency_slot(pool, "stuck", "step").is_claimed  # waits for a next free
        reply = pool_watchdog(dg.build_sensor_context(instance=instance))
        assert reply.skip_message == "handed a free slot to waiting steps: {'lakehouse_writes': 1}"
        assert storage.claim_concurrency_slot(pool, "stuck", "step").is_claimed
        assert storage.get_concurrency_info(pool).active_slot_count == 1  # the limit holds
