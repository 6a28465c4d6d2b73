"""Release dialects: scope-mapping path, invalidation_flow, redirect_uris string vs list, field sets."""

from __future__ import annotations

import pytest

from .helpers import CALLBACK, client, objects


def _provider_body(o: dict, **kw) -> dict:
    body = {
        "name": "p1",
        "authorization_flow": o["flows"]["default-provider-authorization-implicit-consent"],
        "property_mappings": [o["maps"]["openid"]],
        "signing_key": o["cert"],
    }
    body.update(kw)
    return body


def test_pre_2024_8(standin) -> None:
    s = standin(version="2024.6.0")
    s.wait_worker()
    with client(s) as api:
        r = api.get("/api/v3/propertymappings/provider/scope/")
        assert r.status_code == 404 and r.headers["Content-Type"].startswith("text/html")
        o = objects(api, "propertymappings/scope")
        assert "entitlements" not in o["maps"] and len(o["maps"]) == 6
        assert "default-provider-invalidation-flow" not in o["flows"]
        r = api.post("/api/v3/providers/oauth2/", json=_provider_body(o, redirect_uris=[{"matching_mode": "strict", "url": CALLBACK}]))
        assert (r.status_code, r.json()) == (400, {"redirect_uris": ["Not a valid string."]})
        r = api.post("/api/v3/providers/oauth2/", json=_provider_body(o, redirect_uris=CALLBACK + "\nhttp://localhost:3001/cb"))
        assert r.status_code == 201, r.text
        p = r.json()
        assert p["redirect_uris"] == CALLBACK + "\nhttp://localhost:3001/cb"
        assert "invalidation_flow" not in p and "encryption_key" not in p and "jwks_sources" in p
        assert "refresh_token_threshold" not in p and "logout_method" not in p and "jwt_federation_sources" not in p


def test_2024_10_requires_invalidation_flow_and_takes_a_string(standin) -> None:
    s = standin(version="2024.10.0")
    s.wait_worker()
    with client(s) as api:
        o = objects(api)
        r = api.post("/api/v3/providers/oauth2/", json=_provider_body(o, redirect_uris=CALLBACK))
        assert (r.status_code, r.json()) == (400, {"invalidation_flow": ["This field is required."]})
        r = api.post("/api/v3/providers/oauth2/", json=_provider_body(o, redirect_uris=CALLBACK, invalidation_flow=o["flows"]["default-provider-invalidation-flow"]))
        assert r.status_code == 201, r.text
        p = r.json()
        assert p["redirect_uris"] == CALLBACK and "encryption_key" in p and "jwks_sources" in p


@pytest.mark.parametrize("version", ["2024.12.0", "2026.2.2", "2026.5.6"])
def test_list_dialect(standin, version: str) -> None:
    s = standin(version=version)
    s.wait_worker()
    with client(s) as api:
        o = objects(api)
        assert "entitlements" in o["maps"]
        inv = o["flows"]["default-provider-invalidation-flow"]
        r = api.post("/api/v3/providers/oauth2/", json=_provider_body(o, invalidation_flow=inv, redirect_uris=CALLBACK))
        assert r.json() == {"redirect_uris": {"non_field_errors": ['Expected a list of items but got type "str".']}}
        r = api.post("/api/v3/providers/oauth2/", json=_provider_body(o, invalidation_flow=inv))
        assert r.json() == {"redirect_uris": ["This field is required."]}
        good = [{"matching_mode": "strict", "url": CALLBACK}, {"matching_mode": "regex", "url": "http://x/.*"}]
        r = api.post("/api/v3/providers/oauth2/", json=_provider_body(o, invalidation_flow=inv, redirect_uris=good + [{"matching_mode": "exact", "url": "u"}]))
        assert r.json() == {"redirect_uris": [{}, {}, {"matching_mode": ['"exact" is not a valid choice.']}]}
        r = api.post("/api/v3/providers/oauth2/", json=_provider_body(o, invalidation_flow=inv, redirect_uris=good))
        assert r.status_code == 201
        p = r.json()
        assert p["redirect_uris"] == good and "jwt_federation_sources" in p
        assert ("refresh_token_threshold" in p) == (version >= "2025")
        app = api.post("/api/v3/core/applications/", json={"name": "A", "slug": "a", "provider": p["pk"]}).json()
        assert ("meta_icon_url" in app) == (version >= "2026")
        assert app["launch_url"] == "http://localhost:3000"
