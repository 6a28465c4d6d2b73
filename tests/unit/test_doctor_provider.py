"""core.doctor.provider: redirect URIs, scope mappings, signing key, application link, discovery/JWKS."""

from __future__ import annotations

from authentik_lab.core.doctor import provider as dp
from authentik_lab.core.checks import FAIL, OK, WARN

K = "goauthentik.io/providers/oauth2/scope-"
SERVER = dp.ServerFacts({"m1": K + "openid", "m2": K + "email", "m3": K + "profile", "m4": K + "offline_access"},
                        {"c1": "authentik Self-signed Certificate"})
CALLBACK = "http://localhost:3000/api/auth/callback/authentik"


def provider(**kw) -> dict:
    base = {"pk": 7, "name": "web", "redirect_uris": [{"matching_mode": "strict", "url": CALLBACK}],
            "property_mappings": ["m1", "m2", "m3", "m4"], "signing_key": "c1", "assigned_application_slug": "web"}
    return {**base, **kw}


def facts(p: dict | None = None, **kw) -> dp.ProviderFacts:
    return dp.ProviderFacts(p or provider(), **kw)


def test_redirect_uris_pass_when_the_app_callback_is_registered() -> None:
    o = dp.check_redirect_uris([facts(expected_redirects=(CALLBACK,))])
    assert (o.status, o.summary) == (OK, "1 redirect URI(s) well-formed and matching the app")


def test_trailing_slash_and_port_near_misses_are_named() -> None:
    slash = dp.check_redirect_uris([facts(provider(redirect_uris=[{"matching_mode": "strict", "url": CALLBACK + "/"}]), expected_redirects=(CALLBACK,))])
    assert slash.status == FAIL
    assert slash.summary == f"web: the app's callback {CALLBACK} is not allowed: the registered URI differs only by a trailing slash"
    port = dp.check_redirect_uris([facts(provider(redirect_uris=[{"matching_mode": "strict", "url": CALLBACK.replace("3000", "3001")}]),
                                         expected_redirects=(CALLBACK,))])
    assert "differs only by port (3001 vs 3000)" in port.summary


def test_regex_entries_match_the_whole_uri() -> None:
    p = provider(redirect_uris=[{"matching_mode": "regex", "url": r"http://localhost:\d+/api/auth/callback/authentik"}])
    assert dp.check_redirect_uris([facts(p, expected_redirects=(CALLBACK,))]).status == OK
    assert dp.check_redirect_uris([facts(p, expected_redirects=(CALLBACK + "/x",))]).status == FAIL


def test_malformed_empty_and_regexy_strict_uris() -> None:
    assert dp.check_redirect_uris([facts(provider(redirect_uris=[]))]).status == FAIL
    bad = dp.check_redirect_uris([facts(provider(redirect_uris=[{"matching_mode": "strict", "url": "not a url"}]))])
    assert (bad.status, bad.summary) == (FAIL, "web: redirect URI 'not a url' contains spaces or is empty")
    regexy = dp.check_redirect_uris([facts(provider(redirect_uris=[{"matching_mode": "strict", "url": "http://localhost:3000/.*"}]))])
    assert regexy.status == WARN
    legacy = dp.check_redirect_uris([facts(provider(redirect_uris="http://a.test/cb\nhttp://b.test/cb"))])
    assert legacy.evidence == ("web: legacy-regex http://a.test/cb", "web: legacy-regex http://b.test/cb")  # matched as regexes


def test_scopes_missing_offline_access_warns_and_offers_the_fix() -> None:
    assert dp.check_scopes([facts()], SERVER).status == OK
    o = dp.check_scopes([facts(provider(property_mappings=["m1", "m2", "m3"]))], SERVER)
    assert o.status == WARN
    assert o.fixable is not None and o.fixable.params == {"patches": ({
        "provider": "web", "provider_pk": 7, "description": "attach offline_access to provider web",
        "changes": ("provider web: + scope mapping offline_access",), "body": {"property_mappings": ["m1", "m2", "m3", "m4"]}},)}
    assert dp.check_scopes([facts(provider(property_mappings=["m1"]))], SERVER).status == FAIL


def test_signing_key_absent_warns_unknown_fails() -> None:
    assert dp.check_signing_key([facts()], SERVER).status == OK
    none = dp.check_signing_key([facts(provider(signing_key=None))], SERVER)
    assert none.status == WARN and "HS256" in none.summary
    assert none.fixable is not None and [p["body"] for p in none.fixable.params["patches"]] == [{"signing_key": "c1"}]
    assert dp.check_signing_key([facts(provider(signing_key="gone"))], SERVER).status == FAIL


def test_application_link() -> None:
    assert dp.check_application([facts(application={"slug": "web", "provider": 7})]).status == OK
    assert dp.check_application([facts(provider(assigned_application_slug=None))]).status == FAIL
    assert dp.check_application([facts(application={"slug": "web", "provider": 8})]).status == FAIL


