"""`authlab login-test` against the stand-in: a browser-like login passes for a good provider and fails at
the right step, with the likely cause, for each way a provider is commonly broken."""

from __future__ import annotations

import pytest

from tests.integration.labfile_support import LAB_FILE, Env, env, invoke, invoke_json  # noqa: F401
from tests.standin.pytest_plugin import standin  # noqa: F401


@pytest.fixture
def applied(env: Env) -> Env:
    env.write(LAB_FILE)
    result = invoke("apply")
    assert result.exit_code == 0, result.stderr
    return env


def _lines(text: str) -> list[str]:
    return text.splitlines()


def _provider_pk(env: Env, name: str) -> int:
    return [p["pk"] for p in env.api("GET", "/api/v3/providers/oauth2/")["results"] if p["name"] == name][0]


def test_good_provider_passes_every_step(applied: Env) -> None:
    result = invoke("login-test", "--provider", "web")
    assert result.exit_code == 0, result.stderr
    lines = _lines(result.stdout)
    issuer = f"{applied.server.url}/application/o/web/"
    assert lines[:5] == [
        f"✓ discovery: issuer {issuer}",
        "✓ authorize: redirected to the default-authentication-flow flow",
        "✓ login: logged in as alice through the flow executor",
        "✓ callback: code received at http://localhost:3000/api/auth/callback/authentik (not followed to the app)",
        "✓ token: code exchanged: access_token, id_token, refresh_token (scope 'email openid profile offline_access')",
    ]
    assert lines[5].startswith("✓ id_token: RS256 signature verified with kid ") and lines[5].endswith("; iss and aud match")
    assert lines[6:] == [
        "✓ refresh: refresh grant returned a new access token and a rotated refresh token",
        f"login-test passed: alice logged in with provider web ({issuer})",
    ]
    assert result.stderr == ""
    # the browser-like client really went through the flow executor with its session cookie
    paths = [r["path"] for r in applied.server.requests()]
    assert paths.count("/api/v3/flows/executor/default-authentication-flow/") >= 4
    assert "/application/o/authorize/" in paths and "/application/o/token/" in paths


def test_json_document_lists_the_steps(applied: Env) -> None:
    code, doc = invoke_json("login-test", "--provider", "web", "--user", "bob")
    assert code == 0
    data = doc["data"]
    assert (doc["ok"], data["ok"], data["user"], data["failed_step"]) == (True, True, "bob", None)
    assert [(s["name"], s["status"]) for s in data["steps"]] == [
        ("discovery", "passed"), ("authorize", "passed"), ("login", "passed"), ("callback", "passed"),
        ("token", "passed"), ("id_token", "passed"), ("refresh", "passed"),
    ]


def test_provider_configured_without_offline_access_skips_refresh(applied: Env) -> None:
    # the lab file says offline_access: false for `api`, so no refresh token is expected
    code, doc = invoke_json("login-test", "--provider", "api")
    assert code == 0
    assert doc["data"]["steps"][-1] == {
        "name": "refresh", "status": "skipped", "detail": "offline_access is not configured for this provider", "cause": "", "hint": "",
    }


def test_provider_without_offline_access_fails_at_the_refresh_step(applied: Env) -> None:
    # made outside the lab file without the offline_access mapping: an app expecting refresh tokens breaks
    made = invoke("provider", "create", "legacy", "--preset", "generic", "--redirect-uri", "http://localhost:5000/cb", "--no-offline-access")
    assert made.exit_code == 0, made.stderr
    result = invoke("login-test", "--provider", "legacy")
    assert result.exit_code == 1
    assert [line[:1] for line in _lines(result.stdout)] == ["✓"] * 6
    assert _lines(result.stderr) == [
        "✗ refresh: no refresh_token in the token response",
        "  cause: no refresh token: the provider lacks the offline_access scope mapping (Authentik then silently drops "
        "offline_access from the granted scope)",
        "  hint: `authlab doctor --fix provider.scopes` attaches the mapping (a lab file's provider has it unless "
        "`offline_access: false`)",
        "login-test failed at step 'refresh' (provider legacy, user alice)",
    ]


