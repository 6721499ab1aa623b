"""Command-line errors say what is missing and what to run, with a non-zero exit code."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from handoff.cli import app


@pytest.mark.parametrize(("command", "expected"), [
    (["evaluate", "identity"], "run `handoff run` first"),
    (["evaluate", "scoring"], "run `handoff run` first"),
])
def test_evaluation_on_an_empty_home_explains_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     command: list[str], expected: str) -> None:
    monkeypatch.setenv("HANDOFF_HOME", str(tmp_path))
    result = CliRunner().invoke(app, command, env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert expected in result.output


def test_rollback_to_an_unknown_version_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_HOME", str(tmp_path))
    result = CliRunner().invoke(app, ["model", "rollback", "v0042"], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "v0042" in result.output
