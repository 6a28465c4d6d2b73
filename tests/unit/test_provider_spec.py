"""core.provider_spec: desired state from options, payloads per dialect (checked against the release
schemas and the official client's models), and the pure plan."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path

import pytest

from authentik_lab.core.dialect import Dialect
from authentik_lab.core.provider_spec import (
    Refs,
    application_payload,
    build_desired,
    check_slug,
    plan,
    provider_payload,
    slugify,
)
from authentik_lab.errors import UsageError

CAPTURES = Path(__file__).resolve().parents[2].parent / "shared" / "authentik" / "captures-2026.2.2"

# the pks of the captured 2026.2.2 lab (020-provider-create-201.json)
REFS = Refs(
    authorization_flow="ecfd6b5e-8753-4527-8469-89dba4946114",
    invalidation_flow="4bf88932-226a-4a64-bf0b-9c7c6863fe87",
    mappings={
        "openid": "6a9b5a82-7c3c-4580-b754-93fe1e5fe9a6",
        "email": "e71d70f7-2967-450b-a4cf-dfc65c25bea2",
        "profile": "7657a4a0-50b9-4461-8e71-b50eedb4d900",
        "offline_access": "f9b05fd4-60d9-4fc4-b9b9-05e3ff4aa312",
    },
    signing_key="04e51b0f-bf41-4d18-a064-f483a847465f",
)
NEW = Dialect.for_version("2026.2.2")
MID = Dialect.for_version("2024.10.0")
OLD = Dialect.for_version("2024.6.0")


def nextauth(**kw):
    return build_desired("capture-provider", "nextauth", slug="capture-app", **kw)


# --- desired -------------------------------------------------------------------------------------


def test_defaults() -> None:
    d = build_desired("My App", "nextauth")
    assert (d.name, d.slug, d.app_url, d.provider_id) == ("My App", "my-app", "http://localhost:3000", "authentik")
    assert [u.url for u in d.redirect_uris] == ["http://localhost:3000/api/auth/callback/authentik"]
    assert (d.client_type, d.consent, d.sub_mode, d.issuer_mode) == ("confidential", "implicit", "hashed_user_id", "per_provider")
    assert d.authorization_flow_slug == "default-provider-authorization-implicit-consent"
    assert d.mapping_scopes == ("openid", "email", "profile", "offline_access")


def test_options_shape_the_desired_state() -> None:
    d = build_desired(
        "api", "spring", app_url="http://localhost:8081/", redirect_uris=["http://localhost:8081/extra"], public=True,
        consent="explicit", offline_access=False, sub_mode="user_email", provider_id="corp", client_id="api-client",
    )
    assert [u.url for u in d.redirect_uris] == ["http://localhost:8081/login/oauth2/code/corp", "http://localhost:8081/extra"]
    assert (d.client_type, d.authorization_flow_slug, d.sub_mode, d.client_id) == (
        "public", "default-provider-authorization-explicit-consent", "user_email", "api-client")
    assert d.mapping_scopes == ("openid", "email", "profile")
    assert "offline_access" not in d.app_scopes


def test_generic_redirect_uris_replace_the_default_and_regex_is_marked() -> None:
    d = build_desired("x", "generic", redirect_uris=["https?://localhost:\\d+/cb"], regex=True)
    assert [(u.url, u.matching_mode) for u in d.redirect_uris] == [("https?://localhost:\\d+/cb", "regex")]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"preset": "nope"}, "--preset 'nope' is not a preset"),
        ({"slug": "Bad Slug!"}, "--slug 'Bad Slug!' would be refused by Authentik"),
        ({"redirect_uris": ["/relative"]}, "--redirect-uri '/relative' is not an absolute http(s) URL"),
        ({"redirect_uris": ["http://localhost:3000/cb#x"]}, "--redirect-uri 'http://localhost:3000/cb#x' has a fragment"),
        ({"redirect_uris": ["http://localhost:3000/.*"]}, "regex characters"),
        ({"redirect_uris": ["http://x/(", ], "regex": True}, "--redirect-uri 'http://x/(' is not a valid regular expression"),
        ({"consent": "maybe"}, "--consent 'maybe' is not a consent mode"),
        ({"sub_mode": "email"}, "--sub-mode 'email' is not a subject mode"),
        ({"preset": "grafana", "provider_id": "x"}, "has no provider id"),
        ({"app_url": "http://localhost:3000/?a=1"}, "--app-url 'http://localhost:3000/?a=1' must not have a query"),
        ({"app_url": "localhost:3000"}, "--app-url 'localhost:3000' is not an absolute http(s) URL"),
        ({"client_id": "has space"}, "--client-id 'has space'"),
    ],
)
def test_bad_input_is_rejected(kwargs: dict, fragment: str) -> None:
    kwargs = {"preset": "nextauth", **kwargs}
    with pytest.raises(UsageError) as err:
        build_desired("app", **kwargs)
    assert err.value.message.startswith(fragment) or fragment in err.value.message
    assert err.value.hint


def test_lab_file_errors_name_the_key_not_an_option() -> None:
    from authentik_lab.core.provider_spec import FILE_KEYS

    with pytest.raises(UsageError) as err:
        build_desired("app", "nextauth", app_url="localhost:3000", names=FILE_KEYS)
    assert err.value.message == "app_url 'localhost:3000' is not an absolute http(s) URL"
    with pytest.raises(UsageError) as err:
        build_desired("app", "nextauth", redirect_uris=["nope"], names=FILE_KEYS)
    assert err.value.message == "redirect_uris 'nope' is not an absolute http(s) URL"


def test_slugs() -> None:
    assert slugify("  My Shiny App! v2 ") == "my-shiny-app-v2"
    assert len(slugify("x" * 80)) == 50
    assert check_slug("a_b-1") == "a_b-1"
    with pytest.raises(UsageError):
        check_slug("")


# --- payloads ------------------------------------------------------------------------------------


def test_payload_new_dialect_matches_the_captured_request() -> None:
    sent = json.loads((CAPTURES / "020-provider-create-201.json").read_text())["request"]["body"] if CAPTURES.is_dir() else None
    payload = provider_payload(nextauth(), REFS, NEW)
    if sent is None:
        pytest.skip("captures not available")
    sent.pop("include_claims_in_id_token")  # a model default authlab does not manage
    assert payload == sent


def test_payload_shapes_per_dialect() -> None:
    d = nextauth(redirect_uris=["http://localhost:3000/cb?x=1"])
    mid, old = provider_payload(d, REFS, MID), provider_payload(d, REFS, OLD)
    assert mid["redirect_uris"] == "http://localhost:3000/api/auth/callback/authentik\nhttp://localhost:3000/cb\\?x=1"
    assert mid["invalidation_flow"] == REFS.invalidation_flow
    assert "invalidation_flow" not in old and old["redirect_uris"] == mid["redirect_uris"]
    assert application_payload(d, 11) == {"name": "capture-provider", "slug": "capture-app", "provider": 11, "meta_launch_url": "http://localhost:3000"}


def _openapi_to_jsonschema(node):
    """OpenAPI 3.0 `nullable` -> JSON Schema; everything else is already JSON Schema."""
    if isinstance(node, list):
        return [_openapi_to_jsonschema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _openapi_to_jsonschema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@functools.lru_cache(maxsize=None)
def _components(path: Path) -> dict:
    import yaml

    try:  # the schemas are large; the C loader is ~10x faster
        loader = yaml.CSafeLoader
    except AttributeError:
        loader = yaml.SafeLoader
    return yaml.load(path.read_text(), Loader=loader)["components"]["schemas"]


SCHEMAS = ["2024.6.0", "2024.10.0", "2024.12.0", "2025.10.4", "2026.2.2", "2026.5.0-rc1"]


@pytest.mark.parametrize("version", SCHEMAS)
@pytest.mark.parametrize("component", ["OAuth2ProviderRequest", "PatchedOAuth2ProviderRequest"])
def test_payload_matches_release_schema(shared_authentik: Path, version: str, component: str) -> None:
    import jsonschema  # a declared test dependency (pyproject [test]): missing means a broken install, not a skip
    path = shared_authentik / f"schema-{version}.yml"
    if not path.is_file():
        pytest.skip(f"{path.name} absent")
    components = _components(path)
    schema = copy.deepcopy(components[component])
    schema["additionalProperties"] = False  # authlab must not send fields this release does not know
    # only the components the provider request refers to (the enums, RedirectURIRequest)
    refs = {k: v for k, v in components.items() if k.endswith("Enum") or k.startswith("RedirectURI")}
    root = {"components": {"schemas": _openapi_to_jsonschema(refs)}, **_openapi_to_jsonschema(schema)}
    validator = jsonschema.Draft202012Validator(root, format_checker=jsonschema.FormatChecker())
    dialect = Dialect.for_version(version)
    for desired in (nextauth(), build_desired("p", "generic", redirect_uris=["https?://localhost:\\d+/cb"], regex=True, public=True, client_id="fixed")):
        payload = provider_payload(desired, REFS, dialect)
        errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(payload)]
        assert errors == []
    if component == "OAuth2ProviderRequest":
        assert set(schema.get("required", [])) <= set(provider_payload(nextauth(), REFS, dialect))


def test_payload_accepted_by_the_official_client_models() -> None:
    import authentik_client.models as models  # a declared test dependency, like jsonschema
    for desired in (nextauth(), build_desired("p", "hono", public=True, client_id="fixed", sub_mode="user_uuid")):
        payload = provider_payload(desired, REFS, NEW)
        model = models.OAuth2ProviderRequest.from_dict(payload)
        assert set(payload) <= set(type(model).model_fields)
        assert {k: v for k, v in json.loads(model.to_json()).items() if k in payload} == payload
        patch = models.PatchedOAuth2ProviderRequest.from_dict({"redirect_uris": payload["redirect_uris"]})
        assert json.loads(patch.to_json())["redirect_uris"] == payload["redirect_uris"]
    app = models.ApplicationRequest.from_dict(application_payload(nextauth(), 11))
    assert app.slug == "capture-app" and app.provider == 11


# --- plan ----------------------------------------------------------------------------------------


def _captured(name: str) -> dict:
    if not CAPTURES.is_dir():
        pytest.skip("captures not available")
    return json.loads((CAPTURES / name).read_text())["response"]["body"]


def test_plan_create_when_nothing_exists() -> None:
    p = plan(nextauth(), None, None, NEW, REFS)
    assert (p.action, p.provider_action, p.application_action, p.writes) == ("create", "create", "create", 2)
    assert p.provider_payload == provider_payload(nextauth(), REFS, NEW)
    assert p.application_payload["slug"] == "capture-app"


def test_plan_unchanged_ignores_server_defaults() -> None:
    # the provider as read back from a real 2026.2.2 (with access_token_validity, logout_method, ...);
    # its redirect_uris were patched to a regex entry by capture 024, so put the created one back
    provider = {**_captured("051-provider-get-with-app.json"),
                "redirect_uris": [{"matching_mode": "strict", "url": "http://localhost:3000/api/auth/callback/authentik"}]}
    app = {**_captured("042-application-get-by-slug.json"), "name": "capture-provider"}
    assert app["meta_launch_url"] == "http://localhost:3000/"  # a trailing slash is not a change
    desired = nextauth()
    p = plan(desired, provider, app, NEW, REFS)
    assert p.changes == () and p.action == "unchanged" and p.writes == 0


def test_plan_update_lists_only_changed_managed_fields() -> None:
    provider = _captured("051-provider-get-with-app.json")
    app = {**_captured("042-application-get-by-slug.json"), "name": "capture-provider", "meta_launch_url": "http://localhost:3000"}
    desired = nextauth(offline_access=False, consent="explicit", redirect_uris=["http://localhost:3000/extra"])
    refs = Refs("explicit-pk", REFS.invalidation_flow, REFS.mappings, REFS.signing_key)
    p = plan(desired, provider, app, NEW, refs)
    assert p.action == "update" and p.application_action == "unchanged"
    assert [(c.object, c.field) for c in p.changes] == [
        ("provider", "authorization_flow"), ("provider", "redirect_uris"), ("provider", "property_mappings")]
    assert set(p.provider_payload) == {"authorization_flow", "redirect_uris", "property_mappings"}


def test_plan_compares_legacy_string_form() -> None:
    d = nextauth()
    observed = {"pk": 3, "name": d.name, "assigned_application_slug": "capture-app", **provider_payload(d, REFS, MID)}
    observed["redirect_uris"] = observed["redirect_uris"] + "\n"  # servers may keep a trailing newline
    app = {"slug": "capture-app", "name": d.name, "provider": 3, "meta_launch_url": "http://localhost:3000"}
    assert plan(d, observed, app, MID, REFS).action == "unchanged"


def test_plan_refuses_conflicts() -> None:
    d = nextauth()
    with pytest.raises(UsageError, match="already belongs to application 'other'"):
        plan(d, {"pk": 1, "name": d.name, "assigned_application_slug": "other"}, None, NEW, REFS)
    with pytest.raises(UsageError, match="already used by another application"):
        plan(d, None, {"slug": "capture-app", "name": "x", "provider": 9}, NEW, REFS)


def test_plan_adopts_an_application_without_provider() -> None:
    d = nextauth()
    p = plan(d, None, {"slug": "capture-app", "name": d.name, "provider": None, "meta_launch_url": "http://localhost:3000"}, NEW, REFS)
    assert (p.provider_action, p.application_action) == ("create", "update")
    assert p.application_payload == {"provider": 0}
