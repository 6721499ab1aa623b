"""Intake benchmark: post N single-event batches over HTTP, print events/s and p50/p95/p99 latency.

    uv run python bench/intake.py --events 2000
    uv run python bench/intake.py --events 2000 --concurrency 4 --batch-size 10 --bronze

The intake runs as its own process (``python -m pipelines.intake``, as deployed, access log off) on a free
port, landing into a temporary folder; the client is httpx with one keep-alive connection per worker thread.
Every request is acknowledged only after its file is fsynced and renamed, so the latency includes two fsyncs
(file and folder). Afterwards every landed line is counted against what was sent. ``--bronze`` also times the
project's bronze ingest of the landed files (one small file per request: the small-files cost downstream).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def message(i: int) -> dict[str, object]:
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    return {"type": "track", "messageId": str(uuid.uuid4()), "timestamp": now,
            "anonymousId": f"anon-{i % 997}", "userId": None, "event": "Page Viewed",
            "properties": {"url": f"https://example.com/p/{i}", "utm_source": "bench"},
            "context": {"ip": "10.0.0.1", "userAgent": "bench", "library": {"name": "bench", "version": "1"}}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="events in all")
    parser.add_argument("--batch-size", type=int, default=1, help="events per request")
    parser.add_argument("--concurrency", type=int, default=1, help="client threads, one connection each")
    parser.add_argument("--bronze", action="store_true", help="also time the bronze ingest of what landed")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        landing = Path(tmp) / "landing"
        port = free_port()
        log = (Path(tmp) / "server.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "pipelines.intake", "--landing", str(landing), "--port", str(port),
             "--write-key", KEY, "--no-access-log"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(url + "/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    sys.exit(f"intake did not start: {(Path(tmp) / 'server.log').read_text()[-2000:]}")
                time.sleep(0.05)
            bodies = [json.dumps({"batch": [message(i + j) for j in range(args.batch_size)]}).encode()
                      for i in range(0, args.events, args.batch_size)]
            clients = [httpx.Client(auth=(KEY, ""), timeout=30,
                                    headers={"Content-Type": "application/json"})
                       for _ in range(args.concurrency)]
            for c in clients:  # warm the connections
                c.get(url + "/health")

            def send(item: tuple[int, bytes]) -> float:
                idx, body = item
                t0 = time.perf_counter()
                r = clients[idx % args.concurrency].post(url + "/v1/batch", content=body)
                elapsed = time.perf_counter() - t0
                if r.status_code != 200:
                    sys.exit(f"request {idx}: {r.status_code} {r.text}")
                return elapsed

            t = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                latencies = sorted(pool.map(send, enumerate(bodies)))
            wall = time.perf_counter() - t
        finally:
            server.terminate()
            server.wait(10)
            log.close()
        files = sorted((landing / "events").glob("events_intake_*.jsonl"))
        lines = sum(len(p.read_bytes().splitlines()) for p in files)
        q = [statistics.quantiles(latencies, n=100)[k - 1] * 1000 for k in (50, 95, 99)]
        print(f"intake: {args.events} events in {len(bodies)} requests (batch {args.batch_size}, "
              f"concurrency {args.concurrency}) in {wall:.2f} s: {args.events / wall:,.0f} events/s, "
              f"{len(bodies) / wall:,.0f} requests/s; latency p50 {q[0]:.2f} ms, p95 {q[1]:.2f} ms, "
              f"p99 {q[2]:.2f} ms; landed {len(files)} files, {lines} lines "
              f"({'all' if lines == args.events else 'MISSING SOME'}); {os.cpu_count()} cores")
        if args.bronze:
            sys.path.insert(0, str(ROOT))
            from contracts.registry import contract_for_table
            from pipelines.ingest.bronze import ingest_bronze
            from pipelines.storage.delta import DeltaStore

            t = time.perf_counter()
            store = DeltaStore(str(Path(tmp) / "lh"))
            report = ingest_bronze(contract_for_table("segment_event"), store=store, landing_root=landing,
                                   run_id="bench")
            took = time.perf_counter() - t
            per_file = took / max(len(report.files_loaded), 1)
            print(f"bronze: {len(report.files_loaded)} files, {report.rows_bronze} rows loaded, "
                  f"{report.rows_quarantined} quarantined in {took:.1f} s "
                  f"({report.rows_bronze / took:,.0f} rows/s, {per_file:.2f} s a file)")


if __name__ == "__main__":
    main()
