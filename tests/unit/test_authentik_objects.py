"""services.authentik_objects: list filters are hints, never proof; applications only by their detail URL.

The server side is an httpx MockTransport that behaves like the 2026.2 application-list cache (filters
ignored), which is exactly what a stand-in that honours filters cannot show.
"""

from __future__ import annotations

import json

import httpx
import pytest

from authentik_lab.adapters.authentik_api import AuthentikApi
from authentik_lab.core.dialect import Dialect
from authentik_lab.services import authentik_objects as ak


def page(results: list[dict], next_page: int = 0) -> dict:
    return {"pagination": {"next": next_page, "previous": 0, "count": len(results)}, "results": results, "autocomplete": {}}


def api_for(handler) -> tuple[AuthentikApi, list[str]]:
    seen: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}?{request.url.query.decode()}")
        return handler(request)

    return AuthentikApi("http://ak.test", "t", transport=httpx.MockTransport(record), sleep=lambda s: None), seen


def test_a_list_that_ignores_its_filter_is_not_trusted() -> None:
    # the server answers every ?name= with the same unrelated first page, then the real match on page 2
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return httpx.Response(200, json=page([{"pk": 7, "name": "mine"}]))
        return httpx.Response(200, json=page([{"pk": 1, "name": "someone-else"}], next_page=2))

    api, seen = api_for(handler)
    assert ak.provider_by_name(api, "mine") == {"pk": 7, "name": "mine"}
    assert ak.provider_by_name(api, "absent") is None
    assert seen[0] == "GET /api/v3/providers/oauth2/?page=1&page_size=100&name=mine"


def test_applications_are_fetched_by_slug_only() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v3/core/applications/web/":
            return httpx.Response(200, json={"slug": "web", "provider": 3})
        return httpx.Response(404, json={"detail": "No Application matches the given query."})

    api, seen = api_for(handler)
    assert ak.application_by_slug(api, "web") == {"slug": "web", "provider": 3}
    assert ak.application_by_slug(api, "gone") is None
    assert [s.split("?")[0] for s in seen] == ["GET /api/v3/core/applications/web/", "GET /api/v3/core/applications/gone/"]


def test_prerequisites_in_three_requests_and_missing_objects_explained() -> None:
    flows = [{"pk": "f-impl", "slug": ak.IMPLICIT_CONSENT_FLOW}, {"pk": "f-inv", "slug": ak.INVALIDATION_FLOW}, {"pk": "f-x", "slug": "other"}]
    mappings = [{"pk": f"m-{s}", "managed": ak.scope_key(s)} for s in ("openid", "email", "profile", "offline_access")]
    certs = [{"pk": "c-1", "name": "someone's cert"}, {"pk": "c-2", "name": ak.SELF_SIGNED_CERT}]

    def handler(request: httpx.Request) -> httpx.Response:
        body = {"/api/v3/flows/instances/": flows, "/api/v3/propertymappings/provider/scope/": mappings,
                "/api/v3/crypto/certificatekeypairs/": certs}.get(request.url.path)
        return httpx.Response(200, json=page(body)) if body is not None else httpx.Response(404, text="Not Found")

    api, seen = api_for(handler)
    pre = ak.lookup_prerequisites(api, Dialect.for_version("2026.5.6"), ak.IMPLICIT_CONSENT_FLOW, ["openid", "email", "profile"])
    assert (pre.authorization_flow, pre.invalidation_flow, pre.signing_key) == ("f-impl", "f-inv", "c-2")
    assert pre.mappings == {"openid": "m-openid", "email": "m-email", "profile": "m-profile", "offline_access": "m-offline_access"}
    assert len(seen) == 3
    flows.pop(1)
    with pytest.raises(ak.MissingObjectError) as err:
        ak.lookup_prerequisites(api, Dialect.for_version("2026.5.6"), ak.IMPLICIT_CONSENT_FLOW, ["openid"])
    assert err.value.message == f"Authentik has no flow {ak.INVALIDATION_FLOW!r}"
    assert "worker" in (err.value.hint or "")


def test_concurrently_returns_by_name_and_reraises() -> None:
    assert ak.concurrently({"a": lambda: 1, "b": lambda: 2}) == {"a": 1, "b": 2}
    with pytest.raises(ZeroDivisionError):
        ak.concurrently({"a": lambda: 1, "b": lambda: 1 / 0})
    assert json.dumps(ak.concurrently({})) == "{}"
