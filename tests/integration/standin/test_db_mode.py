"""DB mode against a throwaway local PostgreSQL (skipped when psycopg2 or the postgres binaries are missing)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg2  # psycopg2-binary is a declared test dependency: missing is a broken install, not a skip
import pytest

from tests.standin.harness import run_standin

PKG_ROOT = Path(__file__).resolve().parents[3]
PG_PASS = "pg-secret-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_pg(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if not runuser:
            pytest.skip("running as root without runuser")
        return [runuser, "-u", "postgres", "--"] + cmd
    return cmd


def _pg_bin(tool: str) -> str | None:
    """On PATH, or where Debian's postgresql package puts it (not on PATH by default)."""
    found = shutil.which(tool)
    if found:
        return found
    versions = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return str(versions[-1]) if versions else None


class Postgres:
    def __init__(self) -> None:
        self.bins = {}
        for tool in ("initdb", "pg_ctl"):
            path = _pg_bin(tool)
            if not path:
                pytest.skip(f"{tool} not found (tests/run.sh installs Debian's postgresql)")
            self.bins[tool] = path
        self.dir = tempfile.mkdtemp(prefix="standin-pg-", dir="/tmp")
        os.chmod(self.dir, 0o777)
        self.data = os.path.join(self.dir, "data")
        self.port = _free_port()
        pw = os.path.join(self.dir, "pw")
        Path(pw).write_text(PG_PASS + "\n")
        os.chmod(pw, 0o644)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        r = subprocess.run(_as_pg([self.bins["initdb"], "-D", self.data, "-U", "authentik", "--auth=scram-sha-256", f"--pwfile={pw}"]), capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"initdb failed: {r.stderr[-500:]}")

    running = False

    def start(self) -> None:
        if self.running:
            return
        self.running = True
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1"
        r = subprocess.run(_as_pg([self.bins["pg_ctl"], "-D", self.data, "-o", opts, "-l", os.path.join(self.dir, "log"), "-w", "start"]), capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        subprocess.run(_as_pg(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "authentik", "-d", "postgres", "-c", "CREATE DATABASE authentik"]), env={**os.environ, "PGPASSWORD": PG_PASS}, capture_output=True)

    def stop(self) -> None:
        self.running = False
        subprocess.run(_as_pg([self.bins["pg_ctl"], "-D", self.data, "-m", "immediate", "stop"]), capture_output=True)

    def env(self, password: str = PG_PASS) -> dict:
        return {
            "AUTHENTIK_POSTGRESQL__HOST": "127.0.0.1",
            "AUTHENTIK_POSTGRESQL__PORT": str(self.port),
            "AUTHENTIK_POSTGRESQL__NAME": "authentik",
            "AUTHENTIK_POSTGRESQL__USER": "authentik",
            "AUTHENTIK_POSTGRESQL__PASSWORD": password,
        }


@pytest.fixture(scope="module")
def pg():
    p = Postgres()
    yield p
    p.stop()
    shutil.rmtree(p.dir, ignore_errors=True)


