"""Log a user in the way a browser does, without a browser: authorize -> flow executor -> redirect URI.

Shared by `login-test` (which reports each step) and `token` (which only wants the tokens). Every step
returns a `Step`; the first failing one stops the run and carries the likely cause (captures 059-106).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

from authentik_lab.adapters.oidc_client import OidcClient, page_text
from authentik_lab.core import oidc_flow as of
from authentik_lab.core.urls import discovery_url

if TYPE_CHECKING:
    from authentik_lab.core.dialect import Dialect

MAX_HOPS = 25  # executor round trips before we call it a loop (a password login takes 6)
# Views that only redirect on to a flow: 2024.x sends an anonymous authorize to the default authentication
# flow's view, which redirects to /if/flow/<slug>/?next=... (release_facts: anonymous_authorize_redirect)
DEFAULT_FLOW_VIEWS = "/flows/-/default/"
EXPLICIT_CONSENT_FLOW = "default-provider-authorization-explicit-consent"


@dataclass(frozen=True)
class Step:
    name: str  # discovery | authorize | login | consent | callback | token | id_token | refresh
    status: str  # passed | warning | failed | skipped
    detail: str
    cause: str = ""
    hint: str = ""


class StepFailed(Exception):
    def __init__(self, step: Step) -> None:
        super().__init__(step.detail)
        self.step = step


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    confidential: bool
    redirect_uri: str
    issuer: str
    dialect: "Dialect | None" = None  # the server's release (consent and redirect behaviour differ by release)


@dataclass
class Session:
    """What the steps hand to each other."""

    http: OidcClient
    client: Client
    report: Callable[[Step], None]
    pkce: of.Pkce
    endpoints: dict[str, Any] | None = None
    code: str = ""
    tokens: dict[str, Any] | None = None
    scopes: tuple[str, ...] = ()

    def passed(self, name: str, detail: str) -> None:
        self.report(Step(name, "passed", detail))

    def fail(self, name: str, verdict: of.Verdict | str, cause: str = "", hint: str = "") -> None:
        if isinstance(verdict, of.Verdict):
            step = Step(name, "failed", verdict.detail, verdict.cause, verdict.hint)
        else:
            step = Step(name, "failed", verdict, cause, hint)
        raise StepFailed(step)


def discover(s: Session) -> None:
    url = discovery_url(s.client.issuer)
    status, doc = s.http.get_json(url)
    if status != 200 or not isinstance(doc, dict):
        s.fail("discovery", f"GET {url} -> HTTP {status}", "no discovery document at the issuer: the application slug is wrong or has no provider",
               "check `authlab provider show NAME`")
    if doc.get("issuer") != s.client.issuer:
        s.fail("discovery", f"issuer is {doc.get('issuer')!r}, expected {s.client.issuer!r}",
               "the discovery document names another issuer (Host header or issuer_mode differs)")
    s.endpoints = doc
    s.passed("discovery", f"issuer {s.client.issuer}")


def authorize(s: Session, username: str, password: str, scopes: tuple[str, ...]) -> None:
    assert s.endpoints is not None
    s.scopes = scopes
    query = of.authorize_query(s.client.client_id, s.client.redirect_uri, s.pkce, scopes)
    location, via = _redirect_of(s, f"{s.endpoints['authorization_endpoint']}?{query}")
    if of.same_endpoint(s.http.absolute(location), s.client.redirect_uri):
        s.passed("authorize", "already logged in: redirected straight back")
    else:
        slug, flow_query = _flow_of(location)
        if not slug:
            s.fail("authorize", f"redirected to {location}", "the authorize endpoint redirected somewhere unexpected")
        s.passed("authorize", f"redirected to the {slug} flow" + (f" (through {via})" if via else ""))
        to = run_flow(s, "login", slug, flow_query, username, password)
        s.passed("login", f"logged in as {username} through the flow executor")
        location = follow_to_callback(s, to, username, password)
    verdict = of.read_callback(s.http.absolute(location), s.client.redirect_uri, s.pkce.state)
    if not verdict.ok:
        s.fail("callback", verdict)
    s.code = verdict.value
    s.passed("callback", f"code received at {s.client.redirect_uri} (not followed to the app)")


def _redirect_of(s: Session, url: str) -> tuple[str, str]:
    """Where authorize sends the browser, following the redirect-only default-flow view of older releases.

    Returns (location, the view passed through or "").
    """
    via = ""
    for _ in range(3):
        response = s.http.get(url)
        if response.status_code >= 400:
            s.fail("authorize", of.authorize_error_page(response.status_code, page_text(response)))
        location = response.headers.get("location", "")
        if response.status_code not in (301, 302, 303) or not location:
            s.fail("authorize", f"HTTP {response.status_code} without a redirect", "the authorize endpoint did not start a login")
        path = urlsplit(location).path
        if not path.startswith(DEFAULT_FLOW_VIEWS) or of.same_endpoint(s.http.absolute(location), s.client.redirect_uri):
            return location, via
        via, url = path, location  # a browser follows it; so do we
    s.fail("authorize", f"too many redirects from {url}", "the authorize endpoint redirects in a loop")
    return "", ""  # unreachable


def _flow_of(location: str) -> tuple[str, str]:
    parts = urlsplit(location)
    bits = [b for b in parts.path.split("/") if b]
    if len(bits) >= 3 and bits[0] == "if" and bits[1] == "flow":
        return bits[2], parts.query
    return "", ""


def run_flow(s: Session, step: str, slug: str, query: str, username: str, password: str) -> str:
    """Answer the executor's challenges until it says where to go (`xak-flow-redirect`); returns `to`."""
    url = s.http.executor_url(slug, query)
    body: dict | None = None
    for _ in range(MAX_HOPS):
        response = s.http.executor(url, body)
        sent, body = body, None
        if response.status_code in (301, 302, 303):
            url = response.headers.get("location") or url
            continue
        if response.status_code != 200:
            s.fail(step, f"flow executor HTTP {response.status_code} for {slug}", f"the {slug} flow failed on the server")
        challenge = response.json()
        component = challenge.get("component", "")
        errors = challenge.get("response_errors") or {}
        if sent is not None and errors:
            field, problems = next(iter(errors.items()))
            text = "; ".join(p.get("string", "") for p in problems) if isinstance(problems, list) else str(problems)
            cause = f"wrong password for {username}" if field == "password" else f"Authentik rejected the {field} field"
            s.fail(step, f"{component}: {field}: {text}", cause, "check the test user's password (authlab apply sets it)")
        if component == "xak-flow-redirect":
            return str(challenge.get("to") or "/")
        if component == "ak-stage-identification":
            body = {"component": component, "uid_field": username}
            if challenge.get("password_fields"):
                body["password"] = password
        elif component == "ak-stage-password":
            body = {"component": component, "password": password}
        elif component == "ak-stage-user-login":
            body = {"component": component, "remember_me": False}
        elif component == "ak-stage-consent":
            # a browser user clicks "Continue"; the stage checks the challenge's token came back
            body = {"component": component, "token": challenge.get("token", "")}
            s.report(consent_step(s, slug))
        elif component == "ak-stage-access-denied":
            s.fail(step, f"access denied: {challenge.get('error_message') or 'no message'}",
                   "a policy on the flow or the application refused this user", "check the application's policy bindings")
        else:
            s.fail(step, f"the {slug} flow asks for {component!r}", f"login-test can only answer identification, password, "
                   f"user-login and consent stages; {component} (e.g. MFA or a captcha) needs a person")
    s.fail(step, f"more than {MAX_HOPS} executor round trips", f"the {slug} flow loops")
    return ""  # unreachable