def test_wrong_redirect_uri_fails_at_the_authorize_step(applied: Env) -> None:
    result = invoke("login-test", "--provider", "web", "--redirect-uri", "http://localhost:3000/api/auth/callback/wrong")
    assert result.exit_code == 1
    assert _lines(result.stdout) == [f"✓ discovery: issuer {applied.server.url}/application/o/web/"]
    assert _lines(result.stderr) == [
        "✗ authorize: HTTP 400: Redirect URI Error page",
        "  cause: redirect URI mismatch: the redirect_uri is not registered on the provider (strict matching compares "
        "scheme, host, port, path and trailing slash)",
        "  hint: register the exact URI your app sends (redirect_uris in authlab.yaml, or `authlab provider create --redirect-uri`)",
        "login-test failed at step 'authorize' (provider web, user alice)",
    ]


def test_provider_without_signing_key_fails_at_the_id_token_step(applied: Env) -> None:
    # what API/Terraform-made providers get when signing_key is omitted: HS256 with the client secret, JWKS {}
    applied.api("PATCH", f"/api/v3/providers/oauth2/{_provider_pk(applied, 'web')}/", {"signing_key": None})
    code, doc = invoke_json("login-test", "--provider", "web")
    assert code == 1
    assert doc["ok"] is False
    data = doc["data"]
    assert data["failed_step"] == "id_token"
    assert data["steps"][-1] == {
        "name": "id_token",
        "status": "failed",
        "detail": "ID token signed with HS256 and the JWKS has no keys",
        "cause": "no signing key: the provider has no signing_key, so Authentik signs with HS256 using the client secret; "
        "backends that verify through JWKS (jose, jwks-rsa, go-oidc, Spring) reject these tokens",
        "hint": "set the provider's signing key to 'authentik Self-signed Certificate' (`authlab apply` and `authlab provider create` do)",
    }
    # and `apply` puts the signing key back
    assert invoke("apply").exit_code == 0
    assert invoke("login-test", "--provider", "web").exit_code == 0


def test_wrong_password_fails_at_the_login_step(applied: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOB_PASSWORD", "not-what-apply-set")
    result = invoke("login-test", "--provider", "web", "--user", "bob")
    assert result.exit_code == 1
    assert _lines(result.stderr) == [
        "✗ login: ak-stage-password: password: Invalid password",
        "  cause: wrong password for bob",
        "  hint: check the test user's password (authlab apply sets it)",
        "login-test failed at step 'login' (provider web, user bob)",
    ]


def test_unknown_provider_is_a_usage_error(applied: Env) -> None:
    result = invoke("login-test", "--provider", "nope")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: no OAuth2 provider named 'nope' at {applied.server.url}\n"
        "hint: `authlab provider list` shows them; `authlab apply` creates the lab file's\n"
    )


@pytest.mark.parametrize("version", ["2024.2.1", "2024.10.0"])
def test_releases_with_string_redirect_uris_pass_too(standin, tmp_path, monkeypatch: pytest.MonkeyPatch, version: str) -> None:  # noqa: F811
    # before 2024.12 `redirect_uris` is a newline-separated string of regexes; login-test must still find the URI
    server = standin(version=version, worker_delay=0)
    server.wait_worker()
    monkeypatch.setenv("AUTHENTIK_URL", server.url)
    monkeypatch.setenv("AUTHENTIK_TOKEN", server.bootstrap_token)
    monkeypatch.setenv("AUTHLAB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BOB_PASSWORD", "bob-Secret-123")
    monkeypatch.chdir(tmp_path)
    Env(server, tmp_path).write(LAB_FILE.replace('version: "2026.5.6"', f'version: "{version}"'))
    assert invoke("apply").exit_code == 0
    code, doc = invoke_json("login-test", "--provider", "web")
    assert code == 0, doc
    assert doc["data"]["redirect_uri"] == "http://localhost:3000/api/auth/callback/authentik"
    # before 2025.4 offline_access also appends a consent stage: answered, and reported as a warning naming it
    assert [(s["name"], s["status"]) for s in doc["data"]["steps"]] == [
        ("discovery", "passed"), ("authorize", "passed"), ("login", "passed"), ("consent", "warning"),
        ("callback", "passed"), ("token", "passed"), ("id_token", "passed"), ("refresh", "passed")]


