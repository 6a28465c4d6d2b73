"""`authlab login-test --app URL`: log in through the user's app the way a browser does, and say where it breaks.

app-start (the framework's sign-in route) -> authorize (the app's own request, on Authentik) -> login (flow
executor) -> callback (Authentik back to the app's redirect URI) -> app-callback (the app exchanges the code)
-> session (the app shows the user) -> refresh (the app can refresh: it asked for offline_access and the provider
maps it). The password goes only to Authentik's flow executor, never to the app or any other origin: an app
that sends the browser to another server than the Authentik authlab talks to stops the run before the login.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable
from urllib.parse import urlsplit

from authentik_lab.core import app_login as al
from authentik_lab.errors import UsageError
from authentik_lab.services import app_login_steps as app_steps
from authentik_lab.services import browser_login as bl

if TYPE_CHECKING:
    from authentik_lab.adapters.browser import Hop
    from authentik_lab.app import App


@dataclass(frozen=True)
class AppLoginResult:
    app_url: str
    flow: al.AppFlow
    user: str
    url: str  # Authentik, as authlab talks to it
    provider: str | None
    client_id: str
    redirect_uri: str
    steps: tuple[bl.Step, ...]
    hops: tuple["Hop", ...]
    session: dict[str, Any] | None = None  # what the app's session route showed (Auth.js style), tokens redacted
    notes: tuple[str, ...] = ()
    app_cookies: dict[str, str] = field(default_factory=dict, repr=False)  # for callers in-process; never rendered

    @property
    def ok(self) -> bool:
        return all(s.status != "failed" for s in self.steps)

    @property
    def failed(self) -> bl.Step | None:
        return next((s for s in self.steps if s.status == "failed"), None)

    def to_dict(self) -> dict[str, Any]:
        failed = self.failed
        return {
            "ok": self.ok,
            "app": self.app_url,
            "preset": self.flow.preset,
            "app_flow": self.flow.describe(),
            "user": self.user,
            "url": self.url,
            "provider": self.provider,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "steps": [{"name": s.name, "status": s.status, "detail": s.detail, "cause": s.cause, "hint": s.hint} for s in self.steps],
            "failed_step": failed.name if failed else None,
            "session": self.session,
            "hops": [h.to_dict() for h in self.hops],
            "notes": list(self.notes),
        }


def check_app_url(app_url: str) -> str:
    parts = urlsplit(app_url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--app {app_url!r} is not an http(s) URL", hint="e.g. --app http://localhost:3000")
    return f"{parts.scheme}://{parts.netloc}"


def app_login_test(
    app: "App",
    app_url: str,
    flow: al.AppFlow,
    *,
    provider: str | None = None,
    user: str | None = None,
    password_env: str | None = None,
    file: Path | None = None,
    refresh: bool | None = None,
    url: str | None = None,
    token: str | None = None,
    on_step: Callable[[bl.Step], None] | None = None,
) -> AppLoginResult:
    from authentik_lab.adapters.browser import Browser, Unreachable
    from authentik_lab.services.connection import resolve_connection
    from authentik_lab.services.login_test import optional_labfile, resolve_user

    origin = check_app_url(app_url)
    lab = optional_labfile(file)
    username, password = resolve_user(app, lab, user, password_env, file=file, provider=provider)
    conn = resolve_connection(app, url, token)
    steps: list[bl.Step] = []

    def report(step: bl.Step) -> None:
        steps.append(step)
        if on_step:
            on_step(step)

    with Browser() as browser:
        run = app_steps.Run(app, conn, browser, origin, flow, username, password, provider, report, refresh)
        try:
            try:
                authorize_url = app_steps.start(run)
                run.stage = "authorize"
                callback = app_steps.authentik(run, authorize_url)
                run.stage = "app-callback"
                app_steps.app_callback(run, callback)
                run.stage = "session"
                app_steps.session(run)
                app_steps.refresh(run)
            except Unreachable as exc:
                is_app = al.in_app(exc.url, origin)
                run.fail(run.stage, exc.message, f"the app is not running at {origin}" if is_app else "the server does not answer",
                         "start the app first (and check the port in --app)" if is_app else "check the URL the app redirected to")
            if run.facts is not None and run.facts.signing_alg.startswith("HS"):
                # openid-client v6 (oauth4webapi) accepts an HS256 ID token from the token endpoint: the login works,
                # and only the API that verifies the access token through the JWKS fails later
                run.notes.append(al.hs256_note(run.facts))
        except bl.StepFailed as exc:
            report(exc.step)
        cookies = dict(browser.cookies(origin))
        hops = tuple(browser.hops)
    return AppLoginResult(origin, flow, username, conn.url, run.facts.name if run.facts else provider, run.client_id,
                          run.redirect_uri, tuple(steps), hops, run.session, (*conn.notes, *run.notes), cookies)
