"""What each framework needs from an OAuth2/OIDC provider: callback path, issuer form, env names.

A wrong callback path is the most common reason a first login fails ("Redirect URI Error"), so each
preset records the path the framework really uses (checked against its docs) and the exact issuer form
its client library compares against. Env values are named by `Source`, filled in by `core.app_env`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from authentik_lab.core.urls import IssuerForm
from authentik_lab.errors import UsageError


class Source(str, Enum):
    """Where an env variable's value comes from once the provider exists."""

    CLIENT_ID = "client_id"
    CLIENT_SECRET = "client_secret"
    ISSUER = "issuer"  # in the preset's issuer form
    ISSUER_EXACT = "issuer_exact"  # exactly as Authentik emits it (trailing slash)
    APP_URL = "app_url"
    REDIRECT_URI = "redirect_uri"
    DISCOVERY = "discovery"
    AUTHORIZE = "authorize"
    TOKEN = "token"
    USERINFO = "userinfo"
    END_SESSION = "end_session"
    JWKS = "jwks"
    SCOPES = "scopes"  # space-separated
    SCOPES_COMMA = "scopes_comma"
    RANDOM_SECRET = "random_secret"  # generated once, kept when the file already has it
    LITERAL = "literal"


@dataclass(frozen=True)
class EnvVar:
    name: str  # may contain {PROVIDER_ID} (upper-cased, dashes dropped: Spring's relaxed binding)
    source: Source
    literal: str = ""
    secret: bool = False


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    callback_path: str  # may contain {provider_id}
    default_app_url: str
    issuer_form: IssuerForm
    env: tuple[EnvVar, ...]
    scopes: tuple[str, ...]  # what the framework asks for at the authorize endpoint by default
    client_type: str = "confidential"
    default_provider_id: str | None = None
    note: str = ""
    # how this framework is told to request offline_access (Authentik issues a refresh token only then)
    refresh_hint: str = "request offline_access"
    # the framework refuses unverified emails unless this variable is "true" (see core/email_claims.py)
    unverified_email_env: str | None = None

    @property
    def uses_provider_id(self) -> bool:
        return "{provider_id}" in self.callback_path

    def callback_url(self, app_url: str, provider_id: str | None = None) -> str:
        pid = provider_id or self.default_provider_id or ""
        return app_url.rstrip("/") + self.callback_path.replace("{provider_id}", pid)

    def env_names(self, provider_id: str | None = None) -> list[str]:
        return [expand_env_name(v.name, provider_id or self.default_provider_id) for v in self.env]


def expand_env_name(template: str, provider_id: str | None) -> str:
    key = re.sub(r"[^A-Za-z0-9]", "", provider_id or "").upper()
    return template.replace("{PROVIDER_ID}", key)


def _v(name: str, source: Source, literal: str = "", secret: bool = False) -> EnvVar:
    return EnvVar(name, source, literal, secret or source in (Source.CLIENT_SECRET, Source.RANDOM_SECRET))


OIDC_SCOPES = ("openid", "email", "profile")
WITH_REFRESH = (*OIDC_SCOPES, "offline_access")

