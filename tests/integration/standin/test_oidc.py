"""OIDC side: headless login, code + PKCE, RS256/HS256 tokens verified with cryptography, refresh, other grants."""

from __future__ import annotations

import base64
import secrets

import httpx

from .helpers import CALLBACK, client, login, make_app, pkce, verify_hs256, verify_rs256


def _user(api: httpx.Client, username: str = "alice", password: str = "alice-pw") -> dict:
    u = api.post("/api/v3/core/users/", json={"username": username, "name": "Alice A", "email": f"{username}@example.com"}).json()
    assert api.post(f"/api/v3/core/users/{u['pk']}/set_password/", json={"password": password}).status_code == 204
    return u


def test_code_flow_rs256_refresh_userinfo_introspect_revoke(standin) -> None:
    s = standin(version="2026.5.6")
    s.wait_worker()
    with client(s) as api, client(s, token=False) as browser, client(s, token=False) as rp:
        prov = make_app(api, "webapp")
        _user(api)
        verifier, challenge = pkce()
        params = {"client_id": prov["client_id"], "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid email profile offline_access", "state": "st", "nonce": "nn", "code_challenge": challenge, "code_challenge_method": "S256"}
        code = login(s, browser, "alice", "alice-pw", params)
        disco = rp.get("/application/o/webapp/.well-known/openid-configuration").json()
        assert disco["issuer"] == f"{s.url}/application/o/webapp/"
        assert disco["id_token_signing_alg_values_supported"] == ["RS256"]
        assert set(disco["scopes_supported"]) == {"openid", "email", "profile", "offline_access"}
        jwks = rp.get(disco["jwks_uri"]).json()
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier}
        bad = rp.post(disco["token_endpoint"], data={**form, "code_verifier": "x" * 50}, auth=(prov["client_id"], prov["client_secret"]))
        assert (bad.status_code, bad.json()["error"]) == (400, "invalid_grant")
        r = rp.post(disco["token_endpoint"], data=form, auth=(prov["client_id"], prov["client_secret"]))
        assert r.status_code == 200, r.text
        tok = r.json()
        assert tok["scope"] == "email openid profile offline_access" and tok["expires_in"] == 3600 and len(tok["refresh_token"]) == 128
        idt = verify_rs256(tok["id_token"], jwks)
        at = verify_rs256(tok["access_token"], jwks)
        assert idt["iss"] == disco["issuer"] and idt["aud"] == prov["client_id"] and idt["nonce"] == "nn"
        assert idt["email"] == "alice@example.com" and idt["email_verified"] is False and idt["preferred_username"] == "alice"
        assert len(idt["sub"]) == 64 and at["azp"] == prov["client_id"] and at["scope"] == tok["scope"]
        assert rp.post(disco["token_endpoint"], data=form, auth=(prov["client_id"], prov["client_secret"])).json()["error"] == "invalid_grant"
        ui = rp.get(disco["userinfo_endpoint"], headers={"Authorization": f"Bearer {tok['access_token']}"})
        assert ui.json()["sub"] == idt["sub"] and ui.headers["Cache-Control"] == "no-store"
        # the OIDC access token is not an API token
        assert rp.get("/api/v3/core/users/me/", headers={"Authorization": f"Bearer {tok['access_token']}"}).json() == {"detail": "Token invalid/expired"}
        # refresh rotates
        r2 = rp.post(disco["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": tok["refresh_token"], "client_id": prov["client_id"], "client_secret": prov["client_secret"]}).json()
        assert r2["refresh_token"] != tok["refresh_token"]
        again = rp.post(disco["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": tok["refresh_token"], "client_id": prov["client_id"], "client_secret": prov["client_secret"]})
        assert again.json()["error"] == "invalid_grant"
        narrow = rp.post(disco["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": r2["refresh_token"], "scope": "openid email", "client_id": prov["client_id"], "client_secret": prov["client_secret"]})
        assert narrow.json()["error"] == "invalid_scope"
        intro = rp.post(disco["introspection_endpoint"], data={"token": r2["refresh_token"]}, auth=(prov["client_id"], prov["client_secret"])).json()
        assert intro["active"] is True and intro["nonce"] == "nn" and intro["client_id"] == prov["client_id"]
        assert rp.post(disco["introspection_endpoint"], data={"token": r2["refresh_token"]}, auth=(prov["client_id"], "wrong")).json() == {"active": False}
        assert rp.post(disco["revocation_endpoint"], data={"token": r2["refresh_token"]}, auth=(prov["client_id"], "wrong")).status_code == 401
        assert rp.post(disco["revocation_endpoint"], data={"token": r2["refresh_token"]}, auth=(prov["client_id"], prov["client_secret"])).json() == {}
        assert rp.post(disco["introspection_endpoint"], data={"token": r2["refresh_token"]}, auth=(prov["client_id"], prov["client_secret"])).json() == {"active": False}
        # tokens expire with the server clock
        s.fault(clock_offset=7200)
        r = rp.get(disco["userinfo_endpoint"], headers={"Authorization": f"Bearer {r2['access_token']}"})
        assert r.status_code == 401 and r.text == "" and r.headers["WWW-Authenticate"].startswith('error="invalid_token"')
        s.fault(clock_offset=0)
        # end-session goes to the provider's invalidation flow
        r = browser.get("/application/o/webapp/end-session/")
        assert r.status_code == 302 and r.headers["Location"].startswith("/if/flow/default-provider-invalidation-flow/")


