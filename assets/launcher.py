"""A run launcher that keeps one worker process warm for the real-time job.

Dagster's default launcher has the code server spawn a fresh Python process for every run: it imports Dagster
and the whole code location (Polars, Arrow, Delta, Pandera, XGBoost...) before the run can start, 3-4 s on two
loaded cores, which is most of an event's way to its brief. :class:`StandbyRunLauncher` launches the jobs it
is configured for (``realtime_job``) in a worker that did those imports ahead of time, while the previous run
was working: :mod:`assets.standby`. The worker executes the run exactly as a container launcher's worker does,
through ``dagster api execute_run`` with the run's id and the instance; it serves one run, then exits, and the
launcher starts the next standby. Every other job, and any run the standby cannot take (none ready yet, or the
code changed on disk since it imported it), goes the default way.

Configured in ``dagster.yaml``::

    run_launcher:
      module: assets.launcher
      class: StandbyRunLauncher
      config: {jobs: [realtime_job]}
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import threading
from collections.abc import Mapping
from typing import Any

import dagster as dg

from assets.standby import STANDBY_FD_ENV

__all__ = ["StandbyRunLauncher"]

REPLY_TIMEOUT_SECONDS = 30.0  # a standby still importing answers when done: sooner than a cold worker


def _origin_key(origin: Any) -> tuple[str, str, str]:
    """(python, module, working directory) of a run's code origin: what a standby must have imported."""
    repository = origin.repository_origin
    pointer = repository.code_pointer
    working_directory = getattr(pointer, "working_directory", None) or ""
    return repository.executable_path, getattr(pointer, "module", ""), working_directory


def _execute_run_input(run: dg.DagsterRun, instance: dg.DagsterInstance) -> str:
    """The input of ``dagster api execute_run`` for ``run``: serialized ``ExecuteRunArgs``, as container
    launchers pass it to their workers (built with Dagster's public serializer, not its private class)."""
    args = {"__class__": "ExecuteRunArgs", "job_origin": json.loads(dg.serialize_value(run.job_code_origin)),
            "run_id": run.run_id, "instance_ref": json.loads(dg.serialize_value(instance.get_ref())),
            "set_exit_code_on_failure": None}
    return json.dumps(args)


class _Standby:
    """One warm worker process, waiting on its stdin for the run it is to execute."""

    def __init__(self, key: tuple[str, str, str]) -> None:
        python, module, working_directory = key
        self.key = key
        read_end, write_end = os.pipe()
        try:
            self.process = subprocess.Popen(
                [python, "-m", "assets.standby", module], cwd=working_directory or None,
                stdin=subprocess.PIPE, pass_fds=(write_end,),
                env={**os.environ, STANDBY_FD_ENV: str(write_end)})
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        self._replies = read_end

    def take(self, payload: str) -> bool:
        """Hand the run to this standby: True once it has checked its code is current and started on it."""
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(payload.encode() + b"\n")
            self.process.stdin.close()
            ready, _, _ = select.select([self._replies], [], [], REPLY_TIMEOUT_SECONDS)
            reply = os.read(self._replies, 16) if ready else b""
        except OSError:
            reply = b""
        finally:
            os.close(self._replies)
        if reply.strip() == b"run":
            return True
        self.process.kill()
        self.process.wait()
        return False

    def close(self) -> None:
        """Dismiss an unused standby (it exits at the end of its stdin)."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()
        os.close(self._replies)
        threading.Thread(target=self.process.wait, daemon=True).start()


class StandbyRunLauncher(dg.DefaultRunLauncher):
    """Launch the configured jobs' runs in a pre-imported worker; everything else as Dagster's default one.

    Parameters
    ----------
    jobs
        Names of the jobs whose runs use the standby worker: the latency-bound ones. Batch jobs keep a fresh
        process each (their memory goes back with it).
    """

    def __init__(self, inst_data: Any = None, *, jobs: list[str] | None = None) -> None:
        super().__init__(inst_data=inst_data)
        self._jobs = frozenset(jobs or ["realtime_job"])
        self._standby: _Standby | None = None
        self._workers: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()

    @classmethod
    def config_type(cls) -> dict:
        return {"jobs": dg.Field([str], is_required=False, default_value=["realtime_job"],
                                 description="Jobs whose runs start in the warm standby worker.")}

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Mapping[str, Any]) -> StandbyRunLauncher:
        return cls(inst_data=inst_data, jobs=list(config_value.get("jobs", ["realtime_job"])))

    def launch_run(self, context: Any) -> None:
        run = context.dagster_run
        origin = run.job_code_origin
        if run.job_name not in self._jobs or origin is None:
            super().launch_run(context)
            return
        key = _origin_key(origin)
        with self._lock:
            standby, self._standby = self._standby, None
        if standby is not None and standby.key != key:  # the code location moved: it imported other code
            standby.close()
            standby = None
        if standby is not None and standby.take(_execute_run_input(run, self._instance)):
            self._started(run, standby.process)
        else:  # none ready, or its code is stale (it has exited): a fresh worker, as by default
            super().launch_run(context)
        with self._lock:  # the next run's worker imports while this one works
            if self._standby is None:
                try:
                    self._standby = _Standby(key)
                except OSError as exc:  # the run is launched: the next one starts the default way
                    self._instance.report_engine_event(
                        f"Could not start a standby worker ({exc}); the next run gets a fresh worker.", run,
                        cls=self.__class__)

    def _started(self, run: dg.DagsterRun, process: subprocess.Popen) -> None:
        with self._lock:
            self._workers[run.run_id] = process
        self._instance.report_engine_event(
            f"Started in the standby worker (pid {process.pid}), imported ahead of the run.", run,
            cls=self.__class__)
        threading.Thread(target=self._watch, args=(run.run_id, process), daemon=True).start()

    def _watch(self, run_id: str, process: subprocess.Popen) -> None:
        """Reap the worker; a worker that died before its run finished fails the run, with its exit code."""
        code = process.wait()
        with self._lock:
            self._workers.pop(run_id, None)
        run = self._instance.get_run_by_id(run_id)
        if code != 0 and run is not None and not run.is_finished:
            self._instance.report_run_failed(
                run, f"The standby worker (pid {process.pid}) exited with code {code} before the run "
                     "finished; its output is in the Dagster daemon's log.")

    def terminate(self, run_id: str) -> bool:
        with self._lock:
            process = self._workers.get(run_id)
        if process is None or process.poll() is not None:
            return super().terminate(run_id)
        run = self._instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            return False
        self._instance.report_run_canceling(run)
        process.send_signal(signal.SIGINT)  # `dagster api execute_run` turns it into an interrupted run
        return True

    def dispose(self) -> None:
        with self._lock:
            standby, self._standby = self._standby, None
        if standby is not None:
            standby.close()
        super().dispose()