_PRESETS: tuple[Preset, ...] = (
    Preset(
        name="nextauth",
        title="NextAuth.js v4 (next-auth@4, built-in Authentik provider)",
        callback_path="/api/auth/callback/{provider_id}",
        default_app_url="http://localhost:3000",
        # v4 builds `${issuer}/.well-known/openid-configuration`; a trailing slash gives `//` -> 404
        issuer_form=IssuerForm.WITHOUT_SLASH,
        env=(
            _v("AUTHENTIK_ID", Source.CLIENT_ID),
            _v("AUTHENTIK_SECRET", Source.CLIENT_SECRET),
            _v("AUTHENTIK_ISSUER", Source.ISSUER),
            _v("NEXTAUTH_URL", Source.APP_URL),
            _v("NEXTAUTH_SECRET", Source.RANDOM_SECRET),
            # the refresh-token rotation callback posts here (v4 has no built-in refresh)
            _v("AUTHENTIK_TOKEN_URL", Source.TOKEN),
        ),
        scopes=OIDC_SCOPES,
        default_provider_id="authentik",
        note="add offline_access to authorization.params.scope to get a refresh token",
        refresh_hint='on AuthentikProvider({...}) set authorization: { params: { scope: "openid email profile offline_access" } }',
    ),
    Preset(
        name="authjs",
        title="Auth.js v5 (next-auth@5 / @auth/core)",
        callback_path="/api/auth/callback/{provider_id}",
        default_app_url="http://localhost:3000",
        # oauth4webapi compares the discovery `issuer` with the configured one byte for byte
        issuer_form=IssuerForm.WITH_SLASH,
        env=(
            _v("AUTH_AUTHENTIK_ID", Source.CLIENT_ID),
            _v("AUTH_AUTHENTIK_SECRET", Source.CLIENT_SECRET),
            _v("AUTH_AUTHENTIK_ISSUER", Source.ISSUER),
            _v("AUTH_SECRET", Source.RANDOM_SECRET),
        ),
        scopes=OIDC_SCOPES,
        default_provider_id="authentik",
        note="Auth.js docs show the issuer without the slash, but v5 checks `iss` strictly: keep the slash",
        refresh_hint='on the Authentik provider in auth.ts set authorization: { params: { scope: "openid email profile offline_access" } }',
    ),
    Preset(
        name="sveltekit",
        title="SvelteKit with Auth.js (@auth/sveltekit)",
        callback_path="/auth/callback/{provider_id}",  # basePath is /auth outside Next.js
        default_app_url="http://localhost:5173",
        issuer_form=IssuerForm.WITH_SLASH,
        env=(
            _v("AUTH_AUTHENTIK_ID", Source.CLIENT_ID),
            _v("AUTH_AUTHENTIK_SECRET", Source.CLIENT_SECRET),
            _v("AUTH_AUTHENTIK_ISSUER", Source.ISSUER),
            _v("AUTH_SECRET", Source.RANDOM_SECRET),
        ),
        scopes=OIDC_SCOPES,
        default_provider_id="authentik",
        refresh_hint='on the Authentik provider in SvelteKitAuth({...}) set authorization: { params: { scope: "openid email profile offline_access" } }',
    ),
    Preset(
        name="oauth2-proxy",
        title="oauth2-proxy (provider=oidc)",
        callback_path="/oauth2/callback",
        default_app_url="http://localhost:4180",
        issuer_form=IssuerForm.WITH_SLASH,  # go-oidc rejects an issuer mismatch
        env=(
            _v("OAUTH2_PROXY_PROVIDER", Source.LITERAL, "oidc"),
            _v("OAUTH2_PROXY_OIDC_ISSUER_URL", Source.ISSUER),
            _v("OAUTH2_PROXY_CLIENT_ID", Source.CLIENT_ID),
            _v("OAUTH2_PROXY_CLIENT_SECRET", Source.CLIENT_SECRET),
            _v("OAUTH2_PROXY_REDIRECT_URL", Source.REDIRECT_URI),
            _v("OAUTH2_PROXY_SCOPE", Source.SCOPES),
            _v("OAUTH2_PROXY_EMAIL_DOMAINS", Source.LITERAL, "*"),
            _v("OAUTH2_PROXY_COOKIE_SECRET", Source.RANDOM_SECRET),  # 32 chars = a valid AES key size
        ),
        scopes=WITH_REFRESH,
        refresh_hint='pass --scope="openid email profile offline_access" (or OAUTH2_PROXY_SCOPE)',
        unverified_email_env="OAUTH2_PROXY_INSECURE_OIDC_ALLOW_UNVERIFIED_EMAIL",  # oauth2-proxy docs: --insecure-oidc-allow-unverified-email
    ),
    Preset(
        name="grafana",
        title="Grafana generic OAuth",
        callback_path="/login/generic_oauth",
        default_app_url="http://localhost:3000",
        issuer_form=IssuerForm.WITH_SLASH,  # Grafana takes the endpoints, not the issuer
        env=(
            _v("GF_SERVER_ROOT_URL", Source.APP_URL),
            _v("GF_AUTH_GENERIC_OAUTH_ENABLED", Source.LITERAL, "true"),
            _v("GF_AUTH_GENERIC_OAUTH_NAME", Source.LITERAL, "authentik"),
            _v("GF_AUTH_GENERIC_OAUTH_CLIENT_ID", Source.CLIENT_ID),
            _v("GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET", Source.CLIENT_SECRET),
            _v("GF_AUTH_GENERIC_OAUTH_SCOPES", Source.SCOPES),
            _v("GF_AUTH_GENERIC_OAUTH_AUTH_URL", Source.AUTHORIZE),
            _v("GF_AUTH_GENERIC_OAUTH_TOKEN_URL", Source.TOKEN),
            _v("GF_AUTH_GENERIC_OAUTH_API_URL", Source.USERINFO),
            _v("GF_AUTH_SIGNOUT_REDIRECT_URL", Source.END_SESSION),
        ),
        scopes=WITH_REFRESH,
        refresh_hint='set GF_AUTH_GENERIC_OAUTH_SCOPES="openid email profile offline_access"',
    ),
    Preset(
        name="spring",
        title="Spring Security OAuth2 login (Spring Boot)",
        callback_path="/login/oauth2/code/{provider_id}",  # {baseUrl}/login/oauth2/code/{registrationId}
        default_app_url="http://localhost:8080",
        issuer_form=IssuerForm.WITH_SLASH,  # issuer-uri must equal the discovery `issuer`
        env=(
            _v("SPRING_SECURITY_OAUTH2_CLIENT_REGISTRATION_{PROVIDER_ID}_CLIENT_ID", Source.CLIENT_ID),
            _v("SPRING_SECURITY_OAUTH2_CLIENT_REGISTRATION_{PROVIDER_ID}_CLIENT_SECRET", Source.CLIENT_SECRET),
            _v("SPRING_SECURITY_OAUTH2_CLIENT_REGISTRATION_{PROVIDER_ID}_SCOPE", Source.SCOPES_COMMA),
            _v("SPRING_SECURITY_OAUTH2_CLIENT_PROVIDER_{PROVIDER_ID}_ISSUER_URI", Source.ISSUER),
        ),
        scopes=WITH_REFRESH,
        refresh_hint="add offline_access to the registration's scope: spring.security.oauth2.client.registration.<id>.scope=openid,email,profile,offline_access",
        default_provider_id="authentik",
    ),
    Preset(
        name="django-allauth",
        title="django-allauth openid_connect provider",
        callback_path="/accounts/oidc/{provider_id}/login/callback/",
        default_app_url="http://localhost:8000",
        issuer_form=IssuerForm.DISCOVERY,  # settings.server_url accepts the discovery URL itself
        env=(
            _v("AUTHENTIK_CLIENT_ID", Source.CLIENT_ID),
            _v("AUTHENTIK_CLIENT_SECRET", Source.CLIENT_SECRET),
            _v("AUTHENTIK_SERVER_URL", Source.ISSUER),
        ),
        scopes=OIDC_SCOPES,
        default_provider_id="authentik",
        note="read these in settings.py: SOCIALACCOUNT_PROVIDERS['openid_connect']['APPS'][0]",
        refresh_hint='in settings.py set SOCIALACCOUNT_PROVIDERS["openid_connect"]["SCOPE"] = ["openid", "email", "profile", "offline_access"]',
    ),
    Preset(
        name="hono",
        title="Hono (@hono/oidc-auth, jose JWKS verification)",
        callback_path="/callback",  # @hono/oidc-auth's default OIDC_REDIRECT_URI
        default_app_url="http://localhost:8787",
        issuer_form=IssuerForm.WITH_SLASH,  # jose jwtVerify({issuer}) compares exactly
        env=(
            _v("OIDC_ISSUER", Source.ISSUER),
            _v("OIDC_CLIENT_ID", Source.CLIENT_ID),
            _v("OIDC_CLIENT_SECRET", Source.CLIENT_SECRET),
            _v("OIDC_REDIRECT_URI", Source.REDIRECT_URI),
            _v("OIDC_AUTH_SECRET", Source.RANDOM_SECRET),
            _v("OIDC_JWKS_URL", Source.JWKS),  # for createRemoteJWKSet on API routes
        ),
        scopes=WITH_REFRESH,  # oidc-auth needs a refresh token
        refresh_hint="set OIDC_SCOPES (@hono/oidc-auth) to include offline_access",
    ),
    Preset(
        name="generic",
        title="Any OIDC client (all endpoints exported)",
        callback_path="/callback",
        default_app_url="http://localhost:3000",
        issuer_form=IssuerForm.WITH_SLASH,
        env=(
            _v("OIDC_ISSUER", Source.ISSUER),
            _v("OIDC_CLIENT_ID", Source.CLIENT_ID),
            _v("OIDC_CLIENT_SECRET", Source.CLIENT_SECRET),
            _v("OIDC_REDIRECT_URI", Source.REDIRECT_URI),
            _v("OIDC_DISCOVERY_URL", Source.DISCOVERY),
            _v("OIDC_AUTHORIZE_URL", Source.AUTHORIZE),
            _v("OIDC_TOKEN_URL", Source.TOKEN),
            _v("OIDC_USERINFO_URL", Source.USERINFO),
            _v("OIDC_END_SESSION_URL", Source.END_SESSION),
            _v("OIDC_JWKS_URL", Source.JWKS),
        ),
        scopes=WITH_REFRESH,
    ),
)

PRESETS: dict[str, Preset] = {p.name: p for p in _PRESETS}
DEFAULT_PRESET = "generic"


def get_preset(name: str, what: str | None = None) -> Preset:
    """`what` names the value as the user wrote it (`--preset`, or a lab file's `preset`) in the error."""
    key = (name or "").strip().lower()
    if key in PRESETS:
        return PRESETS[key]
    raise UsageError(f"{what} {name!r} is not a preset" if what else f"unknown preset {name!r}", hint=f"choose one of: {', '.join(PRESETS)} (see `authlab provider presets`)")
