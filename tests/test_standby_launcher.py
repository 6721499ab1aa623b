"""The standby run launcher on a real webserver and instance: a run starts in the worker imported ahead of it,
a run after a code change executes the new code, terminating a run cancels it, and a worker that dies fails
its run."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

LOCATION = """\
import os
import time
from pathlib import Path

import dagster as dg

VERSION = "{version}"


def _record(context: dg.OpExecutionContext) -> None:
    out = Path(__file__).parent.with_name("runs.txt")  # not beside the code: that would make it stale
    with out.open("a") as fh:
        fh.write(f"{{context.run_id}} {{os.getpid()}} {{VERSION}}\\n")


@dg.op
def record(context: dg.OpExecutionContext) -> None:
    _record(context)


@dg.op
def record_then_wait(context: dg.OpExecutionContext) -> None:
    _record(context)
    for _ in range(600):  # a minute, unless the run is terminated
        time.sleep(0.1)


@dg.job(executor_def=dg.in_process_executor)
def quick_job() -> None:
    record()


@dg.job(executor_def=dg.in_process_executor)
def slow_job() -> None:
    record_then_wait()


defs = dg.Definitions(jobs=[quick_job, slow_job])
"""

INSTANCE = """\
telemetry: {enabled: false}
run_coordinator: {module: dagster._core.run_coordinator, class: DefaultRunCoordinator}
run_launcher:
  module: assets.launcher
  class: StandbyRunLauncher
  config: {jobs: [quick_job, slow_job]}
"""

LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }"""
TERMINATE = """mutation($id: String!) { terminateRun(runId: $id) { __typename } }"""
STANDBY = "[StandbyRunLauncher] Started in the standby worker"


@dataclass
class Server:
    port: int
    instance: dg.DagsterInstance
    code: Path
    log: Path

    def graphql(self, query: str, variables: dict) -> dict:
        body = json.dumps({"query": query, "variables": variables}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/graphql", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.load(resp)

    def launch(self, job: str) -> str:
        params = {"selector": {"repositoryLocationName": "standby_test", "repositoryName": "__repository__",
                               "jobName": job}, "runConfigData": {}}
        reply = self.graphql(LAUNCH, {"p": params})["data"]["launchRun"]
        assert reply["__typename"] == "LaunchRunSuccess", reply
        return reply["run"]["runId"]

    def wait(self, run_id: str, *, until: tuple[dg.DagsterRunStatus, ...] | None = None) -> dg.DagsterRun:
        """The run once finished (or in one of ``until``)."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            run = self.instance.get_run_by_id(run_id)
            if run is not None and (run.is_finished if until is None else run.status in until):
                return run
            time.sleep(0.2)
        raise AssertionError(f"run {run_id} did not get there in 120 s:\n{self.log.read_text()[-3000:]}")

    def launch_and_wait(self, job: str = "quick_job") -> dg.DagsterRun:
        return self.wait(self.launch(job))

    def messages(self, run_id: str) -> list[str]:
        return [e.message for e in self.instance.all_logs(run_id) if e.message]

    def recorded(self) -> dict[str, tuple[int, str]]:
        """run id → (pid, code version) of every run that reached its op."""
        lines = (self.code.parent / "runs.txt").read_text().splitlines()
        return {run_id: (int(pid), version) for run_id, pid, version in (line.split() for line in lines)}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """A webserver (code server and run launcher inside) on a small code location, with its own instance."""
    code, dagster_home = tmp_path / "code", tmp_path / "dagster_home"
    code.mkdir()
    dagster_home.mkdir()
    (code / "standby_location.py").write_text(LOCATION.format(version="v1"))
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
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("dagster-webserver")), "-w", "workspace.yaml",
             "-p", str(port)],
            cwd=code, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        instance = dg.DagsterInstance.from_config(str(dagster_home))
        srv = Server(port=port, instance=instance, code=code, log=log)
        deadline = time.monotonic() + 120
        while True:
            try:
                srv.graphql("{ version }", {})
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, log.read_text()[-3000:]
                time.sleep(0.5)
        yield srv
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise


def test_runs_start_in_the_standby_worker_and_a_code_change_reaches_the_next_run(server: Server) -> None:
    first = server.launch_and_wait()  # no standby yet: the code server's fresh worker
    second = server.launch_and_wait()  # the standby started when the first launched
    assert first.status == second.status == dg.DagsterRunStatus.SUCCESS, server.log.read_text()[-3000:]
    pid = server.recorded()[second.run_id][0]
    assert not any(STANDBY in m for m in server.messages(first.run_id))
    assert [m for m in server.messages(second.run_id) if STANDBY in m] == [
        f"{STANDBY} (pid {pid}), imported ahead of the run."]

    (server.code / "standby_location.py").write_text(LOCATION.format(version="v2"))  # the standby has v1
    third = server.launch_and_wait()
    assert third.status == dg.DagsterRunStatus.SUCCESS, server.log.read_text()[-3000:]
    versions = {run_id: version for run_id, (_, version) in server.recorded().items()}
    assert versions == {first.run_id: "v1", second.run_id: "v1", third.run_id: "v2"}


def test_terminating_a_standby_run_cancels_it_and_a_dead_worker_fails_its_run(server: Server) -> None:
    server.launch_and_wait()  # starts the standby
    started = (dg.DagsterRunStatus.STARTED,)

    run_id = server.launch("slow_job")
    server.wait(run_id, until=started)
    assert any(STANDBY in m for m in server.messages(run_id))
    reply = server.graphql(TERMINATE, {"id": run_id})["data"]["terminateRun"]
    assert reply["__typename"] == "TerminateRunSuccess"
    assert server.wait(run_id).status == dg.DagsterRunStatus.CANCELED

    run_id = server.launch("slow_job")
    server.wait(run_id, until=started)
    deadline = time.monotonic() + 30
    while run_id not in server.recorded() and time.monotonic() < deadline:  # its op has started
        time.sleep(0.1)
    os.kill(server.recorded()[run_id][0], signal.SIGKILL)
    run = server.wait(run_id)
    assert run.status == dg.DagsterRunStatus.FAILURE
    assert any("exited with code -9 before the run finished" in m for m in server.messages(run_id))
