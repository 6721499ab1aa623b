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
import warnings
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import polars as pl
import pyarrow as pa

__all__ = ["render_parts", "PARALLEL_MIN_ROWS"]

PARALLEL_MIN_ROWS = 5_000
_pool: ProcessPoolExecutor | None = None
_broken = False  # workers could not run in this process: render in it


def _workers(n: int) -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"))
        atexit.register(_pool.shutdown, wait=False, cancel_futures=True)
    return _pool


def _reset() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _render_ipc(directory: str, stamp: tuple, payload: bytes) -> bytes:
    """A worker's share: context rows in as Arrow IPC, the two strings a row out as Arrow IPC (one buffer each,
    not a pickled Python string apiece)."""
    from .render import render_rows

    md, html = render_rows(directory, stamp, pl.read_ipc(io.BytesIO(payload)))
    table = pa.table({"md": pa.array(md, pa.large_string()), "html": pa.array(html, pa.large_string())})
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def render_parts(ctx: pl.DataFrame, directory: str, stamp: tuple, *, min_rows: int | None = None
                 ) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """(Markdown, HTML) of every row of ``ctx`` in order, as Arrow strings, split across the cores when there
    are at least ``min_rows`` rows (default :data:`PARALLEL_MIN_ROWS`)."""
    from .render import render_rows

    from models.model import cores as available_cores  # the cores this process may run on

    global _broken
    cores = available_cores()
    if ctx.height < (PARALLEL_MIN_ROWS if min_rows is None else min_rows) or cores < 2 or _broken:
        return _arrays(*render_rows(directory, stamp, ctx))
    try:
        return _render_split(ctx, directory, stamp, cores)
    except BrokenProcessPool:
        # a worker died (killed, or it could not start: a script that starts work at import time, with no
        # ``if __name__ == "__main__":`` guard, re-runs in every spawned worker): from now on, render here
        _broken = True
        _reset()
        warnings.warn("brief rendering workers failed to run; rendering in this process instead (guard the "
                      "calling script's top-level code with `if __name__ == \"__main__\":`)", RuntimeWarning,
                      stacklevel=2)
        return _arrays(*render_rows(directory, stamp, ctx))


def _arrays(md: list[str], html: list[str]) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    return (pa.chunked_array([pa.array(md, pa.large_string())]),
            pa.chunked_array([pa.array(html, pa.large_string())]))


def _render_split(ctx: pl.DataFrame, directory: str, stamp: tuple, cores: int
                  ) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    from .render import render_rows

    share = -(-ctx.height // cores)
    futures: list[Future] = []
    for start in range(share, ctx.height, share):
        buffer = io.BytesIO()
        ctx.slice(start, share).write_ipc(buffer)
        futures.append(_workers(cores - 1).submit(_render_ipc, directory, stamp, buffer.getvalue()))
    md, html = _arrays(*render_rows(directory, stamp, ctx.slice(0, share)))
    mds, htmls = [md], [html]
    for future in futures:
        part = pa.ipc.open_stream(future.result()).read_all()
        mds.append(part["md"])
        htmls.append(part["html"])
    return (pa.chunked_array([c for a in mds for c in a.chunks], pa.large_string()),
            pa.chunked_array([c for a in htmls for c in a.chunks], pa.large_string()))
