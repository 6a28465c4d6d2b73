"""`up`'s readiness service against a real stand-in server process (HTTP over a real socket, no containers)."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from authentik_lab.adapters.authentik_api import AuthentikApi
from authentik_lab.core.readiness import Stage
from authentik_lab.errors import NotReadyError, WaitTimeout
from authentik_lab.services.wait import wait_ready
from tests.standin.harness import Standin, run_standin


def _api(s: Standin, token: str | None = None) -> AuthentikApi:
    return AuthentikApi(s.url, token or s.bootstrap_token, retries=0, timeout=5.0)


def parse_qs(query: str) -> tuple[tuple[str, str], ...]:
    from urllib.parse import parse_qsl

    return tuple(parse_qsl(query))


def _blueprints_applied_at(s: Standin) -> float | None:
    """Wall-clock time of the stand-in's "Blueprints applied" log record (its worker finished)."""
    for line in s.logs().splitlines():
        if line.startswith("{") and "Blueprints applied" in line:
            return dt.datetime.fromisoformat(json.loads(line)["timestamp"]).timestamp()
    return None


def test_not_ready_before_the_worker_objects_exist() -> None:
    with run_standin(version="2026.5.6", worker_delay=2.0) as s, _api(s) as api:
        started = time.time()
        result = wait_ready(api, timeout=30)
        reported = time.time()
        applied = _blueprints_applied_at(s)
        assert applied is not None, s.logs()
        assert s.info()["worker_done"] is True
        assert applied <= reported
        assert applied - started >= 1.5  # the worker delay was really waited out
        assert reported - applied <= 1.0  # and noticed quickly
        assert result.version == "2026.5.6"
        assert [t.stage for t in result.stages] == list(Stage)
        assert result.stages[0].state == "skipped"
        seen = {(r["path"], parse_qs(r["query"])) for r in s.requests() if r["path"].startswith("/api/v3/") and r["query"]}
        assert ("/api/v3/flows/instances/", (("slug", "default-provider-invalidation-flow"),)) in seen
        assert ("/api/v3/propertymappings/provider/scope/", (("managed", "goauthentik.io/providers/oauth2/scope-offline_access"),)) in seen
        assert ("/api/v3/crypto/certificatekeypairs/", (("name", "authentik Self-signed Certificate"),)) in seen


def test_an_old_release_is_ready_with_its_own_paths() -> None:
    with run_standin(version="2024.2.1", worker_delay=0.5) as s, _api(s) as api:
        result = wait_ready(api, timeout=30)
        assert result.version == "2024.2.1"
        assert result.stages[-1].detail == "7 objects present"
        paths = [r["path"] for r in s.requests()]
        assert "/api/v3/propertymappings/scope/" in paths
        assert not any(p.startswith("/api/v3/propertymappings/provider/") for p in paths)


def test_without_a_worker_the_timeout_names_the_missing_flows_and_mappings() -> None:
    with run_standin(version="2026.5.6", no_worker=True) as s, _api(s) as api:
        with pytest.raises(WaitTimeout) as info:
            wait_ready(api, timeout=3)
    err = info.value
    assert err.target == "the worker to create the default flows, scope mappings and certificate"
    assert err.last_seen == (
        "missing flows default-provider-authorization-implicit-consent, default-provider-invalidation-flow, "
        "default-authentication-flow; scope mappings scope-openid, scope-email, scope-profile, scope-offline_access; "
        "certificate authentik Self-signed Certificate"
    )
    assert 3.0 <= err.waited < 4.5


def test_a_deleted_mapping_is_still_missing() -> None:
    with run_standin(version="2026.5.6", worker_delay=0) as s, _api(s) as api:
        s.wait_worker()
        s.fault(delete_mapping="goauthentik.io/providers/oauth2/scope-offline_access")
        with pytest.raises(WaitTimeout) as info:
            wait_ready(api, timeout=1.5)
    assert info.value.last_seen == "missing scope mappings scope-offline_access"


def test_a_token_the_database_does_not_know_gets_the_token_diagnosis() -> None:
    with run_standin(version="2026.5.6", worker_delay=1.0) as s, _api(s, token="a-token-from-another-lab") as api:
        started = time.monotonic()
        with pytest.raises(NotReadyError) as info:
            wait_ready(api, timeout=60, token_grace=30)
        took = time.monotonic() - started
    err = info.value
    assert err.message == "Authentik rejects the bootstrap token from .env (403 'Token invalid/expired')"
    assert err.evidence == ["GET /api/v3/admin/version/ -> HTTP 403 'Token invalid/expired'"]
    assert "initialised with another AUTHENTIK_BOOTSTRAP_TOKEN" in (err.hint or "")
    assert took < 5  # decided once the first start was over, not after the 30 s grace
