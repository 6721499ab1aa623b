"""Durable, atomic append of one intake request to the landing zone.

Accepted messages of one request become ONE JSON Lines file in the events source folder, named so the existing
bronze ingest picks it up unchanged (the contract's folder and file prefix, ``.jsonl``) and so names sort by
arrival: ``events/events_intake_<UTC yyyymmddTHHMMSSffffff>_<batch id>.jsonl``. Rejected messages go to
``events_quarantine/<same name>``, one ``{"reason": ..., "message": ...}`` a line; that folder is no
contract's source, so bronze never reads it.

Each file is written as a dot-prefixed ``.tmp`` file in its final folder (which no contract's pattern
matches), flushed and fsynced, renamed into place, and the folder fsynced: a file under its final name is
always complete, and is on disk before the caller acknowledges the request.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.registry import contract_for_table
from pipelines.intake.validate import RejectedMessage

__all__ = ["LandedBatch", "land_batch", "write_jsonl_atomic", "events_dir", "quarantine_dir",
           "batch_file_name", "new_batch_id", "remove_stale_temp_files", "INTAKE_PREFIX", "TEMP_SUFFIX"]

_CONTRACT = contract_for_table("segment_event")
INTAKE_PREFIX = _CONTRACT.file_prefix + "intake_"  # "events_intake_": matched by the contract's file pattern
TEMP_SUFFIX = ".tmp"


@dataclass(frozen=True)
class LandedBatch:
    """Where one request's messages went (``None``: nothing of that kind)."""

    batch_id: str
    received_at: dt.datetime
    landing_file: Path | None
    quarantine_file: Path | None


def events_dir(landing_dir: Path) -> Path:
    """The events source folder the bronze ingest reads (``<landing>/events``)."""
    return landing_dir / _CONTRACT.source


def quarantine_dir(landing_dir: Path) -> Path:
    """Where rejected intake messages go (``<landing>/events_quarantine``): no contract's source folder."""
    return landing_dir / f"{_CONTRACT.source}_quarantine"


def new_batch_id() -> str:
    """A short random id (12 hex digits of a uuid4)."""
    return uuid.uuid4().hex[:12]


def batch_file_name(received_at: dt.datetime, batch_id: str) -> str:
    """``events_intake_20261121T220207560123_<batch id>.jsonl``: sorts by arrival (UTC, microseconds).

    Examples
    --------
    >>> batch_file_name(dt.datetime(2026, 11, 21, 22, 2, 7, 560123, tzinfo=dt.UTC), "0a1b2c3d4e5f")
    'events_intake_20261121T220207560123_0a1b2c3d4e5f.jsonl'
    """
    stamp = received_at.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    name = f"{INTAKE_PREFIX}{stamp}_{batch_id}.jsonl"
    if not _CONTRACT.file_pattern.match(name):  # a guard should the contract's prefix or format change
        msg = f"intake file name {name!r} would not be read by bronze contract {_CONTRACT.name}"
        raise RuntimeError(msg)
    return name


def _dumps(record: Any) -> bytes:
    # Compact, UTF-8; json escapes control characters and newlines, so one record is always one line.
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode() + b"\n"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_jsonl_atomic(folder: Path, name: str, records: Iterable[Any]) -> Path:
    """Write ``records`` as JSON Lines to ``folder/name`` atomically and durably; returns the path.

    Temp file ``.<name>.tmp`` in the same folder, flush + fsync, rename, fsync the folder. Refuses to replace
    an existing file. On any error the temp file is removed and nothing appears under ``name``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    tmp = folder / f".{name}{TEMP_SUFFIX}"
    data = b"".join(_dumps(r) for r in records)  # encode first: a bad record fails before any file exists
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if final.exists():
            msg = f"{final} already exists; intake files are never replaced"
            raise FileExistsError(msg)
        os.rename(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(folder)
    return final


def land_batch(landing_dir: Path, accepted: list[dict[str, Any]], rejected: list[RejectedMessage], *,
               received_at: dt.datetime | None = None, batch_id: str | None = None,
               sent_at: str | None = None) -> LandedBatch:
    """Write one request: accepted messages to the events folder, rejected ones to the quarantine folder.

    Each accepted message is written as received plus ``receivedAt`` (RFC 3339, UTC) and, when it has none,
    the batch's ``sentAt``; both are keys the bronze reader knows, so they raise no schema drift. Returns once
    both files are durable.
    """
    received_at = received_at or dt.datetime.now(dt.UTC)
    batch_id = batch_id or new_batch_id()
    name = batch_file_name(received_at, batch_id)
    stamp = received_at.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    landed = quarantined = None
    if accepted:
        extra = {"receivedAt": stamp}
        rows = ({**m, **extra, **({"sentAt": sent_at} if sent_at is not None and "sentAt" not in m else {})}
                for m in accepted)
        landed = write_jsonl_atomic(events_dir(landing_dir), name, rows)
    if rejected:
        records = ({**r.quarantine_record(), "receivedAt": stamp, "batch_id": batch_id} for r in rejected)
        quarantined = write_jsonl_atomic(quarantine_dir(landing_dir), name, records)
    return LandedBatch(batch_id, received_at, landed, quarantined)


def remove_stale_temp_files(landing_dir: Path, *, older_than_s: float = 3600.0) -> list[Path]:
    """Remove intake temp files a crashed process left behind (only ones older than ``older_than_s``, so a
    live writer's file is never touched). Returns what was removed."""
    cutoff = time.time() - older_than_s
    removed = []
    for folder in (events_dir(landing_dir), quarantine_dir(landing_dir)):
        if not folder.is_dir():
            continue
        for path in folder.glob(f".{INTAKE_PREFIX}*{TEMP_SUFFIX}"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed.append(path)
            except FileNotFoundError:
                continue
    return removed
