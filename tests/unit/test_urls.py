"""core.urls: one canonical base URL, issuer forms, endpoints from setup_urls."""

from __future__ import annotations

import pytest

from authentik_lab.core.urls import (
    BaseUrl,
    IssuerForm,
    OidcEndpoints,
    discovery_url,
    issuer_in_form,
    issuer_url,
    loopback_mismatch,
    normalize_base_url,
    same_origin,
    same_server,
)
from authentik_lab.errors import UsageError


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("http://localhost:9000", "http://localhost:9000"),
        ("http://localhost:9000/", "http://localhost:9000"),
        ("HTTP://LocalHost:9000/api/v3/", "http://localhost:9000"),
        ("http://localhost:9000/api/v3", "http://localhost:9000"),
        ("https://auth.example.com:443/", "https://auth.example.com"),
        ("http://auth.example.com:80", "http://auth.example.com"),
        ("localhost:9000", "http://localhost:9000"),
        ("  http://127.0.0.1:9000  ", "http://127.0.0.1:9000"),
        ("https://example.com/authentik/", "https://example.com/authentik"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_normalize_base_url(raw: str, url: str) -> None:
    assert normalize_base_url(raw).url == url


def test_normalize_says_what_changed() -> None:
    assert normalize_base_url("http://localhost:9000") == BaseUrl("http://localhost:9000", ())
    assert normalize_base_url("localhost:9000").notes == ("no scheme given, assumed http://",)
    assert normalize_base_url("http://localhost:9000/api/v3/").notes == ("removed the /api/v3 suffix (authlab adds API paths itself)",)
    assert normalize_base_url("https://x.example:443").notes == ("dropped the default port :443",)
    assert normalize_base_url("HTTP://LocalHost:9000/").notes == ("removed the trailing slash", "lower-cased the scheme and host")
    assert normalize_base_url("http://localhost:9000/").notes == ("removed the trailing slash",)
    assert normalize_base_url("http://localhost:9000/api/v3").notes == ("removed the /api/v3 suffix (authlab adds API paths itself)",)


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        ("ftp://localhost:9000", "must be http or https"),
        ("http://user:pw@localhost:9000", "credentials"),
        ("http://localhost:9000/?x=1", "query or fragment"),
        ("http://localhost:9000/#top", "query or fragment"),
        ("http://localhost:99999", "bad port"),
        ("http://", "no host"),
    ],
)
def test_normalize_rejects(raw: str, fragment: str) -> None:
    with pytest.raises(UsageError) as err:
        normalize_base_url(raw)
    assert fragment in err.value.message
    assert err.value.hint


def test_loopback_mismatch_warns_only_for_loopback_aliases() -> None:
    warning = loopback_mismatch("http://127.0.0.1:9000", "http://localhost:9000")
    assert warning is not None
    assert warning == (
        "http://127.0.0.1:9000 reaches the lab as '127.0.0.1', but the browser uses http://localhost:9000, so the issuer (iss) "
        "will differ (http://127.0.0.1:9000/application/o/... instead of http://localhost:9000/application/o/...); use http://localhost:9000"
    )
    assert "but the browser uses http://127.0.0.1:9000, so the issuer (iss) will differ" in (loopback_mismatch("http://localhost:9000", "http://127.0.0.1:9000") or "")
    assert "'::1'" in (loopback_mismatch("http://[::1]:9000", "http://localhost:9000") or "")
    assert loopback_mismatch("http://127.0.0.1:9001", "http://localhost:9000") is None  # another port: another server
    assert loopback_mismatch("https://127.0.0.1:9000", "http://localhost:9000") is None
    assert loopback_mismatch("http://localhost:9000", "http://localhost:9000") is None
    assert loopback_mismatch("http://auth.example.com", "http://localhost:9000") is None


def test_same_origin_uses_default_ports() -> None:
    assert same_origin("https://a.example", "https://A.example:443/x")
    assert not same_origin("http://localhost:9000", "http://localhost:9001")
    assert not same_origin("http://localhost:9000", "https://localhost:9000")


def test_same_server_treats_loopback_names_alike() -> None:
    assert same_server("http://127.0.0.1:9000", "http://localhost:9000")
    assert not same_server("http://127.0.0.1:9000", "http://localhost:9001")
    assert not same_server("http://10.0.0.5:9000", "http://localhost:9000")


def test_issuer_forms() -> None:
    issuer = issuer_url("http://localhost:9000/", "my-app")
    assert issuer == "http://localhost:9000/application/o/my-app/"
    assert issuer_in_form(issuer, IssuerForm.WITH_SLASH) == issuer
    assert issuer_in_form(issuer, IssuerForm.WITHOUT_SLASH) == "http://localhost:9000/application/o/my-app"
    assert issuer_in_form("http://localhost:9000/application/o/my-app", IssuerForm.WITH_SLASH) == issuer
    assert issuer_in_form(issuer, IssuerForm.DISCOVERY) == "http://localhost:9000/application/o/my-app/.well-known/openid-configuration"
    # never a double slash: Authentik answers `//.well-known` with 404 (capture 058)
    assert discovery_url(issuer) == discovery_url(issuer.rstrip("/"))


def test_endpoints_from_setup_urls_capture(shared_authentik) -> None:
    import json

    body = json.loads((shared_authentik / "captures-2026.2.2" / "050-provider-setup-urls-with-app.json").read_text())["response"]["body"]
    ep = OidcEndpoints.from_setup_urls(body)
    assert ep == OidcEndpoints.expected("http://127.0.0.1:9000", "capture-app")
    assert ep.complete


def test_endpoints_without_application_are_incomplete(shared_authentik) -> None:
    import json

    body = json.loads((shared_authentik / "captures-2026.2.2" / "023-provider-setup-urls-no-app.json").read_text())["response"]["body"]
    ep = OidcEndpoints.from_setup_urls(body)
    assert ep.issuer == "" and ep.jwks == "" and ep.token == "http://127.0.0.1:9000/application/o/token/"
    assert not ep.complete
