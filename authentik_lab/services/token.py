"""`authlab token --user NAME`: an access token a backend can verify through the provider's JWKS.

Two mechanisms, chosen by the user's type on the server:

* **service account** (type `service_account`, e.g. from `service_accounts:` in authlab.yaml): the
  `client_credentials` grant with `client_id`, `username=<account>` and `password=<its app-password token>`
  (captures 111-117). No client secret is needed, even for a confidential client, and no refresh token is
  issued. The app password is read with the API token (`core/tokens/<identifier>/view_key/`). The *plain*
  client_credentials grant (client id + secret only) also works, but Authentik then silently creates a
  service user `ak-<provider name>-client_credentials`; authlab never uses that form.
* **normal test user** with a password: the authorization-code flow with PKCE, logged in through the flow
  executor exactly like `login-test`; this also yields a refresh token when offline_access is mapped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authentik_lab.core import oidc_flow as of
from authentik_lab.core.apply_plan import SERVICE_ACCOUNT_TYPE
from authentik_lab.errors import AuthlabError, UsageError
from authentik_lab.services import browser_login as bl

if TYPE_CHECKING:
    from authentik_lab.adapters.authentik_api import AuthentikApi
    from authentik_lab.app import App

SERVICE_ACCOUNT_SCOPES = "openid email profile"


@dataclass(frozen=True)
class TokenResult:
    user: str
    user_type: str  # service_account | internal
    provider: str
    grant: str  # client_credentials | authorization_code
    access_token: str
    token_type: str
    expires_in: int | None
    expires_at: int | None
    scope: str
    refresh_token: str | None
    id_token: str | None
    jwks_verified: bool
    warning: str = ""
    notes: tuple[str, ...] = ()  # how --url was normalised, the 127.0.0.1-vs-localhost warning


def get_token(
    app: "App",
    user: str,
    *,
    provider: str | None = None,
    file: Path | None = None,
    password_env: str | None = None,
    url: str | None = None,
    token: str | None = None,
) -> TokenResult:
    from authentik_lab.adapters.oidc_client import OidcClient
    from authentik_lab.services.connection import resolve_connection
    from authentik_lab.services.login_test import optional_labfile, resolve_client, resolve_user

    lab = optional_labfile(file)
    provider = provider or _only_provider(lab)
    conn = resolve_connection(app, url, token)
    client = resolve_client(app, conn, provider, None)
    with app.api(conn.url, conn.token) as api:
        found = [u for u in api.get("core/users/", username=user).get("results", []) if u.get("username") == user]
        if not found:
            raise UsageError(f"no user {user!r} at {conn.url}", hint=_unknown_user_hint(lab, file))
        user_type = str(found[0].get("type") or "internal")
        app_password = _app_password(api, user) if user_type == SERVICE_ACCOUNT_TYPE else None
    steps: list[bl.Step] = []
    with OidcClient(conn.url) as http:
        session = bl.Session(http, client, steps.append, of.Pkce.new())
        try:
            bl.discover(session)
            if app_password is not None:
                grant = "client_credentials"
                status, body = http.token(session.endpoints["token_endpoint"], {  # type: ignore[index]
                    "grant_type": "client_credentials", "client_id": client.client_id,
                    "username": user, "password": app_password, "scope": SERVICE_ACCOUNT_SCOPES,
                })
                if status != 200 or not isinstance(body, dict) or "access_token" not in body:
                    session.fail("token", of.token_error(status, body, grant))
                session.tokens = body
            else:
                grant = "authorization_code"
                username, password = resolve_user(app, lab, user, password_env, file=file, provider=provider)
                bl.authorize(session, username, password, of.DEFAULT_SCOPES)
                bl.exchange_code(session)
            status, jwks = http.get_json(session.endpoints["jwks_uri"])  # type: ignore[index]
        except bl.StepFailed as exc:
            step = exc.step
            raise AuthlabError(f"no token for {user!r} from provider {provider!r}: {step.name} failed: {step.detail}",
                               hint="; ".join(x for x in (step.cause, step.hint) if x) or None) from None
    body = session.tokens or {}
    verdict = of.verify_id_token(body["access_token"], jwks if status == 200 else {}, client.issuer, client.client_id, None)
    expires_in = body.get("expires_in")
    return TokenResult(
        user=user,
        user_type=user_type,
        provider=provider,
        grant=grant,
        access_token=body["access_token"],
        token_type=body.get("token_type", "Bearer"),
        expires_in=int(expires_in) if isinstance(expires_in, (int, float)) else None,
        expires_at=int(time.time() + expires_in) if isinstance(expires_in, (int, float)) else None,
        scope=body.get("scope", ""),
        refresh_token=body.get("refresh_token"),
        id_token=body.get("id_token"),
        jwks_verified=verdict.ok,
        warning="" if verdict.ok else f"a backend cannot verify this token through JWKS: {verdict.cause or verdict.detail}",
        notes=conn.notes,
    )


def _unknown_user_hint(lab: Any, file: Path | None) -> str:
    """Name the lab file that was actually read (or looked for), with the -f that applies it."""
    from authentik_lab.services.apply import rerun_command
    from authentik_lab.services.test_users import find_labfile

    looked = lab.path if lab is not None else str(find_labfile(file))
    return f"add it to {looked} (users: or service_accounts:) and run `{rerun_command(looked)}`, or pass -f FILE with the lab file that has it"


def _only_provider(lab: Any) -> str:
    names = [p.name for p in lab.providers] if lab else []
    if len(names) == 1:
        return names[0]
    choices = f" ({', '.join(names)})" if names else ""
    raise UsageError(f"which provider should issue the token?{choices}", hint="pass --provider NAME")


def _app_password(api: "AuthentikApi", username: str) -> str:
    """The service account's app-password token (intent app_password; the key is only shown by view_key)."""
    tokens = [
        t for t in api.list("core/tokens/", user__username=username, intent="app_password")
        if t.get("intent") == "app_password" and (t.get("user_obj") or {}).get("username", username) == username
    ]
    if not tokens:
        raise UsageError(f"service account {username!r} has no app-password token", hint="create one in the admin UI, or recreate it with `authlab apply`")
    return str(api.get(f"core/tokens/{tokens[0]['identifier']}/view_key/")["key"])
