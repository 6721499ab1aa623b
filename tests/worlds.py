"""Small generated worlds taken through the batch stages, for the stage tests (real Delta tables)."""

from __future__ import annotations

from pathlib import Path

from contracts.registry import BRONZE_CONTRACTS
from handoff.world import generate_world
from pipelines.graph.stage import run_graph_stage
from pipelines.identity.stage import run_identity_stage
from pipelines.ingest.bronze import ingest_bronze_all
from pipelines.storage.delta import DeltaStore


def world_lakehouse(root: Path, *, persons: int, seed: int, through: str = "graph") -> DeltaStore:
    """Generate a world under ``root`` (landing/, truth/) and build ``root/lake`` through ``through``:
    ``"bronze"``, ``"identity"`` or ``"graph"``."""
    generate_world(root, persons=persons, seed=seed)
    lake = DeltaStore(str(root / "lake"))
    ingest_bronze_all(BRONZE_CONTRACTS, store=lake, landing_root=root / "landing", run_id="t")
    if through in ("identity", "graph"):
        run_identity_stage(lake, run_id="t", threads=2)
    if through == "graph":
        run_graph_stage(lake)
    return lake
