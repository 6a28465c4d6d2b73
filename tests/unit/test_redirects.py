"""core.redirects: the mistakes Authentik itself would accept are rejected before any API call."""

from __future__ import annotations

import re

import pytest

from authentik_lab.core.redirects import REGEX, STRICT, RedirectUri, as_legacy_entry, check_redirect_uris, check_regex, check_strict
from authentik_lab.errors import UsageError


def test_strict_accepts_plain_urls() -> None:
    assert check_strict(" http://localhost:3000/api/auth/callback/authentik ") == RedirectUri("http://localhost:3000/api/auth/callback/authentik", STRICT)
    assert check_strict("https://app.example.com/cb?x=1").url == "https://app.example.com/cb?x=1"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("/api/auth/callback/authentik", "not an absolute http(s) URL"),
        ("localhost:3000/cb", "not an absolute http(s) URL"),
        ("ftp://localhost/cb", "not an absolute http(s) URL"),
        ("http://localhost:3000/cb#done", "has a fragment"),
        ("http://localhost:3000/.*", "contains regex characters"),
        ("https://(.*).example.com/cb", "contains regex characters"),
        ("http://localhost:3000/cb$", "contains regex characters"),
        ("http://localhost:70000/cb", "invalid port"),
        ("", "empty"),
    ],
)
def test_strict_rejects(value: str, fragment: str) -> None:
    with pytest.raises(UsageError) as err:
        check_strict(value)
    assert fragment in err.value.message
    assert err.value.hint


def test_regex_compiles_and_pins_the_scheme() -> None:
    assert check_regex("https?://localhost:\\d+/callback") == RedirectUri("https?://localhost:\\d+/callback", REGEX)
    assert check_regex("^http://localhost:3000/.*").matching_mode == REGEX
    with pytest.raises(UsageError, match="not a valid regular expression"):
        check_regex("http://localhost:3000/(unclosed")
    with pytest.raises(UsageError, match="does not start with http"):
        check_regex(".*/callback")
    with pytest.raises(UsageError, match="contains '#'"):
        check_regex("http://localhost/cb#.*")


def test_check_redirect_uris_dedupes_in_order() -> None:
    uris = check_redirect_uris(["http://a.test/cb", "http://b.test/cb", "http://a.test/cb"])
    assert [u.url for u in uris] == ["http://a.test/cb", "http://b.test/cb"]


def test_legacy_entries_still_match_themselves() -> None:
    # before 2024.12 every line was a regex (full match): keep plain URLs readable, escape only when needed
    plain = RedirectUri("http://localhost:3000/cb")
    assert as_legacy_entry(plain) == "http://localhost:3000/cb"
    query = RedirectUri("http://localhost:3000/cb?next=1")
    entry = as_legacy_entry(query)
    assert entry != query.url and re.fullmatch(entry, query.url)
    assert not re.fullmatch(entry, "http://localhost:3000/cbXnext=1")
    assert as_legacy_entry(RedirectUri("https?://x/.*", REGEX)) == "https?://x/.*"


@pytest.mark.parametrize("value", ["http://[::1]:3000/cb", "http://[::1]/callback", "https://user@[::1]:8443/cb", "http://my_app:3000/cb"])
def test_strict_accepts_ipv6_literals_and_docker_names(value: str) -> None:
    # RFC 8252 loopback redirects: the brackets belong to the URL syntax, not to a pattern
    assert check_strict(value) == RedirectUri(value, STRICT)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("http://local host/cb", "redirect URI 'http://local host/cb' has an invalid host 'local host' (it contains a space)"),
        ("http://local!host:3000/cb", "redirect URI 'http://local!host:3000/cb' has an invalid host 'local!host' (it contains '!')"),
        ("http://-app/cb", "redirect URI 'http://-app/cb' has an invalid host '-app' (a name cannot start or end with '-' or '.')"),
        ("http://[zz]:3000/cb", "redirect URI 'http://[zz]:3000/cb' has an invalid host"),
        ("http://local\thost/cb", "redirect URI 'http://local\\thost/cb' contains whitespace"),
        ("http://localhost:3000/my cb", "redirect URI 'http://localhost:3000/my cb' contains whitespace"),
        ("http://[::1]:3000/cb[1]", "redirect URI 'http://[::1]:3000/cb[1]' contains regex characters but strict matching compares it literally"),
    ],
)
def test_strict_rejects_bad_hosts_with_the_reason(value: str, message: str) -> None:
    with pytest.raises(UsageError) as err:
        check_strict(value)
    assert err.value.message == message
    assert err.value.hint
