"""The refresh-token hint: each preset says how *its* framework requests offline_access."""

from __future__ import annotations

import pytest

from authentik_lab.cli.provider_output import refresh_hint
from authentik_lab.core.presets import PRESETS

SCOPE_OPTION = 'authorization: { params: { scope: "openid email profile offline_access" } }'


@pytest.mark.parametrize("name", ["nextauth", "authjs", "sveltekit"])
def test_js_presets_name_the_authorization_params_option(name: str) -> None:
    assert SCOPE_OPTION in refresh_hint(name)


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("oauth2-proxy", "--scope="),
        ("oauth2-proxy", "OAUTH2_PROXY_SCOPE"),
        ("grafana", 'GF_AUTH_GENERIC_OAUTH_SCOPES="openid email profile offline_access"'),
        ("spring", "registration.<id>.scope=openid,email,profile,offline_access"),
        ("django-allauth", 'SOCIALACCOUNT_PROVIDERS["openid_connect"]["SCOPE"]'),
    ],
)
def test_other_presets_name_their_own_setting(name: str, needle: str) -> None:
    assert needle in refresh_hint(name)


def test_the_general_note_is_never_used_as_the_refresh_hint() -> None:
    # authjs's note is about the issuer slash, django-allauth's about where settings live (QA finding 8)
    for name in ("authjs", "django-allauth"):
        assert refresh_hint(name) != PRESETS[name].note
        assert "offline_access" in refresh_hint(name)


def test_generic_and_unknown_presets_fall_back_to_plain_words() -> None:
    assert refresh_hint("generic") == "request offline_access"
    assert refresh_hint(None) == "add offline_access to the scopes your app requests"
    assert refresh_hint("no-such-preset") == "add offline_access to the scopes your app requests"


def test_every_preset_has_a_refresh_hint_that_mentions_offline_access() -> None:
    for preset in PRESETS.values():
        assert "offline_access" in preset.refresh_hint, preset.name
