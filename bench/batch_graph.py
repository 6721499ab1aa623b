"""The whole batch graph, ingest to briefs, on a generated world: wall time, peak RSS, and time per asset step.

    uv run python bench/batch_graph.py --home /tmp/h1m --persons 1000000    # generates the world if missing
    uv run python bench/batch_graph.py --home /tmp/h1m --fresh               # wipe var/ first (a first run)

Runs ``handoff run`` (the main job, in process, on the home's Dagster instance) as a child process and reads
its peak RSS from the kernel (``wait4``), then the step durations of that run from the instance, each with the
RSS when it started and the largest while it ran (sampled every 0.2 s from ``/proc``), and the machine's
CPU while it ran: busy cores (of ``os.cpu_count()``) and steal, from ``/proc/stat``, so a step that leaves a
core idle shows. Targets for 1M persons on 2 cores: ≤ 5 min wall, ≤ 8 GB peak RSS.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import cpu_seconds, machine_probe  # noqa: E402


def _rss_gib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        return None
    return None


def _timed(cmd: list[str], *, cwd: Path, env: dict[str, str], log: Path,
           samples: list[tuple[float, float, float, float]] | None = None) -> tuple[float, float, int]:
    """Run ``cmd``: (wall s, peak RSS GiB from the kernel, exit code); ``samples`` gets (epoch, RSS GiB, busy
    CPU s, steal CPU s)."""
    t = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                if (rss := _rss_gib(proc.pid)) is not None and samples is not None:
                    samples.append((time.time(), rss, *cpu_seconds()))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        sampler.join()
    return time.perf_counter() - t, usage.ru_maxrss / 1024 / 1024, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true", help="remove the home's var/ (lakehouse, models, runs)")
    args = parser.parse_args()
    home = args.home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    for name in ("dagster.yaml", "workspace.yaml"):
        if not (home / name).exists():
            shutil.copy(REPO / name, home / name)
    env = {**os.environ, "HANDOFF_HOME": str(home), "DAGSTER_DISABLE_TELEMETRY": "1"}
    if not (home / "data" / "landing").exists():
        secs, rss, code = _timed([str(BIN / "handoff"), "world", "generate", "--persons", str(args.persons)],
                                 cwd=home, env=env, log=home / "generate.log")
        print(f"world     {args.persons:,} persons generated in {secs:.1f} s (peak RSS {rss:.2f} GiB)")
    if args.fresh and (home / "var").exists():
        shutil.rmtree(home / "var")
    probe = machine_probe()
    samples: list[tuple[float, float, float, float]] = []
    secs, rss, code = _timed([str(BIN / "handoff"), "run"], cwd=home, env=env, log=home / "batch_graph.log",
                             samples=samples)
    print(f"run       handoff run: {secs:.1f} s wall, peak RSS {rss:.2f} GiB = {rss * 2**30 / 1e9:.2f} GB, "
          f"exit {code} (targets ≤ 300 s, ≤ 8 GB); log {home / 'batch_graph.log'}")
    after = machine_probe()
    print(f"machine   probe {probe:.2f} s before, {after:.2f} s after (a fixed loop: 0.4-0.5 s on a quiet VM)")
    os.environ["DAGSTER_HOME"] = str(home / "var" / "dagster")
    import dagster as dg

    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(dg.RunsFilter(job_name="main_job"), limit=1)[0]
        steps = sorted(instance.get_run_step_stats(run.run_id), key=lambda s: s.start_time or 0)
        for s in steps:
            start, end = s.start_time or 0, s.end_time or 0
            during = [x for x in samples if start <= x[0] <= end]
            rss = [x[1] for x in during] or [float("nan")]
            span = during[-1][0] - during[0][0] if len(during) > 1 else 0.0
            busy, steal = ((during[-1][i] - during[0][i]) / span if span else float("nan") for i in (2, 3))
            print(f"  {s.step_key:40s} {end - start:7.1f} s  RSS {rss[0]:5.2f} → peak {max(rss):5.2f} GiB  "
                  f"CPU {busy:4.2f}/{os.cpu_count()} busy {steal:4.2f} steal  {s.status.value}")


if __name__ == "__main__":
    main()
