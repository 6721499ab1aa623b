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


def test_rules_commands_list_activate_and_refuse_an_unknown_version(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules" / "routing"
    rules.mkdir(parents=True)
    (rules / "v0001.yaml").write_text("version: v0001\n")
    (rules / "v0002.yaml").write_text("version: v0002\ntiers: {hot: 0.8, warm: 0.5}\n")
    monkeypatch.setenv("HANDOFF_HOME", str(tmp_path))
    runner = CliRunner()
    listed = runner.invoke(app, ["rules", "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and "* v0002" in listed.output  # nothing activated: the newest is active
    moved = runner.invoke(app, ["rules", "activate", "v0001", "--reason", "rollback"], env={"COLUMNS": "200"})
    assert moved.exit_code == 0 and "active routing rules: v0001" in moved.output
    assert "* v0001" in runner.invoke(app, ["rules", "list"], env={"COLUMNS": "200"}).output
    missing = runner.invoke(app, ["rules", "activate", "v0009"], env={"COLUMNS": "200"})
    assert missing.exit_code == 2 and "no rules version v0009" in missing.output
