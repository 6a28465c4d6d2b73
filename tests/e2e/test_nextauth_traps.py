"""The seed stack's traps, each made on purpose: `login-test --app` must fail at the right step and name the cause."""

from __future__ import annotations

import time
from pathlib import Path

from tests.e2e.conftest import Lab, api_get, failed, free_port, steps


def _app(lab: Lab, *extra: str) -> tuple[str, Path]:
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    return app_url, lab.provider("web", "nextauth", app_url, *extra)


def test_issuer_with_a_trailing_slash_fails_before_authentik_with_the_exact_issuer(lab: Lab) -> None:
    app_url, env_file = _app(lab)
    issuer = f"{lab.server.url}/application/o/web"
    assert lab.env(env_file)["AUTHENTIK_ISSUER"] == issuer  # what authlab writes for NextAuth v4
    env_file.write_text(env_file.read_text().replace(f"AUTHENTIK_ISSUER={issuer}\n", f"AUTHENTIK_ISSUER={issuer}/\n"))
    lab.nextauth_app(env_file, int(app_url.rsplit(":", 1)[1]))

    code, doc = lab.login_test(app_url, "nextauth")
    assert code == 1
    assert steps(doc) == [("app-start", "failed")]
    step = failed(doc)
    assert step["detail"] == f"the app redirected to its own error page {app_url}/api/auth/error?error=OAuthSignin (error=OAuthSignin)"
    assert step["cause"].startswith("issuer form or discovery: the app redirected to its own error page before reaching Authentik. "
                                    "NextAuth v4 appends /.well-known/openid-configuration to the issuer itself")
    assert step["hint"] == f"set AUTHENTIK_ISSUER={issuer} (exactly; `authlab provider create --preset nextauth --env-out FILE` writes it)"
    # the app really asked for the double-slash discovery URL, and Authentik was never asked to authorize
    paths = [r["path"] for r in lab.server.requests()]
    assert "/application/o/web//.well-known/openid-configuration" in paths
    assert "/application/o/authorize/" not in paths


def test_redirect_uri_with_another_provider_id_is_named(lab: Lab) -> None:
    app_url, env_file = _app(lab, "--provider-id", "authentik-dev")
    lab.nextauth_app(env_file, int(app_url.rsplit(":", 1)[1]))

    code, doc = lab.login_test(app_url, "nextauth")
    assert code == 1
    assert steps(doc) == [("app-start", "passed"), ("authorize", "failed")]
    step = failed(doc)
    assert step["detail"] == "HTTP 400: Redirect URI Error page"
    assert step["cause"] == (
        f"redirect URI mismatch: the app sent redirect_uri={app_url}/api/auth/callback/authentik, the provider 'web' allows "
        f"{app_url}/api/auth/callback/authentik-dev: the provider id differs (the app's is 'authentik', the provider was made "
        "for 'authentik-dev')")
    assert step["hint"] == "`authlab provider create web --preset nextauth --provider-id authentik` (or rename the app's provider id)"
    # no password was sent anywhere: the run stopped at Authentik's authorize answer
    assert not [h for h in doc["data"]["hops"] if h["method"] == "POST" and "flows/executor" in h["url"]]


def test_provider_without_offline_access_fails_at_refresh_and_the_app_cannot_refresh(lab: Lab) -> None:
    app_url, env_file = _app(lab, "--no-offline-access")
    lab.nextauth_app(env_file, int(app_url.rsplit(":", 1)[1]))

    code, doc = lab.login_test(app_url, "nextauth")
    assert code == 1
    assert steps(doc)[-2:] == [("session", "passed"), ("refresh", "failed")]
    step = failed(doc)
    assert step["detail"] == "the app asked for offline_access, the provider does not grant it"
    assert step["cause"].startswith("no refresh token: the app asked for offline_access but the provider 'web' lacks the "
                                    "offline_access scope mapping")
    assert step["hint"] == "`authlab doctor --fix provider.scopes` attaches the mapping (or drop --no-offline-access)"

    # and the app itself: once the access token expires, its jwt callback has nothing to refresh with
    from authentik_lab.app import App
    from authentik_lab.core.app_login import app_flow
    from authentik_lab.services.app_login import app_login_test

    lab.patch_provider("web", access_token_validity="seconds=2")
    result = app_login_test(App(lab_dir=lab.dir / ".authlab"), app_url, app_flow("nextauth"), user="akadmin",
                            password_env="E2E_AKADMIN_PASSWORD", url=lab.server.url, token=lab.server.bootstrap_token)
    assert result.failed is not None and result.failed.name == "refresh"
    time.sleep(3)
    import httpx

    session = httpx.get(f"{app_url}/api/auth/session", cookies=result.app_cookies, timeout=20).json()
    assert session["error"] == "RefreshTokenError"


def test_provider_without_signing_key_fails_in_the_app_and_the_api_refuses_its_tokens(lab: Lab) -> None:
    app_url, env_file = _app(lab)
    lab.patch_provider("web", signing_key=None)
    lab.nextauth_app(env_file, int(app_url.rsplit(":", 1)[1]))
    api = lab.hono_api(env_file)

    code, doc = lab.login_test(app_url, "nextauth")
    assert code == 1
    assert steps(doc) == [("app-start", "passed"), ("authorize", "passed"), ("login", "passed"), ("callback", "passed"),
                          ("app-callback", "failed")]
    step = failed(doc)
    assert step["detail"] == f"the app redirected to {app_url}/api/auth/error?error=OAuthCallback (error=OAuthCallback) after the callback"
    assert step["cause"].startswith("signature: the provider 'web' has no signing key, so Authentik signs the ID token HS256")

    # an access token from the same provider (HS256, signed with the client secret): jose refuses it
    result = lab.cli("token", "--user", "akadmin", "--provider", "web", "--password-env", "E2E_AKADMIN_PASSWORD")
    assert result.exit_code == 0, result.stderr
    token = result.stdout.strip()
    status, body = api_get(f"{api.url}/api/me", token)
    assert (status, body["error"]) == (401, "ERR_JOSE_ALG_NOT_ALLOWED")