def _wait(pred, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def _status(url: str) -> int:
    return httpx.get(url, timeout=5).status_code


def test_db_mode_end_to_end(pg) -> None:
    # 1. DB not running yet: only the router answers (live 502, ready 503), the driver's error is logged, retried
    with run_standin(env=pg.env()) as s:
        assert _status(s.url + "/-/health/live/") == 502
        assert _status(s.url + "/-/health/ready/") == 503
        assert _wait(lambda: s.logs().count("PostgreSQL connection failed") >= 2)
        assert "django.db:" in s.logs()
        pg.start()
        assert _wait(lambda: _status(s.url + "/-/health/ready/") == 200, 20), s.logs()[-2000:]
        token = s.bootstrap_token
        h = {"Authorization": f"Bearer {token}"}
        # ready, but the bootstrap token is the worker's to create (real-boot-2026.2.2): refused, no flows yet
        r = httpx.get(s.url + "/api/v3/admin/version/", headers=h)
        assert (r.status_code, r.json()) == (403, {"detail": "Token invalid/expired"})
        assert httpx.get(s.url + "/api/v3/flows/executor/default-authentication-flow/").status_code == 404
        # 2. the worker reports each step of its first pass through the DB, the server applies them in order
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTHENTIK_", "STANDIN_"))}
        env.update(pg.env())
        env.update({"AUTHENTIK_SECRET_KEY": "k", "STANDIN_WORKER_DELAY": "0.5", "AUTHENTIK_BOOTSTRAP_TOKEN": token})
        worker = subprocess.Popen([sys.executable, "-m", "tests.standin", "worker"], cwd=PKG_ROOT, env=env, stderr=subprocess.PIPE, text=True)
        try:
            assert _wait(lambda: s.info()["worker_done"], 15)
            assert s.info()["phases_done"] == ["base_flows", "bootstrap", "provider_flows", "scope_mappings", "done"]
            assert httpx.get(s.url + "/api/v3/admin/version/", headers=h).status_code == 200
            assert httpx.get(s.url + "/api/v3/flows/instances/", headers=h).json()["pagination"]["count"] == 6
            assert Path("/tmp/authentik-worker-heartbeat").exists()
        finally:
            worker.terminate()
            _, err = worker.communicate(timeout=10)
        assert "waiting to acquire database lock" in err
        assert httpx.post(s.url + "/api/v3/core/groups/", headers=h, json={"name": "persisted"}).status_code == 201
    # 3. restart with other bootstrap values: a warm boot, state kept, bootstrap not re-applied
    with run_standin(env={**pg.env(), "AUTHENTIK_BOOTSTRAP_TOKEN": "another-token"}) as s2:
        assert _wait(lambda: _status(s2.url + "/-/health/ready/") == 200)
        assert s2.info()["worker_done"] is True
        assert httpx.get(s2.url + "/api/v3/admin/version/", headers={"Authorization": "Bearer another-token"}).status_code == 403
        r = httpx.get(s2.url + "/api/v3/core/groups/", params={"name": "persisted"}, headers=h)
        assert r.json()["pagination"]["count"] == 1


def _empty_database(pg) -> None:
    """The module's cluster is shared: start this test from a database that was never booted."""
    e = pg.env()
    conn = psycopg2.connect(host=e["AUTHENTIK_POSTGRESQL__HOST"], port=int(e["AUTHENTIK_POSTGRESQL__PORT"]), dbname=e["AUTHENTIK_POSTGRESQL__NAME"], user=e["AUTHENTIK_POSTGRESQL__USER"], password=e["AUTHENTIK_POSTGRESQL__PASSWORD"])
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS standin_state, standin_worker")
    conn.close()


def test_early_bootstrap_fails_before_migrations_and_applies_after(pg) -> None:
    """`ak worker`'s first step: `apply_blueprint system/bootstrap.yaml` fails on an empty database (ignored)."""
    pg.start()
    _empty_database(pg)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTHENTIK_", "STANDIN_"))}
    env.update(pg.env())
    env.update({"AUTHENTIK_SECRET_KEY": "k", "AUTHENTIK_BOOTSTRAP_TOKEN": "early-token"})
    cmd = [sys.executable, "-m", "tests.standin", "apply_blueprint", "system/bootstrap.yaml"]
    early = subprocess.run(cmd, cwd=PKG_ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert early.returncode == 1
    assert 'relation "authentik_tenants_tenant" does not exist' in early.stderr
    with run_standin(env={**pg.env(), "AUTHENTIK_BOOTSTRAP_TOKEN": "early-token"}) as s:
        assert _wait(lambda: _status(s.url + "/-/health/ready/") == 200)
        h = {"Authorization": "Bearer early-token"}
        assert httpx.get(s.url + "/api/v3/admin/version/", headers=h).status_code == 403
        late = subprocess.run(cmd, cwd=PKG_ROOT, env=env, capture_output=True, text=True, timeout=30)
        assert late.returncode == 0, late.stderr
        assert _wait(lambda: httpx.get(s.url + "/api/v3/admin/version/", headers=h).status_code == 200, 5)
        # the bootstrap alone: the worker's flows are not there
        assert httpx.get(s.url + "/api/v3/flows/executor/default-authentication-flow/").status_code == 404


def test_db_mode_wrong_password_is_logged(pg) -> None:
    pg.start()
    with run_standin(env=pg.env(password="wrong")) as s:
        assert _wait(lambda: 'password authentication failed for user "authentik"' in s.logs(), 15), s.logs()[-2000:]
        assert _status(s.url + "/-/health/ready/") == 503
        assert _status(s.url + "/-/health/live/") == 502  # the backend never booted: only the router answers
        assert _status(s.url + "/api/v3/root/config/") == 503