def consent_step(s: Session, slug: str) -> Step:
    """The consent screen as login-test reports it: expected on the explicit-consent flow, a warning elsewhere."""
    if slug == EXPLICIT_CONSENT_FLOW:
        return Step("consent", "passed", "explicit consent screen accepted, as a user would")
    detail = f"unexpected consent screen on the {slug} flow (accepted, as a user would)"
    d = s.client.dialect
    if d is not None and d.offline_access_adds_consent and "offline_access" in s.scopes:
        return Step("consent", "warning", detail,
                    f"Authentik {d.label} (before 2025.4) appends a consent stage whenever the app requests offline_access, "
                    "even on the implicit-consent flow",
                    "expected on this release: users see it at each login that asks for refresh tokens; from 2025.4 the flow decides")
    return Step("consent", "warning", detail, f"the {slug} flow has a consent stage",
                "use the implicit-consent flow (`authlab provider create NAME --consent implicit`) if the app must not show one")


def follow_to_callback(s: Session, to: str, username: str, password: str) -> str:
    """After login: authorize again with the session; an explicit-consent flow adds one more executor run."""
    for _ in range(4):
        if of.same_endpoint(s.http.absolute(to), s.client.redirect_uri):
            return to
        response = s.http.get(to)
        if response.status_code >= 400:
            s.fail("callback", of.authorize_error_page(response.status_code, page_text(response)))
        location = response.headers.get("location", "")
        if not location:
            s.fail("callback", f"HTTP {response.status_code} from {urlsplit(to).path}", "no redirect back to the app after login")
        slug, flow_query = _flow_of(location)
        to = run_flow(s, "consent", slug, flow_query, username, password) if slug else location
    s.fail("callback", "too many redirects after login", "the authorization flow loops")
    return ""


