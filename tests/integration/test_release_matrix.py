"""The release matrix of issue 16: every command that talks to Authentik, on each release whose behaviour differs.

Against the stand-in at 2024.8.4 / 2024.10.2 (string redirect_uris), 2024.8.5 / 2024.10.5 (the CVE-2024-52289
object form), 2024.12.3, 2025.2.4 (consent before 2025.4), 2025.10.1 (email_verified false) and 2026.5.6:
`provider create` (twice: the second unchanged, no write), `apply` (twice), `login-test` with refresh
(through the 2024.x default-flow view and the pre-2025.4 consent stage), `provider list` and `doctor provider`.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from tests.standin.harness import Standin, start_standin

CALLBACK = "http://localhost:3000/api/auth/callback/authentik"
STRING_FORM = {"2024.8.4", "2024.10.2"}
BEFORE_2025_2 = {"2024.8.4", "2024.8.5", "2024.10.2", "2024.10.5", "2024.12.3"}
CONSENT = BEFORE_2025_2 | {"2025.2.4"}
RELEASES = ["2024.8.4", "2024.8.5", "2024.10.2", "2024.10.5", "2024.12.3", "2025.2.4", "2025.10.1", "2026.5.6"]
WRITES = {"POST", "PUT", "PATCH", "DELETE"}

LAB = """
    providers:
      - name: api
        preset: generic
        redirect_uris: [http://localhost:8080/cb]
    users:
      - username: alice
        email: alice@example.com
"""


@pytest.fixture(scope="module", params=RELEASES)
def server(request: pytest.FixtureRequest) -> Iterator[Standin]:
    s = start_standin(version=request.param, worker_delay=0)
    try:
        s.wait_worker()
        yield s
    finally:
        s.stop()


@pytest.fixture
def at(server: Standin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Standin:
    monkeypatch.setenv("AUTHENTIK_URL", server.url)
    monkeypatch.setenv("AUTHENTIK_TOKEN", server.bootstrap_token)
    monkeypatch.setenv("AUTHLAB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return server


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def run_json(*args: str) -> tuple[int, dict]:
    result = run(*args, "--json")
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"not JSON (exit {result.exit_code}):\n{result.stdout}\n{result.stderr}") from None


def writes(s: Standin) -> list[tuple[str, str]]:
    return [(r["method"], r["path"]) for r in s.requests() if r["method"] in WRITES and not r["path"].startswith("/_standin")]


def stored(s: Standin, name: str) -> dict:
    status, body = s.api("GET", f"/api/v3/providers/oauth2/?name={name}")
    assert status == 200, body
    return next(p for p in body["results"] if p["name"] == name)  # type: ignore[index]


def test_provider_create_twice_list_and_show(at: Standin) -> None:
    s, version = at, at.version
    code, doc = run_json("provider", "create", "web", "--preset", "nextauth")
    assert code == 0, doc
    data = doc["data"]
    assert (data["action"], data["server_version"], data["retries"]) == ("created", version, [])
    # the form the server itself keeps: text before the CVE-2024-52289 fix, objects from it on
    raw = stored(s, "web")["redirect_uris"]
    assert raw == (CALLBACK if version in STRING_FORM else [{"matching_mode": "strict", "url": CALLBACK}])
    mode = "legacy-regex" if version in STRING_FORM else "strict"
    assert data["provider"]["redirect_uris"] == [{"matching_mode": mode, "url": CALLBACK}]
    notes = data["provider"]["release_notes"]
    assert bool(notes) == (version in CONSENT)
    if notes:
        assert notes[0].startswith(f"Authentik {version} (before 2025.4) shows a consent screen when the app requests offline_access")

    s.clear_requests()
    code, doc = run_json("provider", "create", "web", "--preset", "nextauth")
    assert (code, doc["data"]["action"], doc["data"]["changes"]) == (0, "unchanged", [])
    assert writes(s) == []

    code, doc = run_json("provider", "list")
    assert code == 0
    rows = {r["name"]: r for r in doc["data"]["providers"]}
    assert (rows["web"]["signing_alg"], rows["web"]["offline_access"], rows["web"]["redirect_uris"]) == ("RS256", True, [CALLBACK])

    human = run("provider", "show", "web")
    assert human.exit_code == 0, human.stderr
    assert ("this release" in human.stdout) == (version in CONSENT)
    assert "signing        RS256" in human.stdout or "RS256" in human.stdout.split("signing", 1)[1].splitlines()[0]


def test_apply_twice_then_login_test_with_refresh(at: Standin, tmp_path: Path) -> None:
    s, version = at, at.version
    (tmp_path / "authlab.yaml").write_text(textwrap.dedent(LAB).lstrip("\n"))
    result = run("apply")
    assert result.exit_code == 0, result.stdout + result.stderr
    s.clear_requests()
    result = run("apply")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert [w for w in writes(s) if "/providers/" in w[1] or "/applications/" in w[1]] == []

    code, doc = run_json("login-test", "--provider", "api", "--user", "alice")
    assert code == 0, doc
    steps = {st["name"]: st for st in doc["data"]["steps"]}
    order = [st["name"] for st in doc["data"]["steps"]]
    expected = ["discovery", "authorize", "login"] + (["consent"] if version in CONSENT else []) + ["callback", "token", "id_token", "refresh"]
    assert order == expected
    assert steps["refresh"]["status"] == "passed"
    via = " (through /flows/-/default/authentication/)" if version in BEFORE_2025_2 else ""
    assert steps["authorize"]["detail"] == f"redirected to the default-authentication-flow flow{via}"
    if version in CONSENT:
        consent = steps["consent"]
        assert consent["status"] == "warning"
        assert consent["detail"] == "unexpected consent screen on the default-provider-authorization-implicit-consent flow (accepted, as a user would)"
        assert consent["cause"] == (f"Authentik {version} (before 2025.4) appends a consent stage whenever the app requests "
                                    "offline_access, even on the implicit-consent flow")
        assert doc["data"]["warnings"] == ["consent"]
    else:
        assert doc["data"]["warnings"] == []

    human = run("login-test", "--provider", "api", "--user", "alice")
    assert human.exit_code == 0
    if version in CONSENT:
        assert "! consent: unexpected consent screen" in human.stdout
        assert "login-test passed with 1 warning(s): consent: alice" in human.stdout


def test_doctor_provider_checks_pass(at: Standin) -> None:
    code, doc = run_json("provider", "create", "doc", "--preset", "nextauth", "--app-url", "http://localhost:3001")
    assert code == 0, doc
    code, doc = run_json("doctor", "provider", "--provider", "doc")
    found = {r["id"]: r for r in doc["data"]["checks"]}
    assert {k: v["status"] for k, v in found.items()} == {
        "provider.redirect-uris": "ok", "provider.scopes": "ok", "provider.signing-key": "ok",
        "provider.application": "ok", "provider.discovery": "ok"}, found
    assert code == 0
