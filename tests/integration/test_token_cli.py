"""`authlab token` against the stand-in: service accounts via client_credentials + app password, test users
via the browser-like authorization-code flow; the printed token verifies through the provider's JWKS."""

from __future__ import annotations

import json
import urllib.request

from authentik_lab.core.oidc_flow import decode_jwt, verify_id_token
from tests.integration.labfile_support import LAB_FILE, Env, env, invoke, invoke_json  # noqa: F401
from tests.standin.pytest_plugin import standin  # noqa: F401


def _applied(env: Env) -> Env:
    env.write(LAB_FILE)
    assert invoke("apply").exit_code == 0
    return env


def _jwks(env: Env, slug: str) -> dict:
    with urllib.request.urlopen(f"{env.server.url}/application/o/{slug}/jwks/") as response:
        return json.loads(response.read())


def _client_id(env: Env, name: str) -> str:
    return [p["client_id"] for p in env.api("GET", "/api/v3/providers/oauth2/")["results"] if p["name"] == name][0]


def test_service_account_token_uses_client_credentials_and_verifies_through_jwks(env: Env) -> None:
    _applied(env)
    env.server.clear_requests()
    result = invoke("token", "--user", "ci-bot", "--provider", "web")
    assert result.exit_code == 0, result.stderr
    access_token = result.stdout.strip()
    assert result.stdout == access_token + "\n"  # only the token: `TOKEN=$(authlab token ...)` works
    issuer = f"{env.server.url}/application/o/web/"
    verdict = verify_id_token(access_token, _jwks(env, "web"), issuer, _client_id(env, "web"), None)
    assert verdict.ok, verdict
    assert verdict.value["preferred_username"] == "ci-bot"
    # the app password was read with the API token, and no executor login happened
    paths = [(r["method"], r["path"]) for r in env.server.requests()]
    assert ("GET", "/api/v3/core/tokens/service-account-ci-bot-password/view_key/") in paths
    assert not any(p.startswith("/api/v3/flows/executor/") for _, p in paths)
    # the plain client_credentials form would have created this user; authlab's form does not
    users = [u["username"] for u in env.api("GET", "/api/v3/core/users/")["results"]]
    assert "ak-web-client_credentials" not in users


def test_service_account_json_has_no_refresh_token(env: Env) -> None:
    _applied(env)
    code, doc = invoke_json("token", "--user", "ci-bot", "--provider", "web")
    assert code == 0
    data = doc["data"]
    assert {k: data[k] for k in ("user", "user_type", "provider", "grant", "token_type", "expires_in", "refresh_token", "jwks_verified", "warning")} == {
        "user": "ci-bot", "user_type": "service_account", "provider": "web", "grant": "client_credentials",
        "token_type": "Bearer", "expires_in": 3600, "refresh_token": None, "jwks_verified": True, "warning": "",
    }
    assert data["expires_at"] > 0
    assert decode_jwt(data["access_token"])[0]["alg"] == "RS256"


def test_test_user_token_comes_from_the_authorization_code_flow_with_refresh(env: Env) -> None:
    _applied(env)
    code, doc = invoke_json("token", "--user", "alice", "--provider", "web")
    assert code == 0, doc
    data = doc["data"]
    assert (data["grant"], data["user_type"], data["jwks_verified"]) == ("authorization_code", "internal", True)
    assert data["refresh_token"]  # offline_access is mapped on `web`
    assert decode_jwt(data["access_token"])[1]["preferred_username"] == "alice"
    assert "offline_access" in data["scope"].split()


def test_provider_is_required_when_the_lab_file_has_several(env: Env) -> None:
    _applied(env)
    result = invoke("token", "--user", "alice")
    assert result.exit_code == 2
    assert result.stderr == "error: which provider should issue the token? (web, api)\nhint: pass --provider NAME\n"


def test_unknown_user(env: Env) -> None:
    _applied(env)
    result = invoke("token", "--user", "mallory", "--provider", "web")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: no user 'mallory' at {env.server.url}\n"
        "hint: add it to authlab.yaml (users: or service_accounts:) and run `authlab apply`, or pass -f FILE with the lab file "
        "that has it\n"
    )


def test_unknown_user_hint_names_the_dash_f_file_that_was_read(env: Env) -> None:
    _applied(env)
    env.write("users:\n  - username: zed\n", name="e2e.yaml")
    result = invoke("token", "--user", "mallory", "--provider", "web", "-f", "e2e.yaml")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1] == (
        "hint: add it to e2e.yaml (users: or service_accounts:) and run `authlab apply -f e2e.yaml`, or pass -f FILE with the "
        "lab file that has it"
    )


def test_a_password_generated_by_another_lab_file_is_found_without_dash_f(env: Env) -> None:
    # QA3 M3: `apply -f lab.yaml`, then `token` without -f: the password store in the lab dir is keyed by username
    env.write(LAB_FILE, name="lab.yaml")
    assert invoke("apply", "-f", "lab.yaml").exit_code == 0
    result = invoke("token", "--user", "alice", "--provider", "web")
    assert result.exit_code == 0, result.stderr
    assert decode_jwt(result.stdout.strip())[1]["iss"] == f"{env.server.url}/application/o/web/"


def test_hs256_provider_token_is_flagged_as_unverifiable(env: Env) -> None:
    _applied(env)
    pk = [p["pk"] for p in env.api("GET", "/api/v3/providers/oauth2/")["results"] if p["name"] == "web"][0]
    env.api("PATCH", f"/api/v3/providers/oauth2/{pk}/", {"signing_key": None})
    result = invoke("token", "--user", "ci-bot", "--provider", "web")
    assert result.exit_code == 0
    assert decode_jwt(result.stdout.strip())[0]["alg"] == "HS256"
    assert result.stderr.startswith("warning: a backend cannot verify this token through JWKS: no signing key:")


def test_unset_password_variable_names_the_variable(env: Env, monkeypatch) -> None:  # noqa: ANN001
    _applied(env)
    monkeypatch.delenv("BOB_PASSWORD")
    result = invoke("token", "--user", "bob", "--provider", "web")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "error: BOB_PASSWORD is not set (authlab.yaml users[1] bob takes its password from it)",
        "hint: export BOB_PASSWORD=... (the password `authlab apply` set for bob; in CI: from a secret)",
    ]


def test_url_notes_go_to_stderr_and_stdout_stays_the_token(env: Env) -> None:
    _applied(env)
    result = invoke("token", "--user", "ci-bot", "--provider", "web", "--url", env.server.url + "/api/v3")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == ["note: removed the /api/v3 suffix (authlab adds API paths itself)"]
    assert result.stdout.count("\n") == 1 and result.stdout.count(".") == 2  # one JWT
