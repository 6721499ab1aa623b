"""The standby run worker that :class:`assets.launcher.StandbyRunLauncher` keeps warm.

    python -m assets.standby assets.definitions      # started by the launcher, never by hand

It imports Dagster and the code location, builds its definitions, opens the instance once (``DAGSTER_HOME``,
as the launcher's: its storage modules are the largest import left), then waits on stdin for one line: the
input of ``dagster api execute_run`` for the run it is to execute. Before it takes the run, it checks that
none of the code location's modules changed on disk since it imported them; it answers ``run`` or ``stale`` on
the file descriptor the launcher gave it, and a stale standby exits so the run goes the default way (a fresh
worker, current code). It then executes the run through Dagster's own command-line entry point, in this
process, and exits with it. An empty stdin (the launcher dismissed it, or its daemon died) ends it without
running anything.
"""

from __future__ import annotations

import importlib
import os
import runpy
import sys
import time

STANDBY_FD_ENV = "HANDOFF_STANDBY_REPLY_FD"  # where the standby answers the launcher: "run" or "stale"


def changed_since(stamp: float) -> list[str]:
    """Files modified after ``stamp`` (epoch seconds) beside the imported modules that live outside the Python
    installation: the project's own code, and the data files its modules may read when imported."""
    installed = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})
    folders = {os.path.dirname(path) for module in list(sys.modules.values())
               if (path := getattr(module, "__file__", None)) and not path.startswith(installed)}
    changed = []
    for folder in sorted(folders):
        try:
            entries = list(os.scandir(folder))
        except OSError:  # the folder went away: the code did change
            changed.append(folder)
            continue
        changed += [e.path for e in entries if e.is_file() and e.stat().st_mtime > stamp]
    return changed


def main(argv: list[str]) -> int:
    imported_at = time.time()
    if STANDBY_FD_ENV not in os.environ or len(argv) != 1:
        msg = ("assets.standby is started by assets.launcher.StandbyRunLauncher (set it as the run_launcher "
               "in dagster.yaml), with the code location's module as its one argument; not by hand")
        raise SystemExit(msg)
    reply_fd = int(os.environ.pop(STANDBY_FD_ENV))
    module = importlib.import_module(argv[0])
    defs = getattr(module, "defs", None)
    if defs is not None:
        defs.get_repository_def()  # resolve the asset graph now rather than in the run
    if os.environ.get("DAGSTER_HOME"):  # the run's instance: import its storage (SQLAlchemy, Alembic: 1.1 s)
        import dagster as dg

        with dg.DagsterInstance.get() as instance:
            instance.get_runs(limit=1)
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    stale = changed_since(imported_at)
    os.write(reply_fd, b"stale\n" if stale else b"run\n")
    os.close(reply_fd)
    if stale:
        return 0
    sys.argv = ["dagster", "api", "execute_run", line.strip()]
    runpy.run_module("dagster", run_name="__main__", alter_sys=True)  # exits with the run
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
