"""A generated world with injected bad rows and drift, through ingest: nothing lost, everything explained."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from contracts.registry import BRONZE_CONTRACTS
from handoff.world import generate_world
from pipelines.ingest.bronze import MANIFEST, QUARANTINE, ingest_bronze
from pipelines.storage.delta import DeltaStore

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DeltaStore]:
    root = tmp_path_factory.mktemp("world")
    generate_world(root, persons=2_000, seed=11, bad_row_rate=0.01, drift=True)
    store = DeltaStore(str(root / "lakehouse"))
    for c in BRONZE_CONTRACTS:
        ingest_bronze(c, store=store, landing_root=root / "landing", run_id="run-1",
                      now=dt.datetime.now(dt.UTC))
    return root, store


def test_raw_rows_equal_bronze_plus_quarantine_per_file(world: tuple[Path, DeltaStore]) -> None:
    root, store = world
    landed = {p.relative_to(root / "landing").as_posix() for p in (root / "landing").rglob("*")
              if p.is_file() and p.suffix in {".csv", ".jsonl"}}
    bronze = pl.concat([store.read(f"bronze.{c.table}", columns=["source_file"]) for c in BRONZE_CONTRACTS])
    per_file = (
        store.read(MANIFEST).select("source_file", "rows_raw")
        .join(bronze.group_by("source_file").len("bronze"), on="source_file", how="left")
        .join(store.read(QUARANTINE, columns=["source_file"]).group_by("source_file").len("quarantined"),
              on="source_file", how="left")
        .fill_null(0)
    )
    assert set(per_file["source_file"]) == landed
    # Count raw records independently of the pipeline: data rows of each CSV, non-blank lines of each JSONL.
    for rel, rows_raw in zip(per_file["source_file"], per_file["rows_raw"], strict=True):
        path = root / "landing" / rel
        if path.suffix == ".jsonl":
            expected = sum(1 for line in path.read_text().splitlines() if line.strip())
        else:
            expected = pl.read_csv(path, infer_schema=False).height
        assert rows_raw == expected, rel
    assert (per_file["rows_raw"] == per_file["bronze"] + per_file["quarantined"]).all()


def test_every_injected_bad_row_is_quarantined_with_its_reason(world: tuple[Path, DeltaStore]) -> None:
    root, store = world
    truth = pl.read_parquet(root / "truth" / "bad_rows.parquet")
    assert truth.height > 50
    quarantine = store.read(QUARANTINE, columns=["source_file", "source_row", "reason"])
    joined = truth.join(quarantine, left_on=["file", "row"], right_on=["source_file", "source_row"], how="left")
    assert joined.filter(pl.col("reason").is_null()).height == 0
    assert (joined["reason"] == joined["kind"]).all(), joined.filter(pl.col("reason") != pl.col("kind"))


def test_drifted_and_broken_files_are_reported(world: tuple[Path, DeltaStore]) -> None:
    root, store = world
    manifest = store.read(MANIFEST)
    rejected = pl.read_parquet(root / "truth" / "rejected_files.parquet")
    got = manifest.filter(pl.col("status") == "rejected")
    assert set(got["source_file"]) == set(rejected["file"])
    assert got["message"].str.contains("missing required column").all()
    drifted = manifest.filter(pl.col("extra_columns").list.len() > 0)
    assert "Lead_Score__c" in drifted.explode("extra_columns")["extra_columns"].to_list()
    # No good row is lost: rows quarantined = injected bad rows + rows of rejected files.
    q = store.read(QUARANTINE)
    truth = pl.read_parquet(root / "truth" / "bad_rows.parquet")
    assert q.height == truth.height + got["rows_raw"].sum()


def test_main_command_on_a_fresh_home(tmp_path: Path) -> None:
    """`handoff run` (what `make run` calls) on an empty landing zone: world, job, summary, on a real instance."""
    env = {**os.environ, "HANDOFF_HOME": str(tmp_path), "DAGSTER_DISABLE_TELEMETRY": "1"}
    cmd = [str(Path(sys.executable).with_name("handoff")), "run", "--persons", "1000"]
    out = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    text = out.stdout
    assert "bronze.salesforce_lead" in text and "quarantine.records" in text and "audit.lineage" in text
    assert "missing_required_column" in text and "duplicate_key" in text
    assert "raw rows = bronze + quarantined per file: yes" in text
    assert (tmp_path / "var" / "catalog.duckdb").exists()
    assert any((tmp_path / "var" / "dagster" / "storage").iterdir())  # the run is in the instance's history
