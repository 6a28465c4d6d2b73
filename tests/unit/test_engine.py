"""Engine facts from inspect documents, and a missing engine reported with a hint (real docker SDK)."""

from __future__ import annotations

import pytest

from authentik_lab.adapters.engine import Engine, state_of
from authentik_lab.core.readiness import ContainerState
from authentik_lab.errors import EngineError, ExitCode


def _inspect(status: str, *, health: str | None = None, exit_code: int = 0, restarts: int = 0) -> dict:
    state: dict = {"Status": status, "Running": status == "running", "ExitCode": exit_code}
    if health:
        state["Health"] = {"Status": health, "FailingStreak": 0, "Log": []}
    return {
        "Name": "/authlab-x-worker-1",
        "RestartCount": restarts,
        "State": state,
        "Config": {"Labels": {"com.docker.compose.project": "authlab-x", "com.docker.compose.service": "worker"}},
    }


def test_state_of_an_inspect_document() -> None:
    assert state_of(_inspect("running", health="healthy", restarts=2)) == ContainerState("worker", "authlab-x-worker-1", "running", "healthy", None, 2)
    assert state_of(_inspect("exited", exit_code=1)) == ContainerState("worker", "authlab-x-worker-1", "exited", None, 1, 0)
    # the sparse list form carries only a status word and top-level labels
    sparse = {"Name": "/c", "State": "restarting", "Labels": {"com.docker.compose.service": "server"}}
    assert state_of(sparse) == ContainerState("server", "c", "restarting", None, None, 0)


def test_an_unreachable_engine_is_an_engine_error_with_a_hint(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # noqa: ANN001
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such-docker.sock")
    engine = Engine()
    assert engine.reachable() is False
    with pytest.raises(EngineError) as info:
        engine.containers("authlab-x")
    err = info.value
    assert err.message.startswith("cannot connect to the Docker engine: ")
    assert "start the Docker engine" in (err.hint or "")
    assert err.exit_code == ExitCode.COMPOSE
