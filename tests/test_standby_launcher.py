"""The standby run launcher on a real webserver and instance: a run starts in the worker imported ahead of it,
and a run after a code change executes the new code."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg

LOCATION = """\
import os
from pathlib import Path

import dagster as dg

VERSION = "{version}"


@dg.op
def record(context: dg.OpExecutionContext) -> None:
    out = Path(__file__).parent.with_name("runs.txt")  # not beside the code: that would make it stale
    with out.open("a") as fh:
        fh.write(f"{{context.run_id}} {{os.getpid()}} {{VERSION}}\\n")


@dg.job(executor_def=dg.in_process_executor)
def quick_job() -> None:
    record()


defs = dg.Definitions(jobs=[quick_job])
"""

INSTANCE = """\
telemetry: {enabled: false}
run_coordinator: {module: dagster._core.run_coordinator, class: DefaultRunCoordinator}
run_launcher:
  module: assets.launcher
  class: StandbyRunLauncher
  config: {jobs: [quick_job]}
"""

LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""


def _graphql(port: int, query: str, variables: dict) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=body,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.load(resp)


def _launch_and_wait(port: int, instance: dg.DagsterInstance) -> dg.DagsterRun:
    params = {"selector": {"repositoryLocationName": "standby_test", "repositoryName": "__repository__",
                           "jobName": "quick_job"}, "runConfigData": {}}
    reply = _graphql(port, LAUNCH, {"p": params})["data"]["launchRun"]
    assert reply["__typename"] == "LaunchRunSuccess", reply
    run_id = reply["run"]["runId"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        run = instance.get_run_by_id(run_id)
        if run is not None and run.is_finished:
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish in 120 s")


def _engine_messages(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [e.message for e in instance.all_logs(run_id) if e.message]


def test_runs_start_in_the_standby_worker_and_a_code_change_reaches_the_next_run(tmp_path: Path) -> None:
    code, dagster_home = tmp_path / "code", tmp_path / "dagster_home"
    code.mkdir()
    dagster_home.mkdir()
    module = code / "standby_location.py"
    module.write_text(LOCATION.format(version="v1"))
    (dagster_home / "dagster.yaml").write_text(INSTANCE)
    (code / "workspace.yaml").write_text(
        "load_from:\n  - python_module: {module_name: standby_location, working_directory: .,"
        " location_name: standby_test}\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DAGSTER_HOME": str(dagster_home), "DAGSTER_DISABLE_TELEMETRY": "1"}
    log = tmp_path / "webserver.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster-webserver")), "-w", "workspace.yaml",
             "-p", str(port)],
            cwd=code, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _graphql(port, "{ version }", {})
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, log.read_text()[-3000:]
                time.sleep(0.5)
        instance = dg.DagsterInstance.from_config(str(dagster_home))

        first = _launch_and_wait(port, instance)  # no standby yet: the code server's fresh worker
        second = _launch_and_wait(port, instance)  # the standby started when the first launched
        assert first.status == second.status == dg.DagsterRunStatus.SUCCESS, log.read_text()[-3000:]
        rows = [line.split() for line in (tmp_path / "runs.txt").read_text().splitlines()]
        pid_of = {run_id: int(pid) for run_id, pid, _ in rows}
        standby = [m for m in _engine_messages(instance, second.run_id) if "standby worker" in m]
        assert not any("standby worker" in m for m in _engine_messages(instance, first.run_id))
        pid = pid_of[second.run_id]
        expected = (f"[StandbyRunLauncher] Started in the standby worker (pid {pid}), "
                    "imported ahead of the run.")
        assert standby == [expected]

        module.write_text(LOCATION.format(version="v2"))  # the standby now waiting imported v1
        third = _launch_and_wait(port, instance)
        assert third.status == dg.DagsterRunStatus.SUCCESS, log.read_text()[-3000:]
        versions = {run_id: version for run_id, _, version in
                    (line.split() for line in (tmp_path / "runs.txt").read_text().splitlines())}
        assert versions == {first.run_id: "v1", second.run_id: "v1", third.run_id: "v2"}
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            raise
