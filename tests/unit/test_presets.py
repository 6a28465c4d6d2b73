"""core.presets: callback paths, issuer forms and env names, as the frameworks' docs state them."""

from __future__ import annotations

import pytest

from authentik_lab.core.presets import PRESETS, Source, get_preset
from authentik_lab.core.urls import IssuerForm
from authentik_lab.errors import UsageError

# (preset, default app URL, callback URL the framework really uses)
CALLBACKS = [
    ("nextauth", "http://localhost:3000", "http://localhost:3000/api/auth/callback/authentik"),
    ("authjs", "http://localhost:3000", "http://localhost:3000/api/auth/callback/authentik"),
    ("sveltekit", "http://localhost:5173", "http://localhost:5173/auth/callback/authentik"),
    ("oauth2-proxy", "http://localhost:4180", "http://localhost:4180/oauth2/callback"),
    ("grafana", "http://localhost:3000", "http://localhost:3000/login/generic_oauth"),
    ("spring", "http://localhost:8080", "http://localhost:8080/login/oauth2/code/authentik"),
    ("django-allauth", "http://localhost:8000", "http://localhost:8000/accounts/oidc/authentik/login/callback/"),
    ("hono", "http://localhost:8787", "http://localhost:8787/callback"),
    ("generic", "http://localhost:3000", "http://localhost:3000/callback"),
]


def test_every_preset_is_covered() -> None:
    assert sorted(PRESETS) == sorted(name for name, _, _ in CALLBACKS)


@pytest.mark.parametrize(("name", "app_url", "callback"), CALLBACKS)
def test_callback_urls(name: str, app_url: str, callback: str) -> None:
    preset = get_preset(name)
    assert preset.default_app_url == app_url
    assert preset.callback_url(app_url) == callback
    assert preset.callback_url(app_url + "/") == callback


def test_provider_id_goes_into_the_path() -> None:
    assert get_preset("nextauth").callback_url("http://localhost:3000", "my-idp") == "http://localhost:3000/api/auth/callback/my-idp"
    assert get_preset("spring").callback_url("http://localhost:8080", "corp") == "http://localhost:8080/login/oauth2/code/corp"
    assert not get_preset("grafana").uses_provider_id


def test_issuer_forms() -> None:
    forms = {name: p.issuer_form for name, p in PRESETS.items()}
    assert forms["nextauth"] is IssuerForm.WITHOUT_SLASH  # v4 appends "/.well-known/..." itself
    assert forms["authjs"] is IssuerForm.WITH_SLASH  # oauth4webapi compares iss exactly
    assert forms["django-allauth"] is IssuerForm.DISCOVERY
    assert {forms[n] for n in ("sveltekit", "oauth2-proxy", "spring", "hono", "generic")} == {IssuerForm.WITH_SLASH}


def test_env_names() -> None:
    assert get_preset("nextauth").env_names() == [
        "AUTHENTIK_ID", "AUTHENTIK_SECRET", "AUTHENTIK_ISSUER", "NEXTAUTH_URL", "NEXTAUTH_SECRET", "AUTHENTIK_TOKEN_URL",
    ]
    assert get_preset("authjs").env_names() == ["AUTH_AUTHENTIK_ID", "AUTH_AUTHENTIK_SECRET", "AUTH_AUTHENTIK_ISSUER", "AUTH_SECRET"]
    # Spring's relaxed binding: registration id upper-cased, dashes dropped
    assert get_preset("spring").env_names("my-idp") == [
        "SPRING_SECURITY_OAUTH2_CLIENT_REGISTRATION_MYIDP_CLIENT_ID",
        "SPRING_SECURITY_OAUTH2_CLIENT_REGISTRATION_MYIDP_CLIENT_SECRET",
        "SPRING_SECURITY_OAUTH2_CLIENT_REGISTRATION_MYIDP_SCOPE",
        "SPRING_SECURITY_OAUTH2_CLIENT_PROVIDER_MYIDP_ISSUER_URI",
    ]
    assert "OIDC_AUTH_SECRET" in get_preset("hono").env_names()


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_exports_credentials_and_a_way_to_find_the_issuer(name: str) -> None:
    preset = PRESETS[name]
    sources = {v.source for v in preset.env}
    assert {Source.CLIENT_ID, Source.CLIENT_SECRET} <= sources
    assert sources & {Source.ISSUER, Source.AUTHORIZE}
    assert preset.scopes[0] == "openid"
    assert all(v.secret for v in preset.env if v.source in (Source.CLIENT_SECRET, Source.RANDOM_SECRET))
    assert len(preset.env_names()) == len(set(preset.env_names()))


def test_unknown_preset() -> None:
    with pytest.raises(UsageError) as err:
        get_preset("next-auth")
    assert err.value.message == "unknown preset 'next-auth'"
    assert "nextauth" in (err.value.hint or "")
    assert get_preset(" NextAuth ") is PRESETS["nextauth"]


def test_presets_command_lists_every_preset_as_json() -> None:
    import json

    from typer.testing import CliRunner

    from authentik_lab.cli.main import cli

    result = CliRunner().invoke(cli, ["provider", "presets", "--json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["authlab"], doc["command"], doc["ok"]) == (1, "provider presets", True)
    nextauth = doc["data"][0]
    assert nextauth == {
        "name": "nextauth",
        "title": "NextAuth.js v4 (next-auth@4, built-in Authentik provider)",
        "callback": "http://localhost:3000/api/auth/callback/authentik",
        "issuer_form": "without-slash",
        "env": ["AUTHENTIK_ID", "AUTHENTIK_SECRET", "AUTHENTIK_ISSUER", "NEXTAUTH_URL", "NEXTAUTH_SECRET", "AUTHENTIK_TOKEN_URL"],
        "scopes": ["openid", "email", "profile"],
        "note": "add offline_access to authorization.params.scope to get a refresh token",
        "defaults": [{
            "variable": "NEXTAUTH_URL", "default": "http://localhost:3000",
            "meaning": "NextAuth.js v4 without NEXTAUTH_URL uses http://localhost:3000/api/auth as its base URL",
            "source": "next-auth v4 src/utils/parse-url.ts (default http://localhost:3000/api/auth); the request's host is used "
                      "instead only with AUTH_TRUST_HOST or on Vercel (src/utils/detect-origin.ts)",
            "unless_set": ["AUTH_TRUST_HOST", "VERCEL", "VERCEL_URL"], "built_from": []}],
    }
    assert [p["name"] for p in doc["data"]] == list(PRESETS)
    # every preset says what doctor assumes for an unset app URL, with its source
    grafana = next(p for p in doc["data"] if p["name"] == "grafana")
    assert [(d["variable"], d["default"]) for d in grafana["defaults"]] == [("GF_SERVER_ROOT_URL", "http://localhost:3000/")]
    assert all(d["source"] for p in doc["data"] for d in p["defaults"])
    assert {p["name"] for p in doc["data"] if not p["defaults"]} == {"generic"}
