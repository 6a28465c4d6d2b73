"""What authlab reports about a provider, and the post-write check against Authentik's OIDC side.

Endpoints come from `setup_urls` (the server's own answer), never from string building; the check then
reads the discovery document and JWKS the way an app will, so a wrong issuer, a missing offline_access
mapping or an HS256 provider is reported as an error right away instead of at the first login.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from authentik_lab.core.app_env import redact
from authentik_lab.core.presets import Preset
from authentik_lab.core.redirects import api_entries
from authentik_lab.core.urls import OidcEndpoints, issuer_in_form
from authentik_lab.errors import AuthlabError

if TYPE_CHECKING:
    from authentik_lab.adapters.authentik_api import AuthentikApi
    from authentik_lab.core.dialect import Dialect


class VerificationError(AuthlabError):
    """Authentik accepted the provider, but its OIDC side does not say what an app needs."""

    def __init__(self, message: str, problems: list[str], hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.evidence = problems

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "problems": self.evidence}


@dataclass(frozen=True)
class ProviderView:
    name: str
    slug: str | None
    provider_pk: int
    client_id: str
    client_secret: str  # already redacted unless the user asked for it
    client_type: str
    redirect_uris: tuple[dict, ...]
    issuer: str  # exactly as Authentik emits it (trailing slash)
    endpoints: OidcEndpoints
    scopes: tuple[str, ...]  # scope names mapped on the provider
    offline_access: bool
    signing_alg: str  # RS256 when a signing key is set, HS256 (client secret) otherwise
    preset: str | None = None
    issuer_form: str | None = None
    issuer_for_preset: str | None = None
    app_scopes: tuple[str, ...] = ()
    verified: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    release_notes: tuple[str, ...] = ()  # what this Authentik release does differently for this provider


def release_notes(dialect: "Dialect", offline_access: bool, consent: str = "implicit", verified_email: bool | None = None) -> tuple[str, ...]:
    """Release behaviour an app developer must know about (release_facts: offline_access_adds_consent,
    email_verified_default); `verified_email` None: not known or not relevant (a read, an app that accepts unverified emails)."""
    notes: list[str] = []
    if offline_access and consent == "implicit" and dialect.offline_access_adds_consent:
        notes.append(f"Authentik {dialect.label} (before 2025.4) shows a consent screen when the app requests offline_access, "
                     "even on the implicit-consent flow: users click through it at each login that asks for refresh tokens")
    if verified_email is False and not dialect.email_verified_default:
        notes.append(f"Authentik {dialect.label} (2025.10+) says email_verified false: apps that require verified emails refuse "
                     "the login (oauth2-proxy: its env output sets OAUTH2_PROXY_INSECURE_OIDC_ALLOW_UNVERIFIED_EMAIL=true); "
                     "--verified-email attaches a mapping that asserts it for the lab's test users")
    return tuple(notes)


def redirect_entries(value: Any) -> tuple[dict, ...]:
    """Either API form as [{matching_mode, url}]; a legacy text line shows as matching_mode legacy-regex."""
    return tuple({"matching_mode": mode, "url": url} for mode, url in api_entries(value))


def build_view(
    provider: dict,
    setup: dict,
    scope_by_pk: dict[str, str],
    show_secret: bool,
    preset: Preset | None = None,
    app_scopes: tuple[str, ...] = (),
    signing_alg: str | None = None,
    release_notes: tuple[str, ...] = (),
) -> ProviderView:
    endpoints = OidcEndpoints.from_setup_urls(setup)
    scopes = tuple(scope_by_pk.get(str(pk), str(pk)) for pk in provider.get("property_mappings") or [])
    # public clients authenticate without a secret; Authentik still stores one, which must not be used
    secret = provider.get("client_secret") or "" if provider.get("client_type") != "public" else ""
    return ProviderView(
        name=provider["name"],
        slug=provider.get("assigned_application_slug"),
        provider_pk=provider["pk"],
        client_id=provider.get("client_id", ""),
        client_secret=secret if show_secret else redact(secret),
        client_type=provider.get("client_type", "confidential"),
        redirect_uris=redirect_entries(provider.get("redirect_uris")),
        issuer=endpoints.issuer,
        endpoints=endpoints,
        scopes=scopes,
        offline_access="offline_access" in scopes,
        signing_alg=signing_alg or ("RS256" if provider.get("signing_key") else "HS256"),
        preset=preset.name if preset else None,
        issuer_form=preset.issuer_form.value if preset else None,
        issuer_for_preset=issuer_in_form(endpoints.issuer, preset.issuer_form) if (preset and endpoints.issuer) else None,
        app_scopes=app_scopes,
        release_notes=release_notes,
    )


def _fetch_json(api: "AuthentikApi", url: str) -> tuple[int | None, Any, str]:
    """GET an OIDC URL on the canonical base (same Host as the API calls, so the issuer matches)."""
    from authentik_lab.adapters.authentik_api import EXCHANGE_FAILED

    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    try:
        response = api.raw("GET", path)
    except EXCHANGE_FAILED as exc:
        return None, None, f"{url}: {exc}"
    try:
        return response.status_code, response.json(), ""
    except ValueError:
        return response.status_code, None, f"{url} answered {response.status_code} without JSON"


def verify(api: "AuthentikApi", view: ProviderView, expected_issuer: str, want_offline: bool) -> tuple[list[str], list[str]]:
    """(passed, problems) for discovery + JWKS; the caller decides whether problems are fatal."""
    passed: list[str] = []
    problems: list[str] = []
    if not view.endpoints.discovery:
        return passed, ["setup_urls has no discovery URL: the provider has no application, so it has no issuer"]
    status, doc, err = _fetch_json(api, view.endpoints.discovery)
    if status != 200 or not isinstance(doc, dict):
        return passed, [err or f"discovery {view.endpoints.discovery} answered {status}"]
    issuer = doc.get("issuer")
    if issuer == expected_issuer and issuer == view.issuer:
        passed.append(f"discovery issuer is {issuer}")
    else:
        problems.append(f"discovery says issuer {issuer!r}, expected {expected_issuer!r} (setup_urls: {view.issuer!r})")
    scopes = doc.get("scopes_supported") or []
    if want_offline:
        if "offline_access" in scopes:
            passed.append("offline_access is offered (refresh tokens work)")
        else:
            problems.append(f"offline_access missing from scopes_supported {scopes}: no refresh tokens")
    algs = doc.get("id_token_signing_alg_values_supported") or []
    if "RS256" not in algs:
        problems.append(f"id tokens are signed with {algs or 'nothing'}, not RS256: JWKS-based verification (jose, Spring, Go) fails")
    jwks_url = doc.get("jwks_uri") or view.endpoints.jwks
    status, jwks, err = _fetch_json(api, jwks_url)
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if status == 200 and keys and all(k.get("kid") for k in keys):
        kids = ", ".join(str(k.get("kid"))[:12] + "…" for k in keys)
        passed.append(f"JWKS holds {len(keys)} signing key(s) with kid ({kids})")
    else:
        problems.append(err or f"JWKS {jwks_url} has no usable keys (answered {status}: {str(jwks)[:80]})")
    return passed, problems


def with_checks(view: ProviderView, passed: list[str], problems: list[str]) -> ProviderView:
    from dataclasses import replace

    return replace(view, verified=tuple(passed), problems=tuple(problems))
