"""API behaviour: auth errors, 404 shapes, pagination, validation shapes, the application list cache quirk."""

from __future__ import annotations

from .helpers import CALLBACK, client, make_app, objects


def test_auth_errors(standin_module) -> None:
    s = standin_module()
    with client(s, token=False) as anon, client(s, "nope") as bad, client(s) as api:
        r = anon.get("/api/v3/admin/version/")
        assert (r.status_code, r.json(), r.headers["Content-Type"]) == (403, {"detail": "Authentication credentials were not provided."}, "application/json")
        assert "WWW-Authenticate" not in r.headers
        r = bad.get("/api/v3/core/users/me/")
        assert (r.status_code, r.json()) == (403, {"detail": "Token invalid/expired"})
        assert anon.get("/api/v3/root/config/").status_code == 200
        assert "version" not in str(anon.get("/api/v3/root/config/").json())
        # an expiring API token stops working when the clock passes its expiry
        me = api.get("/api/v3/core/users/me/").json()["user"]
        assert api.post("/api/v3/core/tokens/", json={"identifier": "short", "intent": "api", "user": me["pk"], "expiring": True}).status_code == 201
        key = api.get("/api/v3/core/tokens/short/view_key/").json()["key"]
        with client(s, key) as short:
            assert short.get("/api/v3/core/users/me/").status_code == 200
            s.fault(clock_offset=3600)
            try:
                assert short.get("/api/v3/core/users/me/").json() == {"detail": "Token invalid/expired"}
            finally:
                s.fault(clock_offset=0)


def test_paths_and_404s(standin_module) -> None:
    s = standin_module()
    with client(s) as api:
        for path in ("/-/health/live", "/api/v3/admin/version", "/api/v3/nope/", "/application/o/nope/.well-known/openid-configuration"):
            r = api.get(path)
            assert r.status_code == 404 and r.headers["Content-Type"] == "text/html; charset=utf-8", path
            assert "Not Found" in r.text
        assert api.get("/api/v3/providers/oauth2/424242/").json() == {"detail": "No OAuth2Provider matches the given query."}
        assert api.get("/api/v3/core/applications/nope/").json() == {"detail": "No Application matches the given query."}
        assert api.get("/api/v3/flows/instances/nope/").json() == {"detail": "No Flow matches the given query."}
        assert api.get("/api/v3/core/users/999/").json() == {"detail": "No User matches the given query."}
        assert api.get("/api/v3/flows/instances/", params={"page": 9}).json() == {"detail": "Invalid page."}


def test_provider_validation_and_crud(standin_module) -> None:
    s = standin_module()
    s.wait_worker()
    with client(s) as api:
        o = objects(api)
        base = {
            "name": "crud",
            "authorization_flow": o["flows"]["default-provider-authorization-implicit-consent"],
            "invalidation_flow": o["flows"]["default-provider-invalidation-flow"],
            "redirect_uris": [{"matching_mode": "strict", "url": CALLBACK}],
        }
        r = api.post("/api/v3/providers/oauth2/", json={**base, "authorization_flow": "default-provider-authorization-implicit-consent"})
        assert r.json() == {"authorization_flow": ["\u201cdefault-provider-authorization-implicit-consent\u201d is not a valid UUID."]}
        r = api.post("/api/v3/providers/oauth2/", json={**base, "authorization_flow": "00000000-0000-4000-8000-000000000000"})
        assert r.json() == {"authorization_flow": ['Invalid pk "00000000-0000-4000-8000-000000000000" - object does not exist.']}
        r = api.post("/api/v3/providers/oauth2/", json={**base, "redirect_uris": [{"matching_mode": "regex", "url": "("}]})
        assert r.json() == {"redirect_uris": ["Invalid Regex Pattern: ("]}
        r = api.post("/api/v3/providers/oauth2/", json=base)
        assert r.status_code == 201
        p = r.json()
        assert len(p["client_id"]) == 40 and len(p["client_secret"]) == 128 and p["signing_key"] is None
        assert api.post("/api/v3/providers/oauth2/", json=base).json() == {"name": ["provider with this name already exists."]}
        assert api.get("/api/v3/providers/oauth2/", params={"name": "crud"}).json()["pagination"]["count"] == 1
        r = api.patch(f"/api/v3/providers/oauth2/{p['pk']}/", json={"client_id": "fixed-client-id"})
        assert r.json()["client_id"] == "fixed-client-id"
        su = api.get(f"/api/v3/providers/oauth2/{p['pk']}/setup_urls/", headers={"Host": "auth.example:9000"}).json()
        assert su["issuer"] is None and "jwks" not in su and su["token"] == "http://auth.example:9000/application/o/token/"
        assert api.delete(f"/api/v3/providers/oauth2/{p['pk']}/").status_code == 204
        assert api.get(f"/api/v3/providers/oauth2/{p['pk']}/").status_code == 404


