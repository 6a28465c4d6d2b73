"""Pure pieces of `authlab login-test --app`: how each framework starts a login and shows its session,
how hops are written down without secrets, and what a failure at each point most likely means.

The causes come from what the frameworks do with Authentik (the presets' issuer forms, FACTS §6-§9):
NextAuth v4 builds `{issuer}/.well-known/openid-configuration` itself (a trailing slash gives `//`, a 404,
and `error=OAuthSignin`); Auth.js v5 (oauth4webapi) compares the discovery `issuer` byte for byte (no slash:
`error=Configuration`); an HS256-signed ID token (no signing key) fails every JWKS-based check.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from authentik_lab.core.presets import Preset, get_preset
from authentik_lab.core.urls import IssuerForm, issuer_in_form, same_origin, same_server
from authentik_lab.errors import UsageError

AUTHJS_STYLE = "authjs"  # csrf + POST signin + JSON session (NextAuth v4, Auth.js v5 on any framework)
START_STYLE = "start"  # GET a start URL, then a check URL must answer 200


@dataclass(frozen=True)
class AppFlow:
    """How `login-test --app` starts a login in the app and proves the session afterwards."""

    preset: str
    style: str
    base: str = ""  # Auth.js style: the auth routes' base path (/api/auth in Next.js, /auth elsewhere)
    provider_id: str = ""  # Auth.js style: POST {base}/signin/{provider_id}
    start: str = ""  # start style: path or URL of the first request
    check: str = ""  # start style: path or URL that must answer 200 once logged in

    def describe(self) -> str:
        if self.style == AUTHJS_STYLE:
            return f"GET {self.base}/csrf, POST {self.base}/signin/{self.provider_id}, GET {self.base}/session"
        return f"GET {self.start}, then GET {self.check} must answer 200"


# the framework's own routes, from each framework's docs; base paths as the presets' callback paths use them
_START_FLOWS = {
    "oauth2-proxy": ("/oauth2/start?rd=%2F", "/oauth2/userinfo"),
    "grafana": ("/login/generic_oauth", "/api/user"),
}
_AUTHJS_BASES = {"nextauth": "/api/auth", "authjs": "/api/auth", "sveltekit": "/auth"}
APP_PRESETS = (*_AUTHJS_BASES, *_START_FLOWS, "generic")


def app_flow(preset: str, *, base: str | None = None, provider_id: str | None = None,
             start: str | None = None, check: str | None = None) -> AppFlow:
    """The login route of `preset`; UsageError (naming the option) for an unusable combination."""
    name = (preset or "").strip().lower()
    if name not in APP_PRESETS:
        if name in get_preset_names():
            raise UsageError(f"--preset {preset}: login-test --app does not know how a {preset} app starts a login",
                             hint="use --preset generic with --app-start URL and --app-check URL")
        get_preset(preset)  # the usual "unknown preset" error
    if name in _AUTHJS_BASES:
        if start or check:
            raise UsageError(f"--app-start/--app-check do not apply to --preset {name}", hint="drop them, or use --preset generic")
        chosen = (base if base is not None else _AUTHJS_BASES[name]).rstrip("/")
        if chosen and not chosen.startswith("/"):
            raise UsageError(f"--app-base {base!r} must be a path starting with /", hint="e.g. --app-base /api/auth or --app-base /auth")
        pid = provider_id or get_preset(name).default_provider_id or "authentik"
        return AppFlow(name, AUTHJS_STYLE, base=chosen, provider_id=pid)
    if base is not None or provider_id is not None:
        raise UsageError(f"--app-base/--provider-id do not apply to --preset {name}", hint="they are for nextauth, authjs and sveltekit")
    default_start, default_check = _START_FLOWS.get(name, ("", ""))
    start, check = start or default_start, check or default_check
    if not (start and check):
        raise UsageError("--preset generic needs --app-start URL and --app-check URL",
                         hint="e.g. --app-start http://localhost:3000/login --app-check http://localhost:3000/me")
    return AppFlow(name, START_STYLE, start=start, check=check)


def get_preset_names() -> tuple[str, ...]:
    from authentik_lab.core.presets import PRESETS

    return tuple(PRESETS)


# --- redaction ---------------------------------------------------------------------------------------

# query/fragment parameters that are secrets or one-time values; their values never appear in a hop
SECRET_PARAMS = frozenset({
    "code", "state", "nonce", "code_challenge", "code_verifier", "csrftoken", "csrf_token", "token", "access_token",
    "refresh_token", "id_token", "id_token_hint", "client_secret", "password", "session_state", "iss_token",
})
REDACTED = "REDACTED"


def redact_url(url: str) -> str:
    """`url` with the values of SECRET_PARAMS replaced in its query and fragment (names kept)."""
    parts = urlsplit(url)

    def clean(text: str) -> str:
        if not text or "=" not in text:
            return text
        pairs = parse_qsl(text, keep_blank_values=True)
        return urlencode([(k, REDACTED if k.lower() in SECRET_PARAMS else v) for k, v in pairs], safe="/:")

    return urlunsplit((parts.scheme, parts.netloc, parts.path, clean(parts.query), clean(parts.fragment)))


def query_params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_authentik(url: str, authentik_url: str) -> bool:
    """A URL on Authentik's server (the same port under another loopback name counts: the browser's view)."""
    return same_server(url, authentik_url)


def in_app(url: str, app_url: str) -> bool:
    return same_origin(url, app_url)


# --- what a failure most likely means ------------------------------------------------------------------


@dataclass(frozen=True)
class ProviderFacts:
    """What Authentik says about the provider the app uses (from the API), for naming causes."""

    name: str
    client_id: str
    issuer: str  # exactly as Authentik emits it (trailing slash); "" without an application
    redirect_uris: tuple[str, ...]
    offline_access: bool
    signing_alg: str  # RS256 when a signing key is set; HS256 (client secret) otherwise


@dataclass(frozen=True)
class Cause:
    cause: str
    hint: str = ""


def issuer_cause(preset: str, facts: ProviderFacts | None) -> Cause:
    """The app stopped before Authentik: the issuer form its library needs, with the exact value."""
    chosen = get_preset(preset) if preset in get_preset_names() else None
    exact = facts.issuer if facts else ""
    if chosen is None or not exact:
        return Cause("the app could not start the login: its issuer is wrong or Authentik's discovery document is unreachable "
                     "from the app", "compare the app's issuer with `authlab provider show NAME`")
    wanted = issuer_in_form(exact, chosen.issuer_form)
    var = _issuer_var(chosen)
    if chosen.issuer_form is IssuerForm.WITHOUT_SLASH:
        why = (f"NextAuth v4 appends /.well-known/openid-configuration to the issuer itself, so a trailing slash "
               f"gives {exact}/.well-known/... (a double slash: 404)")
    elif chosen.issuer_form is IssuerForm.WITH_SLASH:
        why = (f"{chosen.title} compares Authentik's issuer {exact} byte for byte, so the issuer must keep its trailing slash")
    else:
        why = "the app must be given the discovery document's URL"
    return Cause(f"issuer form or discovery: the app redirected to its own error page before reaching Authentik. {why}; "
                 f"or the app cannot reach {exact} (a container or another host name)",
                 f"set {var}={wanted} (exactly; `authlab provider create --preset {chosen.name} --env-out FILE` writes it)")


def _issuer_var(preset: Preset) -> str:
    from authentik_lab.core.presets import Source

    names = [v.name for v in preset.env if v.source is Source.ISSUER]
    return names[0] if names else "the issuer"


def redirect_uri_cause(sent: str, facts: ProviderFacts | None, flow: AppFlow) -> Cause:
    """Authentik's "Redirect URI Error": the callback the app sent against the provider's URIs."""
    allowed = ", ".join(facts.redirect_uris) if facts and facts.redirect_uris else "(none)"
    cause = f"redirect URI mismatch: the app sent redirect_uri={sent}, the provider {facts.name!r} allows {allowed}" if facts \
        else f"redirect URI mismatch: the app sent redirect_uri={sent}, which the provider does not list"
    hint = "register exactly the callback the app sends: `authlab provider create NAME --preset ... --redirect-uri URI`"
    if facts and flow.style == AUTHJS_STYLE:
        sent_path = urlsplit(sent).path.rstrip("/")
        for uri in facts.redirect_uris:
            head, _, other_id = urlsplit(uri).path.rstrip("/").rpartition("/")
            sent_head, _, sent_id = sent_path.rpartition("/")
            if head == sent_head and other_id != sent_id and same_origin(uri, sent):
                cause += f": the provider id differs (the app's is {sent_id!r}, the provider was made for {other_id!r})"
                hint = f"`authlab provider create {facts.name} --preset {flow.preset} --provider-id {sent_id}` (or rename the app's provider id)"
                break
    return Cause(cause, hint)


def callback_cause(flow: AppFlow, error: str, facts: ProviderFacts | None, authorize_origin: str, authentik_url: str) -> Cause:
    """Back in the app with an error after Authentik redirected with a code (OAuthCallback, Configuration...)."""
    if facts and facts.signing_alg.startswith("HS"):
        return Cause(f"signature: the provider {facts.name!r} has no signing key, so Authentik signs the ID token HS256 with "
                     "the client secret; the app's library expects RS256 from the JWKS and rejects it (error="
                     f"{error})", "set the provider's signing key (`authlab doctor --fix provider.signing-key`, "
                     "or re-run `authlab provider create`)")
    if authorize_origin and not same_origin(authorize_origin, authentik_url) and facts and facts.issuer:
        return Cause(f"iss mismatch (host): the app reaches Authentik as {authorize_origin}, but the tokens say iss "
                     f"{facts.issuer} (Authentik builds iss from the Host header)",
                     f"use {origin_of(facts.issuer)} in the app's issuer, the same host the browser uses")
    return Cause(f"the app rejected the callback (error={error}): iss mismatch (host or trailing slash), the ID token "
                 "signature, or its state/PKCE cookies were lost between sign-in and callback (the app's URL setting, "
                 "e.g. NEXTAUTH_URL/AUTH_URL, must be the origin you test; Secure cookies do not survive plain http)",
                 "read the app's server log for the exact error; `authlab doctor --app-env FILE` checks the issuer form")


def hs256_note(facts: ProviderFacts) -> str:
    return (f"provider {facts.name!r} has no signing key: its tokens are HS256 (signed with the client secret), so APIs that "
            "verify them through the JWKS (jose, Spring, go-oidc) refuse them; `authlab doctor --fix provider.signing-key` sets one")


def refresh_cause(preset: str, asked_offline: bool, facts: ProviderFacts | None) -> Cause | None:
    """None when refresh tokens can work; else why the app holds none although it may want one."""
    if facts is None:
        return None
    if asked_offline and not facts.offline_access:
        return Cause(f"no refresh token: the app asked for offline_access but the provider {facts.name!r} lacks the "
                     "offline_access scope mapping, so Authentik silently drops it and the app's token refresh "
                     "(e.g. a jwt callback) ends in RefreshTokenError",
                     "`authlab doctor --fix provider.scopes` attaches the mapping (or drop --no-offline-access)")
    return None


def offline_hint(preset: str) -> str:
    chosen = get_preset(preset) if preset in get_preset_names() else None
    return chosen.refresh_hint if chosen else "request the offline_access scope"
