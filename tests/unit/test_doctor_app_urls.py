"""core.doctor.app_urls: JWKS and token URLs, client credentials, and fix texts with the real URL and slug."""

from __future__ import annotations

from authentik_lab.core.doctor import app_env as ae
from authentik_lab.core.doctor import app_urls as au
from authentik_lab.core.checks import FAIL, OK
from authentik_lab.core.dotenv import parse_with_lines

BROWSER = "http://localhost:9000"
SERVER = ae.ServerView(BROWSER, frozenset({"web"}), (ae.ProviderRef("web", "cid", "csecret", "web"),))


def f(text: str, path: str = ".env") -> ae.AppEnvFile:
    return ae.AppEnvFile(path, parse_with_lines(text))


def test_jwks_and_token_urls() -> None:
    good = f("OIDC_JWKS_URL=http://localhost:9000/application/o/web/jwks/\nOIDC_TOKEN_URL=http://localhost:9000/application/o/token/\n")
    assert au.check_jwks_url([good]).status == OK and au.check_token_url([good]).status == OK
    bad = f("OIDC_JWKS_URL=http://localhost:9000/.well-known/jwks.json\nOIDC_TOKEN_URL=http://localhost:9000/application/o/web/token/\n")
    assert "Authentik has no /.well-known/jwks.json" in au.check_jwks_url([bad]).summary
    assert au.check_token_url([bad]).status == FAIL


def test_client_credentials_match_without_printing_secrets() -> None:
    assert au.check_client_credentials([f("AUTH_AUTHENTIK_ID=cid\nAUTH_AUTHENTIK_SECRET=csecret\nAUTH_SECRET=x\n")], SERVER).status == OK
    wrong = au.check_client_credentials([f("AUTH_AUTHENTIK_ID=cid\nAUTH_AUTHENTIK_SECRET=typo\n")], SERVER)
    assert wrong.status == FAIL and "typo" not in repr(wrong) and "csecret" not in repr(wrong)
    assert au.check_client_credentials([f("OIDC_CLIENT_ID=other\n")], SERVER).status == FAIL


def test_jwks_url_must_name_an_existing_application_and_the_issuers_one() -> None:
    two = ae.ServerView(BROWSER, frozenset({"web", "api"}), ())
    nope = au.check_jwks_url([f("OIDC_JWKS_URL=http://localhost:9000/application/o/nope/jwks/\n")], two)
    assert (nope.status, nope.summary) == (FAIL, ".env:1: OIDC_JWKS_URL: no application with slug 'nope' (known: api, web); "
                                                 "this JWKS URL answers 404")
    other = au.check_jwks_url([f("OIDC_ISSUER=http://localhost:9000/application/o/web/\nOIDC_JWKS_URL=http://localhost:9000/application/o/api/jwks/\n")], two)
    assert other.status == FAIL and other.messages[0].fix == "use http://localhost:9000/application/o/web/jwks/"
    same = f("OIDC_ISSUER=http://localhost:9000/application/o/web/\nOIDC_JWKS_URL=http://localhost:9000/application/o/web/jwks/\n")
    assert au.check_jwks_url([same], two).status == OK
    # without the server, only the path shape and the issuer's slug can be compared
    assert au.check_jwks_url([f("OIDC_JWKS_URL=http://localhost:9000/application/o/nope/jwks/\n")]).status == OK


def test_fix_texts_use_the_known_url_and_slug_not_placeholders() -> None:
    lab = ae.ServerView("http://localhost:19810", frozenset({"web"}), (ae.ProviderRef("web", "cid", "csecret", "web"),))
    bad = f("OIDC_ISSUER=http://localhost:19810/application/o/web/\nOIDC_JWKS_URL=http://localhost:19810/.well-known/jwks.json\n"
            "OIDC_TOKEN_URL=http://localhost:19810/application/o/web/token/\n")
    assert au.check_jwks_url([bad], lab).messages[0].fix == "use http://localhost:19810/application/o/web/jwks/ (the discovery document's jwks_uri)"
    assert au.check_token_url([bad], lab).messages[0].fix == "use http://localhost:19810/application/o/token/ (one endpoint for every application)"
    docker = ae.check_issuer_host([f("OIDC_ISSUER=http://server:9000/application/o/web/\n")], lab)
    assert docker.messages[0].fix is not None and docker.messages[0].fix.startswith("use the browser's URL (http://localhost:19810) everywhere;")
    path = ae.check_issuer_form([f("OIDC_ISSUER=http://localhost:19810/app/\n")], lab)
    assert path.messages[0].fix == "use the issuer from `authlab provider show NAME`: http://localhost:19810/application/o/web/"
    wrong_id = au.check_client_credentials([f("OIDC_CLIENT_ID=typo\nOIDC_CLIENT_SECRET=csecret\n")], lab)
    assert wrong_id.messages[0].fix == "the secret in this file belongs to provider web, whose client id is cid"
    assert "csecret" not in repr(wrong_id)
    unknown_pair = au.check_client_credentials([f("OIDC_CLIENT_ID=typo\n")], lab)
    assert unknown_pair.messages[0].fix == "copy client_id from `authlab provider show web`"
