"""Stand-in behaviour that differs by patch release (issue 16) and the 2024.x login path (NOTES.md, "Release dialects")."""

from __future__ import annotations

import urllib.parse

import pytest

from .helpers import CALLBACK, client, objects


def _body(o: dict, redirect_uris, version: str) -> dict:
    body = {"name": "p", "authorization_flow": o["flows"]["default-provider-authorization-implicit-consent"],
            "property_mappings": list(o["maps"].values()), "signing_key": o["cert"], "redirect_uris": redirect_uris}
    if "default-provider-invalidation-flow" in o["flows"]:
        body["invalidation_flow"] = o["flows"]["default-provider-invalidation-flow"]
    return body


@pytest.mark.parametrize(
    ("version", "objects_form"),
    [("2024.8.4", False), ("2024.8.5", True), ("2024.10.2", False), ("2024.10.3", True), ("2024.10.5", True), ("2024.12.0", True)],
)
def test_redirect_uris_form_follows_the_cve_fix_patch_releases(standin, version: str, objects_form: bool) -> None:
    s = standin(version=version, worker_delay=0)
    s.wait_worker()
    with client(s) as api:
        o = objects(api)
        wrong = CALLBACK if objects_form else [{"matching_mode": "strict", "url": CALLBACK}]
        r = api.post("/api/v3/providers/oauth2/", json=_body(o, wrong, version))
        expected = ({"redirect_uris": {"non_field_errors": ['Expected a list of items but got type "str".']}} if objects_form
                    else {"redirect_uris": ["Not a valid string."]})
        assert (r.status_code, r.json()) == (400, expected)
        right = [{"matching_mode": "strict", "url": CALLBACK}] if objects_form else CALLBACK
        r = api.post("/api/v3/providers/oauth2/", json=_body(o, right, version))
        assert r.status_code == 201, r.text
        assert r.json()["redirect_uris"] == right
        cert = api.get(f"/api/v3/crypto/certificatekeypairs/{o['cert']}/").json()
        assert cert.get("private_key_type") == "rsa" and "key_type" not in cert  # key_type arrives with 2026.2 (schemas)


def _login_path(s, version: str, scope: str) -> list[str]:
    """An anonymous browser's authorize, followed hop by hop through login; returns the locations seen."""
    with client(s) as api, client(s, token=False) as browser:
        o = objects(api)
        objects_form = version >= "2024.12" or version in ("2024.10.5",)
        body = _body(o, [{"matching_mode": "strict", "url": CALLBACK}] if objects_form else CALLBACK, version)
        prov = api.post("/api/v3/providers/oauth2/", json=body).json()
        assert api.post("/api/v3/core/applications/", json={"name": "A", "slug": "a", "provider": prov["pk"]}).status_code == 201
        u = api.post("/api/v3/core/users/", json={"username": "alice", "name": "Alice"}).json()
        api.post(f"/api/v3/core/users/{u['pk']}/set_password/", json={"password": "pw-alice-1"})
        seen: list[str] = []
        r = browser.get("/application/o/authorize/", params={"client_id": prov["client_id"], "redirect_uri": CALLBACK, "response_type": "code", "scope": scope})
        loc = r.headers["Location"]
        while not loc.startswith(CALLBACK):
            seen.append(loc)
            path = urllib.parse.urlsplit(loc)
            if path.path.startswith("/if/flow/"):
                slug = path.path.split("/")[3]
                ex = f"/api/v3/flows/executor/{slug}/?query={urllib.parse.quote(path.query, safe='')}"
                for _ in range(10):
                    r = browser.get(ex)
                    if r.status_code == 302:  # the executor hops between stages
                        continue
                    ch = r.json()
                    if ch["component"] == "xak-flow-redirect":
                        loc = ch["to"]
                        break
                    seen.append(ch["component"])
                    answer = {"ak-stage-identification": {"uid_field": "alice"}, "ak-stage-password": {"password": "pw-alice-1"},
                              "ak-stage-consent": {"token": ch.get("token")}}[ch["component"]]
                    assert browser.post(ex, json={"component": ch["component"], **answer}).status_code == 302
                continue
            r = browser.get(loc)
            assert r.status_code == 302, r.text
            loc = r.headers["Location"]
        return seen


def test_2024_10_sends_an_anonymous_authorize_through_the_default_flow_view_and_asks_consent_for_offline_access(standin) -> None:
    s = standin(version="2024.10.5", worker_delay=0)
    s.wait_worker()
    seen = _login_path(s, "2024.10.5", "openid offline_access")
    assert seen[0].startswith("/flows/-/default/authentication/?next=/application/o/authorize/%3Fclient_id%3D")
    assert seen[1].startswith("/if/flow/default-authentication-flow/?next=%2Fapplication%2Fo%2Fauthorize%2F%3Fclient_id%3D")
    assert seen[2:4] == ["ak-stage-identification", "ak-stage-password"]
    # back at authorize with a session: offline_access appends a consent stage to the implicit-consent flow
    assert seen[4].startswith("/application/o/authorize/?client_id=")
    assert seen[5].startswith("/if/flow/default-provider-authorization-implicit-consent/?") and seen[6:] == ["ak-stage-consent"]


def test_2024_10_without_offline_access_has_no_consent(standin) -> None:
    s = standin(version="2024.10.5", worker_delay=0)
    s.wait_worker()
    seen = _login_path(s, "2024.10.5", "openid email")
    assert "ak-stage-consent" not in seen and len(seen) == 5


@pytest.mark.parametrize("version", ["2025.4.0", "2026.5.6"])
def test_from_2025_4_offline_access_asks_no_consent_and_authorize_goes_straight_to_the_flow(standin, version: str) -> None:
    s = standin(version=version, worker_delay=0)
    s.wait_worker()
    seen = _login_path(s, version, "openid offline_access")
    assert seen[0].startswith("/if/flow/default-authentication-flow/?client_id=")
    assert "ak-stage-consent" not in seen


def test_legacy_lines_are_full_match_regexes(standin) -> None:
    s = standin(version="2024.10.2", worker_delay=0)
    s.wait_worker()
    with client(s) as api, client(s, token=False) as browser:
        o = objects(api)
        lines = "http://localhost:\\d+/cb\nhttp://localhost:3000/x?y=1"
        prov = api.post("/api/v3/providers/oauth2/", json=_body(o, lines, "2024.10.2")).json()
        api.post("/api/v3/core/applications/", json={"name": "A", "slug": "a", "provider": prov["pk"]})

        def allowed(uri: str) -> bool:
            r = browser.get("/application/o/authorize/", params={"client_id": prov["client_id"], "redirect_uri": uri, "response_type": "code"})
            return r.status_code == 302

        assert allowed("http://localhost:4000/cb")
        assert not allowed("http://localhost:3000/x?y=1")  # `?` makes the `x` optional: the line does not match itself
        assert allowed("http://localhost:3000/y=1")