def test_unset_password_variable_names_the_variable_and_the_lab_file_entry(applied: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    # QA finding 10: the hint used to say "run `authlab apply`", which never sets bob's password
    monkeypatch.delenv("BOB_PASSWORD")
    applied.server.clear_requests()
    result = invoke("login-test", "--provider", "web", "--user", "bob")
    assert result.exit_code == 2
    assert _lines(result.stderr) == [
        "error: BOB_PASSWORD is not set (authlab.yaml users[1] bob takes its password from it)",
        "hint: export BOB_PASSWORD=... (the password `authlab apply` set for bob; in CI: from a secret)",
    ]
    assert applied.server.requests() == []  # decided before any request


def test_a_generated_password_before_apply_says_apply(env: Env) -> None:
    env.write(LAB_FILE)
    result = invoke("login-test", "--provider", "web", "--user", "alice")
    assert result.exit_code == 2
    first, hint = _lines(result.stderr)
    assert first.startswith("error: no password for test user 'alice' yet (authlab.yaml users[0] has it generated, and ")
    assert first.endswith("test-users.json has none)")
    assert hint == "hint: run `authlab apply` first (it generates the password, sets it and keeps it there)"


def test_url_notes_are_printed(applied: Env) -> None:
    result = invoke("login-test", "--provider", "web", "--url", applied.server.url + "/api/v3/")
    assert result.exit_code == 0, result.stderr
    assert "note: removed the /api/v3 suffix (authlab adds API paths itself)" in _lines(result.stderr)
    code, doc = invoke_json("login-test", "--provider", "web", "--url", applied.server.url + "/")
    assert code == 0 and doc["data"]["notes"] == ["removed the trailing slash"]


def test_a_password_generated_by_apply_dash_f_is_found_without_dash_f(env: Env) -> None:
    # QA3 M3: README's `up -f e2e/authlab.yaml`, then `login-test --user alice` without -f
    (env.dir / "e2e").mkdir()
    env.write(LAB_FILE, name="e2e/authlab.yaml")
    assert invoke("apply", "-f", "e2e/authlab.yaml").exit_code == 0
    result = invoke("login-test", "--provider", "web", "--user", "alice")
    assert result.exit_code == 0, result.stderr
    assert _lines(result.stdout)[-1] == f"login-test passed: alice logged in with provider web ({env.server.url}/application/o/web/)"


def test_an_unknown_user_names_the_file_that_was_looked_at(env: Env) -> None:
    env.write(LAB_FILE, name="lab.yaml")
    assert invoke("apply", "-f", "lab.yaml").exit_code == 0
    result = invoke("login-test", "--provider", "web", "--user", "mallory")
    assert result.exit_code == 2
    store = env.dir / ".authlab" / "test-users.json"
    assert _lines(result.stderr) == [
        f"error: don't know the password of 'mallory' (no lab file at authlab.yaml, and {store} has no password for it)",
        "hint: pass -f FILE with the lab file that lists mallory (or add it to authlab.yaml) and run `authlab apply`, or pass "
        "--user NAME --password-env VAR",
    ]
    result = invoke("login-test", "--provider", "web", "--user", "mallory", "-f", "lab.yaml")
    assert _lines(result.stderr)[0] == f"error: don't know the password of 'mallory' (not in lab.yaml, and {store} has no password for it)"
    assert "(or add it to lab.yaml)" in _lines(result.stderr)[1]


def test_a_service_account_points_to_authlab_token(applied: Env) -> None:
    result = invoke("login-test", "--provider", "web", "--user", "ci-bot")
    assert result.exit_code == 2
    assert _lines(result.stderr) == [
        "error: 'ci-bot' is a service account (authlab.yaml:20:11 lists it under service_accounts); service accounts cannot "
        "log in interactively",
        "hint: get a token for it with `authlab token --user ci-bot --provider web` (client_credentials)",
    ]
    # without the lab file the server tells: still not "add it to authlab.yaml"
    (applied.dir / "authlab.yaml").unlink()
    result = invoke("login-test", "--provider", "web", "--user", "ci-bot")
    assert result.exit_code == 2
    assert _lines(result.stderr)[0] == ("error: 'ci-bot' is a service account (the server says so); service accounts cannot log in "
                                        "interactively")
