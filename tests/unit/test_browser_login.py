"""Flow-executor paths the stand-in does not serve (explicit consent, MFA, access denied), driven through the
real OidcClient over an httpx MockTransport that answers like Authentik's executor (ConsentChallenge etc.
as in the 2026.2 schema)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from authentik_lab.adapters.oidc_client import OidcClient
from authentik_lab.core.oidc_flow import Pkce
from authentik_lab.services import browser_login as bl

BASE = "http://localhost:9000"
REDIRECT = "http://localhost:3000/cb"
AUTHN = "/api/v3/flows/executor/default-authentication-flow/"
CONSENT = "/api/v3/flows/executor/default-provider-authorization-explicit-consent/"


def _server(after_password: dict, consent: bool = False):
    """A tiny executor: identification -> password -> `after_password` challenge (or login), then authorize."""
    state = {"stage": "ident", "consented": False, "logged_in": False}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        seen.append(f"{request.method} {path}")
        body = json.loads(request.content) if request.content else None
        if path == "/application/o/authorize/":
            q = parse_qs(request.url.query.decode())
            if not state["logged_in"]:
                return httpx.Response(302, headers={"Location": f"/if/flow/default-authentication-flow/?{request.url.query.decode()}"})
            if consent and not state["consented"]:
                return httpx.Response(302, headers={"Location": f"/if/flow/default-provider-authorization-explicit-consent/?{request.url.query.decode()}"})
            return httpx.Response(302, headers={"Location": f"{q['redirect_uri'][0]}?code=c0de&state={q['state'][0]}"})
        if path == AUTHN:
            if request.method == "POST":
                if body["component"] == "ak-stage-identification":
                    state["stage"] = "password"
                elif body["component"] == "ak-stage-password":
                    state["stage"] = "after"
                else:
                    return httpx.Response(200, json=after_password)
                return httpx.Response(302, headers={"Location": str(request.url)})
            if state["stage"] == "ident":
                return httpx.Response(200, json={"component": "ak-stage-identification", "password_fields": False})
            if state["stage"] == "password":
                return httpx.Response(200, json={"component": "ak-stage-password", "pending_user": "alice"})
            if after_password.get("component") == "xak-flow-redirect":
                state["logged_in"] = True
            return httpx.Response(200, json=after_password)
        if path == CONSENT:
            if request.method == "POST":
                assert body == {"component": "ak-stage-consent", "token": "consent-token"}
                state["consented"] = True
                return httpx.Response(302, headers={"Location": str(request.url)})
            if state["consented"]:
                return httpx.Response(200, json={"component": "xak-flow-redirect", "to": f"{REDIRECT}?code=c0de&state=ST"})
            return httpx.Response(200, json={"component": "ak-stage-consent", "token": "consent-token", "permissions": [],
                                             "additional_permissions": [], "pending_user": "alice", "pending_user_avatar": ""})
        return httpx.Response(404)

    return handler, seen


def _session(handler) -> tuple[bl.Session, list[bl.Step]]:
    steps: list[bl.Step] = []
    http = OidcClient(BASE, transport=httpx.MockTransport(handler))
    client = bl.Client("cid", "secret", True, REDIRECT, f"{BASE}/application/o/web/")
    pkce = Pkce("v" * 43, "challenge", "ST", "N")
    session = bl.Session(http, client, steps.append, pkce, endpoints={"authorization_endpoint": f"{BASE}/application/o/authorize/"})
    return session, steps


def test_explicit_consent_is_accepted_like_a_user_would() -> None:
    handler, seen = _server({"component": "xak-flow-redirect", "to": "/application/o/authorize/?client_id=cid&redirect_uri=" + REDIRECT + "&state=ST"}, consent=True)
    session, steps = _session(handler)
    bl.authorize(session, "alice", "pw", ("openid",))
    assert [(s.name, s.status) for s in steps] == [
        ("authorize", "passed"), ("login", "passed"), ("consent", "passed"), ("callback", "passed"),
    ]
    assert steps[2].detail == "explicit consent screen accepted, as a user would"
    assert session.code == "c0de"
    assert f"POST {CONSENT}" in seen


@pytest.mark.parametrize(
    ("challenge", "detail", "cause"),
    [
        ({"component": "ak-stage-authenticator-validate"},
         "the default-authentication-flow flow asks for 'ak-stage-authenticator-validate'",
         "login-test can only answer identification, password, user-login and consent stages; "
         "ak-stage-authenticator-validate (e.g. MFA or a captcha) needs a person"),
        ({"component": "ak-stage-access-denied", "error_message": "Policy denied"},
         "access denied: Policy denied", "a policy on the flow or the application refused this user"),
    ],
)
def test_stages_a_script_cannot_pass_name_the_cause(challenge: dict, detail: str, cause: str) -> None:
    handler, _ = _server(challenge)
    session, steps = _session(handler)
    with pytest.raises(bl.StepFailed) as info:
        bl.authorize(session, "alice", "pw", ("openid",))
    assert (info.value.step.name, info.value.step.detail, info.value.step.cause) == ("login", detail, cause)
    assert [s.name for s in steps] == ["authorize"]


def test_consent_required_error_at_the_redirect_uri() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": f"{REDIRECT}?error=consent_required&state=ST"})

    session, steps = _session(handler)
    with pytest.raises(bl.StepFailed) as info:
        bl.authorize(session, "alice", "pw", ("openid",))
    step = info.value.step
    assert (step.name, step.detail) == ("callback", "error=consent_required")
    assert step.cause == "consent required: the provider's authorization flow asks the user to consent"
    assert steps[0].detail == "already logged in: redirected straight back"


def test_client_id_error_page_fails_the_authorize_step() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, html="<html><body><h1>Client ID Error</h1></body></html>")

    session, _ = _session(handler)
    with pytest.raises(bl.StepFailed) as info:
        bl.authorize(session, "alice", "pw", ("openid",))
    assert (info.value.step.name, info.value.step.cause) == ("authorize", "unknown client_id: no provider has this client id")
    assert urlsplit(session.http.trace[0].split()[1]).path == "/application/o/authorize/"
