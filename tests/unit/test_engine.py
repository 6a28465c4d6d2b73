"""Engine facts from inspect documents, and a missing engine reported with a hint (real docker SDK)."""

from __future__ import annotations

import pytest

from authentik_lab.adapters.engine import Engine, info_of, state_of
from authentik_lab.core.readiness import ContainerState, EngineInfo
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
    # one sentence naming where docker looked, no Python exception repr
    assert err.message == f"cannot reach the Docker engine at unix://{tmp_path}/no-such-docker.sock"
    assert "start Docker" in (err.hint or "") and "DOCKER_HOST" in (err.hint or "")
    assert err.exit_code == ExitCode.COMPOSE


def test_state_of_keeps_the_engines_own_error() -> None:
    doc = _inspect("created")
    doc["State"]["Error"] = "driver failed programming external connectivity: Bind for 127.0.0.1:9000 failed: port is already allocated "
    state = state_of(doc)
    assert state.error == "driver failed programming external connectivity: Bind for 127.0.0.1:9000 failed: port is already allocated"
    assert state_of(_inspect("running")).error == ""


def test_info_of_docker_info() -> None:
    rootless = {
        "ServerVersion": "27.3.1",
        "SecurityOptions": ["name=seccomp,profile=builtin", "name=rootless", "name=cgroupns"],
        "OperatingSystem": "Ubuntu 24.04.1 LTS",
        "OSType": "linux",
        "Architecture": "aarch64",
    }
    assert info_of(rootless) == EngineInfo("27.3.1", True, "Ubuntu 24.04.1 LTS", "linux", "aarch64")
    rootful = {**rootless, "SecurityOptions": ["name=apparmor", "name=seccomp,profile=default"]}
    assert info_of(rootful).rootless is False
    assert info_of({}) == EngineInfo("?", False, "?", "?", "?")


def test_info_reads_the_client_and_maps_its_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://10.0.0.9:2375")
    class Client:
        def info(self) -> dict:
            return {"ServerVersion": "26.1.0", "SecurityOptions": ["name=rootless"], "OperatingSystem": "Fedora", "OSType": "linux", "Architecture": "x86_64"}

    assert Engine(client_factory=Client).info() == EngineInfo("26.1.0", True, "Fedora", "linux", "x86_64")

    class Down:
        def info(self) -> dict:
            import requests

            raise requests.exceptions.ConnectionError("connection refused")

    with pytest.raises(EngineError) as info:
        Engine(client_factory=Down).info()
    assert info.value.message == "cannot reach the Docker engine at tcp://10.0.0.9:2375"

    class Refuses:
        def info(self) -> dict:
            from docker.errors import APIError

            raise APIError("500 Server Error: engine is shutting down")

    with pytest.raises(EngineError) as info:
        Engine(client_factory=Refuses).info()
    assert info.value.message == "the Docker engine refused to read facts: 500 Server Error: engine is shutting down"
