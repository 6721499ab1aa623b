"""DeltaStore.merge: upserts by key, one commit, and none when nothing changed (small and large frames)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

import pipelines.storage.delta as delta_module
from pipelines.storage.delta import DeltaStore


def _rows(ids: list[str], value: int) -> pl.DataFrame:
    return pl.DataFrame({"source": ["crm"] * len(ids), "record_id": ids, "value": [value] * len(ids)})


@pytest.mark.parametrize("narrow_limit", [50_000, 0])  # the small-upsert path, and the MERGE path for everything
def test_merge_upserts_by_key_and_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                narrow_limit: int) -> None:
    monkeypatch.setattr(delta_module, "_NARROW_MERGE_ROWS", narrow_limit)
    store = DeltaStore(str(tmp_path))
    keys = ["source", "record_id"]
    assert store.merge("silver.example", _rows(["a", "b"], 1), keys=keys) == 0
    v_new = store.merge("silver.example", _rows(["c", "d"], 1), keys=keys)  # new keys only
    assert v_new == 1
    assert store.merge("silver.example", _rows(["c", "d"], 1), keys=keys) == v_new  # identical: no commit
    v_mixed = store.merge("silver.example", pl.concat([_rows(["a"], 2), _rows(["e"], 1)]), keys=keys)
    assert v_mixed == v_new + 1
    table = store.read("silver.example").sort("record_id")
    assert table["record_id"].to_list() == ["a", "b", "c", "d", "e"]
    assert table["value"].to_list() == [2, 1, 1, 1, 1]
    other_source = pl.DataFrame({"source": ["web"], "record_id": ["a"], "value": [9]})  # same id, other source
    store.merge("silver.example", other_source, keys=keys)
    table = store.read("silver.example")
    assert table.height == 6
    assert table.filter(pl.col("source") == "crm", pl.col("record_id") == "a")["value"].to_list() == [2]


def test_pinned_tables_are_checked_once_and_show_own_writes(tmp_path: Path) -> None:
    """Inside ``pinned`` a table is brought up to date at its first use only (a micro-batch run reads a dozen
    tables forty times); this store's own commits show at once, and outside the block every read is current."""
    import pyarrow as pa
    from deltalake import write_deltalake

    store = DeltaStore(str(tmp_path))
    store.append("audit.t", pl.DataFrame({"a": [1]}))
    assert store.read("audit.t").height == 1  # opened (and cached) before the block
    write_deltalake(store.uri("audit.t"), pa.table({"a": [2]}), mode="append")  # another writer
    with store.pinned() as written:
        assert store.read("audit.t").height == 2  # first use in the block: up to date
        write_deltalake(store.uri("audit.t"), pa.table({"a": [3]}), mode="append")
        assert store.read("audit.t").height == 2  # pinned: the log is not listed again
        store.append("audit.t", pl.DataFrame({"a": [4]}))  # its own write shows, with what came before
        assert sorted(store.read("audit.t")["a"].to_list()) == [1, 2, 3, 4]
        assert written == {"audit.t"}  # what the block committed to (the other writer's commits are not its)
    write_deltalake(store.uri("audit.t"), pa.table({"a": [5]}), mode="append")
    assert store.read("audit.t").height == 5


def test_merge_of_keys_known_to_be_new_appends_without_reading(tmp_path: Path, monkeypatch) -> None:
    store = DeltaStore(str(tmp_path))
    store.merge("silver.t", pl.DataFrame({"k": ["a"], "v": [1]}), keys=["k"])
    reads: list[str] = []
    original = DeltaStore.read
    def counted(self: DeltaStore, table: str, **kw: object) -> pl.DataFrame:
        reads.append(table)
        return original(self, table, **kw)

    monkeypatch.setattr(DeltaStore, "read", counted)
    store.merge("silver.t", pl.DataFrame({"v": [2], "k": ["b"]}), keys=["k"], keys_are_new=True)  # any order
    assert reads == []
    store.merge("silver.t", pl.DataFrame({"k": ["b"], "v": [3]}), keys=["k"])  # without the promise: an upsert
    assert reads and store.read("silver.t").sort("k").rows() == [("a", 1), ("b", 3)]


