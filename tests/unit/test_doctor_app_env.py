"""core.doctor.app_env: issuer form per framework, issuer host, JWKS/token URLs, client credentials."""

from __future__ import annotations

import pytest

from authentik_lab.core.doctor import app_env as ae
from authentik_lab.core.checks import FAIL, OK, WARN, Skip
from authentik_lab.core.dotenv import parse_with_lines

BROWSER = "http://localhost:9000"
SERVER = ae.ServerView(BROWSER, frozenset({"web"}), (ae.ProviderRef("web", "cid", "csecret", "web"),))


def f(text: str, path: str = ".env") -> ae.AppEnvFile:
    return ae.AppEnvFile(path, parse_with_lines(text))


def test_nextauth_v4_wants_no_slash_and_authjs_v5_wants_it() -> None:
    v4_ok = f("NEXTAUTH_URL=http://localhost:3000\nAUTHENTIK_ISSUER=http://localhost:9000/application/o/web\n")
    assert ae.check_issuer_form([v4_ok], SERVER).status == OK
    v4_bad = f("NEXTAUTH_URL=http://localhost:3000\nAUTHENTIK_ISSUER=http://localhost:9000/application/o/web/\n")
    o = ae.check_issuer_form([v4_bad], SERVER)
    assert o.status == FAIL and "remove the trailing slash" in o.summary
    assert o.fixable is not None and o.fixable.params == {"updates": {".env": {"AUTHENTIK_ISSUER": "http://localhost:9000/application/o/web"}}}
    v5_bad = f("AUTH_AUTHENTIK_ISSUER=http://localhost:9000/application/o/web\n")
    o5 = ae.check_issuer_form([v5_bad], SERVER)
    assert o5.fixable is not None and o5.fixable.params["updates"][".env"] == {"AUTH_AUTHENTIK_ISSUER": "http://localhost:9000/application/o/web/"}


def test_unknown_slug_and_non_issuer_paths_fail() -> None:
    o = ae.check_issuer_form([f("OIDC_ISSUER=http://localhost:9000/application/o/nope/\n")], SERVER)
    assert o.summary == ".env:1: OIDC_ISSUER: no application with slug 'nope' (known: web); discovery answers 404"
    assert ae.check_issuer_form([f("OIDC_ISSUER=http://localhost:9000/\n")], SERVER).status == FAIL
    with pytest.raises(Skip):
        ae.check_issuer_form([f("FOO=1\n")], SERVER)


def test_issuer_host_docker_name_fails_other_host_warns() -> None:
    assert ae.check_issuer_host([f("OIDC_ISSUER=http://localhost:9000/application/o/web/\n")], SERVER).status == OK
    assert ae.check_issuer_host([f("OIDC_ISSUER=http://server:9000/application/o/web/\n")], SERVER).status == FAIL
    assert ae.check_issuer_host([f("OIDC_ISSUER=http://127.0.0.1:9000/application/o/web/\n")], SERVER).status == WARN


def test_expected_callbacks_from_app_url_or_redirect_variable() -> None:
    assert ae.expected_callbacks(f("NEXTAUTH_URL=http://localhost:3000\n")) == ("http://localhost:3000/api/auth/callback/authentik",)
    assert ae.expected_callbacks(f("OIDC_REDIRECT_URI=http://localhost:8787/callback\n")) == ("http://localhost:8787/callback",)


def test_preset_variable_names_decide_the_form_when_only_one_framework_uses_them() -> None:
    o = ae.check_issuer_form([f("OAUTH2_PROXY_OIDC_ISSUER_URL=http://localhost:9000/application/o/web\n")], SERVER)
    assert o.summary == ".env:1: OAUTH2_PROXY_OIDC_ISSUER_URL: add the trailing slash (oauth2-proxy (provider=oidc) expects it)"
    # AUTHENTIK_ISSUER alone is ambiguous (NextAuth v4 wants no slash, others want it): no verdict, and no ✓ either
    unknown = ae.check_issuer_form([f("AUTHENTIK_ISSUER=http://localhost:9000/application/o/web\n")], SERVER)
    assert (unknown.status, unknown.summary) == (WARN, ".env:1: AUTHENTIK_ISSUER: can't tell which framework reads AUTHENTIK_ISSUER, "
                                                       "so its trailing-slash form is not checked")
    assert unknown.messages[0].fix == "pass --preset (e.g. --preset nextauth for NextAuth v4, --preset authjs for Auth.js v5)"
    assert unknown.fixable is None
    with_preset = ae.ServerView(BROWSER, frozenset({"web"}), (), ae.WITHOUT_SLASH)
    assert ae.check_issuer_form([f("AUTHENTIK_ISSUER=http://localhost:9000/application/o/web/\n")], with_preset).status == FAIL


def test_nextauth_v4_is_recognised_from_the_other_env_files_of_the_folder() -> None:
    # the usual Next.js layout: NEXTAUTH_URL in .env, the Authentik values in .env.local
    env = f("NEXTAUTH_URL=http://localhost:3000\nNEXTAUTH_SECRET=abc\n", "app/.env")
    local = f("AUTHENTIK_ID=cid\nAUTHENTIK_ISSUER=http://localhost:9000/application/o/web/\n", "app/.env.local")
    o = ae.check_issuer_form([env, local], SERVER)
    assert (o.status, o.summary) == (FAIL, "app/.env.local:2: AUTHENTIK_ISSUER: remove the trailing slash "
                                           "(NextAuth v4 appends /.well-known/openid-configuration itself)")
    assert o.fixable is not None and o.fixable.params == {"updates": {"app/.env.local": {"AUTHENTIK_ISSUER": "http://localhost:9000/application/o/web"}}}
    # a file of another folder says nothing about this one
    assert ae.check_issuer_form([f("NEXTAUTH_URL=http://localhost:3000\n", "other/.env"), local], SERVER).status == WARN
    # a sibling that is only read for context (--app-env .env.local) counts too
    alone = ae.AppEnvFile("app/.env.local", local.lines, frozenset({"NEXTAUTH_URL"}))
    assert ae.check_issuer_form([alone], SERVER).status == FAIL
