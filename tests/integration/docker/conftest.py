"""Fixtures for tests against a real Docker engine and the locally built stand-in images.

    docker_engine   session: the engine answers; skips (printed reason) when it does not, but FAILS under
                    CI=true or AUTHLAB_REQUIRE_DOCKER=1 (tests/run.sh sets it after starting dockerd)
    standin_images  session: runs tests/docker/build_images.py (seconds when nothing changed)
    lab_dir         factory: lab_dir(name="lab") -> Lab with
                      .path        a fresh empty directory
                      .project     a unique compose project name (authlabt<pid>-<n>-<hex>)
                      .http_port / .https_port   free ports on 127.0.0.1 (for COMPOSE_PORT_HTTP/HTTPS)
                      .compose(*args, check=True)  `docker compose -p <project> ...` in .path, output captured
                      .env(**extra)  os.environ + COMPOSE_PROJECT_NAME + the two ports
                      .track(name)   also tear down a project named by the code under test
                    at teardown every tracked project gets `down -v --remove-orphans` (then, if compose
                    fails, removal through the engine by label), even when the test failed

Mark these tests with @pytest.mark.docker (tests in this folder also get it automatically).
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BUILD_SCRIPT = Path(__file__).resolve().parents[2] / "docker" / "build_images.py"
# Read at import: per-test fixtures may scrub CI from the environment later.
REQUIRE_DOCKER = os.environ.get("CI") == "true" or os.environ.get("AUTHLAB_REQUIRE_DOCKER") == "1"
PROJECT_PREFIX = "authlabt"
_counter = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "docker: needs a real Docker engine (started by tests/run.sh)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # So that `-m "not docker"` deselects this folder even where a module forgot the mark.
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.docker)


@dataclass(frozen=True)
class DockerEngine:
    """What the session found: the compose command to use (`docker compose`, or v1 `docker-compose`)."""

    compose: tuple[str, ...]
    server_version: str


@dataclass
class Lab:
    """A fresh directory and a compose project name nobody else uses."""

    path: Path
    project: str
    http_port: int
    https_port: int
    compose_cmd: tuple[str, ...]
    _projects: list[str] = field(repr=False, default_factory=list)

    def track(self, project: str) -> str:
        """Also take down `project` at teardown (for projects named by the code under test)."""
        if project not in self._projects:
            self._projects.append(project)
        return project

    def env(self, **extra: str) -> dict[str, str]:
        """os.environ plus COMPOSE_PROJECT_NAME and the lab's free host ports."""
        return {
            **os.environ,
            "COMPOSE_PROJECT_NAME": self.project,
            "COMPOSE_PORT_HTTP": str(self.http_port),
            "COMPOSE_PORT_HTTPS": str(self.https_port),
            **extra,
        }

    def compose(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`docker compose -p <project> <args>` run in the lab directory, output captured."""
        proc = subprocess.run(
            [*self.compose_cmd, "-p", self.project, *args],
            cwd=self.path,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"compose {' '.join(args)} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
            )
        return proc


def _run(argv: Sequence[str], timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)


def _unavailable(reason: str) -> None:
    if REQUIRE_DOCKER:
        pytest.fail(f"Docker is required here (CI=true or AUTHLAB_REQUIRE_DOCKER=1) but {reason}", pytrace=False)
    print(f"\nskipping Docker tests: {reason}", file=sys.stderr)
    pytest.skip(f"Docker unavailable: {reason}")


@pytest.fixture(scope="session")
def docker_engine() -> DockerEngine:
    if shutil.which("docker") is None:
        _unavailable("the `docker` command is not installed (run `bash tests/run.sh` as root)")
    try:
        info = _run(["docker", "info", "--format", "{{.ServerVersion}}"])
    except subprocess.TimeoutExpired:
        _unavailable("`docker info` did not answer within 30 s")
    if info.returncode != 0 or not info.stdout.strip():
        last = ((info.stderr or info.stdout).strip().splitlines() or ["no output"])[-1]
        _unavailable(f"`docker info` failed: {last}")
    if _run(["docker", "compose", "version"]).returncode == 0:
        compose: tuple[str, ...] = ("docker", "compose")
    elif shutil.which("docker-compose") and _run(["docker-compose", "version"]).returncode == 0:
        compose = ("docker-compose",)
    else:
        _unavailable("neither `docker compose` (v2) nor `docker-compose` works")
    return DockerEngine(compose=compose, server_version=info.stdout.strip())


@pytest.fixture(scope="session")
def standin_images(docker_engine: DockerEngine) -> list[str]:
    """Builds or reuses the stand-in images; returns the image references they are tagged with."""
    proc = subprocess.run([sys.executable, str(BUILD_SCRIPT)], capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        pytest.fail(f"building the stand-in images failed:\n{proc.stderr}{proc.stdout}", pytrace=False)
    listed = _run([sys.executable, str(BUILD_SCRIPT), "--list"])
    return listed.stdout.split()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _down(compose_cmd: Sequence[str], project: str, neutral_dir: Path, lab_path: Path) -> str | None:
    """Remove a project's containers, networks and volumes; returns an error text or None."""
    # v2 with -p alone finds the project by its labels and does not parse a compose file (a failed
    # test may have left a broken one), so run it from an empty directory. v1 needs the file.
    cwd = lab_path if compose_cmd == ("docker-compose",) else neutral_dir
    argv = [*compose_cmd, "-p", project, "down", "-v", "--remove-orphans", "--timeout", "3"]
    try:
        proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120)
        if proc.returncode == 0:
            return None
        error = f"{' '.join(argv)}: {proc.stderr.strip()}"
    except subprocess.TimeoutExpired:
        error = f"{' '.join(argv)}: timed out"
    # Fall back to the engine: whatever carries the project's label goes.
    label = f"label=com.docker.compose.project={project}"
    for kind, rm in (("container", ["rm", "-f", "-v"]), ("network", ["rm"]), ("volume", ["rm", "-f"])):
        ids = _run(["docker", kind, "ls", "-q", "--filter", label] + (["-a"] if kind == "container" else [])).stdout.split()
        if ids:
            _run(["docker", kind, *rm, *ids], timeout=120)
    left = _run(["docker", "container", "ls", "-aq", "--filter", label]).stdout.split()
    print(f"\nteardown: {error}; removed the project through the engine instead", file=sys.stderr)
    return f"{error}; containers left: {left}" if left else None


@pytest.fixture
def lab_dir(
    tmp_path_factory: pytest.TempPathFactory, docker_engine: DockerEngine, standin_images: list[str]
) -> Iterator[Callable[..., Lab]]:
    """Factory: `lab = lab_dir()` gives a fresh directory and a unique compose project name."""
    labs: list[Lab] = []

    def make(name: str = "lab") -> Lab:
        project = f"{PROJECT_PREFIX}{os.getpid()}-{next(_counter)}-{secrets.token_hex(2)}"
        lab = Lab(
            path=tmp_path_factory.mktemp(name),
            project=project,
            http_port=_free_port(),
            https_port=_free_port(),
            compose_cmd=docker_engine.compose,
        )
        lab.track(project)
        labs.append(lab)
        return lab

    yield make

    neutral = tmp_path_factory.mktemp("compose-down")
    errors = [
        err for lab in labs for project in lab._projects if (err := _down(lab.compose_cmd, project, neutral, lab.path))
    ]
    if errors:
        pytest.fail("teardown: " + "\n".join(errors), pytrace=False)
