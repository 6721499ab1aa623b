"""Shared fixtures: real Delta tables and DuckDB files in temporary folders, nothing mocked."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")

FIXTURES = Path(__file__).parent / "fixtures" / "vendor"


@pytest.fixture
def vendor_landing(tmp_path: Path) -> Path:
    """A landing zone holding a copy of the hand-written vendor files."""
    landing = tmp_path / "landing"
    shutil.copytree(FIXTURES, landing, ignore=shutil.ignore_patterns("*.yaml"))
    return landing
