"""Shared by the benchmarks: child processes with their own peak RSS, worlds made on demand, a machine probe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

__all__ = ["REPO", "child", "machine_probe", "GENERATE", "INGEST", "ensure_world"]


def child(code: str, *args: str) -> tuple[dict, float]:
    """Run ``code`` in a fresh interpreter; return its JSON result and its own peak RSS in GiB."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            sys.exit(f"benchmark step failed:\n{err.read()[-4000:]}")
        return json.loads(out.read().strip().splitlines()[-1]), usage.ru_maxrss / 1024 / 1024  # KiB on Linux


GENERATE = """
import json, sys, time
from pathlib import Path
from handoff.world import generate_world
t = time.perf_counter()
s = generate_world(Path(sys.argv[1]), persons=int(sys.argv[2]), seed=7)
print(json.dumps({"seconds": time.perf_counter() - t, "rows": sum(s.files.values()), "files": len(s.files)}))
"""

INGEST = """
import json, sys, time
from pathlib import Path
from contracts.registry import BRONZE_CONTRACTS
from pipelines.ingest.bronze import ingest_bronze_all
from pipelines.storage.delta import DeltaStore
store = DeltaStore(sys.argv[2])
t = time.perf_counter()
reports = ingest_bronze_all(BRONZE_CONTRACTS, store=store, landing_root=Path(sys.argv[1]), run_id="bench",
                            workers=int(sys.argv[3]))
seconds = time.perf_counter() - t
per_table = {c.table: {"rows_raw": r.rows_raw, "rows_bronze": r.rows_bronze,
                       "rows_quarantined": r.rows_quarantined} for c, r in zip(BRONZE_CONTRACTS, reports.values())}
print(json.dumps({"seconds": seconds, "rows_raw": sum(v["rows_raw"] for v in per_table.values()),
                  "tables": per_table}))
"""

def cpu_seconds() -> tuple[float, float]:
    """(busy, steal) CPU seconds of the whole machine since boot, from ``/proc/stat``'s first line."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq) / tick, steal / tick


def machine_probe() -> float:
    """Seconds for a fixed pure-Python loop: this VM's speed drifts by ±30 %, so figures carry it along."""
    start = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - start


def ensure_world(work: Path, persons: int, *, quiet: bool = False) -> tuple[Path, Path]:
    """A generated world under ``work/world`` and its ingested lakehouse under ``work/lakehouse`` (made once)."""
    world, lake = work / "world", work / "lakehouse"
    if not (world / "landing").exists():
        gen, rss = child(GENERATE, str(world), str(persons))
        if not quiet:
            print(f"generate  {persons:>9,} persons: {gen['rows']:>11,} rows, {gen['seconds']:.1f} s, "
                  f"peak RSS {rss:.2f} GiB")
        os.sync()
    if not (lake / "bronze").exists():
        child(INGEST, str(world / "landing"), str(lake), "2")
    return world, lake
