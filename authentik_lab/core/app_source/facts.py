"""What frameworks and libraries read from the environment, as one table with sources.

A role is what a variable carries for the OIDC client: the client id and secret, the issuer, the token and JWKS
URLs, and the app's own base URL (the callback base). The extractors (adapters.app_source) report *where* a
variable is read and in which syntactic context (the option key it is the value of, the call it is passed to);
this module turns that context into a role. Knowledge about a framework lives here only, each fact with the
page or source file it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

from authentik_lab.core.presets import Source

CLIENT_ID, CLIENT_SECRET, ISSUER, TOKEN_URL, JWKS_URL, CALLBACK_BASE = (
    "client_id", "client_secret", "issuer", "token_url", "jwks_url", "callback_base")
ROLES = (CLIENT_ID, CLIENT_SECRET, ISSUER, TOKEN_URL, JWKS_URL, CALLBACK_BASE)

# role -> where the value comes from once the provider exists (core.app_env fills it in)
ROLE_SOURCES: dict[str, Source] = {
    CLIENT_ID: Source.CLIENT_ID,
    CLIENT_SECRET: Source.CLIENT_SECRET,
    ISSUER: Source.ISSUER,
    TOKEN_URL: Source.TOKEN,
    JWKS_URL: Source.JWKS,
    CALLBACK_BASE: Source.APP_URL,
}
SOURCE_ROLES = {source: role for role, source in ROLE_SOURCES.items()}

# option keys an OIDC client library takes -> the role of the value given there. JavaScript: NextAuth/Auth.js
# provider options (clientId, clientSecret, issuer, token), openid-client (client_id, client_secret),
# express-openid-connect (issuerBaseURL, baseURL), jose-based verifiers (jwksUri by convention).
OPTION_ROLES: dict[str, str] = {
    "clientId": CLIENT_ID, "clientID": CLIENT_ID, "client_id": CLIENT_ID,
    "clientSecret": CLIENT_SECRET, "client_secret": CLIENT_SECRET,
    "issuer": ISSUER, "issuerUrl": ISSUER, "issuerURL": ISSUER, "issuerBaseURL": ISSUER, "issuer_url": ISSUER,
    "token": TOKEN_URL, "tokenUrl": TOKEN_URL, "tokenURL": TOKEN_URL, "tokenEndpoint": TOKEN_URL, "token_endpoint": TOKEN_URL,
    "jwksUri": JWKS_URL, "jwksUrl": JWKS_URL, "jwksURL": JWKS_URL, "jwks_uri": JWKS_URL, "jwks_url": JWKS_URL,
    "baseURL": CALLBACK_BASE, "baseUrl": CALLBACK_BASE,
}
# Python settings keys: django-allauth's openid_connect APPS entry ({"client_id", "secret", "settings":
# {"server_url"}}, docs.allauth.org/en/latest/socialaccount/providers/openid_connect.html) and Authlib's
# register(client_id=..., client_secret=..., server_metadata_url=...)
PY_OPTION_ROLES: dict[str, str] = {
    **OPTION_ROLES, "secret": CLIENT_SECRET, "server_url": ISSUER, "server_metadata_url": ISSUER,
}
# calls whose argument has a role by position: jose's createRemoteJWKSet(new URL(jwks)) (github.com/panva/jose),
# openid-client v6 discovery(server, clientId, clientSecret) and v5 Issuer.discover(issuer) (github.com/panva/openid-client)
CALL_ROLES: dict[str, tuple[str, ...]] = {
    "createRemoteJWKSet": (JWKS_URL,),
    "discovery": (ISSUER, CLIENT_ID, CLIENT_SECRET),
    "discover": (ISSUER,),
}
# a URL fetched directly: its role follows from the variable's name (the NextAuth v4 refresh-token tutorial
# posts to `fetch(process.env.AUTHENTIK_TOKEN)`)
FETCH_CALLS = ("fetch",)

# Modules whose presence marks a file as OIDC wiring (a read there outranks the same role read elsewhere).
AUTH_MODULES = ("next-auth", "@auth/", "jose", "openid-client", "@hono/oidc-auth", "express-openid-connect", "passport-openidconnect")
AUTHENTIK_PROVIDER_MODULE_SUFFIX = "/providers/authentik"  # next-auth/providers/authentik, @auth/core/providers/authentik


@dataclass(frozen=True)
class Implied:
    """Variables a framework reads by itself (no `process.env` in the app's code)."""

    preset: str
    names: tuple[tuple[str, str], ...]  # (role, name template; {ID} is the provider id, upper-cased, '-' -> '_')
    when: str  # what in the code makes the framework read them
    source: str


# One table: which framework reads which variable without the app naming it.
IMPLIED: tuple[Implied, ...] = (
    # Auth.js v5 setEnvDefaults(): clientId ??= AUTH_{ID}_ID, clientSecret ??= AUTH_{ID}_SECRET and, for an oidc
    # provider such as Authentik, issuer ??= AUTH_{ID}_ISSUER, where ID = provider.id upper-cased ('-' -> '_')
    Implied("authjs", ((CLIENT_ID, "AUTH_{ID}_ID"), (CLIENT_SECRET, "AUTH_{ID}_SECRET"), (ISSUER, "AUTH_{ID}_ISSUER")),
            "an Authentik provider whose option is omitted",
            "authjs.dev/guides/environment-variables; @auth/core src/lib/utils/env.ts setEnvDefaults"),
    Implied("sveltekit", ((CLIENT_ID, "AUTH_{ID}_ID"), (CLIENT_SECRET, "AUTH_{ID}_SECRET"), (ISSUER, "AUTH_{ID}_ISSUER")),
            "an Authentik provider whose option is omitted",
            "authjs.dev/guides/environment-variables; @auth/core src/lib/utils/env.ts setEnvDefaults"),
    # NextAuth.js v4 reads NEXTAUTH_URL itself for every callback URL it builds
    Implied("nextauth", ((CALLBACK_BASE, "NEXTAUTH_URL"),), "next-auth v4 in the app",
            "next-auth.js.org/configuration/options#nextauth_url"),
    # @hono/oidc-auth reads its settings from the Worker's env via env(c)
    Implied("hono", ((ISSUER, "OIDC_ISSUER"), (CLIENT_ID, "OIDC_CLIENT_ID"), (CLIENT_SECRET, "OIDC_CLIENT_SECRET")),
            "@hono/oidc-auth imported", "github.com/honojs/middleware packages/oidc-auth README (Configuration)"),
)
IMPLIED_BY_PRESET = {i.preset: i for i in IMPLIED}

# Variables frameworks read for themselves that carry no client role: never "defined but unread"
FRAMEWORK_OWN = frozenset({"NEXTAUTH_SECRET", "NEXTAUTH_URL", "AUTH_SECRET", "AUTH_URL", "AUTH_TRUST_HOST", "OIDC_AUTH_SECRET",
                           "OIDC_REDIRECT_URI", "OIDC_SCOPES"})

# How a module reads env in SvelteKit (svelte.dev/docs/kit/$env-static-private and siblings): static modules export
# one binding per variable, dynamic modules export `env`.
SVELTEKIT_STATIC = ("$env/static/private", "$env/static/public")
SVELTEKIT_DYNAMIC = ("$env/dynamic/private", "$env/dynamic/public")
# Hono: `c.env.X` on Workers (hono.dev/docs/getting-started/cloudflare-workers#bindings), env(c) from hono/adapter
HONO_ADAPTER = "hono/adapter"
# Python: os.environ[...] / os.environ.get / os.getenv, and django-environ's Env() instance called or its typed
# getters (django-environ.readthedocs.io: env('X'), env.str('X'), env.url('X'), ...)
DJANGO_ENVIRON_GETTERS = frozenset({"str", "bool", "int", "float", "url", "list", "tuple", "dict", "json", "path", "db_url", "cache_url"})


def role_of_option(key: str, python: bool = False) -> str | None:
    return (PY_OPTION_ROLES if python else OPTION_ROLES).get(key)


def role_of_name(name: str) -> str | None:
    """A role from a variable's name alone, the weakest evidence (used when the code gives no context)."""
    n = name.upper()
    if n in ("NEXTAUTH_URL", "AUTH_URL"):
        return CALLBACK_BASE
    if "JWKS" in n:
        return JWKS_URL
    if "ISSUER" in n:
        return ISSUER
    if any(part in n for part in ("TOKEN_URL", "TOKEN_URI", "TOKEN_ENDPOINT")):
        return TOKEN_URL
    if n in FRAMEWORK_OWN or n.endswith("_COOKIE_SECRET"):
        return None
    oidc_named = "AUTHENTIK" in n or n.startswith(("OIDC_", "AUTH_"))
    if n.endswith(("CLIENT_ID", "CLIENTID")) or (oidc_named and n.endswith("_ID")):
        return CLIENT_ID
    if n.endswith("CLIENT_SECRET") or (oidc_named and n.endswith("_SECRET")):
        return CLIENT_SECRET
    return None


def role_of_fetched(name: str) -> str | None:
    """A variable passed to fetch(): a URL, so `..._TOKEN` means the token endpoint, not a token."""
    n = name.upper()
    if "TOKEN" in n:
        return TOKEN_URL
    return role_of_name(name)


def implied_names(preset: str | None, provider_id: str = "authentik") -> dict[str, str]:
    """role -> name a framework reads by itself for this preset (empty when it reads none)."""
    fact = IMPLIED_BY_PRESET.get(preset or "")
    if fact is None:
        return {}
    key = provider_id.upper().replace("-", "_")
    return {role: template.replace("{ID}", key) for role, template in fact.names}
