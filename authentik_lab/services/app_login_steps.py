"""The steps of `login-test --app`, in order: app-start, authorize + login + callback (Authentik), app-callback,
session, refresh. Each either reports a passed step or raises `StepFailed` with the likely cause.

Split from services/app_login.py (entry point, result, shared state) to keep both readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urljoin, urlsplit

from authentik_lab.core import app_login as al
from authentik_lab.core.oidc_flow import Pkce, authorize_error_page, read_callback, same_endpoint
from authentik_lab.core.urls import issuer_url
from authentik_lab.services import browser_login as bl

if TYPE_CHECKING:
    from authentik_lab.adapters.browser import Browser
    from authentik_lab.app import App
    from authentik_lab.services.connection import Connection

MAX_APP_HOPS = 10  # redirects inside the app before we call it a loop


@dataclass
class Run:
    """State the steps share; `facts` is filled in as soon as the app's client id (or provider) is known."""

    app: "App"
    conn: "Connection"
    browser: "Browser"
    app_url: str
    flow: al.AppFlow
    username: str
    password: str
    provider: str | None
    report: Callable[[bl.Step], None]
    refresh: bool | None
    facts: al.ProviderFacts | None = None
    rows: tuple | None = None
    client_id: str = ""
    redirect_uri: str = ""
    scope: str = ""
    authorize_origin: str = ""
    session: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    stage: str = "app-start"  # the step a connection failure is reported under

    def fail(self, name: str, detail: str, cause: str | al.Cause = "", hint: str = "") -> None:
        if isinstance(cause, al.Cause):
            cause, hint = cause.cause, cause.hint
        raise bl.StepFailed(bl.Step(name, "failed", detail, cause, hint))

    def passed(self, name: str, detail: str) -> None:
        self.report(bl.Step(name, "passed", detail))

    # -- what Authentik says about the provider the app uses
    def _rows(self) -> tuple:
        if self.rows is None:
            from authentik_lab.services.provider_queries import list_providers

            self.rows = list_providers(self.app, self.conn).providers
        return self.rows

    def learn(self, client_id: str | None = None) -> None:
        rows = self._rows()
        if client_id:
            chosen = [r for r in rows if r.client_id == client_id]
        elif self.provider:
            chosen = [r for r in rows if r.name == self.provider]
        else:  # before Authentik: the one provider whose redirect URIs point at this app
            chosen = [r for r in rows if any(al.in_app(u, self.app_url) for u in r.redirect_uris)]
        if len(chosen) != 1:
            return
        row = chosen[0]
        if client_id and self.provider and row.name != self.provider:
            self.notes.append(f"the app uses provider {row.name!r} (client id {client_id}), not --provider {self.provider}")
        base = self.authorize_origin or self.conn.url
        self.facts = al.ProviderFacts(row.name, row.client_id, issuer_url(base, row.application) if row.application else "",
                                      tuple(row.redirect_uris), row.offline_access, row.signing_alg)


def _at(run: Run, path_or_url: str) -> str:
    return urljoin(run.app_url + "/", path_or_url)


def start(run: Run) -> str:
    """The app's sign-in route, then its redirects, until the browser is sent to Authentik; returns that URL."""
    if run.flow.style == al.AUTHJS_STYLE:
        csrf_url = _at(run, f"{run.flow.base}/csrf")
        response = run.browser.request("GET", csrf_url, accept="application/json")
        token = _json(response).get("csrfToken") if response.status_code == 200 else None
        if not token:
            run.fail("app-start", f"GET {run.flow.base}/csrf -> HTTP {response.status_code} without a csrfToken",
                     f"no NextAuth/Auth.js routes at {run.app_url}{run.flow.base}: the app is not running there, or its auth base path differs",
                     "pass --app-base /auth (Auth.js outside Next.js) or --app-base /api/auth (Next.js)")
        signin = _at(run, f"{run.flow.base}/signin/{run.flow.provider_id}")
        response = run.browser.request("POST", signin, data={"csrfToken": str(token), "callbackUrl": run.app_url + "/"})
        first = f"POST {run.flow.base}/signin/{run.flow.provider_id}"
    else:
        response = run.browser.request("GET", _at(run, run.flow.start))
        first = f"GET {run.flow.start}"
    url = ""
    for _ in range(MAX_APP_HOPS):
        location = response.headers.get("location", "")
        if response.status_code not in (301, 302, 303, 307, 308) or not location:
            where = f" at {url}" if url else ""
            run.fail("app-start", f"{first}: the app answered HTTP {response.status_code}{where} instead of redirecting to Authentik",
                     *_no_redirect_cause(run))
        url = urljoin(url or run.app_url + "/", location)
        error = al.query_params(url).get("error")
        if al.in_app(url, run.app_url) and error:
            run.learn()
            run.fail("app-start", f"the app redirected to its own error page {al.redact_url(url)} (error={error})",
                     al.issuer_cause(run.flow.preset, run.facts))
        if not al.in_app(url, run.app_url):
            run.passed("app-start", f"{first} sent the browser to {urlsplit(url).netloc}{urlsplit(url).path}")
            return url
        response = run.browser.request("GET", url)
    run.fail("app-start", f"more than {MAX_APP_HOPS} redirects inside the app", "the app's sign-in route loops")
    return ""


