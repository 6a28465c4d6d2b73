"""One canonical form for every Authentik URL authlab prints or calls, plus the OIDC URL shapes.

Authentik builds the issuer (and every URL in discovery and `setup_urls`) from the Host header of the
request it is answering. A client that reaches it as `127.0.0.1` while the app expects `localhost` gets an
`iss` the app rejects, so authlab settles on one base URL and uses it for API calls and output alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from urllib.parse import urlsplit, urlunsplit

from authentik_lab.errors import UsageError

DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"})
_API_SUFFIXES = ("/api/v3", "/api/v3/", "/api", "/if/admin", "/if/admin/")


@dataclass(frozen=True)
class BaseUrl:
    """A normalised Authentik base URL; `notes` say what was changed from what the user typed."""

    url: str
    notes: tuple[str, ...] = ()

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def netloc(self) -> str:
        return urlsplit(self.url).netloc


def normalize_base_url(raw: str) -> BaseUrl:
    """`HTTP://LocalHost:9000/api/v3/` -> `http://localhost:9000`, saying what changed.

    Rules: scheme http/https only (added when missing), lower-case host, default port dropped,
    no trailing slash, an `/api/v3` suffix removed, no query/fragment/credentials.
    """
    text = (raw or "").strip()
    if not text:
        raise UsageError("the Authentik URL is empty", hint="pass --url http://localhost:9000 (or set AUTHENTIK_URL)")
    notes: list[str] = []
    if "://" not in text:
        text = f"http://{text}"
        notes.append("no scheme given, assumed http://")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise UsageError(f"the Authentik URL must be http or https, not {parts.scheme!r}: {raw}", hint="e.g. --url http://localhost:9000")
    if parts.username or parts.password:
        raise UsageError("the Authentik URL must not contain credentials", hint="pass the API token with --token instead")
    if parts.query or parts.fragment:
        raise UsageError(f"the Authentik URL must not have a query or fragment: {raw}", hint="give only scheme://host[:port]")
    host = (parts.hostname or "").lower()
    if not host:
        raise UsageError(f"the Authentik URL has no host: {raw}", hint="e.g. --url http://localhost:9000")
    try:
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"the Authentik URL has a bad port: {raw}", hint="e.g. --url http://localhost:9000") from exc
    if port == DEFAULT_PORTS[scheme]:
        notes.append(f"dropped the default port :{port}")
        port = None
    path = parts.path
    for suffix in _API_SUFFIXES:
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            notes.append(f"removed the {suffix.rstrip('/')} suffix (authlab adds API paths itself)")
            break
    if path.endswith("/"):
        path = path.rstrip("/")
        if not any("suffix" in n for n in notes):
            notes.append("removed the trailing slash")
    hostport = f"[{host}]" if ":" in host else host
    if port is not None:
        hostport = f"{hostport}:{port}"
    if any(c.isupper() for c in parts.scheme + (parts.hostname and parts.netloc or "")):
        notes.append("lower-cased the scheme and host")
    url = urlunsplit((scheme, hostport, path, "", ""))
    if url != text.rstrip("/") and not notes:
        notes.append(f"normalised {raw.strip()!r} to {url}")
    return BaseUrl(url, tuple(notes))


def loopback_mismatch(given: str, canonical: str) -> str | None:
    """A warning when `given` reaches the lab's port on this machine under another loopback name
    (127.0.0.1 or ::1 vs localhost). Authentik builds the issuer from the Host header, so tokens fetched
    through `given` carry an `iss` the app (which the browser reaches as `canonical`) rejects.
    """
    a, b = urlsplit(given), urlsplit(canonical)
    ha, hb = (a.hostname or "").lower(), (b.hostname or "").lower()
    if ha == hb or ha not in LOOPBACK_HOSTS or hb not in LOOPBACK_HOSTS:
        return None
    if (a.scheme.lower(), _port(a)) != (b.scheme.lower(), _port(b)):
        return None  # another port is another server: nothing to compare
    return (
        f"{given} reaches the lab as {ha!r}, but the browser uses {canonical}, so the issuer (iss) will differ "
        f"({given}/application/o/... instead of {canonical}/application/o/...); use {canonical}"
    )


def same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme.lower(), (pa.hostname or "").lower(), _port(pa)) == (pb.scheme.lower(), (pb.hostname or "").lower(), _port(pb))


def same_server(a: str, b: str) -> bool:
    """Same origin, or the same port on this machine under two loopback names (localhost vs 127.0.0.1)."""
    if same_origin(a, b):
        return True
    pa, pb = urlsplit(a), urlsplit(b)
    return (
        (pa.hostname or "").lower() in LOOPBACK_HOSTS
        and (pb.hostname or "").lower() in LOOPBACK_HOSTS
        and (pa.scheme.lower(), _port(pa)) == (pb.scheme.lower(), _port(pb))
    )


def _port(parts) -> int | None:
    try:
        return parts.port or DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return None


# --- issuer forms ---------------------------------------------------------------------------------


class IssuerForm(str, Enum):
    """How a framework wants the issuer written; Authentik's own `iss` always ends with a slash."""

    WITH_SLASH = "with-slash"  # strict `iss` comparison (oauth4webapi, go-oidc, Spring, jose)
    WITHOUT_SLASH = "without-slash"  # NextAuth v4 appends "/.well-known/..." itself
    DISCOVERY = "discovery-url"  # the client wants the full discovery document URL


def issuer_url(base: str, slug: str) -> str:
    """The per-provider issuer as Authentik emits it: `<base>/application/o/<slug>/`."""
    return f"{base.rstrip('/')}/application/o/{slug}/"


def issuer_in_form(issuer: str, form: IssuerForm) -> str:
    exact = issuer if issuer.endswith("/") else issuer + "/"
    if form is IssuerForm.WITHOUT_SLASH:
        return exact.rstrip("/")
    if form is IssuerForm.DISCOVERY:
        return discovery_url(exact)
    return exact


def discovery_url(issuer: str) -> str:
    """`<issuer>.well-known/openid-configuration`: exactly one slash, a double slash is a 404."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


@dataclass(frozen=True)
class OidcEndpoints:
    issuer: str
    discovery: str
    authorize: str
    token: str
    userinfo: str
    end_session: str
    jwks: str

    @classmethod
    def from_setup_urls(cls, body: dict) -> "OidcEndpoints":
        """From `GET providers/oauth2/<pk>/setup_urls/` (keys issuer, authorize, token, user_info,
        provider_info, logout, jwks); issuer/provider_info/logout are null and jwks absent until an
        application is attached."""
        return cls(
            issuer=body.get("issuer") or "",
            discovery=body.get("provider_info") or "",
            authorize=body.get("authorize") or "",
            token=body.get("token") or "",
            userinfo=body.get("user_info") or "",
            end_session=body.get("logout") or "",
            jwks=body.get("jwks") or "",
        )

    @classmethod
    def expected(cls, base: str, slug: str) -> "OidcEndpoints":
        """What Authentik should report for `slug` at `base` (used to check, never to replace, setup_urls)."""
        root = base.rstrip("/")
        issuer = issuer_url(root, slug)
        return cls(
            issuer=issuer,
            discovery=discovery_url(issuer),
            authorize=f"{root}/application/o/authorize/",
            token=f"{root}/application/o/token/",
            userinfo=f"{root}/application/o/userinfo/",
            end_session=f"{issuer}end-session/",
            jwks=f"{issuer}jwks/",
        )

    @property
    def complete(self) -> bool:
        return all((self.issuer, self.discovery, self.authorize, self.token, self.userinfo, self.end_session, self.jwks))
