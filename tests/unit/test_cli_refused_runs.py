"""A refused `up` or `ci` leaves nothing behind: the engine, the ports and the lab file are checked before the lab
folder is written (issue 11.4). The engine is the real adapter pointed at a socket that does not exist, or a fake
that answers (so the port check is reached); the busy port is a real socket bound by the test."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Iterator

import pytest
from typer.testing import CliRunner

from authentik_lab.app import App
from authentik_lab.cli.main import cli
from authentik_lab.errors import ExitCode

NOWHERE = "unix:///nonexistent.sock"


class NoCompose:
    """Compose must never run in these tests: every run is refused before it."""

    def __init__(self, **kw: object) -> None:
        raise AssertionError("docker compose was about to run")


class IdleEngine:
    """An engine that answers and runs nothing (so `up` reaches its port check)."""

    def require(self) -> None:
        pass

    def containers(self, project: str) -> list:
        return []


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port this test holds; below 65535 - 443, so the derived HTTPS port (--port + 443) is still a port."""
    import random

    for port in random.sample(range(20000, 40000), 50):
        with socket.socket() as holder:
            try:
                holder.bind(("127.0.0.1", port))
            except OSError:
                continue
            holder.listen()
            yield port
            return
    pytest.fail("no free port to hold between 20000 and 40000")


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _invoke(cwd: Path, *args: str, engine: type | None = IdleEngine):  # noqa: ANN202
    obj = App(compose_factory=NoCompose, engine_factory=engine)
    import os

    before = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), obj=obj)
    finally:
        os.chdir(before)


def test_up_without_an_engine_creates_no_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", NOWHERE)
    result = _invoke(tmp_path, "--dir", str(tmp_path / "lab"), "up", engine=None)  # the real engine adapter
    assert result.exit_code == ExitCode.COMPOSE, result.output
    assert result.stderr.splitlines()[0] == f"error: cannot reach the Docker engine at {NOWHERE}"
    assert not (tmp_path / "lab").exists()
    assert _tree(tmp_path) == []


def test_up_on_a_busy_port_creates_no_lab(tmp_path: Path, busy_port: int) -> None:
    result = _invoke(tmp_path, "--dir", str(tmp_path / "lab"), "up", "--port", str(busy_port))
    assert result.exit_code == ExitCode.USAGE, result.output
    assert result.stderr.startswith(f"error: port {busy_port} on 127.0.0.1 is already in use by another process")
    assert not (tmp_path / "lab").exists()


def test_up_with_a_busy_new_port_leaves_the_existing_lab_as_it_was(tmp_path: Path, busy_port: int) -> None:
    lab = tmp_path / "lab"
    assert CliRunner().invoke(cli, ["--dir", str(lab), "init"]).exit_code == 0
    before = {p: p.read_bytes() for p in lab.iterdir()}
    result = _invoke(tmp_path, "--dir", str(lab), "up", "--port", str(busy_port))
    assert result.exit_code == ExitCode.USAGE, result.output
    # no port change written, no compose backup (the lab's lock file, empty, is the lock `up` held: issue 14)
    assert {p: p.read_bytes() for p in lab.iterdir() if p.name != ".authlab.lock"} == before


def test_up_with_a_bad_option_creates_no_lab(tmp_path: Path) -> None:
    result = _invoke(tmp_path, "--dir", str(tmp_path / "lab"), "up", "--port", "80000")
    assert result.exit_code == ExitCode.USAGE
    # the hint names the command the user ran, not `init`
    assert result.stderr == "error: --port must be between 1 and 65535, got 80000\nhint: see `authlab up --help` for the accepted values\n"
    assert not (tmp_path / "lab").exists()


def test_ci_on_a_busy_port_creates_no_lab_and_no_env_file(tmp_path: Path, busy_port: int) -> None:
    (tmp_path / "authlab.yaml").write_text(f"port: {busy_port}\nproviders:\n  - {{name: web, preset: nextauth}}\n")
    result = _invoke(tmp_path, "--dir", str(tmp_path / "lab"), "ci", "--env-out", str(tmp_path / "out.env"))
    assert result.exit_code == ExitCode.USAGE, result.output
    error = json.loads(result.stdout)["error"]
    assert error["message"].startswith(f"port {busy_port} on 127.0.0.1 is already in use")
    assert _tree(tmp_path) == ["authlab.yaml"]


def test_ci_without_an_engine_creates_no_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", NOWHERE)
    (tmp_path / "authlab.yaml").write_text("providers:\n  - {name: web, preset: nextauth}\n")
    result = _invoke(tmp_path, "--dir", str(tmp_path / "lab"), "ci", engine=None)
    assert result.exit_code == ExitCode.NOT_READY, result.output  # ci: the lab never came up
    assert json.loads(result.stdout)["error"]["message"] == f"Authentik did not start: cannot reach the Docker engine at {NOWHERE}"
    assert _tree(tmp_path) == ["authlab.yaml"]
