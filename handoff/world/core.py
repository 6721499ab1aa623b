"""Shared building blocks: clock, random streams, vectorised id and string helpers."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass

import numpy as np
import polars as pl
import pyarrow as pa

from .lexicon import ACCENT_FOLD

DAY = 86_400
HOUR = 3_600
WINDOW_DAYS = 180

_ALNUM = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_B64 = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8)
_SF_CHECK = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345", dtype=np.uint8)


@dataclass(frozen=True)
class Clock:
    """The generation window: every timestamp lies in [start, end] (epoch seconds, UTC)."""

    as_of: dt.date
    start: int
    end: int

    @classmethod
    def for_date(cls, as_of: dt.date) -> Clock:
        midnight = int(dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.UTC).timestamp())
        end = midnight - 60
        return cls(as_of=as_of, start=end - WINDOW_DAYS * DAY, end=end)

    @property
    def as_of_sec(self) -> int:
        return self.end + 60

    def clip(self, t: np.ndarray) -> np.ndarray:
        return np.clip(t, self.start, self.end)


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent, reproducible random stream per generation stage."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


# --- strings from numpy ------------------------------------------------------------------------------------
def from_bytes(mat: np.ndarray) -> pl.Series:
    """(n, width) uint8 matrix of ASCII codes -> polars String series."""
    mat = np.ascontiguousarray(mat, dtype=np.uint8)
    n, width = mat.shape
    arr = pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [None, pa.py_buffer(mat.tobytes())])
    return pl.Series(pl.from_arrow(arr.cast(pa.binary()).cast(pa.string())))


def lit_series(values: list[str], idx: np.ndarray) -> pl.Series:
    """Gather small python string lists by an index (or boolean: False->0, True->1) array (vectorised)."""
    return pl.Series(values, dtype=pl.String).gather(np.asarray(idx).astype(np.int64))


def unique_ints(rng: np.random.Generator, n: int, low: int, high: int) -> np.ndarray:
    """n distinct random ints in [low, high), in random order."""
    out = np.empty(0, dtype=np.int64)
    while out.size < n:
        cand = rng.integers(low, high, size=int((n - out.size) * 1.05) + 16, dtype=np.int64)
        allv = np.concatenate([out, cand])
        _, first = np.unique(allv, return_index=True)
        out = allv[np.sort(first)]
    return out[:n]


def digits(values: np.ndarray, width: int, base: int, alphabet: np.ndarray) -> np.ndarray:
    """Fixed-width base-N encoding of non-negative ints -> (n, width) uint8 matrix."""
    v = np.asarray(values, dtype=np.int64).copy()
    mat = np.empty((v.size, width), dtype=np.uint8)
    for pos in range(width - 1, -1, -1):
        mat[:, pos] = alphabet[v % base]
        v //= base
    return mat


def sf_ids(rng: np.random.Generator, prefix: str, n: int) -> pl.Series:
    """18-character Salesforce ids with a valid case-safe checksum suffix."""
    head = np.frombuffer((prefix + "5f0").encode(), dtype=np.uint8)
    body = digits(unique_ints(rng, n, 0, 62**8), 9, 62, _ALNUM)
    mat15 = np.concatenate([np.broadcast_to(head, (n, 6)), body], axis=1)
    upper = (mat15 >= ord("A")) & (mat15 <= ord("Z"))
    weights = (1 << np.arange(5)).astype(np.int64)
    check = np.stack(
        [_SF_CHECK[(upper[:, i * 5 : (i + 1) * 5] * weights).sum(axis=1)] for i in range(3)], axis=1
    )
    return from_bytes(np.concatenate([mat15, check], axis=1))


def hex_ids(rng: np.random.Generator, n: int, width: int) -> pl.Series:
    return from_bytes(_HEX[rng.integers(0, 16, size=(n, width), dtype=np.uint8)])


def uuid_like(rng: np.random.Generator, n: int) -> pl.Series:
    """Unique uuid4-shaped lowercase hex strings (8-4-4-4-12)."""
    mat = _HEX[rng.integers(0, 16, size=(n, 32), dtype=np.uint8)]
    mat[:, 12] = ord("4")
    mat[:, 16] = _HEX[8 + rng.integers(0, 4, size=n)]
    dash = np.full((n, 1), ord("-"), dtype=np.uint8)
    full = np.concatenate(
        [mat[:, :8], dash, mat[:, 8:12], dash, mat[:, 12:16], dash, mat[:, 16:20], dash, mat[:, 20:]], axis=1
    )
    s = from_bytes(full)
    if s.n_unique() != n:  # astronomically unlikely; keep the contract anyway
        raise RuntimeError("uuid collision")
    return s


def b64_strings(rng: np.random.Generator, n: int, width: int, prefix: str = "") -> pl.Series:
    body = _B64[rng.integers(0, 64, size=(n, width), dtype=np.uint8)]
    if prefix:
        head = np.broadcast_to(np.frombuffer(prefix.encode(), dtype=np.uint8), (n, len(prefix)))
        body = np.concatenate([head, body], axis=1)
    return from_bytes(body)


# --- time formatting ---------------------------------------------------------------------------------------
def _dt(sec: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(sec, dtype=np.int64) * 1000).cast(pl.Datetime("ms"))


def ts_sf(sec: np.ndarray) -> pl.Series:
    """Salesforce style: 2026-11-20T14:03:11.000Z."""
    return _dt(sec).dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ts_z(sec: np.ndarray, millis: np.ndarray | None = None) -> pl.Series:
    if millis is None:
        return _dt(sec).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    ms = pl.Series(np.asarray(millis, dtype=np.int64)).cast(pl.String).str.zfill(3)
    return _dt(sec).dt.strftime("%Y-%m-%dT%H:%M:%S.") + ms + "Z"


def ts_offset(sec: np.ndarray, offset_min: np.ndarray, millis: np.ndarray | None = None) -> pl.Series:
    """Local time with explicit offset: 2026-11-20T09:03:11-05:00 (offset 0 -> +00:00), optional .mmm."""
    off = np.asarray(offset_min, dtype=np.int64)
    local = _dt(np.asarray(sec, dtype=np.int64) + off * 60).dt.strftime("%Y-%m-%dT%H:%M:%S")
    if millis is not None:
        local = local + "." + pl.Series(np.asarray(millis, dtype=np.int64)).cast(pl.String).str.zfill(3)
    sign = pl.Series(np.where(off < 0, "-", "+"))
    a = np.abs(off)
    hh = pl.Series(a // 60).cast(pl.String).str.zfill(2)
    mm = pl.Series(a % 60).cast(pl.String).str.zfill(2)
    return local + sign + hh + ":" + mm


def date_str(sec: np.ndarray) -> pl.Series:
    return _dt(sec).dt.strftime("%Y-%m-%d")


def money(cents: np.ndarray) -> pl.Series:
    """Integer cents -> plain decimal string with two places ("12500000.00")."""
    c = np.asarray(cents, dtype=np.int64)
    neg = pl.Series(np.where(c < 0, "-", ""))
    a = np.abs(c)
    return neg + pl.Series(a // 100).cast(pl.String) + "." + pl.Series(a % 100).cast(pl.String).str.zfill(2)


def int_str(v: np.ndarray) -> pl.Series:
    return pl.Series(np.asarray(v, dtype=np.int64)).cast(pl.String)


def bool_str(v: np.ndarray) -> pl.Series:
    return pl.Series(np.where(np.asarray(v, dtype=bool), "true", "false"))


def null_where(s: pl.Series, mask: np.ndarray) -> pl.Series:
    nulls = pl.repeat(None, len(s), dtype=s.dtype, eager=True)
    return s.zip_with(pl.Series(~np.asarray(mask, dtype=bool)), nulls).alias(s.name)


def where(mask: np.ndarray, a: pl.Series, b: pl.Series) -> pl.Series:
    """a where mask else b (both full-length String series)."""
    return a.zip_with(pl.Series(np.asarray(mask, dtype=bool)), b).alias(a.name)


# --- string folding --------------------------------------------------------------------------------------
_FOLD_FROM = list(ACCENT_FOLD.keys())
_FOLD_TO = list(ACCENT_FOLD.values())


def fold_expr(e: pl.Expr) -> pl.Expr:
    return e.str.replace_many(_FOLD_FROM, _FOLD_TO)


def fold(s: pl.Series) -> pl.Series:
    return s.str.replace_many(_FOLD_FROM, _FOLD_TO)


def local_part(s: pl.Series) -> pl.Series:
    """Name -> email-safe lowercase ascii token

    Examples: José -> jose, O'Brien -> obrien, van den Berg -> vandenberg."""
    return fold(s).str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")