def test_hs256_and_offline_access_gating(standin) -> None:
    s = standin()
    s.wait_worker()
    with client(s) as api, client(s, token=False) as browser, client(s, token=False) as rp:
        hs = make_app(api, "hs", signing=False)
        nooff = make_app(api, "nooff", scopes=("openid", "email", "profile"))
        assert rp.get("/application/o/hs/jwks/").json() == {}
        assert rp.get("/application/o/hs/.well-known/openid-configuration").json()["id_token_signing_alg_values_supported"] == ["HS256"]
        _user(api)
        params = {"client_id": hs["client_id"], "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid profile offline_access", "state": "s"}
        code = login(s, browser, "alice", "alice-pw", params)
        tok = rp.post("/application/o/token/", data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "client_id": hs["client_id"], "client_secret": hs["client_secret"]}).json()
        payload = verify_hs256(tok["id_token"], hs["client_secret"])
        assert payload["preferred_username"] == "alice" and "email" not in payload and "refresh_token" in tok
        # session exists now: the next authorize redirects straight back with a code
        r = browser.get("/application/o/authorize/", params={**params, "client_id": nooff["client_id"], "scope": "openid email profile offline_access"})
        assert r.status_code == 302 and r.headers["Location"].startswith(CALLBACK + "?code=")
        code = httpx.URL(r.headers["Location"]).params["code"]
        tok = rp.post("/application/o/token/", data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}, auth=(nooff["client_id"], nooff["client_secret"])).json()
        assert tok["scope"] == "email openid profile" and "refresh_token" not in tok


def test_authorize_errors(standin_module) -> None:
    s = standin_module()
    s.wait_worker()
    with client(s) as api, client(s, token=False) as rp:
        prov = make_app(api, "errs")
        base = {"client_id": prov["client_id"], "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid", "state": "s1"}
        r = rp.get("/application/o/authorize/", params={**base, "redirect_uri": "http://localhost:3000/other"})
        assert r.status_code == 400 and "Redirect URI Error" in r.text and "Location" not in r.headers
        r = rp.get("/application/o/authorize/", params={**base, "client_id": "nope"})
        assert r.status_code == 400 and "Client ID Error" in r.text
        r = rp.get("/application/o/authorize/", params={**base, "prompt": "none"})
        assert r.headers["Location"] == CALLBACK + "?error=login_required&error_description=The%20Authorization%20Server%20requires%20End-User%20authentication&state=s1"
        r = rp.get("/application/o/authorize/", params=base)
        assert r.headers["Location"].startswith("/if/flow/default-authentication-flow/?client_id=") and "&next=%2Fapplication%2Fo%2Fauthorize%2F%3F" in r.headers["Location"]
        assert "authentik_session" in r.headers["Set-Cookie"]
        tok = rp.post("/application/o/token/", data={"grant_type": "authorization_code", "code": "x", "redirect_uri": CALLBACK})
        assert (tok.status_code, tok.json()["error"], tok.headers["Cache-Control"]) == (400, "invalid_client", "no-store")
        assert "request_id" in tok.json()
        tok = rp.post("/application/o/token/", json={"grant_type": "refresh_token"}, auth=(prov["client_id"], prov["client_secret"]))
        assert tok.json()["error"] == "unsupported_grant_type"
        assert rp.get("/application/o/errs/").headers["Location"] == "/application/o/errs/.well-known/openid-configuration"
        assert rp.get("/application/o/errs").status_code == 404