def _no_redirect_cause(run: Run) -> tuple[str, str]:
    if run.flow.style == al.AUTHJS_STYLE:
        return (f"the app has no provider with id {run.flow.provider_id!r}, or the CSRF check failed",
                "pass --provider-id with the id in the app's callback path (/callback/<id>)")
    return ("the start URL does not begin a login", "check --app-start: it must redirect to Authentik's authorize endpoint")


def _json(response: Any) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def authentik(run: Run, authorize_url: str) -> str:
    """Authentik's part with the app's own authorize request; returns the redirect back to the app."""
    from authentik_lab.adapters.oidc_client import OidcClient, page_text

    if not al.is_authentik(authorize_url, run.conn.url):
        run.fail("authorize", f"the app sent the browser to {al.redact_url(authorize_url)}, not to Authentik at {run.conn.url}",
                 "the app is wired to another server (or another host name for it); login-test sends the password only to "
                 f"Authentik at {run.conn.url}", "pass --url with the Authentik the app uses, or fix the app's issuer")
    params = al.query_params(authorize_url)
    run.client_id, run.redirect_uri, run.scope = params.get("client_id", ""), params.get("redirect_uri", ""), params.get("scope", "")
    run.authorize_origin = al.origin_of(authorize_url)
    run.learn(run.client_id)
    on_response = lambda method, target, response: run.browser.record(method, target, response)  # noqa: E731
    with OidcClient(run.authorize_origin, timeout=20.0, on_response=on_response) as http:
        issuer = run.facts.issuer if run.facts else ""
        session = bl.Session(http, bl.Client(run.client_id, "", True, run.redirect_uri, issuer), run.report, Pkce.new())
        response = http.get(authorize_url)
        if response.status_code >= 400:
            verdict = authorize_error_page(response.status_code, page_text(response))
            if "Redirect URI" in verdict.detail:
                run.fail("authorize", verdict.detail, al.redirect_uri_cause(run.redirect_uri, run.facts, run.flow))
            run.fail("authorize", verdict.detail, verdict.cause, verdict.hint)
        location = response.headers.get("location", "")
        if not location:
            run.fail("authorize", f"HTTP {response.status_code} without a redirect", "the authorize endpoint did not start a login")
        if same_endpoint(http.absolute(location), run.redirect_uri):
            run.passed("authorize", "already logged in: redirected straight back")
        else:
            slug, flow_query = bl._flow_of(location)
            if not slug:
                run.fail("authorize", f"redirected to {al.redact_url(location)}", "the authorize endpoint redirected somewhere unexpected")
            run.passed("authorize", f"the app's request (client {run.client_id}, scope {run.scope!r}) went to the {slug} flow")
            to = bl.run_flow(session, "login", slug, flow_query, run.username, run.password)
            run.passed("login", f"logged in as {run.username} through the flow executor")
            location = bl.follow_to_callback(session, to, run.username, run.password)
    callback = http.absolute(location)
    # the state the app sent must come back unchanged (None when the app relies on PKCE alone, as Auth.js v5 does)
    verdict = read_callback(callback, run.redirect_uri, params.get("state"))  # type: ignore[arg-type]
    if not verdict.ok:
        run.fail("callback", verdict.detail, verdict.cause, verdict.hint)
    run.passed("callback", f"Authentik redirected to the app's {run.redirect_uri} with a code")
    return callback


