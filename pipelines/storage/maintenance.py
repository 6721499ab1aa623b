"""Table maintenance: compact the small files that micro-batches leave, checkpoint the log, vacuum old files.

Every real-time micro-batch appends a small file (and a log entry) to a dozen tables. Reads open every file and
replay every log entry, so after a few hundred micro-batches each read of the real-time path costs several
times what it did after the batch run (a 100k-person home after 50 micro-batches: 50 files a table, the real-time
body 5.7 s against 3.4 s). :func:`maintain_tables` rewrites a table's small files into large ones
(``OPTIMIZE``-style compaction, a new version: time travel still reaches the old files), writes a checkpoint so a
fresh reader loads one Parquet file instead of replaying the JSON log, and vacuums files that no version younger
than the retention (7 days by default, Delta's own default) needs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from .delta import DeltaStore

__all__ = ["TableMaintenance", "maintain_tables", "compact_small_files", "checkpoint_long_logs", "MIN_FILES",
           "MAINTENANCE_SCHEMA", "SMALL_FILE_BYTES"]

MIN_FILES = 8  # a table with fewer data files is left alone
SMALL_FILE_BYTES = 1 << 20  # compact_small_files: files under 1 MiB are micro-batches' (batch files are larger)
MAINTENANCE_SCHEMA = pl.Schema({"table": pl.String, "files_before": pl.Int64, "files_after": pl.Int64,
                                "version": pl.Int64, "checkpointed": pl.Boolean, "vacuumed": pl.Int64,
                                "seconds": pl.Float64})


@dataclass(frozen=True)
class TableMaintenance:
    """What :func:`maintain_tables` did to one table."""

    table: str
    files_before: int
    files_after: int
    version: int
    checkpointed: bool
    vacuumed: int
    seconds: float


def maintain_tables(store: DeltaStore, tables: Iterable[str], *, min_files: int = MIN_FILES,
                    retention_hours: int | None = None) -> list[TableMaintenance]:
    """Compact, checkpoint and vacuum each of ``tables`` that has at least ``min_files`` data files.

    Tables that do not exist yet are skipped; those with fewer files are only checkpointed, when ten or more
    commits have come since their last checkpoint (:func:`checkpoint_long_logs`). Compaction keeps
    every row and changes no value: only the files holding them. ``retention_hours`` is the vacuum
    retention (``None``: the table's own, 7 days by default); files younger than it are kept.

    Examples
    --------
    >>> import tempfile
    >>> store = DeltaStore(tempfile.mkdtemp())
    >>> for i in range(10):
    ...     _ = store.append("audit.example", pl.DataFrame({"i": [i]}))
    >>> [(m.table, m.files_before, m.files_after) for m in maintain_tables(store, ["audit.example"])]
    [('audit.example', 10, 1)]
    >>> store.read("audit.example")["i"].sort().to_list() == list(range(10))
    True
    """
    done = []
    for table in tables:
        dt = store.table(table)
        if dt is None:
            continue
        before = len(dt.file_uris())
        if before < min_files:  # few files, but perhaps a long log: checkpoint it (opens replay the log)
            t = time.perf_counter()
            if checkpoint_long_logs(store, [table]):
                done.append(TableMaintenance(table=table, files_before=before, files_after=before,
                                             version=dt.version(), checkpointed=True, vacuumed=0,
                                             seconds=time.perf_counter() - t))
            continue
        t = time.perf_counter()
        dt.optimize.compact()
        dt.create_checkpoint()
        vacuumed = dt.vacuum(retention_hours=retention_hours, dry_run=False)
        dt.update_incremental()
        done.append(TableMaintenance(table=table, files_before=before, files_after=len(dt.file_uris()),
                                     version=dt.version(), checkpointed=True, vacuumed=len(vacuumed),
                                     seconds=time.perf_counter() - t))
    return done


def compact_small_files(store: DeltaStore, tables: Iterable[str], *, min_files: int = 6,
                        target_size: int = SMALL_FILE_BYTES, limit: int = 3) -> list[TableMaintenance]:
    """Merge the small files of the tables that have ``min_files`` or more of them, at most ``limit`` tables.

    What a micro-batch run does after its writes (auto-compaction): only files smaller than ``target_size``
    are rewritten, into files of up to that size, so the large files of the batch runs are never touched and
    each call costs tens of milliseconds. The tables with the most small files go first; ``limit`` spreads the
    work over runs. :func:`maintain_tables` still compacts everything, checkpoints and vacuums on its schedule.

    Examples
    --------
    >>> import tempfile
    >>> store = DeltaStore(tempfile.mkdtemp())
    >>> _ = store.append("audit.example", pl.DataFrame({"i": list(range(100_000))}))  # a batch file
    >>> for i in range(6):
    ...     _ = store.append("audit.example", pl.DataFrame({"i": [i]}))  # six micro-batches
    >>> done = compact_small_files(store, ["audit.example"], target_size=16_384)  # the batch file is larger
    >>> [(m.files_before, m.files_after) for m in done]
    [(7, 2)]
    >>> store.read("audit.example").height
    100006
    """
    counts = []
    for table in set(tables):
        dt = store.table(table)
        if dt is None:
            continue
        sizes = dt.get_add_actions(flatten=True).column("size_bytes").to_pylist()
        small = sum(1 for size in sizes if size < target_size)
        if small >= min_files:
            counts.append((small, table, len(sizes)))
    done = []
    for _, table, before in sorted(counts, reverse=True)[:limit]:
        t = time.perf_counter()
        dt = store.table(table)
        assert dt is not None
        dt.optimize.compact(target_size=target_size)
        dt.update_incremental()
        done.append(TableMaintenance(table=table, files_before=before, files_after=len(dt.file_uris()),
                                     version=dt.version(), checkpointed=False, vacuumed=0,
                                     seconds=time.perf_counter() - t))
    return done


def checkpoint_long_logs(store: DeltaStore, tables: Iterable[str], *, min_commits: int = 10) -> list[str]:
    """Write a checkpoint for each of ``tables`` with ``min_commits`` or more commits since its last one.

    Opening a table replays every JSON commit after its last checkpoint, and delta-rs checkpoints only every
    100 commits: a table the micro-batches write once a run replays up to a hundred, about 60 ms, at each of
    the run's twenty-odd opens. Local roots only (the checkpoint pointer is read from the file system);
    returns the tables checkpointed.

    Examples
    --------
    >>> import tempfile
    >>> store = DeltaStore(tempfile.mkdtemp())
    >>> for i in range(12):
    ...     _ = store.append("audit.example", pl.DataFrame({"i": [i]}))
    >>> checkpoint_long_logs(store, ["audit.example"]), checkpoint_long_logs(store, ["audit.example"])
    (['audit.example'], [])
    """
    if "://" in store.root and not store.root.startswith("file://"):
        return []
    done = []
    for table in sorted(set(tables)):
        dt = store.table(table)
        if dt is None:
            continue
        pointer = Path(store.uri(table).removeprefix("file://")) / "_delta_log" / "_last_checkpoint"
        try:
            last = int(json.loads(pointer.read_text())["version"])
        except (FileNotFoundError, KeyError, ValueError):
            last = -1
        if dt.version() - last >= min_commits:
            dt.create_checkpoint()
            done.append(table)
    return done
