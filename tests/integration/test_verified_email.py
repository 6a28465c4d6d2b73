"""email_verified from 2025.10 (issue 9 §3): the opt-in mapping that asserts it, the oauth2-proxy env flag, and
the doctor check of the combination, against the stand-in at 2025.10.1 (false by default) and 2025.8.4 (true)."""

from __future__ import annotations

import base64
import json
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.core.email_claims import EXPRESSION, MAPPING_NAME
from tests.standin.harness import Standin
from tests.standin.pytest_plugin import standin  # noqa: F401

FLAG = "OAUTH2_PROXY_INSECURE_OIDC_ALLOW_UNVERIFIED_EMAIL"


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def run_json(*args: str) -> tuple[int, dict]:
    result = run(*args, "--json")
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"not JSON (exit {result.exit_code}):\n{result.stdout}\n{result.stderr}") from None


@pytest.fixture
def at(standin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: F811
    def start(version: str) -> Standin:
        s = standin(version=version, worker_delay=0)
        s.wait_worker()
        monkeypatch.setenv("AUTHENTIK_URL", s.url)
        monkeypatch.setenv("AUTHENTIK_TOKEN", s.bootstrap_token)
        monkeypatch.setenv("AUTHLAB_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.chdir(tmp_path)
        return s

    return start


def _env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))


def _claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _doctor_email(env_file: Path) -> dict:
    code, doc = run_json("doctor", "app.email-verified", "--app-env", str(env_file))
    check = next(c for c in doc["data"]["checks"] if c["id"] == "app.email-verified")
    assert doc["ok"] == (code == 0)
    return check


def test_2025_10_oauth2_proxy_env_gets_the_flag_and_doctor_flags_its_absence(at, tmp_path: Path) -> None:
    at("2025.10.1")
    code, doc = run_json("provider", "create", "proxy", "--preset", "oauth2-proxy", "--env-out", "proxy.env")
    assert code == 0, doc
    assert _env(tmp_path / "proxy.env")[FLAG] == "true"
    assert any("says email_verified false" in n for n in doc["data"]["provider"]["release_notes"])
    assert _doctor_email(tmp_path / "proxy.env")["status"] == "ok"

    # the flag removed by hand: every login is refused, and doctor says so with both ways out
    text = (tmp_path / "proxy.env").read_text().replace(f"{FLAG}=true\n", "")
    (tmp_path / "proxy.env").write_text(text)
    check = _doctor_email(tmp_path / "proxy.env")
    assert check["status"] == "fail"
    assert check["summary"] == ("proxy.env: the app refuses every login (\"email in id_token isn't verified\"): "
                                "Authentik 2025.10.1 (2025.10+) sends email_verified false from the default email mapping")
    fix = check["messages"][0]["fix"]
    assert fix.startswith(f"add {FLAG}=true to proxy.env, or ") and "--verified-email" in fix


def test_verified_email_mapping_is_created_once_attached_and_asserts_true(at, tmp_path: Path) -> None:
    s = at("2025.10.1")
    (tmp_path / "authlab.yaml").write_text(textwrap.dedent("""
        providers:
          - name: proxy
            preset: oauth2-proxy
            verified_email: true
        users:
          - username: alice
            email: alice@example.com
        """).lstrip("\n"))
    result = run("apply")
    assert result.exit_code == 0, result.stdout + result.stderr
    status, body = s.api("GET", "/api/v3/propertymappings/provider/scope/?page_size=100")
    ours = [m for m in body["results"] if m["name"] == MAPPING_NAME]  # type: ignore[index]
    assert len(ours) == 1 and (ours[0]["scope_name"], ours[0]["expression"], ours[0]["managed"]) == ("email", EXPRESSION, None)
    status, body = s.api("GET", "/api/v3/providers/oauth2/?name=proxy")
    provider = body["results"][0]  # type: ignore[index]
    assert ours[0]["pk"] in provider["property_mappings"]
    # a second apply and a create of the same provider change nothing and make no second mapping
    s.clear_requests()
    assert run("apply").exit_code == 0
    code, doc = run_json("provider", "create", "proxy", "--preset", "oauth2-proxy", "--verified-email", "--env-out", "proxy.env")
    assert (code, doc["data"]["action"]) == (0, "unchanged")
    assert [r for r in s.requests() if r["method"] in ("POST", "PATCH") and ("/propertymappings/" in r["path"] or "/providers/" in r["path"])] == []
    assert FLAG not in _env(tmp_path / "proxy.env")  # the claim is true: no need to accept unverified emails
    assert _doctor_email(tmp_path / "proxy.env")["status"] == "ok"
    # the real proof: alice's ID token and userinfo say email_verified true
    code, doc = run_json("token", "--user", "alice", "--provider", "proxy")
    assert code == 0, doc
    assert _claims(doc["data"]["id_token"])["email_verified"] is True
    info = httpx.get(f"{s.url}/application/o/userinfo/", headers={"Authorization": f"Bearer {doc['data']['access_token']}"}).json()
    assert (info["email"], info["email_verified"]) == ("alice@example.com", True)


def test_before_2025_10_no_flag_is_needed(at, tmp_path: Path) -> None:
    at("2025.8.4")
    code, doc = run_json("provider", "create", "proxy", "--preset", "oauth2-proxy", "--env-out", "proxy.env")
    assert code == 0, doc
    assert FLAG not in _env(tmp_path / "proxy.env")
    assert not any("email_verified" in n for n in doc["data"]["provider"]["release_notes"])
    assert _doctor_email(tmp_path / "proxy.env")["status"] == "ok"
