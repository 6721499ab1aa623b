"""Synthetic sample world for handoff: vendor-shaped landing files plus the ground truth behind them.

from handoff.world import generate_world, WorldSummary
summary = generate_world(Path("/tmp/world"), persons=5_000, seed=7)
"""

from .generate import WorldSummary, generate_world

__all__ = ["WorldSummary", "generate_world"]
