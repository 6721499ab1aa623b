"""Ingest benchmark: generate an N-person world, ingest every landing file into bronze, print rows/s and RSS.

    uv run python bench/ingest.py --persons 1000000

Generation and ingest run in separate child processes so each one's peak RSS is its own. The ingest runs the
same stage function the Dagster assets call (``pipelines.ingest.bronze.ingest_bronze``), over all 15 contracts:
read, map, coerce, Pandera validation, quarantine, Delta writes and the manifest, everything but Dagster's
own bookkeeping and the GX checks (timed separately with ``--gx``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from harness import GENERATE, INGEST, child, machine_probe

GX = """
import json, sys, time
from contracts.registry import BRONZE_CONTRACTS
from contracts.quality import bronze_suite
from pipelines.quality import columns_needed, run_suite
from pipelines.storage.delta import DeltaStore
store = DeltaStore(sys.argv[1])
t = time.perf_counter()
failed = []
for c in BRONZE_CONTRACTS:
    suite = bronze_suite(c)
    outcomes = run_suite(store.read(f"bronze.{c.table}", columns=columns_needed(suite)), suite, name=c.table)
    failed += [f"{c.table}.{k}" for k, o in outcomes.items() if not o.passed]
print(json.dumps({"seconds": time.perf_counter() - t, "failed": failed}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the world and lakehouse here")
    parser.add_argument("--gx", action="store_true", help="also time the Great Expectations suites")
    parser.add_argument("--workers", type=int, default=2, help="contracts ingested at a time (as the asset does)")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="handoff-bench-"))
    world, lake = work / "world", work / "lakehouse"
    shutil.rmtree(lake, ignore_errors=True)
    if not (world / "landing").exists():
        gen, gen_rss = child(GENERATE, str(world), str(args.persons))
        print(f"generate  {args.persons:>9,} persons: {gen['rows']:>11,} rows in {gen['files']} files, "
              f"{gen['seconds']:6.1f} s, peak RSS {gen_rss:.2f} GiB")
        os.sync()  # flush the freshly written world, so its write-back does not slow the ingest timing
    ing, ing_rss = child(INGEST, str(world / "landing"), str(lake), str(args.workers))
    for table, v in ing["tables"].items():
        print(f"  {table:28s} {v['rows_raw']:>11,} raw  {v['rows_bronze']:>11,} bronze  "
              f"{v['rows_quarantined']:>7,} quarantined")
    probe = machine_probe()
    rate = ing["rows_raw"] / ing["seconds"]
    print(f"ingest    {ing['rows_raw']:>11,} raw rows, {args.workers} worker(s), in {ing['seconds']:.1f} s = {rate:,.0f} raw rows/s "
          f"(target ≥ 250,000), peak RSS {ing_rss:.2f} GiB (target ≤ 4 GiB); "
          f"machine probe {probe:.2f} s (10M-step Python loop; lower is a faster machine state)")
    if args.gx:
        gx, _ = child(GX, str(lake))
        print(f"gx suites on all bronze tables: {gx['seconds']:.1f} s, failed: {gx['failed'] or 'none'}")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
