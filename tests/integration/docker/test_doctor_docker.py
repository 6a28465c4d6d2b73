"""`authlab doctor`'s runtime checks against real containers (the stand-in images, a real engine).

Each test brings a compose project into one known failure and asserts that doctor names it:
the worker's chown crash loop, PG_PASS changed after the database volume was created, a busy port.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Iterator

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from tests.conftest import write_tree

pytestmark = pytest.mark.docker

TOKEN = "doctor-docker-test-token-0123456789abcdef"


def compose_text(project: str, port: int, worker_extra: str = "", worker_volume: str = "data:/media") -> str:
    """The official layout (2026.5.6) minus the traps, plus what a test adds to the worker.

    The storage volume sits at /media, not /data: the image's /data/media is a symlink, and two containers
    creating a fresh volume at /data at once fail on copying it ("failed to create symlink ... file exists",
    seen on this suite's engine)."""
    common = """
    env_file: [.env]
    environment:
      AUTHENTIK_SECRET_KEY: ${AUTHENTIK_SECRET_KEY:?secret key required}
      AUTHENTIK_POSTGRESQL__HOST: postgresql
      AUTHENTIK_POSTGRESQL__USER: authentik
      AUTHENTIK_POSTGRESQL__NAME: authentik
      AUTHENTIK_POSTGRESQL__PASSWORD: ${PG_PASS}
    depends_on:
      postgresql:
        condition: service_healthy"""
    return f"""
name: {project}
services:
  postgresql:
    image: docker.io/library/postgres:16-alpine
    restart: unless-stopped
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -d $${{POSTGRES_DB}} -U $${{POSTGRES_USER}}"]
      interval: 1s
      retries: 30
    environment:
      POSTGRES_PASSWORD: ${{PG_PASS:?database password required}}
      POSTGRES_USER: authentik
      POSTGRES_DB: authentik
    volumes: [database:/var/lib/postgresql/data]
  server:
    image: ghcr.io/goauthentik/server:2026.5.6
    restart: unless-stopped
    command: server
    ports: ["127.0.0.1:{port}:9000"]
    volumes: [data:/media]{common}
  worker:
    image: ghcr.io/goauthentik/server:2026.5.6
    restart: unless-stopped
    command: worker
    volumes: [{worker_volume}]{worker_extra}{common}
volumes:
  database: {{}}
  data: {{}}
"""


def env_text(pg_pass: str = "first-password") -> str:
    return (f"PG_PASS={pg_pass}\nAUTHENTIK_SECRET_KEY={'s' * 60}\n"
            f"AUTHENTIK_BOOTSTRAP_TOKEN={TOKEN}\nAUTHENTIK_BOOTSTRAP_PASSWORD=pw-for-tests\n")


def doctor(compose: Path, *ids: str) -> dict[str, dict]:
    result = CliRunner().invoke(cli, ["doctor", "--compose", str(compose), *ids, "--json"])
    doc = json.loads(result.stdout)
    return {c["id"]: c for c in doc["data"]["checks"]}


def wait_for(predicate: Callable[[], bool], timeout: float = 90.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _make(lab, **kw) -> Path:  # noqa: ANN001 - the conftest's Lab
    write_tree(lab.path, {"compose.yml": compose_text(lab.project, lab.http_port, **kw), ".env": env_text()})
    (lab.path / ".env").chmod(0o600)
    return lab.path / "compose.yml"


def test_a_healthy_project_passes_the_runtime_and_http_checks(lab_dir) -> None:  # noqa: ANN001
    lab = lab_dir()
    compose = _make(lab)
    lab.compose("up", "-d")
    wait_for(lambda: doctor(compose, "http.live")["http.live"]["status"] == "ok", what="the server to answer")
    # a first start: the worker creates the bootstrap token after the server is ready (real-boot-2026.2.2), and
    # until its flows exist doctor says so instead of blaming the token
    early = doctor(compose, "http.token")["http.token"]
    assert early["status"] in ("ok", "warn"), early
    if early["status"] == "warn":
        assert early["summary"].startswith("the bootstrap token is not accepted yet: "), early
        assert "worker" in early["summary"], early
    wait_for(lambda: doctor(compose, "http.token")["http.token"]["status"] == "ok", what="the worker's bootstrap token")
    found = doctor(compose, "runtime", "http.live", "http.token")
    assert {k: v["status"] for k, v in found.items()} == {
        "runtime.containers": "ok", "runtime.logs": "ok", "runtime.worker": "ok", "runtime.ports": "ok",
        "http.live": "ok", "http.token": "ok"}, found
    lab.compose("stop", "worker")
    worker = doctor(compose, "runtime.worker")["runtime.worker"]
    assert worker["status"] == "fail" and worker["summary"].startswith("the worker is exited (exit code "), worker


def test_the_chown_crash_loop_is_named(lab_dir) -> None:  # noqa: ANN001
    lab = lab_dir()
    # root without CAP_CHOWN behaves like rootless Docker / NFS: the worker's chown of /data fails
    compose = _make(lab, worker_extra="\n    user: root\n    cap_drop: [CHOWN]")
    lab.compose("up", "-d")

    def crashed() -> bool:
        return doctor(compose, "runtime.logs")["runtime.logs"]["status"] == "fail"

    wait_for(crashed, what="the worker's chown to fail")
    found = doctor(compose, "runtime.logs", "runtime.worker", "compose.worker-root")
    assert found["runtime.logs"]["summary"].startswith("worker: the worker runs as root (`user: root`) to chown /data")
    assert any(line.startswith("worker| chown: changing ownership of") for line in found["runtime.logs"]["evidence"])
    assert found["compose.worker-root"]["status"] == "warn"


def test_a_changed_pg_pass_on_an_existing_volume_is_named(lab_dir) -> None:  # noqa: ANN001
    lab = lab_dir()
    compose = _make(lab)
    lab.compose("up", "-d")
    wait_for(lambda: doctor(compose, "http.live")["http.live"]["status"] == "ok", what="the first start")
    (lab.path / ".env").write_text(env_text("a-new-password"))
    lab.compose("up", "-d")

    def diagnosed() -> bool:
        logs = doctor(compose, "runtime.logs")["runtime.logs"]
        return any(m["text"].startswith("server: PostgreSQL rejects the password") for m in logs["messages"])

    wait_for(diagnosed, what="the password failure in the server's logs")


class _NotAuthentik(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = b"<html>some other dev server</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def busy_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _NotAuthentik)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_a_busy_port_is_named(lab_dir, busy_port: int) -> None:  # noqa: ANN001
    lab = lab_dir()
    write_tree(lab.path, {"compose.yml": compose_text(lab.project, busy_port), ".env": env_text()})
    compose = lab.path / "compose.yml"
    up = lab.compose("up", "-d", check=False)
    assert up.returncode != 0
    found = doctor(compose, "runtime.containers", "runtime.ports", "runtime.logs")
    assert found["runtime.ports"]["status"] == "fail", found["runtime.ports"]
    assert found["runtime.ports"]["summary"].startswith(f"port {busy_port} answers, but not as Authentik")
    assert found["runtime.containers"]["status"] == "fail"
    assert found["runtime.logs"]["status"] == "fail", found["runtime.logs"]
    assert "another process already uses the port" in found["runtime.logs"]["summary"]



def test_a_running_project_is_judged_on_composes_effective_configuration(lab_dir) -> None:  # noqa: ANN001
    # issue 9: the compose checks read what `docker compose config` computes for the very project that runs
    lab = lab_dir()
    compose = _make(lab)
    lab.compose("up", "-d")
    wait_for(lambda: doctor(compose, "http.live")["http.live"]["status"] == "ok", what="the server to answer")
    result = CliRunner().invoke(cli, ["doctor", "--compose", str(compose), "compose", "runtime.worker", "--json"])
    doc = json.loads(result.stdout)["data"]
    found = {c["id"]: c["status"] for c in doc["checks"]}
    assert doc["compose_config"]["source"] == "docker compose config", doc["compose_config"]
    assert {found[k] for k in ("compose.worker", "compose.service-env", "compose.volume-targets", "runtime.worker")} == {"ok"}, found
