"""Rendering briefs on every core: the template calls are Python (one core each), so large batches are split.

Below :data:`PARALLEL_MIN_ROWS` rows, or on one core, :func:`render_parts` renders in the calling process. Above,
it renders one share itself and sends the others, as Arrow IPC, to worker processes (started once per process,
``spawn``: a fork of a process running Polars' and XGBoost's threads is not safe), which render them with the
same compiled templates and return the strings. The output is the same, row for row, either way (tested).
"""

from __future__ import annotations

import atexit
import io
import multiprocessing
import os
from concurrent.futures import Future, ProcessPoolExecutor

import polars as pl

__all__ = ["render_parts", "PARALLEL_MIN_ROWS"]

PARALLEL_MIN_ROWS = 5_000
_pool: ProcessPoolExecutor | None = None


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _workers(n: int) -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
    return _pool


def _render_ipc(directory: str, stamp: tuple, payload: bytes) -> tuple[list[str], list[str]]:
    from .render import render_rows

    return render_rows(directory, stamp, pl.read_ipc(io.BytesIO(payload)))


def render_parts(ctx: pl.DataFrame, directory: str, stamp: tuple, *, min_rows: int = PARALLEL_MIN_ROWS
                 ) -> tuple[list[str], list[str]]:
    """(Markdown, HTML) of every row of ``ctx`` in order, split across the cores when there are many rows."""
    from .render import render_rows

    cores = _cores()
    if ctx.height < min_rows or cores < 2:
        return render_rows(directory, stamp, ctx)
    share = -(-ctx.height // cores)
    futures: list[Future] = []
    for start in range(share, ctx.height, share):
        buffer = io.BytesIO()
        ctx.slice(start, share).write_ipc(buffer)
        futures.append(_workers(cores - 1).submit(_render_ipc, directory, stamp, buffer.getvalue()))
    markdown, pages = render_rows(directory, stamp, ctx.slice(0, share))
    for future in futures:
        md, html = future.result()
        markdown += md
        pages += html
    return markdown, pages