def test_read_cache_answers_only_reads_its_rows_cover(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """ReadCache: a read of fetched columns for a subset of fetched keys is filtered in memory; other keys,
    other columns or no filter go to the store; ``whole`` reads a table once and answers everything."""
    from pipelines.storage.reads import ReadCache

    store = DeltaStore(str(tmp_path))
    store.append("silver.people", pl.DataFrame({"id": ["a", "b", "c", "d"], "team": ["x", "x", "y", None],
                                                "age": [1, 2, 3, 4]}))
    cache = ReadCache(store)
    cache.prefetch([("silver.people", ["id", "team"], {"id": ["a", "c"], "team": ["x"]}),
                    ("silver.nothing_yet", None, {"id": ["a"]})])  # not a table yet: skipped
    scans: list[str] = []
    real_scan = DeltaStore.scan
    monkeypatch.setattr(DeltaStore, "scan", lambda self, t, **k: scans.append(t) or real_scan(self, t, **k))

    def ids(**kwargs) -> list[str]:
        return sorted(cache.read("silver.people", **kwargs)["id"].to_list())

    assert ids(columns=["id"], where={"id": ["c"]}) == ["c"]
    assert ids(columns=["id", "team"], where={"team": ["x"], "id": ["a"]}) == ["a", "b"]
    assert (cache.served, scans) == (2, [])
    assert ids(columns=["id"], where={"id": ["a", "d"]}) == ["a", "d"]  # d was not fetched
    assert ids(columns=["id", "age"], where={"id": ["a"]}) == ["a"]  # age was not fetched
    assert ids(columns=["id"]) == ["a", "b", "c", "d"]  # no filter: the whole table
    assert (cache.served, cache.passed, scans) == (2, 3, ["silver.people"] * 3)
    whole = ReadCache(store, whole=True)
    assert sorted(whole.read("silver.people", where={"team": ["y"]})["id"]) == ["c"]
    assert sorted(whole.read("silver.people", columns=["age"], where={"id": ["d", "a"]})["age"]) == [1, 4]
    assert (whole.served, whole.passed, scans) == (2, 0, ["silver.people"] * 4)


def test_a_small_upsert_by_one_key_replaces_just_its_rows_in_one_commit(tmp_path: Path) -> None:
    """Few changed keys of a one-key table: updated and new rows land in one commit, other rows as they were,
    a key with a quote in it too; the same upsert again commits nothing."""
    store = DeltaStore(str(tmp_path))
    ids = [f"p{i:04d}" for i in range(3000)] + ["o'brien"]
    base = pl.DataFrame({"person_id": ids, "score": [float(i) for i in range(len(ids))],
                         "tier": ["warm"] * len(ids)})
    store.merge("gold.scores", base, keys=["person_id"])
    before = store.version("gold.scores")
    upsert = pl.DataFrame({"person_id": ["p0007", "o'brien", "p9999", "p0008"],
                           "score": [0.5, 0.25, 0.75, 8.0],
                           "tier": ["hot", "hot", "hot", "warm"]})  # p0008 unchanged
    after = store.merge("gold.scores", upsert, keys=["person_id"])
    assert after == before + 1
    got = store.read("gold.scores")
    expected = pl.concat([base.filter(~pl.col("person_id").is_in(["p0007", "o'brien"])),
                          upsert.filter(pl.col("person_id") != "p0008")])
    assert got.sort("person_id").equals(expected.sort("person_id"))
    assert store.merge("gold.scores", upsert, keys=["person_id"]) == after


def test_a_small_upsert_repeating_a_key_is_refused_not_duplicated(tmp_path: Path) -> None:
    """Two rows for one key cannot both be the key's row: the upsert fails (MERGE's own check) and the table
    keeps its rows, rather than holding the key twice."""
    from deltalake.exceptions import DeltaError

    store = DeltaStore(str(tmp_path))
    store.merge("gold.scores", pl.DataFrame({"person_id": ["a", "b"], "score": [1.0, 2.0]}), keys=["person_id"])
    twice = pl.DataFrame({"person_id": ["a", "a"], "score": [3.0, 4.0]})
    with pytest.raises(DeltaError, match="multiple source rows"):
        store.merge("gold.scores", twice, keys=["person_id"])
    assert store.read("gold.scores").sort("person_id")["score"].to_list() == [1.0, 2.0]
