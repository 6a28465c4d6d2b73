"""Doctor checks over OAuth2 providers as observed through the API (pure: facts in, outcomes out).

Each check looks at every provider given (all of them, or the one named with --provider) and folds
the findings into one result; messages name the provider.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence
from urllib.parse import urlsplit

from authentik_lab.core.checks import FixAction, Message, Outcome, Skip, from_messages
from authentik_lab.core.redirects import LEGACY_REGEX, api_entries, legacy_literal_broken, legacy_matches

SCOPE_KEY = "goauthentik.io/providers/oauth2/scope-"
NEEDED_SCOPES = {"openid": "fail", "email": "fail", "profile": "fail", "offline_access": "warn"}
SELF_SIGNED = "authentik Self-signed Certificate"
# characters that mean something in a regex but are almost never meant literally in a callback URL
_REGEXY = re.compile(r"\.\*|\.\+|[*^$()|\\\[\]{}]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Fetched:
    """One HTTP GET as seen by doctor: status (None = unreachable), decoded JSON (or None), error text."""

    url: str
    status: int | None
    body: Any = None
    error: str | None = None
    headers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ProviderFacts:
    provider: Mapping[str, Any]
    application: Mapping[str, Any] | None = None  # fetched by slug, never through the list endpoint
    expected_redirects: tuple[str, ...] = ()  # callbacks the app is known to use (preset + app URL, app env files)
    expected_issuer: str | None = None
    discovery: Fetched | None = None
    jwks: Fetched | None = None
    expected_why: Mapping[str, str] = field(default_factory=dict)  # expected callback -> the framework default it comes from

    @property
    def name(self) -> str:
        return str(self.provider.get("name"))


@dataclass(frozen=True)
class ServerFacts:
    scope_mappings: Mapping[str, str] = field(default_factory=dict)  # pk -> managed key
    certificates: Mapping[str, str] = field(default_factory=dict)  # keypair pk -> name


def _need(providers: Sequence[ProviderFacts]) -> None:
    if not providers:
        raise Skip("no OAuth2 provider on the server (create one with `authlab provider create`)")


def redirect_entries(value: Any) -> list[tuple[str, str]]:
    """(matching_mode, url) pairs from either API form (core.redirects.api_entries: legacy text is legacy-regex)."""
    return list(api_entries(value))


def _well_formed(url: str) -> str | None:
    if not url or any(c.isspace() for c in url):
        return "contains spaces or is empty"
    parts = urlsplit(url)
    if not parts.scheme:
        return "has no scheme (http:// or https://)"
    if parts.scheme in ("http", "https"):
        return None if parts.hostname else "has no host"
    if "." in parts.scheme:
        return None  # a private-use scheme of a native app (RFC 8252: reverse domain, e.g. com.example.app:/cb)
    if re.fullmatch(r"\d+(/.*)?", url.split(":", 1)[1]):
        # urlsplit reads "localhost:3000/cb" as scheme "localhost": the browser never sends such a URI
        return f"has no scheme (it looks like host:port; write http://{url})"
    return f"has scheme {parts.scheme!r}, not http or https"


def _port(url: str) -> int | None:
    parts = urlsplit(url)
    try:
        return parts.port or _DEFAULT_PORTS.get(parts.scheme)
    except ValueError:
        return None


def matches(mode: str, allowed: str, uri: str) -> bool:
    if mode == LEGACY_REGEX:
        return legacy_matches(allowed, uri)
    if mode == "regex":
        try:
            return re.fullmatch(allowed, uri) is not None
        except re.error:
            return False
    return allowed == uri  # strict compares the whole string: scheme, host, port, path, trailing slash


def near_miss(allowed: str, uri: str) -> str | None:
    """Why a strict entry that looks right does not match, or None when they differ in more than one way."""
    a, b = urlsplit(allowed), urlsplit(uri)
    if a.path.rstrip("/") == b.path.rstrip("/") and a.path != b.path and (a.scheme, a.netloc) == (b.scheme, b.netloc):
        return "differs only by a trailing slash"
    if a.path == b.path and a.hostname == b.hostname and a.scheme == b.scheme and _port(allowed) != _port(uri):
        return f"differs only by port ({_port(allowed)} vs {_port(uri)})"
    if a.path == b.path and a.scheme == b.scheme and _port(allowed) == _port(uri) and {a.hostname, b.hostname} <= {"localhost", "127.0.0.1"}:
        return "uses localhost where the app uses 127.0.0.1 (or the other way round); they are different strings"
    return None


def check_redirect_uris(providers: Sequence[ProviderFacts]) -> Outcome:
    _need(providers)
    messages: list[Message] = []
    evidence: list[str] = []
    for pf in providers:
        entries = redirect_entries(pf.provider.get("redirect_uris"))
        evidence += [f"{pf.name}: {mode} {url}" for mode, url in entries]
        if not entries:
            messages.append(Message("fail", f"{pf.name}: no redirect URI: every login ends in 'Redirect URI Error'",
                                    "add the app's callback URL, e.g. `authlab provider create NAME --preset P`"))
        for mode, url in entries:
            bad = _well_formed(url) if mode in ("strict", LEGACY_REGEX) and url != "*" else None
            if bad:
                messages.append(Message("fail", f"{pf.name}: redirect URI {url!r} {bad}", "use the full callback URL, e.g. http://localhost:3000/api/auth/callback/authentik"))
            elif mode == LEGACY_REGEX and legacy_literal_broken(url):
                messages.append(Message("fail", f"{pf.name}: redirect URI line {url!r} does not match itself: this release matches every "
                                        "line as a regular expression (before the CVE-2024-52289 fix), so the app's callback is refused",
                                        f"write the line escaped: {re.escape(url)}"))
            elif mode == "strict" and _REGEXY.search(url):
                messages.append(Message("warn", f"{pf.name}: strict redirect URI {url!r} contains regex characters; strict mode compares them literally",
                                        "set matching_mode to regex, or list the exact URLs"))
            if mode == "regex":
                try:
                    re.compile(url)
                except re.error as exc:
                    messages.append(Message("fail", f"{pf.name}: regex redirect URI {url!r} does not compile: {exc}"))
        for uri in pf.expected_redirects:
            if any(matches(mode, url, uri) for mode, url in entries):
                continue
            why = next((w for mode, url in entries if mode in ("strict", LEGACY_REGEX) for w in [near_miss(url, uri)] if w), None)
            default = pf.expected_why.get(uri)
            messages.append(Message("fail", f"{pf.name}: the app's callback {uri} is not allowed" + (f": the registered URI {why}" if why else "")
                                    + (f" ({default})" if default else ""),
                                    (f"set {default.split(' ', 1)[0]} to the URL the app really serves, or " if default else "")
                                    + f"register exactly {uri} (strict matching compares the whole string): add it to "
                                    f"`redirect_uris` of {pf.name} in authlab.yaml and run `authlab apply`, or in the admin UI"))
    return from_messages(messages, f"{sum(len(redirect_entries(p.provider.get('redirect_uris'))) for p in providers)} redirect URI(s) well-formed"
                         + (" and matching the app" if any(p.expected_redirects for p in providers) else ""), evidence)


def check_scopes(providers: Sequence[ProviderFacts], server: ServerFacts) -> Outcome:
    _need(providers)
    if not server.scope_mappings:
        raise Skip("the server has no OAuth2 scope mappings yet (see http.worker-objects)")
    by_scope = {key[len(SCOPE_KEY):]: pk for pk, key in server.scope_mappings.items() if key.startswith(SCOPE_KEY)}
    messages, evidence = [], []
    patches: list[dict[str, Any]] = []
    for pf in providers:
        attached = {server.scope_mappings.get(str(pk), "")[len(SCOPE_KEY):] for pk in pf.provider.get("property_mappings") or []}
        missing = [s for s in NEEDED_SCOPES if s not in attached]
        evidence.append(f"{pf.name}: scopes {', '.join(sorted(s for s in attached if s)) or '(none)'}")
        for i, scope in enumerate(missing):
            why = ("no refresh tokens: Authentik issues one only when offline_access is requested AND its mapping is attached"
                   if scope == "offline_access" else f"the {scope} claims are missing from tokens and userinfo")
            # the fix line once per provider, under its last missing mapping, not repeated under each
            messages.append(Message(NEEDED_SCOPES[scope], f"{pf.name}: the {scope} scope mapping is not attached ({why})",
                                    "`authlab doctor --fix` attaches the managed mappings" if i == len(missing) - 1 else None))
        addable = [s for s in missing if s in by_scope]
        if addable:
            current = [str(pk) for pk in pf.provider.get("property_mappings") or []]
            patches.append(_patch(pf, f"attach {', '.join(addable)} to provider {pf.name}",
                                  tuple(f"provider {pf.name}: + scope mapping {s}" for s in addable),
                                  {"property_mappings": current + [by_scope[s] for s in addable]}))
    return from_messages(messages, "openid, email, profile and offline_access mappings are attached", evidence,
                         _provider_fix("attach-scopes", patches))


def _patch(pf: ProviderFacts, description: str, changes: tuple[str, ...], body: dict[str, Any]) -> dict[str, Any]:
    return {"provider": pf.name, "provider_pk": pf.provider.get("pk"), "description": description, "changes": changes, "body": body}


def _provider_fix(kind: str, patches: list[dict[str, Any]]) -> FixAction | None:
    """One action carrying a PATCH per affected provider: `--fix` plans and applies each, so none is left behind."""
    if not patches:
        return None
    names = [p["provider"] for p in patches]
    what = "attach the missing scope mappings to" if kind == "attach-scopes" else f"set the signing key to {SELF_SIGNED!r} for"
    return FixAction(kind, ", ".join(names), f"{what} provider(s) {', '.join(names)}",
                     tuple(c for p in patches for c in p["changes"]), {"patches": tuple(patches)})


def check_signing_key(providers: Sequence[ProviderFacts], server: ServerFacts) -> Outcome:
    _need(providers)
    self_signed = next((pk for pk, name in server.certificates.items() if name == SELF_SIGNED), None)
    messages, evidence = [], []
    patches: list[dict[str, Any]] = []
    for pf in providers:
        key = pf.provider.get("signing_key")
        if key and str(key) in server.certificates:
            evidence.append(f"{pf.name}: signed with {server.certificates[str(key)]!r} (RS256)")
            continue
        if key:
            messages.append(Message("fail", f"{pf.name}: the signing key {key} does not exist on the server",
                                    "choose an existing certificate; `authlab doctor --fix` sets the self-signed one"))
        else:
            messages.append(Message("warn", f"{pf.name}: no signing key, so tokens are HS256 (signed with the client secret) "
                                    "and JWKS verification (jose, jwks-rsa, go-oidc) fails: the JWKS has no key",
                                    "set a signing key; `authlab doctor --fix` sets the self-signed certificate"))
        if self_signed:
            patches.append(_patch(pf, f"set the signing key of {pf.name} to {SELF_SIGNED!r}",
                                  (f"provider {pf.name}: signing_key {key or 'null'} -> {self_signed} ({SELF_SIGNED})",),
                                  {"signing_key": self_signed}))
    return from_messages(messages, "every provider signs with a key pair (RS256)", evidence, _provider_fix("set-signing-key", patches))


def check_application(providers: Sequence[ProviderFacts]) -> Outcome:
    _need(providers)
    messages, evidence = [], []
    for pf in providers:
        slug = pf.provider.get("assigned_application_slug")
        if not slug:
            messages.append(Message("fail", f"{pf.name}: no application uses this provider, so it has no issuer and discovery answers 404",
                                    "create an application for it (`authlab provider create` creates both)"))
        elif pf.application is None:
            messages.append(Message("fail", f"{pf.name}: application {slug!r} is assigned but cannot be read"))
        elif pf.application.get("provider") != pf.provider.get("pk"):
            messages.append(Message("fail", f"{pf.name}: application {slug!r} links provider {pf.application.get('provider')}, not {pf.provider.get('pk')}"))
        else:
            evidence.append(f"{pf.name}: application {slug}")
    return from_messages(messages, "every provider has its application", evidence)


def check_discovery(providers: Sequence[ProviderFacts]) -> Outcome:
    _need(providers)
    linked = [p for p in providers if p.discovery is not None]
    if not linked:
        raise Skip("no provider has an application, so there is no discovery document (see provider.application)")
    messages, evidence = [], []
    for pf in linked:
        d = pf.discovery
        assert d is not None
        if d.status != 200 or not isinstance(d.body, dict):
            messages.append(Message("fail", f"{pf.name}: discovery {d.url} answered {d.status or d.error}"))
            continue
        issuer = d.body.get("issuer")
        evidence.append(f"{pf.name}: issuer {issuer}")
        if pf.expected_issuer and issuer != pf.expected_issuer:
            messages.append(Message("warn", f"{pf.name}: discovery says issuer {issuer}, expected {pf.expected_issuer}",
                                    "Authentik builds the issuer from the request's Host and X-Forwarded-Proto; use one URL everywhere"))
        j = pf.jwks
        if j is None or j.status != 200 or not isinstance(j.body, dict):
            messages.append(Message("fail", f"{pf.name}: JWKS {j.url if j else d.body.get('jwks_uri')} answered {j.status if j else 'nothing'}"))
        elif pf.provider.get("signing_key") and not j.body.get("keys"):
            messages.append(Message("fail", f"{pf.name}: the JWKS has no keys although a signing key is set"))
        else:
            evidence.append(f"{pf.name}: JWKS {len(j.body.get('keys') or [])} key(s)")
    return from_messages(messages, "discovery and JWKS answer and agree with the issuer", evidence)