def slug(s: pl.Series, sep: str = "_") -> pl.Series:
    return fold(s).str.to_lowercase().str.replace_all(r"[^a-z0-9]+", sep).str.strip_chars(sep)


PERSON_CORE = [
    "person_id",
    "account_id",
    "acct_row",
    "first_name",
    "last_name",
    "work_email",
    "personal_email",
    "phone_cc",
    "phone_area",
    "phone_sub",
    "mobile_sub",
    "seniority",
    "function",
    "country",
    "city_idx",
    "tz_offset",
]


def take(
    p: pl.DataFrame, rows: np.ndarray, extra: list[str] | None = None, *, core: bool = True
) -> pl.DataFrame:
    """The selected persons with only the columns a builder needs (avoids copying the whole frame)."""
    cols = (PERSON_CORE if core else []) + [c for c in (extra or []) if not (core and c in PERSON_CORE)]
    return p.select(cols)[np.asarray(rows, dtype=np.int64)]


def choice(rng: np.random.Generator, n: int, p: list[float] | np.ndarray) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return rng.choice(p.size, size=n, p=p / p.sum())


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def recent_tail(
    rng: np.random.Generator,
    t: np.ndarray,
    clock: Clock,
    *,
    lo: np.ndarray | int | None = None,
    eligible: np.ndarray | None = None,
    frac: float = 0.01,
    min_n: int = 3,
    window: int = 20 * HOUR,
) -> np.ndarray:
    """Move a few values into the last hours before as_of (every real extract has fresh changes)."""
    t = np.asarray(t, dtype=np.int64).copy()
    pool = np.arange(t.size) if eligible is None else np.flatnonzero(eligible)
    if pool.size == 0:
        return t
    k = min(pool.size, max(min_n, int(frac * t.size)))
    pick = rng.choice(pool, size=k, replace=False)
    new = clock.end - rng.integers(0, window, size=k)
    if lo is not None:
        new = np.maximum(new, np.broadcast_to(np.asarray(lo, dtype=np.int64), t.shape)[pick])
    t[pick] = np.minimum(new, clock.end)
    return t


def early_times(
    rng: np.random.Generator, lo: np.ndarray, hi: int | np.ndarray, power: float = 1.6
) -> np.ndarray:
    """Times between lo and hi, skewed towards lo (engagement clusters after first touch)."""
    lo = np.asarray(lo, dtype=np.int64)
    span = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 0)
    return lo + (span * rng.random(lo.size) ** power).astype(np.int64)
