"""Rendering briefs on every core: the template calls are Python (one core each), so large batches are split.

Below :data:`PARALLEL_MIN_ROWS` rows, or on one core, :func:`submit_render` renders in the calling process.
Above, it renders one share itself and sends the others, as Arrow IPC, to worker processes (started once per
process, ``spawn``: a fork of a process running Polars' and XGBoost's threads is not safe), which render them
with the same compiled templates and return the strings; or, in the ``background``, it sends every share to a
worker and returns at once, so the caller can write the previous chunk meanwhile. The output is the same, row
for row, any way (tested).
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

__all__ = ["submit_render", "PendingRender", "PARALLEL_MIN_ROWS"]

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


class PendingRender:
    """Briefs being rendered: :meth:`result` waits for (Markdown, HTML), in the rows' order."""

    def __init__(self, ctx: pl.DataFrame, directory: str, stamp: tuple, futures: list[Future],
                 here: tuple[pa.ChunkedArray, pa.ChunkedArray] | None = None) -> None:
        self._ctx, self._directory, self._stamp = ctx, directory, stamp
        self._futures, self._here = futures, here

    def result(self) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
        try:
            parts = [] if self._here is None else [self._here]
            for future in self._futures:
                part = pa.ipc.open_stream(future.result()).read_all()
                parts.append((part["md"], part["html"]))
        except BrokenProcessPool:
            return _render_here_from_now_on(self._ctx, self._directory, self._stamp)
        return (pa.chunked_array([c for md, _ in parts for c in md.chunks], pa.large_string()),
                pa.chunked_array([c for _, html in parts for c in html.chunks], pa.large_string()))


def submit_render(ctx: pl.DataFrame, directory: str, stamp: tuple, *, min_rows: int | None = None,
                  background: bool = False) -> PendingRender:
    """Start rendering every row of ``ctx``, split across the cores when there are at least ``min_rows`` rows
    (default :data:`PARALLEL_MIN_ROWS`). The calling process renders one share itself before returning, unless
    ``background``: then every share goes to a worker and the caller is free until
    :meth:`PendingRender.result` (the batch writes one chunk's briefs while the workers render the next)."""
    from .render import render_rows

    from models.model import cores as available_cores  # the cores this process may run on

    cores = available_cores()
    if ctx.height < (PARALLEL_MIN_ROWS if min_rows is None else min_rows) or cores < 2 or _broken:
        return PendingRender(ctx, directory, stamp, [], _arrays(*render_rows(directory, stamp, ctx)))
    share = -(-ctx.height // cores)
    futures: list[Future] = []
    try:
        for start in range(0 if background else share, ctx.height, share):
            buffer = io.BytesIO()
            ctx.slice(start, share).write_ipc(buffer)
            futures.append(_workers(cores).submit(_render_ipc, directory, stamp, buffer.getvalue()))
    except BrokenProcessPool:
        return PendingRender(ctx, directory, stamp, [], _render_here_from_now_on(ctx, directory, stamp))
    here = None if background else _arrays(*render_rows(directory, stamp, ctx.slice(0, share)))
    return PendingRender(ctx, directory, stamp, futures, here)


def _render_here_from_now_on(ctx: pl.DataFrame, directory: str, stamp: tuple
                             ) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """A worker died (killed, or it could not start: a script that starts work at import time, with no
    ``if __name__ == "__main__":`` guard, re-runs in every spawned worker): render here, now and from now
    on."""
    from .render import render_rows

    global _broken
    _broken = True
    _reset()
    warnings.warn("brief rendering workers failed to run; rendering in this process instead (guard the "
                  "calling script's top-level code with `if __name__ == \"__main__\":`)", RuntimeWarning,
                  stacklevel=3)
    return _arrays(*render_rows(directory, stamp, ctx))


def _arrays(md: list[str], html: list[str]) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    return (pa.chunked_array([pa.array(md, pa.large_string())]),
            pa.chunked_array([pa.array(html, pa.large_string())]))