def app_callback(run: Run, callback: str) -> None:
    """The app exchanges the code (server side) and redirects; an `error=` on the way is the app refusing."""
    url = callback
    for _ in range(MAX_APP_HOPS):
        response = run.browser.request("GET", url)
        location = response.headers.get("location", "")
        if response.status_code in (301, 302, 303, 307, 308) and location:
            url = urljoin(url, location)
            error = al.query_params(url).get("error")
            if error and al.in_app(url, run.app_url):
                run.fail("app-callback", f"the app redirected to {al.redact_url(url)} (error={error}) after the callback",
                         al.callback_cause(run.flow, error, run.facts, run.authorize_origin, run.conn.url))
            if not al.in_app(url, run.app_url):
                run.fail("app-callback", f"after the callback the app redirected to {al.redact_url(url)}",
                         "the app started another login instead of keeping the session (its session cookie was not set)")
            continue
        if response.status_code >= 400:
            run.fail("app-callback", f"GET {urlsplit(url).path} -> HTTP {response.status_code} after the callback",
                     al.callback_cause(run.flow, str(response.status_code), run.facts, run.authorize_origin, run.conn.url))
        run.passed("app-callback", f"the app took the code and answered HTTP {response.status_code} at {urlsplit(url).path}")
        return
    run.fail("app-callback", f"more than {MAX_APP_HOPS} redirects after the callback", "the app loops after the callback")


def session(run: Run) -> None:
    if run.flow.style == al.AUTHJS_STYLE:
        response = run.browser.request("GET", _at(run, f"{run.flow.base}/session"), accept="application/json")
        body = _json(response)
        user = body.get("user") if response.status_code == 200 else None
        if not isinstance(user, dict):
            run.fail("session", f"GET {run.flow.base}/session -> HTTP {response.status_code} without a user",
                     "the app holds no session after the callback: its session cookie was not set or not sent back "
                     "(NEXTAUTH_URL/AUTH_URL must be the origin you test)", "compare the app's URL setting with --app")
        run.session = _public_session(body)
        if body.get("error"):
            run.fail("session", f"the session carries error={body['error']}", al.refresh_cause(run.flow.preset, _asked_offline(run), run.facts)
                     or al.Cause(f"the app's token handling reported {body['error']}", "read the app's server log"))
        who = user.get("email") or user.get("name") or "a user"
        run.passed("session", f"GET {run.flow.base}/session shows {who}")
        return
    response = run.browser.request("GET", _at(run, run.flow.check), accept="application/json")
    if response.status_code != 200:
        run.fail("session", f"GET {run.flow.check} -> HTTP {response.status_code}", "the app holds no session after the callback",
                 "check that --app-check is a page that needs a login")
    run.passed("session", f"GET {run.flow.check} answered 200")


def _asked_offline(run: Run) -> bool:
    return "offline_access" in run.scope.split()


def _public_session(body: dict) -> dict:
    """The session as the app showed it, with anything token-like redacted."""
    return {k: (al.REDACTED if "token" in k.lower() else v) for k, v in body.items()}


def refresh(run: Run) -> None:
    asked = _asked_offline(run)
    if run.refresh is False:
        run.report(bl.Step("refresh", "skipped", "not checked (--no-refresh)"))
        return
    cause = al.refresh_cause(run.flow.preset, asked, run.facts)
    if cause:
        run.fail("refresh", "the app asked for offline_access, the provider does not grant it", cause)
    if not asked:
        if run.refresh:
            run.fail("refresh", f"the app did not request offline_access (scope {run.scope!r})",
                     "no refresh token: Authentik issues one only when the app asks for offline_access",
                     al.offline_hint(run.flow.preset))
        run.report(bl.Step("refresh", "skipped", f"the app does not request offline_access (scope {run.scope!r})"))
        return
    if run.facts is None:
        run.report(bl.Step("refresh", "skipped", "the provider could not be identified to confirm its offline_access mapping"))
        return
    run.passed("refresh", f"the app asked for offline_access and provider {run.facts.name!r} maps it: Authentik issued a refresh token")