def test_discovery_consistency() -> None:
    issuer = "http://localhost:9000/application/o/web/"
    disc = dp.Fetched(issuer + ".well-known/openid-configuration", 200, {"issuer": issuer})
    jwks = dp.Fetched(issuer + "jwks/", 200, {"keys": [{"kid": "k"}]})
    assert dp.check_discovery([facts(expected_issuer=issuer, discovery=disc, jwks=jwks)]).status == OK
    other = dp.check_discovery([facts(expected_issuer=issuer.replace("localhost", "127.0.0.1"), discovery=disc, jwks=jwks)])
    assert other.status == WARN
    empty = dp.check_discovery([facts(expected_issuer=issuer, discovery=disc, jwks=dp.Fetched(issuer + "jwks/", 200, {}))])
    assert (empty.status, empty.summary) == (FAIL, "web: the JWKS has no keys although a signing key is set")
    gone = dp.check_discovery([facts(discovery=dp.Fetched(disc.url, 404, None), jwks=jwks)])
    assert gone.status == FAIL


def test_scope_and_signing_fixes_cover_every_affected_provider() -> None:
    a = provider(pk=7, name="twoa", property_mappings=["m1", "m2", "m3"], signing_key=None)
    b = provider(pk=8, name="twob", property_mappings=["m1", "m2", "m3"], signing_key=None)
    scopes = dp.check_scopes([facts(a), facts(b), facts()], SERVER)
    assert scopes.fixable is not None
    assert [(p["provider"], p["provider_pk"], p["body"]) for p in scopes.fixable.params["patches"]] == [
        ("twoa", 7, {"property_mappings": ["m1", "m2", "m3", "m4"]}), ("twob", 8, {"property_mappings": ["m1", "m2", "m3", "m4"]})]
    assert scopes.fixable.changes == ("provider twoa: + scope mapping offline_access", "provider twob: + scope mapping offline_access")
    signing = dp.check_signing_key([facts(a), facts(b), facts()], SERVER)
    assert signing.fixable is not None
    assert [p["description"] for p in signing.fixable.params["patches"]] == [
        "set the signing key of twoa to 'authentik Self-signed Certificate'", "set the signing key of twob to 'authentik Self-signed Certificate'"]


def test_the_fix_line_is_given_once_per_provider_not_under_every_missing_mapping() -> None:
    o = dp.check_scopes([facts(provider(property_mappings=[]))], SERVER)
    assert [m.fix for m in o.messages] == [None, None, None, "`authlab doctor --fix` attaches the managed mappings"]


def test_a_redirect_uri_without_a_scheme_is_malformed() -> None:
    def check(url: str) -> tuple[str, str]:
        o = dp.check_redirect_uris([facts(provider(redirect_uris=[{"matching_mode": "strict", "url": url}]))])
        return o.status, o.summary

    assert check("localhost:3000/cb") == (FAIL, "web: redirect URI 'localhost:3000/cb' has no scheme (it looks like host:port; "
                                               "write http://localhost:3000/cb)")
    assert check("ftp://localhost/cb") == (FAIL, "web: redirect URI 'ftp://localhost/cb' has scheme 'ftp', not http or https")
    assert check("/api/auth/callback") == (FAIL, "web: redirect URI '/api/auth/callback' has no scheme (http:// or https://)")
    assert check("http:///cb")[0] == FAIL
    assert check("com.example.app:/oauth2redirect")[0] == OK  # a native app's private-use scheme (RFC 8252)


# --- the legacy text form (releases before the CVE-2024-52289 fix): every line is a full-match regex --------


def test_a_legacy_line_that_does_not_match_itself_fails_with_the_escaped_form() -> None:
    line = "http://localhost:3000/cb?next=/home"
    o = dp.check_redirect_uris([facts(provider(redirect_uris=line), expected_redirects=(line,))])
    assert o.status == FAIL
    first = o.messages[0]
    assert first.text == (f"web: redirect URI line {line!r} does not match itself: this release matches every line as a regular "
                          "expression (before the CVE-2024-52289 fix), so the app's callback is refused")
    assert first.fix == r"write the line escaped: http://localhost:3000/cb\?next=/home"
    assert o.evidence == (f"web: legacy-regex {line}",)


def test_a_legacy_line_with_a_plus_fails_and_its_escaped_form_passes() -> None:
    line = "http://localhost:3000/auth+cb"
    assert dp.check_redirect_uris([facts(provider(redirect_uris=line))]).status == FAIL
    escaped = r"http://localhost:3000/auth\+cb"
    assert dp.check_redirect_uris([facts(provider(redirect_uris=escaped), expected_redirects=(line,))]).status == OK


def test_legacy_lines_are_matched_as_regexes() -> None:
    # a plain URL matches itself (its dots match any character), a pattern line matches what it describes
    text = CALLBACK + "\nhttp://localhost:\\d+/other"
    o = dp.check_redirect_uris([facts(provider(redirect_uris=text), expected_redirects=(CALLBACK, "http://localhost:4000/other"))])
    assert (o.status, o.summary) == (OK, "2 redirect URI(s) well-formed and matching the app")
    near = dp.check_redirect_uris([facts(provider(redirect_uris=CALLBACK + "/"), expected_redirects=(CALLBACK,))])
    assert near.summary == f"web: the app's callback {CALLBACK} is not allowed: the registered URI differs only by a trailing slash"
