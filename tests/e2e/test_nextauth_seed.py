"""The seed stack: a Next.js app with next-auth 4 and a Hono API with jose, both wired only by the env file
`authlab provider create --preset nextauth --env-out` writes, driven by `authlab login-test --app`."""

from __future__ import annotations

import time

from tests.e2e.conftest import Lab, api_get, free_port, steps


def _seed(lab: Lab, *extra: str) -> tuple[str, object]:
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    env_file = lab.provider("web", "nextauth", app_url, *extra)
    return app_url, env_file


def test_login_through_the_app_then_the_api_accepts_its_token_and_the_app_refreshes_it(lab: Lab) -> None:
    app_url, env_file = _seed(lab)
    lab.nextauth_app(env_file, int(app_url.rsplit(":", 1)[1]))
    api = lab.hono_api(env_file)

    code, doc = lab.login_test(app_url, "nextauth")
    assert code == 0, doc
    assert steps(doc) == [("app-start", "passed"), ("authorize", "passed"), ("login", "passed"), ("callback", "passed"),
                          ("app-callback", "passed"), ("session", "passed"), ("refresh", "passed")]
    data = doc["data"]
    assert (data["provider"], data["redirect_uri"]) == ("web", f"{app_url}/api/auth/callback/authentik")
    assert data["session"]["user"]["email"] == "akadmin@example.com"
    assert data["session"]["accessToken"] == "REDACTED"
    # every hop is listed, across both origins, and no code, state or token value is in the document
    origins = {h["origin"] for h in data["hops"]}
    assert origins == {app_url, lab.server.url}
    text = str(doc)
    for hop in data["hops"]:
        assert "code=REDACTED" in hop["url"] or "code=" not in hop["url"]
    assert lab.server.bootstrap_password not in text
    # the password went only to Authentik's flow executor
    posts = [h for h in data["hops"] if h["method"] == "POST"]
    assert {(h["origin"], h["url"].split("?")[0].removeprefix(h["origin"])) for h in posts} == {
        (app_url, "/api/auth/signin/authentik"), (lab.server.url, "/api/v3/flows/executor/default-authentication-flow/")}

    # the Hono API verifies the session's access token through the JWKS (RS256, issuer, audience) and answers sub
    from authentik_lab.app import App
    from authentik_lab.core.app_login import app_flow
    from authentik_lab.services.app_login import app_login_test

    lab.patch_provider("web", access_token_validity="seconds=3")
    result = app_login_test(App(lab_dir=lab.dir / ".authlab"), app_url, app_flow("nextauth"), user="akadmin",
                            password_env="E2E_AKADMIN_PASSWORD", url=lab.server.url, token=lab.server.bootstrap_token)
    assert result.ok, result.to_dict()
    session = _session(app_url, result.app_cookies)
    first = session["accessToken"]
    status, body = api_get(f"{api.url}/api/me", first)
    assert status == 200, body
    introspected = _introspect(lab, env_file, first)
    assert body == {"sub": introspected["sub"]}
    assert session.get("refreshed") == 0 and "error" not in session
    # the API found the JWKS through the discovery document at the issuer the env file holds
    paths = [r["path"] for r in lab.server.requests()]
    assert "/application/o/web/jwks/" in paths

    time.sleep(4)  # the access token expires: the API refuses it, the app's jwt callback refreshes it
    status, body = api_get(f"{api.url}/api/me", first)
    assert (status, body["error"]) == (401, "ERR_JWT_EXPIRED")
    session = _session(app_url, result.app_cookies)
    assert "error" not in session, session
    assert session["refreshed"] == 1 and session["accessToken"] != first
    status, body = api_get(f"{api.url}/api/me", session["accessToken"])
    assert status == 200 and body == {"sub": introspected["sub"]}


def _session(app_url: str, cookies: dict[str, str]) -> dict:
    import httpx

    response = httpx.get(f"{app_url}/api/auth/session", cookies=cookies, timeout=20)
    assert response.status_code == 200
    return response.json()


def _introspect(lab: Lab, env_file, token: str) -> dict:
    import httpx

    env = lab.env(env_file)
    response = httpx.post(f"{lab.server.url}/application/o/introspect/", data={"token": token},
                          auth=(env["AUTHENTIK_ID"], env["AUTHENTIK_SECRET"]), timeout=10)
    assert response.status_code == 200 and response.json()["active"], response.text
    return response.json()