def test_client_credentials_and_password_grants(standin_module) -> None:
    s = standin_module()
    s.wait_worker()
    with client(s) as api, client(s, token=False) as rp:
        prov = make_app(api, "machine")
        sa = api.post("/api/v3/core/users/service_account/", json={"name": "ci-bot", "create_group": False, "expiring": True}).json()
        jwks = rp.get("/application/o/machine/jwks/").json()
        for grant in ("client_credentials", "password"):
            r = rp.post("/application/o/token/", data={"grant_type": grant, "client_id": prov["client_id"], "username": "ci-bot", "password": sa["token"], "scope": "openid profile"})
            assert r.status_code == 200, r.text
            body = r.json()
            assert "refresh_token" not in body and body["scope"] == "openid profile"
            assert verify_rs256(body["access_token"], jwks)["preferred_username"] == "ci-bot"
        b64 = base64.b64encode(f"ci-bot:{sa['token']}".encode()).decode()
        assert rp.post("/application/o/token/", data={"grant_type": "client_credentials", "client_id": prov["client_id"], "client_secret": b64, "scope": "openid"}).status_code == 200
        r = rp.post("/application/o/token/", data={"grant_type": "client_credentials", "client_id": prov["client_id"], "username": "ci-bot", "password": "wrong"})
        assert r.json()["error"] == "invalid_grant"
        r = rp.post("/application/o/token/", data={"grant_type": "client_credentials", "scope": "openid profile"}, auth=(prov["client_id"], prov["client_secret"]))
        assert verify_rs256(r.json()["access_token"], jwks)["preferred_username"] == "ak-machine-provider-client_credentials"
        assert api.get("/api/v3/core/users/", params={"username": "ak-machine-provider-client_credentials"}).json()["pagination"]["count"] == 1


def test_old_release_string_redirects_learn_first_uri(standin) -> None:
    s = standin(version="2024.6.0")
    s.wait_worker()
    with client(s) as api, client(s, token=False) as browser:
        flows = {f["slug"]: f["pk"] for f in api.get("/api/v3/flows/instances/").json()["results"]}
        maps = {m["scope_name"]: m["pk"] for m in api.get("/api/v3/propertymappings/scope/").json()["results"]}
        prov = api.post("/api/v3/providers/oauth2/", json={"name": "old", "authorization_flow": flows["default-provider-authorization-implicit-consent"], "property_mappings": [maps["openid"]], "redirect_uris": ""}).json()
        api.post("/api/v3/core/applications/", json={"name": "Old", "slug": "old", "provider": prov["pk"]})
        pw = secrets.token_urlsafe(8)
        _user(api, "bob", pw)
        code = login(s, browser, "bob", pw, {"client_id": prov["client_id"], "redirect_uri": "http://app.local/cb", "response_type": "code", "scope": "openid"})
        assert len(code) == 32
        assert api.get(f"/api/v3/providers/oauth2/{prov['pk']}/").json()["redirect_uris"] == "http://app.local/cb"
        r = browser.get("/application/o/authorize/", params={"client_id": prov["client_id"], "redirect_uri": "http://other/cb", "response_type": "code"})
        assert r.status_code == 400


def test_explicit_consent_flow(standin) -> None:
    s = standin()
    s.wait_worker()
    with client(s) as api, client(s, token=False) as browser, client(s, token=False) as rp:
        implicit = make_app(api, "first")
        flows = {f["slug"]: f["pk"] for f in api.get("/api/v3/flows/instances/").json()["results"]}
        explicit = make_app(api, "consenting", authorization_flow=flows["default-provider-authorization-explicit-consent"])
        _user(api)
        login(s, browser, "alice", "alice-pw", {"client_id": implicit["client_id"], "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid"})
        r = browser.get("/application/o/authorize/", params={"client_id": explicit["client_id"], "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid email", "state": "xs"})
        assert r.status_code == 302 and r.headers["Location"].startswith("/if/flow/default-provider-authorization-explicit-consent/?")
        ex = "/api/v3/flows/executor/default-provider-authorization-explicit-consent/?query=" + httpx.URL(r.headers["Location"]).query.decode()
        ch = browser.get(ex).json()
        assert ch["component"] == "ak-stage-consent" and {"id": "email", "name": "Email address"} in ch["permissions"]
        assert browser.post(ex, json={"component": "ak-stage-consent", "token": ch["token"]}).status_code == 302
        done = browser.get(ex).json()
        assert done["component"] == "xak-flow-redirect" and done["to"].startswith(CALLBACK + "?code=") and done["to"].endswith("&state=xs")
        code = httpx.URL(done["to"]).params["code"]
        tok = rp.post("/application/o/token/", data={"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK}, auth=(explicit["client_id"], explicit["client_secret"]))
        assert tok.status_code == 200 and tok.json()["scope"] == "email openid"
