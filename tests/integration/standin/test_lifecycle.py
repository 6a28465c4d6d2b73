"""Process-level behaviour: startup line, worker delay, readiness, persistence, config errors, faults."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from email.utils import parsedate_to_datetime
from pathlib import Path

import httpx

from tests.standin.harness import run_standin

from .helpers import client

PKG = Path(__file__).resolve().parents[2] / "standin"


def test_healthy_but_not_ready_until_the_worker_ran() -> None:
    # the first step of the worker's pass comes at half the delay: 2 s to look before it, even on a loaded machine
    with run_standin(worker_delay=4.0) as s, client(s) as api:
        t0 = time.monotonic()
        assert api.get("/-/health/live/").status_code == 200
        r = api.get("/-/health/ready/")
        assert (r.status_code, r.text, r.headers["Content-Type"]) == (200, "", "text/html; charset=utf-8")
        # ready, yet nothing of the worker's pass exists: no flows, and no bootstrap token (real-boot-2026.2.2)
        assert httpx.get(s.url + "/api/v3/flows/executor/default-authentication-flow/").status_code == 404
        # with a Bearer token that does not authenticate, DRF refuses before the view: 403, not 404
        assert api.get("/api/v3/flows/executor/default-authentication-flow/").status_code == 403
        assert api.get("/if/flow/initial-setup/").status_code == 404
        r = api.get("/api/v3/admin/version/")
        assert (r.status_code, r.json()) == (403, {"detail": "Token invalid/expired"})
        s.wait_worker(20)
        assert time.monotonic() - t0 >= 3.5
        assert api.get("/api/v3/admin/version/").json()["version_current"] == "2026.5.6"
        assert api.get("/api/v3/flows/instances/", params={"slug": "default-authentication-flow"}).json()["pagination"]["count"] == 1
        assert api.get("/if/flow/initial-setup/").status_code == 200
        assert len(api.get("/api/v3/propertymappings/provider/scope/").json()["results"]) == 7
        assert len(api.get("/api/v3/crypto/certificatekeypairs/").json()["results"]) == 1
        assert "Blueprints applied" in s.logs()


def _timeline(s, api, until: float) -> dict[str, float]:
    """When each probe of real-boot-2026.2.2 first passed, in seconds since the start."""
    seen: dict[str, float] = {}
    t0 = time.monotonic()
    while time.monotonic() - t0 < until and len(seen) < 6:
        now = time.monotonic() - t0
        probes = {
            "live": lambda: api.get("/-/health/live/").status_code == 200,
            "ready": lambda: api.get("/-/health/ready/").status_code == 200,
            "auth_flow": lambda: httpx.get(s.url + "/api/v3/flows/executor/default-authentication-flow/").status_code == 200,
            "token": lambda: api.get("/api/v3/admin/version/").status_code == 200,
            "mappings": lambda: len(api.get("/api/v3/propertymappings/provider/scope/").json()["results"]) == 7,
            "worker_done": lambda: s.info()["worker_done"],
        }
        for name, probe in probes.items():
            if name not in seen and (name in ("live", "ready", "auth_flow", "worker_done") or "token" in seen or name == "token"):
                if probe():
                    seen[name] = now
        time.sleep(0.02)
    return seen


def test_first_boot_follows_the_real_order_and_proportions() -> None:
    """Cold: router answers (502/503) while migrating, then live, ready, the flows, the token, the mappings."""
    scale = 0.06  # large enough that a loaded 2-core machine still sees each step apart
    with run_standin(env={"STANDIN_BOOT_SCALE": str(scale)}) as s, client(s) as api:
        r = api.get("/-/health/live/")
        assert r.status_code == 502 and api.get("/api/v3/root/config/").status_code == 503
        seen = _timeline(s, api, until=20)
    assert list(seen) == ["live", "ready", "auth_flow", "token", "mappings", "worker_done"], seen
    migrate = 92.2 * scale
    assert migrate * 0.8 <= seen["live"] <= migrate + 1.0
    # the token comes about 25 s (scaled) after ready, 7.6 s (scaled) after the authentication flow
    assert seen["token"] - seen["ready"] >= 20 * scale
    assert seen["token"] - seen["auth_flow"] >= 3 * scale


def test_warm_boot_is_short_and_has_everything(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    scale = 0.03
    with run_standin(state_file=str(state), env={"AUTHENTIK_BOOTSTRAP_TOKEN": "warm-token"}) as s:
        s.wait_worker()
    with run_standin(state_file=str(state), env={"STANDIN_BOOT_SCALE": str(scale), "AUTHENTIK_BOOTSTRAP_TOKEN": "warm-token"}) as s, client(s) as api:
        t0 = time.monotonic()
        while api.get("/-/health/ready/").status_code != 200:
            assert time.monotonic() - t0 < 5
            time.sleep(0.02)
        warm = time.monotonic() - t0
        assert warm < 92.2 * scale * 0.5  # the real warm boot: ~9 s of ~92 s cold
        assert api.get("/api/v3/admin/version/").status_code == 200
        assert s.info()["worker_done"] is True


def test_no_worker_never_creates_objects_until_forced() -> None:
    with run_standin(no_worker=True, worker_delay=0) as s, client(s) as api:
        time.sleep(0.5)
        assert s.info()["worker_done"] is False
        # no worker, no bootstrap: the token never works and the flows never appear
        assert api.get("/api/v3/admin/version/").status_code == 403
        assert httpx.get(s.url + "/api/v3/flows/executor/default-authentication-flow/").status_code == 404
        s.fault(worker_done=True)
        assert api.get("/api/v3/flows/instances/").json()["pagination"]["count"] == 6


def test_env_no_worker_and_version() -> None:
    with run_standin(env={"STANDIN_NO_WORKER": "1"}, worker_delay=0) as s:
        time.sleep(0.3)
        assert s.info()["worker_done"] is False


def test_secret_key_missing_refuses_to_start(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTHENTIK_", "STANDIN_"))}
    p = subprocess.run([sys.executable, "-m", "tests.standin", "server", "--port", "0"], cwd=PKG.parents[1], env=env, capture_output=True, text=True, timeout=20)
    assert p.returncode == 1
    assert "Secret key missing" in p.stderr
    assert p.stdout == ""


def test_worker_command_needs_db_mode() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTHENTIK_", "STANDIN_"))}
    env["AUTHENTIK_SECRET_KEY"] = "x"
    p = subprocess.run([sys.executable, "-m", "tests.standin", "worker"], cwd=PKG.parents[1], env=env, capture_output=True, text=True, timeout=20)
    assert p.returncode == 1
    assert "DB mode" in p.stderr


def test_package_runs_when_copied_alone(tmp_path: Path) -> None:
    dest = tmp_path / "opt" / "standin"
    shutil.copytree(PKG, dest, ignore=shutil.ignore_patterns("__pycache__", "harness.py", "pytest_plugin.py"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTHENTIK_", "STANDIN_"))}
    env.update({"AUTHENTIK_SECRET_KEY": "k", "AUTHENTIK_BOOTSTRAP_TOKEN": "tok-standalone", "AUTHENTIK_TAG": "2025.10.1", "STANDIN_WORKER_DELAY": "0", "PYTHONPATH": ""})
    proc = subprocess.Popen([sys.executable, "-m", "standin", "server", "--port", "0"], cwd=dest.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("standin listening on http://127.0.0.1:"), proc.stderr.read() if proc.poll() is not None else line
        url = line.split(" on ", 1)[1].strip()
        r = httpx.get(url + "/api/v3/admin/version/", headers={"Authorization": "Bearer tok-standalone"})
        assert r.json()["version_current"] == "2025.10.1"
    finally:
        proc.terminate()
        proc.wait(10)
        proc.stdout.close()
        proc.stderr.close()


def test_state_file_survives_restart_and_bootstrap_only_applies_once(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with run_standin(state_file=str(state), env={"AUTHENTIK_BOOTSTRAP_TOKEN": "first-token"}) as s, client(s) as api:
        s.wait_worker()
        r = api.post("/api/v3/core/groups/", json={"name": "kept"})
        assert r.status_code == 201
    with run_standin(state_file=str(state), worker_delay=30, env={"AUTHENTIK_BOOTSTRAP_TOKEN": "second-token"}) as s:
        assert s.info()["worker_done"] is True  # persisted, no second delay
        with client(s, "second-token") as api:
            assert api.get("/api/v3/admin/version/").status_code == 403
        with client(s, "first-token") as api:
            assert api.get("/api/v3/core/groups/", params={"name": "kept"}).json()["pagination"]["count"] == 1


def test_clock_offset_env_and_fault() -> None:
    with run_standin(env={"STANDIN_CLOCK_OFFSET": "7200"}) as s, client(s) as api:
        r = api.get("/-/health/live/")
        skew = parsedate_to_datetime(r.headers["Date"]).timestamp() - time.time()
        assert 7100 < skew < 7300
        s.fault(clock_offset=-3600)  # relative to the env offset
        r = api.get("/-/health/live/")
        skew = parsedate_to_datetime(r.headers["Date"]).timestamp() - time.time()
        assert 3500 < skew < 3700


def test_request_log_and_faults() -> None:
    with run_standin() as s, client(s) as api:
        s.wait_worker()
        s.clear_requests()
        api.get("/api/v3/flows/instances/", params={"slug": "default-authentication-flow"})
        api.get("/nope")
        reqs = s.requests()
        assert reqs == [
            {"method": "GET", "path": "/api/v3/flows/instances/", "query": "slug=default-authentication-flow", "status": 200},
            {"method": "GET", "path": "/nope", "query": "", "status": 404},
        ]
        s.fault(delete_flow="default-provider-invalidation-flow", delete_mapping="goauthentik.io/providers/oauth2/scope-offline_access", delete_certificate=True)
        assert api.get("/api/v3/flows/instances/", params={"slug": "default-provider-invalidation-flow"}).json()["results"] == []
        assert api.get("/api/v3/propertymappings/provider/scope/", params={"managed": "goauthentik.io/providers/oauth2/scope-offline_access"}).json()["results"] == []
        assert api.get("/api/v3/crypto/certificatekeypairs/", params={"name": "authentik Self-signed Certificate"}).json()["results"] == []
        s.clear_requests()
        assert s.requests() == []
