"""A Docker engine that disappears in the middle of `up` is reported exactly like one that was never there: the
same message and hint, exit 6 (the engine adapter maps the SDK's connection errors once, wherever they happen)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from authentik_lab.adapters.engine import Engine
from authentik_lab.app import App
from authentik_lab.cli.main import cli
from authentik_lab.errors import ExitCode

NOWHERE = "unix:///nonexistent.sock"


class FadingClient:
    """The docker SDK client as seen by the adapter: it answers until `docker compose up -d` has run, then the daemon
    is gone (every call fails the way the SDK fails on a vanished socket)."""

    def __init__(self, state: dict) -> None:
        self.state = state
        self.containers = self.volumes = self.images = self

    def _call(self) -> None:
        if self.state.get("gone"):
            raise requests.exceptions.ConnectionError("('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))")

    def ping(self) -> bool:
        self._call()
        return True

    def list(self, all: bool = False, filters: dict | None = None) -> list:  # noqa: A002 - containers.list
        self._call()
        return []

    def get(self, name: str) -> object:  # volumes.get / images.get: nothing there yet
        from docker.errors import NotFound

        self._call()
        raise NotFound(f"no such object: {name}")

    def close(self) -> None:
        pass


def compose_that_loses_the_engine(state: dict):  # noqa: ANN201
    class Compose:
        def __init__(self, **kw: object) -> None:
            pass

        def up(self, timeout: float | None = None) -> None:
            state["gone"] = True  # the containers were started, then the engine went away

    return Compose


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DOCKER_HOST", NOWHERE)
    assert CliRunner().invoke(cli, ["--dir", str(tmp_path / "lab"), "init", "--port", "19998"]).exit_code == 0
    return tmp_path / "lab"


def test_an_engine_that_goes_away_mid_up_reads_like_a_missing_engine(lab: Path) -> None:
    missing = CliRunner().invoke(cli, ["--dir", str(lab), "up", "--no-apply"])  # the real adapter, no engine at all
    assert missing.exit_code == ExitCode.COMPOSE
    state: dict = {}
    fading = App(engine_factory=lambda: Engine(client_factory=lambda: FadingClient(state)), compose_factory=compose_that_loses_the_engine(state))
    gone = CliRunner().invoke(cli, ["--dir", str(lab), "up", "--no-apply"], obj=fading)
    assert state["gone"] is True  # it really went away in the middle, after compose up
    assert gone.exit_code == ExitCode.COMPOSE
    # the same two lines (after the progress line the started `up` had printed), and nothing else
    assert gone.stderr.splitlines()[-2:] == missing.stderr.splitlines() == gone.stderr.splitlines()[1:]
    assert missing.stderr.startswith(f"error: cannot reach the Docker engine at {NOWHERE}\nhint: start Docker")
