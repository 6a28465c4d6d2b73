"""Generic OIDC clients through `login-test --app --app-start/--app-check`: openid-client v6 (npm) and authlib
(PyPI), each doing discovery + authorization code + PKCE with the issuer form authlab recommends."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import Lab, failed, free_port, steps

ALL_PASSED = [("app-start", "passed"), ("authorize", "passed"), ("login", "passed"), ("callback", "passed"),
              ("app-callback", "passed"), ("session", "passed"), ("refresh", "passed")]


def _start(lab: Lab, kind: str, *extra: str) -> str:
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    env_file = lab.provider(kind, "generic", app_url, *extra)
    assert lab.env(env_file)["OIDC_ISSUER"] == f"{lab.server.url}/application/o/{kind}/"  # the form authlab recommends
    (lab.openid_client_app if kind == "oidc" else lab.authlib_app)(env_file, port)
    return app_url


@pytest.mark.parametrize("kind", ["oidc", "authlib"])
def test_code_flow_with_pkce_through_the_client_library(lab: Lab, kind: str) -> None:
    app_url = _start(lab, kind)
    code, doc = lab.login_test(app_url, "generic", "--app-start", "/login", "--app-check", "/me")
    assert code == 0, (doc["data"]["steps"], lab.started[0].output()[-2000:])
    assert steps(doc) == ALL_PASSED
    assert doc["data"]["app_flow"] == "GET /login, then GET /me must answer 200"
    # the library used PKCE (S256) and the token endpoint saw the verifier
    authorize = [r for r in lab.server.requests() if r["path"] == "/application/o/authorize/"]
    assert authorize and all("code_challenge_method=S256" in r["query"] for r in authorize)

    from authentik_lab.app import App
    from authentik_lab.core.app_login import app_flow
    from authentik_lab.services.app_login import app_login_test

    result = app_login_test(App(lab_dir=lab.dir / ".authlab"), app_url, app_flow("generic", start="/login", check="/me"),
                            user="akadmin", password_env="E2E_AKADMIN_PASSWORD", url=lab.server.url, token=lab.server.bootstrap_token)
    me = httpx.get(f"{app_url}/me", cookies=result.app_cookies, timeout=10).json()
    assert (me["email"], me["has_refresh_token"]) == ("akadmin@example.com", True)


def _without_signing_key(lab: Lab, kind: str) -> str:
    app_url = f"http://127.0.0.1:{free_port()}"
    env_file = lab.provider(kind, "generic", app_url)
    lab.patch_provider(kind, signing_key=None)
    (lab.openid_client_app if kind == "oidc" else lab.authlib_app)(env_file, int(app_url.rsplit(":", 1)[1]))
    return app_url


def test_without_signing_key_authlib_refuses_the_id_token(lab: Lab) -> None:
    app_url = _without_signing_key(lab, "authlib")
    code, doc = lab.login_test(app_url, "generic", "--app-start", "/login", "--app-check", "/me")
    assert code == 1
    assert steps(doc)[-1] == ("app-callback", "failed")
    step = failed(doc)
    # Authentik's JWKS without a signing key is `{}`: authlib's JsonWebKey.import_key_set refuses it (ValueError)
    assert step["detail"] == f"the app redirected to {app_url}/?error=ValueError (error=ValueError) after the callback"
    assert "callback failed: ValueError: Invalid key set format" in lab.started[0].output()
    assert step["cause"].startswith("signature: the provider 'authlib' has no signing key, so Authentik signs the ID token HS256")


def test_without_signing_key_openid_client_logs_in_and_the_note_warns(lab: Lab) -> None:
    # openid-client v6 (oauth4webapi) does not verify the ID token's signature on a token-endpoint response and takes
    # HS256 from the discovery document: the login works; only the JWKS-verifying API will fail, so it is a note
    app_url = _without_signing_key(lab, "oidc")
    code, doc = lab.login_test(app_url, "generic", "--app-start", "/login", "--app-check", "/me")
    assert code == 0, doc["data"]["steps"]
    assert doc["data"]["notes"] == [
        "provider 'oidc' has no signing key: its tokens are HS256 (signed with the client secret), so APIs that verify them "
        "through the JWKS (jose, Spring, go-oidc) refuse them; `authlab doctor --fix provider.signing-key` sets one"]