def exchange_code(s: Session) -> None:
    assert s.endpoints is not None
    form = {"grant_type": "authorization_code", "code": s.code, "redirect_uri": s.client.redirect_uri, "code_verifier": s.pkce.verifier}
    status, body = _token(s, form)
    if status != 200 or not isinstance(body, dict) or "access_token" not in body:
        s.fail("token", of.token_error(status, body, "authorization_code"))
    s.tokens = body
    s.passed("token", f"code exchanged: access_token, id_token{', refresh_token' if body.get('refresh_token') else ''} (scope {body.get('scope', '')!r})")


def _token(s: Session, form: dict[str, str]) -> tuple[int, Any]:
    assert s.endpoints is not None
    if s.client.confidential:
        return s.http.token(s.endpoints["token_endpoint"], form, basic=(s.client.client_id, s.client.client_secret))
    return s.http.token(s.endpoints["token_endpoint"], {**form, "client_id": s.client.client_id})


def check_id_token(s: Session) -> None:
    assert s.endpoints is not None and s.tokens is not None
    id_token = s.tokens.get("id_token")
    if not id_token:
        s.fail("id_token", "no id_token in the token response", "the openid scope is not mapped on the provider")
    status, jwks = s.http.get_json(s.endpoints["jwks_uri"])
    if status != 200:
        s.fail("id_token", f"GET jwks -> HTTP {status}", "the JWKS endpoint is not reachable")
    verdict = of.verify_id_token(id_token, jwks, s.client.issuer, s.client.client_id, s.pkce.nonce)
    if not verdict.ok:
        s.fail("id_token", verdict)
    s.passed("id_token", verdict.detail)


def refresh(s: Session, expected: bool) -> None:
    assert s.tokens is not None
    old = s.tokens
    if not old.get("refresh_token"):
        if expected:
            s.fail("refresh", "no refresh_token in the token response",
                   "no refresh token: the provider lacks the offline_access scope mapping (Authentik then silently drops "
                   "offline_access from the granted scope)",
                   # the one-command fix for any provider; apply only touches providers its lab file names
                   "`authlab doctor --fix provider.scopes` attaches the mapping "
                   "(a lab file's provider has it unless `offline_access: false`)")
        s.report(Step("refresh", "skipped", "offline_access is not configured for this provider"))
        return
    status, body = _token(s, {"grant_type": "refresh_token", "refresh_token": old["refresh_token"]})
    if status != 200 or not isinstance(body, dict) or not body.get("access_token"):
        s.fail("refresh", of.token_error(status, body, "refresh_token"))
    if body["access_token"] == old["access_token"]:
        s.fail("refresh", "the refresh grant returned the same access token", "the refresh did not issue a new token")
    s.tokens = {**old, **body}
    s.passed("refresh", "refresh grant returned a new access token" + (" and a rotated refresh token" if body.get("refresh_token") not in (None, old["refresh_token"]) else ""))
