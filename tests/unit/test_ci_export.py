"""The KEY=value export of `authlab ci`: names, both issuer forms, GITHUB_ENV heredocs, dotenv quoting."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from authentik_lab.core import dotenv
from authentik_lab.core.ci_export import (
    ExportNameClash,
    ProviderExport,
    ServiceAccountExport,
    UserExport,
    env_key,
    export_values,
    github_masks,
    redacted,
    render_env_file,
    render_github_env,
)

BASE = "http://localhost:9000"


def _provider(name: str = "web-app", secret: str = "s" * 8) -> ProviderExport:
    issuer = f"{BASE}/application/o/{name}/"
    return ProviderExport(
        name=name,
        client_id="cid",
        client_secret=secret,
        issuer=issuer,
        authorize=f"{BASE}/application/o/authorize/",
        token=f"{BASE}/application/o/token/",
        userinfo=f"{BASE}/application/o/userinfo/",
        end_session=f"{issuer}end-session/",
        jwks=f"{issuer}jwks/",
        redirect_uri="http://localhost:3000/api/auth/callback/authentik",
    )


def test_env_key() -> None:
    assert env_key("web-app") == "WEB_APP"
    assert env_key("alice.smith@x") == "ALICE_SMITH_X"


def test_export_values_full_document() -> None:
    values = export_values(
        BASE + "/",
        [_provider()],
        [UserExport("alice", "pw", "alice@example.com")],
        [ServiceAccountExport("ci-bot", "tok")],
    )
    assert values == {
        "AUTHENTIK_URL": BASE,
        "AUTHLAB_WEB_APP_CLIENT_ID": "cid",
        "AUTHLAB_WEB_APP_CLIENT_SECRET": "ssssssss",
        "AUTHLAB_WEB_APP_ISSUER": f"{BASE}/application/o/web-app/",
        "AUTHLAB_WEB_APP_ISSUER_NO_SLASH": f"{BASE}/application/o/web-app",
        "AUTHLAB_WEB_APP_DISCOVERY_URL": f"{BASE}/application/o/web-app/.well-known/openid-configuration",
        "AUTHLAB_WEB_APP_AUTHORIZE_URL": f"{BASE}/application/o/authorize/",
        "AUTHLAB_WEB_APP_TOKEN_URL": f"{BASE}/application/o/token/",
        "AUTHLAB_WEB_APP_USERINFO_URL": f"{BASE}/application/o/userinfo/",
        "AUTHLAB_WEB_APP_END_SESSION_URL": f"{BASE}/application/o/web-app/end-session/",
        "AUTHLAB_WEB_APP_JWKS_URL": f"{BASE}/application/o/web-app/jwks/",
        "AUTHLAB_WEB_APP_REDIRECT_URI": "http://localhost:3000/api/auth/callback/authentik",
        "AUTHLAB_USER_ALICE_USERNAME": "alice",
        "AUTHLAB_USER_ALICE_PASSWORD": "pw",
        "AUTHLAB_USER_ALICE_EMAIL": "alice@example.com",
        "AUTHLAB_SA_CI_BOT_USERNAME": "ci-bot",
        "AUTHLAB_SA_CI_BOT_TOKEN": "tok",
    }
    assert redacted(values)["AUTHLAB_WEB_APP_CLIENT_SECRET"] == "***"
    assert redacted(values)["AUTHLAB_USER_ALICE_PASSWORD"] == "***"
    assert redacted(values)["AUTHLAB_SA_CI_BOT_TOKEN"] == "***"
    assert redacted(values)["AUTHLAB_WEB_APP_CLIENT_ID"] == "cid"


def test_names_that_collapse_to_one_key_are_an_error() -> None:
    with pytest.raises(ExportNameClash) as info:
        export_values(BASE, [_provider("web-app"), _provider("web_app")])
    assert str(info.value) == "provider 'web_app' and provider 'web-app' both export AUTHLAB_WEB_APP_CLIENT_ID; rename one of them"


def test_github_env_uses_the_delimiter_form_for_every_value_that_is_not_plain() -> None:
    counter = itertools.count()
    text = render_github_env(
        {"URL": "http://localhost:9000/application/o/web/", "A": 'has "quotes" and spaces', "B": "line1\nline2",
         "C": "x ghadelimiter_2 y\nz"},
        delimiter=lambda: f"ghadelimiter_{next(counter)}",
    )
    assert text == (
        "URL=http://localhost:9000/application/o/web/\n"  # plain: one line, as GitHub's simple form
        'A<<ghadelimiter_0\nhas "quotes" and spaces\nghadelimiter_0\n'
        "B<<ghadelimiter_1\nline1\nline2\nghadelimiter_1\n"
        # the next candidate delimiter occurs in the value, so another one is drawn
        "C<<ghadelimiter_3\nx ghadelimiter_2 y\nz\nghadelimiter_3\n"
    )


AWKWARD = {
    "DOLLAR": "pa$$word $HOME ${X}",
    "BANG": "hello!world !!",
    "QUOTES": "it's \"quoted\" `cmd`",
    "SPACES": "  leading and trailing  ",
    "NEWLINES": "line1\nline2\n",
    "EQUALS": "a=b<<c",
    "HASH": "a #not a comment",
    "BACKSLASH": "C:\\path\\n",
    "PLAIN": "client-id_1.2",
    "EMPTY": "",
}


def test_github_env_round_trips_awkward_values_as_the_runner_reads_them() -> None:
    from tests.github_env import parse_github_env

    text = render_github_env(AWKWARD)
    assert parse_github_env(text) == AWKWARD
    # appended after what earlier steps wrote, it still reads back, and nothing earlier is disturbed
    assert parse_github_env("EARLIER=1\n" + text) == {"EARLIER": "1", **AWKWARD}
    # the random delimiter never collides with a value and differs per value
    delimiters = [line.split("<<", 1)[1] for line in text.splitlines() if "<<" in line and "=" not in line.split("<<", 1)[0]]
    assert len(delimiters) == len(set(delimiters)) == 8
    assert all(d not in v for d in delimiters for v in AWKWARD.values())


def test_env_file_round_trips_awkward_values_through_the_dotenv_parser() -> None:
    assert dotenv.parse(render_env_file(AWKWARD)) == AWKWARD


def test_env_file_round_trips_through_the_dotenv_parser() -> None:
    values = {"A": 'has "quotes" and spaces', "B": "plain", "C": "a#b"}
    text = render_env_file(values, header="written by authlab ci")
    assert text.startswith("# written by authlab ci\n")
    assert dotenv.parse(text) == values


def test_github_masks_cover_secrets_only() -> None:
    values = export_values(BASE, [_provider(secret="topsecret")], [UserExport("alice", "pw")])
    assert github_masks(values) == ["::add-mask::topsecret", "::add-mask::pw"]
    # a public client has no secret: nothing to mask
    assert github_masks(export_values(BASE, [_provider(secret="")])) == []


def test_an_apps_own_names_are_exported_too_with_its_issuer_form_and_masked_secret() -> None:
    from authentik_lab.core.ci_export import app_name_secrecy
    from authentik_lab.core.urls import IssuerForm

    p = dataclasses.replace(_provider(secret="topsecret"), app_names=(("client_id", "AUTHENTIK_CLIENT_ID"), ("client_secret", "AK_CS"),
                            ("issuer", "AUTHENTIK_ISSUER"), ("token_url", "AUTHENTIK_TOKEN"), ("callback_base", "NEXTAUTH_URL")),
                            issuer_form=IssuerForm.WITHOUT_SLASH, app_url="http://localhost:3000")
    values = export_values(BASE, [p])
    assert {k: values[k] for k in ("AUTHENTIK_CLIENT_ID", "AK_CS", "AUTHENTIK_ISSUER", "AUTHENTIK_TOKEN", "NEXTAUTH_URL")} == {
        "AUTHENTIK_CLIENT_ID": "cid", "AK_CS": "topsecret", "AUTHENTIK_ISSUER": f"{BASE}/application/o/web-app",
        "AUTHENTIK_TOKEN": f"{BASE}/application/o/token/", "NEXTAUTH_URL": "http://localhost:3000"}
    known = app_name_secrecy([p])
    assert [k for k, secret in known.items() if secret] == ["AK_CS"]
    # the app's AUTHENTIK_TOKEN is its token URL: not masked, whatever its suffix says
    assert github_masks(values, known) == ["::add-mask::topsecret", "::add-mask::topsecret"]
    assert (redacted(values, known)["AK_CS"], redacted(values, known)["AUTHENTIK_TOKEN"]) == ("***", f"{BASE}/application/o/token/")
    # two providers claiming one app name is the same clash as any other
    q = dataclasses.replace(_provider("api"), app_names=(("client_id", "AUTHENTIK_CLIENT_ID"),))
    with pytest.raises(ExportNameClash):
        export_values(BASE, [p, q])
