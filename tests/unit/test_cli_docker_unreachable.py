"""With the Docker engine unreachable every command says the same thing, with the same hint and exit code (QA 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.errors import ExitCode

NOWHERE = "unix:///nonexistent.sock"
MESSAGE = f"error: cannot reach the Docker engine at {NOWHERE}\n"


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCKER_HOST", NOWHERE)
    result = CliRunner().invoke(cli, ["--dir", str(tmp_path / "lab"), "init", "--port", "19999"])
    assert result.exit_code == 0, result.output
    return tmp_path / "lab"


@pytest.mark.parametrize("args", [["up", "--no-apply"], ["status"], ["logs"], ["logs", "server"], ["down"], ["down", "--volumes", "--yes"]])
def test_each_command_reports_the_unreachable_engine_the_same_way(lab: Path, args: list[str]) -> None:
    result = CliRunner().invoke(cli, ["--dir", str(lab), *args])
    assert result.exit_code == ExitCode.COMPOSE
    lines = result.stderr.splitlines()
    assert lines[-2:][0] + "\n" == MESSAGE, result.stderr
    hint = lines[-1]
    assert hint.startswith("hint: start Docker") and "DOCKER_HOST" in hint and "rootless" in hint
    assert "Error while fetching" not in result.stderr and "FileNotFoundError" not in result.stderr
    assert result.stdout == ""


def test_json_carries_the_same_message(lab: Path) -> None:
    result = CliRunner().invoke(cli, ["--dir", str(lab), "status", "--json"])
    assert result.exit_code == ExitCode.COMPOSE
    error = json.loads(result.stdout)["error"]
    assert (error["type"], error["message"]) == ("EngineError", f"cannot reach the Docker engine at {NOWHERE}")


def test_doctor_engine_reports_the_same_message(lab: Path) -> None:
    result = CliRunner().invoke(cli, ["--dir", str(lab), "doctor", "engine", "--json"])
    assert result.exit_code == 1
    check = json.loads(result.stdout)["data"]["checks"][0]
    assert (check["id"], check["status"], check["summary"]) == ("engine.reachable", "fail", f"cannot reach the Docker engine at {NOWHERE}")
    assert check["messages"][0]["fix"].startswith("start Docker")
