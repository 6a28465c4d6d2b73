"""What each framework does when its app-URL variable is unset: the documented default doctor judges the app by.

With a fixed default (`value`), an app env file that leaves the variable out still tells the callback the app
sends, so doctor compares that with the provider's redirect URIs instead of skipping. When the framework builds
the URL from the incoming request (`value` None), nothing can be judged from files and doctor says nothing.
`unless`: variables that switch the default off (the framework then trusts the request's host).
Listed per preset in `authlab provider presets --json` under `defaults`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Mapping


@dataclass(frozen=True)
class FrameworkDefault:
    variable: str
    value: str | None  # None: derived from the request, no fixed default
    meaning: str
    source: str
    unless: tuple[str, ...] = ()
    # (placeholder in `template`, variable, its own default): parts of the default other variables can change
    parts: tuple[tuple[str, str, str], ...] = ()
    template: str = ""

    def resolve(self, values: Mapping[str, str]) -> str | None:
        """The default as these env values make it (e.g. GF_SERVER_HTTP_PORT=3001 -> http://localhost:3001/)."""
        if not self.template:
            return self.value
        out = self.template
        for placeholder, var, default in self.parts:
            out = out.replace(placeholder, (values.get(var) or "").strip() or default)
        return out

    def to_dict(self) -> dict:
        return {"variable": self.variable, "default": self.value, "meaning": self.meaning, "source": self.source,
                "unless_set": list(self.unless), "built_from": [var for _, var, _ in self.parts]}


_FROM_REQUEST = "derived from the request's scheme and host: no fixed default"

DEFAULTS: dict[str, tuple[FrameworkDefault, ...]] = {
    "grafana": (FrameworkDefault(
        "GF_SERVER_ROOT_URL", "http://localhost:3000/",
        "Grafana builds its OAuth callback from root_url, whose default %(protocol)s://%(domain)s:%(http_port)s/ is "
        "http://localhost:3000/",
        "Grafana docs, Configure Grafana, [server] root_url (conf/defaults.ini: protocol http, domain localhost, http_port 3000)",
        parts=(("%(protocol)s", "GF_SERVER_PROTOCOL", "http"), ("%(domain)s", "GF_SERVER_DOMAIN", "localhost"),
               ("%(http_port)s", "GF_SERVER_HTTP_PORT", "3000")),
        template="%(protocol)s://%(domain)s:%(http_port)s/"),),
    "nextauth": (FrameworkDefault(
        "NEXTAUTH_URL", "http://localhost:3000",
        "NextAuth.js v4 without NEXTAUTH_URL uses http://localhost:3000/api/auth as its base URL",
        "next-auth v4 src/utils/parse-url.ts (default http://localhost:3000/api/auth); the request's host is used "
        "instead only with AUTH_TRUST_HOST or on Vercel (src/utils/detect-origin.ts)",
        unless=("AUTH_TRUST_HOST", "VERCEL", "VERCEL_URL")),),
    "authjs": (FrameworkDefault("AUTH_URL", None, _FROM_REQUEST, "Auth.js v5 docs, Environment variables: AUTH_URL is optional, "
                                "the host is inferred from the request"),),
    "sveltekit": (FrameworkDefault("AUTH_URL", None, _FROM_REQUEST, "Auth.js docs (SvelteKit): the host is inferred from the request"),),
    "oauth2-proxy": (FrameworkDefault("OAUTH2_PROXY_REDIRECT_URL", None, "built from the request's host + /oauth2/callback",
                                      "oauth2-proxy docs, --redirect-url (empty: derived from the request)"),),
    "spring": (FrameworkDefault("redirect-uri", None, "{baseUrl}/login/oauth2/code/{registrationId}, baseUrl from the request",
                                "Spring Security reference, OAuth2 Login: the default redirect URI template"),),
    "django-allauth": (FrameworkDefault("(none)", None, "the callback is built from the request (build_absolute_uri)",
                                        "django-allauth docs, OpenID Connect provider callback URL"),),
    "hono": (FrameworkDefault("OIDC_REDIRECT_URI", None, "/callback on the request's origin",
                              "@hono/oidc-auth README: OIDC_REDIRECT_URI defaults to /callback"),),
    "generic": (),
}

# variables only one framework's app env files use: they tell which framework reads a file without --preset
# (checked in order: Auth.js v5 apps may keep a NEXTAUTH_SECRET, but AUTH_* names are v5's own)
_MARKERS = {"grafana": ("GF_",), "authjs": ("AUTH_",), "nextauth": ("NEXTAUTH_",)}


def framework_of(names: Collection[str], preset: str | None = None) -> str | None:
    """The preset whose fixed defaults apply to an env file with these variable names (the file's and its folder's)."""
    if preset:
        return preset
    for name, prefixes in _MARKERS.items():
        if any(n.startswith(prefixes) for n in names):
            return name
    return None


def fixed_defaults(names: Collection[str], preset: str | None = None) -> tuple[str | None, list[FrameworkDefault]]:
    """(framework, the fixed defaults in force for an env file): its framework's, for variables the file and its
    folder leave unset and no `unless` variable switches off."""
    framework = framework_of(names, preset)
    return framework, [d for d in DEFAULTS.get(framework or "", ())
                       if d.value and d.variable not in names and not any(u in names for u in d.unless)]
