"""An Auth.js v5 app (@auth/core through @auth/express) wired by `provider create --preset authjs --env-out`."""

from __future__ import annotations

from tests.e2e.conftest import Lab, failed, free_port, steps


def _app(lab: Lab) -> tuple[str, int, object]:
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    return app_url, port, lab.provider("shop", "authjs", app_url)


def test_login_through_an_authjs_v5_app(lab: Lab) -> None:
    app_url, port, env_file = _app(lab)
    lab.authjs_app(env_file, port)

    code, doc = lab.login_test(app_url, "authjs")
    assert code == 0, (doc["data"]["steps"], lab.started[0].output()[-3000:])
    assert steps(doc) == [("app-start", "passed"), ("authorize", "passed"), ("login", "passed"), ("callback", "passed"),
                          ("app-callback", "passed"), ("session", "passed"), ("refresh", "passed")]
    data = doc["data"]
    assert (data["provider"], data["redirect_uri"]) == ("shop", f"{app_url}/api/auth/callback/authentik")
    assert data["session"]["user"]["email"] == "akadmin@example.com"
    # Auth.js v5 fetched the discovery document at the issuer with its slash
    assert "/application/o/shop/.well-known/openid-configuration" in [r["path"] for r in lab.server.requests()]


def test_issuer_without_the_trailing_slash_fails_with_the_exact_issuer(lab: Lab) -> None:
    app_url, port, env_file = _app(lab)
    issuer = f"{lab.server.url}/application/o/shop/"
    assert lab.env(env_file)["AUTH_AUTHENTIK_ISSUER"] == issuer  # what authlab writes for Auth.js v5
    env_file.write_text(env_file.read_text().replace(f"AUTH_AUTHENTIK_ISSUER={issuer}\n", f"AUTH_AUTHENTIK_ISSUER={issuer[:-1]}\n"))
    lab.authjs_app(env_file, port)

    code, doc = lab.login_test(app_url, "authjs")
    assert code == 1
    assert steps(doc) == [("app-start", "failed")]
    step = failed(doc)
    assert step["detail"] == f"the app redirected to its own error page {app_url}/api/auth/error?error=Configuration (error=Configuration)"
    assert step["cause"].startswith("issuer form or discovery: the app redirected to its own error page before reaching Authentik. "
                                    f"Auth.js v5 (next-auth@5 / @auth/core) compares Authentik's issuer {issuer} byte for byte")
    assert step["hint"] == f"set AUTH_AUTHENTIK_ISSUER={issuer} (exactly; `authlab provider create --preset authjs --env-out FILE` writes it)"
    assert "/application/o/authorize/" not in [r["path"] for r in lab.server.requests()]
