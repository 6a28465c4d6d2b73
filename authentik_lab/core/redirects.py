"""Check redirect URIs before Authentik sees them.

Authentik itself accepts almost anything (a malformed strict URL and an empty list both give 201; only regex
entries are compiled), and the mistake then surfaces much later as a "Redirect URI Error" page at login.
So authlab rejects the usual mistakes up front, with the reason.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from authentik_lab.errors import UsageError

STRICT = "strict"
REGEX = "regex"
# a line of the newline-separated field of releases before the CVE-2024-52289 fix (release_facts:
# legacy_regex_redirects): matched as a full regular expression, literally only when it does not compile
LEGACY_REGEX = "legacy-regex"

# characters that only make sense in a pattern; `.` and `?` are ordinary URL characters and allowed
_REGEX_HINTS = re.compile(r"[*^$()\[\]|\\{}]|\.\+")
# a pattern must pin the scheme: http, https, https?, http(s)?, http[s]? (optionally after ^)
_SCHEME_PATTERN = re.compile(r"\^?https?(\?|\(s\)\?|\[s\]\?)?:")
# a DNS name or IPv4 address; `_` is allowed because Docker service names use it (my_app:3000)
_HOST_NAME = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$")


@dataclass(frozen=True)
class RedirectUri:
    url: str
    matching_mode: str = STRICT

    def to_api(self) -> dict[str, str]:
        return {"matching_mode": self.matching_mode, "url": self.url}


def check_strict(url: str, what: str = "redirect URI", example: str = "http://localhost:3000/api/auth/callback/authentik") -> RedirectUri:
    """`what` names the value in messages the way the user wrote it: an option (`--redirect-uri`, `--app-url`) on
    the command line, the key path in a lab file; `example` is a correct value of that kind."""
    text = url.strip()
    if not text:
        raise UsageError(f"{what} is empty", hint=f"pass a full URL, e.g. {example}")
    try:
        parts = urlsplit(text)
    except ValueError:  # an unbalanced or non-IP `[...]` host
        raise UsageError(f"{what} {text!r} has an invalid host", hint="write an IPv6 loopback as http://[::1]:PORT/path") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise UsageError(
            f"{what} {text!r} is not an absolute http(s) URL",
            hint=f"write it in full, with scheme and host, e.g. {example}",
        )
    if "#" in text:
        raise UsageError(
            f"{what} {text!r} has a fragment (#...)",
            hint="OAuth redirect URIs must not contain a fragment (RFC 6749 §3.1.2); remove everything from '#'",
        )
    # the brackets of an IPv6 literal ([::1]) are URL syntax, not pattern characters: leave the host out
    hostport = parts.netloc.rpartition("@")[2]
    literal = text.replace(hostport, hostport.rpartition("]")[2], 1) if hostport.startswith("[") else text
    if _REGEX_HINTS.search(literal):
        raise UsageError(
            f"{what} {text!r} contains regex characters but strict matching compares it literally",
            hint="pass --regex if you meant a pattern, otherwise remove the pattern characters",
        )
    _check_host(text, parts.netloc, parts.hostname, what)
    if any(c.isspace() for c in text):  # urlsplit silently drops tabs and newlines; a browser would not match
        raise UsageError(f"{what} {text!r} contains whitespace", hint="remove it, or percent-encode a space in the path as %20")
    try:
        parts.port
    except ValueError:
        raise UsageError(f"{what} {text!r} has an invalid port", hint="use a number between 1 and 65535") from None
    return RedirectUri(text, STRICT)


def _check_host(text: str, netloc: str, host: str, what: str) -> None:
    """Reject hosts no browser can reach (a space, a stray character); `[...]` must be an IPv6 address."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise UsageError(
                f"{what} {text!r} has an invalid IPv6 host [{host}]",
                hint="write an IPv6 loopback as http://[::1]:PORT/path",
            ) from None
        return
    if not _HOST_NAME.match(host):
        bad = sorted({c for c in host if not (c.isalnum() or c in "._-")})
        shown = ", ".join("a space" if c == " " else repr(c) for c in bad)
        why = f"it contains {shown}" if shown else "a name cannot start or end with '-' or '.'"
        raise UsageError(
            f"{what} {text!r} has an invalid host {host!r} ({why})",
            hint="a host is a name (letters, digits, '.', '-'), an IPv4 address or [IPv6]; e.g. http://localhost:3000/callback",
        )


def check_regex(pattern: str, what: str = "redirect URI pattern") -> RedirectUri:
    text = pattern.strip()
    if not text:
        raise UsageError(f"{what} is empty", hint="e.g. --regex --redirect-uri 'http://localhost:\\d+/callback'")
    try:
        re.compile(text)
    except re.error as exc:
        raise UsageError(
            f"{what} {text!r} is not a valid regular expression: {exc}",
            hint="Authentik compiles each regex entry and refuses the whole provider when one fails",
        ) from None
    if not _SCHEME_PATTERN.match(text):
        raise UsageError(
            f"{what} {text!r} does not start with http:// or https://",
            hint="anchor the scheme explicitly, e.g. 'https?://localhost:3000/.*'",
        )
    if "#" in text:
        raise UsageError(f"{what} {text!r} contains '#'", hint="redirect URIs never carry a fragment")
    return RedirectUri(text, REGEX)


def check_redirect_uris(values: list[str], regex: bool = False, what: str | None = None) -> list[RedirectUri]:
    out: list[RedirectUri] = []
    for value in values:
        if regex:
            uri = check_regex(value, what or "redirect URI pattern")
        else:
            uri = check_strict(value, what or "redirect URI")
        if uri not in out:
            out.append(uri)
    return out


def as_legacy_entry(uri: RedirectUri) -> str:
    """One line of the pre-2024.12 newline-separated field.

    Those releases matched every line as a regex (full match), so a strict URL with pattern characters in
    it (`?`, `+`, ...) must be escaped to still match itself; plain URLs are sent unchanged.
    """
    if uri.matching_mode == REGEX:
        return uri.url
    if _compiles(uri.url) and re.fullmatch(uri.url, uri.url):
        return uri.url
    return re.escape(uri.url)


def _compiles(text: str) -> bool:
    try:
        re.compile(text)
    except re.error:
        return False
    return True


def api_entries(value: Any) -> tuple[tuple[str, str], ...]:
    """(matching_mode, url) pairs from either API form: the list of objects, or the legacy text (mode legacy-regex)."""
    if isinstance(value, str):
        return tuple((LEGACY_REGEX, line.strip()) for line in value.splitlines() if line.strip())
    return tuple((str(v.get("matching_mode", STRICT)), str(v.get("url", ""))) for v in value or [] if isinstance(v, dict))


def legacy_matches(line: str, uri: str) -> bool:
    """How the legacy field matches: `*` allows anything, else a full regex match (a literal compare if it does not compile)."""
    if line == "*":
        return True
    try:
        return re.fullmatch(line, uri) is not None
    except re.error:
        return line == uri


def legacy_literal_broken(line: str) -> bool:
    """A legacy line written as a plain URL that no longer allows that URL: `?`, `+`, `(`... are regex syntax there.

    A line with a backslash is taken as a deliberate pattern (e.g. the escaped form, or `\\d+`) and left alone.
    """
    return "\\" not in line and not legacy_matches(line, line)
