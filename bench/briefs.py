"""Brief rendering benchmark: Markdown + HTML briefs per second on synthetic handoffs.

    uv run python bench/briefs.py --rows 20000

Generates ``pipelines.briefs.sample.sample_handoffs(rows)``, renders once to warm the template cache, then
times ``render_briefs`` (context preparation in Polars + both templates per handoff), best of ``--repeat``.
"""

from __future__ import annotations

import argparse
import time

from harness import machine_probe

from pipelines.briefs import brief_context, render_briefs, sample_handoffs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    probe = machine_probe()
    t = time.perf_counter()
    handoffs = sample_handoffs(args.rows, seed=7)
    generate = time.perf_counter() - t
    render_briefs(handoffs.head(10))  # compile the templates once
    runs, contexts = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        brief_context(handoffs)
        contexts.append(time.perf_counter() - t)
        t = time.perf_counter()
        briefs = render_briefs(handoffs)
        runs.append(time.perf_counter() - t)
    best = min(runs)
    chars = briefs["brief_markdown"].str.len_chars().mean() + briefs["brief_html"].str.len_chars().mean()
    print(f"machine probe {probe:.3f} s · generated {args.rows:,} handoffs in {generate:.2f} s")
    print(f"context (Polars) {min(contexts):.3f} s · render total {best:.3f} s · "
          f"{chars:,.0f} chars per brief pair")
    print(f"{args.rows / best:,.0f} briefs/s (Markdown + HTML each), best of {args.repeat}")


if __name__ == "__main__":
    main()