def test_application_list_cache_quirk(standin) -> None:
    s = standin()
    s.wait_worker()
    with client(s) as api:
        make_app(api, "alpha")
        make_app(api, "beta")
        r = api.get("/api/v3/core/applications/", params={"slug": "alpha"}).json()
        assert [a["slug"] for a in r["results"]] == ["alpha"]
        # same user, other filter: served from the per-user page cache, count from the filtered query
        r = api.get("/api/v3/core/applications/", params={"slug": "beta"}).json()
        assert [a["slug"] for a in r["results"]] == ["alpha"] and r["pagination"]["count"] == 1
        r = api.get("/api/v3/core/applications/", params={"slug": "beta", "superuser_full_list": "true"}).json()
        assert [a["slug"] for a in r["results"]] == ["beta"]
        assert api.get("/api/v3/core/applications/beta/").json()["slug"] == "beta"
        # updating or deleting an application does not clear the cache; creating one does
        assert api.delete("/api/v3/core/applications/alpha/").status_code == 204
        r = api.get("/api/v3/core/applications/", params={"slug": "beta"}).json()
        assert r["results"] == [] and r["pagination"]["count"] == 1
        assert api.post("/api/v3/core/applications/", json={"name": "Gamma", "slug": "gamma"}).status_code == 201
        r = api.get("/api/v3/core/applications/", params={"slug": "beta"}).json()
        assert [a["slug"] for a in r["results"]] == ["beta"]
        # a group save clears it as well
        api.get("/api/v3/core/applications/", params={"slug": "gamma"})
        assert [a["slug"] for a in api.get("/api/v3/core/applications/", params={"slug": "gamma"}).json()["results"]] == ["beta"]
        api.post("/api/v3/core/groups/", json={"name": "g"})
        assert [a["slug"] for a in api.get("/api/v3/core/applications/", params={"slug": "gamma"}).json()["results"]] == ["gamma"]


def test_application_validation(standin_module) -> None:
    s = standin_module()
    s.wait_worker()
    with client(s) as api:
        prov = make_app(api, "valid-app")
        assert api.post("/api/v3/core/applications/", json={"name": "x", "slug": "valid-app"}).json() == {"slug": ["Application with this slug already exists."]}
        assert api.post("/api/v3/core/applications/", json={"name": "x", "slug": "bad slug!"}).json() == {"slug": ["Enter a valid \u201cslug\u201d consisting of letters, numbers, underscores or hyphens."]}
        assert api.post("/api/v3/core/applications/", json={"name": "x", "slug": "x2", "provider": prov["pk"]}).json() == {"provider": ["Application with this provider already exists."]}
        assert api.post("/api/v3/core/applications/", json={"slug": "x3"}).json() == {"name": ["This field is required."]}
        r = api.patch("/api/v3/core/applications/valid-app/", json={"meta_description": "d"})
        assert r.status_code == 200 and r.json()["meta_description"] == "d"


def test_users_groups_tokens(standin_module) -> None:
    s = standin_module()
    with client(s) as api:
        r = api.post("/api/v3/core/users/", json={"username": "u1", "name": "U One", "email": "u1@example.com"})
        assert r.status_code == 201
        u = r.json()
        assert (u["path"], u["type"], u["is_superuser"], len(u["uid"])) == ("users", "internal", False, 64)
        assert api.post("/api/v3/core/users/", json={"username": "u1", "name": "x"}).json() == {"username": ["This field must be unique."]}
        assert api.post(f"/api/v3/core/users/{u['pk']}/set_password/", json={"password": ""}).json() == {"password": ["This field may not be blank."]}
        r = api.post(f"/api/v3/core/users/{u['pk']}/set_password/", json={"password": "pw"})
        assert r.status_code == 204 and r.content == b""
        g = api.post("/api/v3/core/groups/", json={"name": "g1", "users": [u["pk"]]}).json()
        assert g["users"] == [u["pk"]] and g["users_obj"][0]["username"] == "u1"
        assert api.get("/api/v3/core/users/", params={"username": "u1"}).json()["results"][0]["groups"] == [g["pk"]]
        sa = api.post("/api/v3/core/users/service_account/", json={"name": "sa1", "create_group": False, "expiring": True})
        assert sa.status_code == 200 and len(sa.json()["token"]) == 60
        toks = api.get("/api/v3/core/tokens/", params={"user__username": "sa1"}).json()["results"]
        assert [(t["identifier"], t["intent"]) for t in toks] == [("service-account-sa1-password", "app_password")]
        assert "key" not in toks[0]
        assert api.delete(f"/api/v3/core/groups/{g['pk']}/").status_code == 204
        assert api.delete(f"/api/v3/core/users/{u['pk']}/").status_code == 204
