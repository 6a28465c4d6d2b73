"""Rootless engines through the CLI (issue 9, section 2): `doctor` and `compose patch --fix-permissions` with a fake
engine handed in through the App, as the engine adapter would describe rootless Docker or Podman."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from authentik_lab.app import App
from authentik_lab.cli.main import cli
from tests.conftest import write_tree

IMAGE = "ghcr.io/goauthentik/server:2026.5.6"
COMPOSE = f"""
services:
  server:
    image: {IMAGE}
    command: server
    env_file: .env
    environment:
      AUTHENTIK_POSTGRESQL__HOST: postgresql
    volumes:
    - ./data:/data
  worker:
    image: {IMAGE}
    command: worker
    env_file: .env
    environment:
      AUTHENTIK_POSTGRESQL__HOST: postgresql
    volumes:
    - ./data:/data
"""


def engine(rootless: bool, flavour: str = "docker") -> type:
    class Engine:
        def require(self) -> None:
            pass

        def info(self):  # noqa: ANN202
            from authentik_lab.core.readiness import EngineInfo

            return EngineInfo("5.2.2" if flavour == "podman" else "27.3.1", rootless, "Fedora", "linux", "x86_64", flavour)

        def containers(self, project: str) -> list:
            return []

        def logs(self, project: str, service: str, tail: int = 60, since: float | None = None) -> list[str]:
            return []

    return Engine


class Unreachable:
    def require(self) -> None:
        from authentik_lab.errors import EngineError

        raise EngineError("cannot reach the Docker engine at unix:///run/user/1000/podman/podman.sock")

    def containers(self, project: str) -> list:
        raise AssertionError("not asked when unreachable")


@pytest.fixture(autouse=True)
def _clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DOCKER_HOST", raising=False)


def project(tmp_path: Path) -> Path:
    write_tree(tmp_path / "p", {"docker-compose.yml": COMPOSE, ".env": "PG_PASS=pw\nAUTHENTIK_SECRET_KEY=" + "k" * 60 + "\n"})
    data = tmp_path / "p" / "data"
    data.mkdir()
    os.chmod(data, 0o755)
    if os.geteuid() == 0:
        os.chown(data, 1000, 1000)  # what `sudo chown 1000:1000` would have done
    return tmp_path / "p" / "docker-compose.yml"


def bind_check(compose: Path, eng: type) -> dict:
    result = CliRunner().invoke(cli, ["doctor", "--compose", str(compose), "compose.bind-mount-owner", "engine", "--json"],
                                obj=App(engine_factory=eng))
    return {c["id"]: c for c in json.loads(result.stdout)["data"]["checks"]}


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the folder to host uid 1000")
def test_rootless_docker_host_uid_1000_is_not_the_containers_and_the_fix_runs_chown_in_a_container(tmp_path: Path) -> None:
    compose = project(tmp_path)
    data = tmp_path / "p" / "data"
    rootful = bind_check(compose, engine(False))["compose.bind-mount-owner"]
    assert rootful["status"] == "ok"  # host uid 1000 is the container's uid 1000 on a rootful engine
    found = bind_check(compose, engine(True))
    assert found["engine.reachable"]["summary"] == "Docker 27.3.1 (rootless)"
    check = found["compose.bind-mount-owner"]
    assert check["status"] == "fail"
    assert check["summary"].startswith(f"{data} (server:/data) is not writable by uid 1000 on this rootless Docker engine, where uid 1000 "
                                       "in the container is ")
    assert check["messages"][0]["fix"] == f"docker run --rm -u 0 -v {data}:/d --entrypoint chown {IMAGE} -R 1000:1000 /d"
    assert "sudo" not in json.dumps(check)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to hand the folder to host uid 1000")
def test_rootless_podman_gets_podman_unshare(tmp_path: Path) -> None:
    compose = project(tmp_path)
    found = bind_check(compose, engine(True, "podman"))
    assert found["engine.reachable"]["summary"] == "Podman 5.2.2 (rootless)"
    check = found["compose.bind-mount-owner"]
    assert (check["status"], check["messages"][0]["fix"]) == ("fail", f"podman unshare chown -R 1000:1000 {tmp_path / 'p' / 'data'}")


def test_docker_host_at_a_user_socket_tells_rootless_when_the_engine_cannot_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compose = project(tmp_path)
    monkeypatch.setenv("DOCKER_HOST", "unix:///run/user/1000/podman/podman.sock")
    os.chmod(tmp_path / "p" / "data", 0o700)
    check = bind_check(compose, Unreachable)["compose.bind-mount-owner"]
    assert check["status"] == "fail"
    assert check["messages"][0]["fix"] == f"podman unshare chown -R 1000:1000 {tmp_path / 'p' / 'data'}"


def test_compose_patch_fix_permissions_on_rootless_creates_prints_the_engine_command_and_never_chowns(tmp_path: Path) -> None:
    write_tree(tmp_path, {"docker-compose.yml": COMPOSE.replace("    command: worker\n", "    command: worker\n    user: root\n")})
    compose = tmp_path / "docker-compose.yml"
    result = CliRunner().invoke(cli, ["compose", "patch", str(compose), "--fix-permissions", "--json"], obj=App(engine_factory=engine(True, "podman")))
    doc = json.loads(result.stdout)["data"]
    data = str(tmp_path / "data")
    assert os.path.isdir(data) and os.stat(data).st_uid == os.geteuid()  # created, and not handed to host uid 1000
    assert doc["engine"] == "rootless Podman"
    assert doc["permissions_command"] == f"mkdir -p {data} && podman unshare chown -R 1000:1000 {data}"
    human = CliRunner().invoke(cli, ["compose", "patch", str(compose), "--fix-permissions"], obj=App(engine_factory=engine(True)))
    assert f"  run: mkdir -p {data} && docker run --rm -u 0 -v {data}:/d --entrypoint chown {IMAGE} -R 1000:1000 /d" in human.stderr.splitlines()
    assert "sudo chown -R" not in human.stderr


def test_compose_patch_without_worker_fails_instead_of_already_patched(tmp_path: Path) -> None:
    write_tree(tmp_path, {"docker-compose.yml": f"services:\n  postgresql:\n    image: postgres:16-alpine\n  server:\n    image: {IMAGE}\n    command: server\n"})
    result = CliRunner().invoke(cli, ["compose", "patch", str(tmp_path / "docker-compose.yml")], obj=App(engine_factory=engine(False)))
    assert result.exit_code == 1
    assert "already patched" not in result.stdout
    assert result.stderr.startswith("problem: no worker service: the default flows, scope mappings and certificate are never created")
