"""Reads served from rows fetched once: the read side of :class:`~pipelines.storage.delta.DeltaStore` for a
stage that asks the same tables for overlapping keys many times.

Two uses, one rule. A micro-batch knows its scope (the persons it touched, their account colleagues, their
accounts) before features, routing and briefs read it: :meth:`ReadCache.prefetch` fetches each table's rows of
that scope in one parallel collect, and the stages' dozen later reads of subsets of it are filtered in memory.
The batch's brief chunks (``whole=True``) read each table whole once instead of once a chunk.

A read is answered from a fetched frame only when that frame holds every row it could match: the frame's
columns include the read's, and each column the read filters on was fetched for a superset of its values
(or the frame is the whole table). Anything else goes to the store. Fetched rows are a snapshot: use a cache
only over tables nobody writes while it lives.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import polars as pl

from .delta import DeltaStore

__all__ = ["ReadCache", "ReadRequest", "TableReader"]

ReadRequest = tuple[str, Sequence[str] | None, Mapping[str, Collection[str]] | None]
"""``(table, columns or None for all, where or None for the whole table)``, as :meth:`DeltaStore.read`
takes them."""


@dataclass
class _Fetched:
    frame: pl.DataFrame
    every_column: bool  # fetched with columns=None
    where: dict[str, frozenset[str]] | None  # None: the whole table

    def answers(self, columns: Iterable[str] | None, where: Mapping[str, Collection[str]] | None) -> bool:
        if not (self.every_column if columns is None else set(columns) <= set(self.frame.columns)):
            return False
        if self.where is None:
            return True
        return bool(where) and all(c in self.where and set(v) <= self.where[c] for c, v in where.items())


@dataclass
class ReadCache:
    """:meth:`read` and :meth:`table` of ``store``, answered from fetched frames where they hold the rows
    (module docstring); ``whole``: a read no frame answers fetches its table whole and keeps it.

    Examples
    --------
    >>> import tempfile
    >>> store = DeltaStore(tempfile.mkdtemp())
    >>> _ = store.append("silver.people", pl.DataFrame({"id": ["a", "b", "c"], "team": ["x", "x", "y"]}))
    >>> cache = ReadCache(store)
    >>> cache.prefetch([("silver.people", None, {"team": ["x"]})])
    >>> cache.read("silver.people", columns=["id"], where={"team": ["x"]})["id"].sort().to_list()
    ['a', 'b']
    >>> cache.served, cache.passed
    (1, 0)
    """

    store: DeltaStore
    whole: bool = False
    fetched: dict[str, list[_Fetched]] = field(default_factory=dict)
    served: int = 0  # reads answered in memory
    passed: int = 0  # reads that went to the store

    def table(self, table: str):  # the DeltaTable, as DeltaStore.table
        return self.store.table(table)

    def prefetch(self, requests: Iterable[ReadRequest]) -> None:
        """Fetch every request's rows in one ``pl.collect_all`` (the scans run in parallel). Requests for
        tables that do not exist yet are skipped: their reads go to the store and fail there as usual."""
        todo = [(t, c, w) for t, c, w in requests if self.store.table(t) is not None]
        frames = pl.collect_all([self.store.scan(t, columns=c, where=w) for t, c, w in todo])
        for (table, columns, where), frame in zip(todo, frames, strict=True):
            keys = None if where is None else {c: frozenset(v) for c, v in where.items()}
            self.fetched.setdefault(table, []).append(_Fetched(frame, columns is None, keys))

    def read(self, table: str, *, columns: Collection[str] | None = None,
             where: Mapping[str, Collection[str]] | None = None) -> pl.DataFrame:
        """As :meth:`DeltaStore.read` (latest version)."""
        hit = next((f for f in self.fetched.get(table, []) if f.answers(columns, where)), None)
        if hit is None and not self.whole:
            self.passed += 1
            return self.store.read(table, columns=columns, where=where)
        if hit is None:
            hit = _Fetched(self.store.read(table, columns=columns), columns is None, None)
            self.fetched.setdefault(table, []).append(hit)
        self.served += 1
        frame = hit.frame
        if where:
            wanted = (pl.col(c).is_in(pl.Series(list(v), dtype=frame.schema[c]).implode())
                      for c, v in where.items())
            frame = frame.filter(pl.any_horizontal(wanted))
        return frame.select(list(columns)) if columns is not None else frame


TableReader = DeltaStore | ReadCache
"""What the read-only stage functions take: the store, or a cache in front of it."""
