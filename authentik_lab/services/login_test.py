"""`authlab login-test`: prove a provider works the way a browser uses it, step by step.

discovery -> authorize (PKCE) -> login through the flow executor -> callback with a code -> token exchange
-> ID token (signature against the JWKS, iss, aud, nonce) -> refresh grant (when offline_access is expected).
The first failing step stops the run and names the likely cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from authentik_lab.core.apply_plan import SERVICE_ACCOUNT_TYPE
from authentik_lab.core.oidc_flow import DEFAULT_SCOPES, Pkce, usable_redirect_uri
from authentik_lab.core.urls import issuer_url
from authentik_lab.errors import UsageError
from authentik_lab.services import browser_login as bl

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.core.labfile import LabFile, UserSpec
    from authentik_lab.services.connection import Connection


@dataclass(frozen=True)
class LoginTestResult:
    provider: str
    user: str
    url: str
    issuer: str
    client_id: str
    redirect_uri: str
    steps: tuple[bl.Step, ...]
    notes: tuple[str, ...] = ()  # how --url was normalised, the 127.0.0.1-vs-localhost warning

    @property
    def ok(self) -> bool:
        return all(s.status != "failed" for s in self.steps)

    @property
    def warnings(self) -> tuple[bl.Step, ...]:
        return tuple(s for s in self.steps if s.status == "warning")

    @property
    def failed(self) -> bl.Step | None:
        return next((s for s in self.steps if s.status == "failed"), None)

    def to_dict(self) -> dict[str, Any]:
        failed = self.failed
        return {
            "ok": self.ok,
            "provider": self.provider,
            "user": self.user,
            "url": self.url,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "steps": [{"name": s.name, "status": s.status, "detail": s.detail, "cause": s.cause, "hint": s.hint} for s in self.steps],
            "failed_step": failed.name if failed else None,
            "warnings": [s.name for s in self.warnings],
            "notes": list(self.notes),
        }


def optional_labfile(file: Path | None) -> "LabFile | None":
    """The lab file when there is one: it knows the test users' passwords and whether refresh is expected."""
    from authentik_lab.services.test_users import find_labfile, load_labfile

    return load_labfile(file) if find_labfile(file).is_file() else None


def resolve_client(app: "App", conn: "Connection", provider: str, redirect_uri: str | None) -> bl.Client:
    from authentik_lab.services import authentik_objects as ak
    from authentik_lab.services.connection import detect_dialect

    with app.api(conn.url, conn.token) as api:
        dialect = detect_dialect(api)  # consent and redirect behaviour differ by release (core/release_facts.py)
        found = ak.provider_by_name(api, provider)
    if found is None:
        raise UsageError(f"no OAuth2 provider named {provider!r} at {conn.url}", hint="`authlab provider list` shows them; `authlab apply` creates the lab file's")
    slug = found.get("assigned_application_slug")
    if not slug:
        raise UsageError(f"provider {provider!r} has no application, so it has no issuer", hint="attach an application (`authlab apply` does)")
    chosen = redirect_uri or usable_redirect_uri(found.get("redirect_uris"))
    if not chosen:
        raise UsageError(f"provider {provider!r} has no strict redirect URI to test with", hint="pass --redirect-uri with the URI your app sends")
    confidential = found.get("client_type", "confidential") == "confidential"
    return bl.Client(found["client_id"], found.get("client_secret") or "", confidential, chosen, issuer_url(conn.url, slug), dialect)


def resolve_user(
    app: "App",
    lab: "LabFile | None",
    user: str | None,
    password_env: str | None,
    *,
    file: Path | None = None,
    provider: str | None = None,
    user_type: Callable[[str], str | None] | None = None,
) -> tuple[str, str]:
    """(username, password): --password-env, the lab file's users (env var or generated), a password apply
    generated for that username from any lab file (the store is per lab, keyed by username), or the lab's admin.

    `user_type` asks the server what an unknown user is, only once every local source has failed, so a
    service account gets "use `authlab token`" rather than "add it to the lab file".
    """
    import os

    from authentik_lab.services.test_users import find_labfile, password_for, store_path, stored_password

    if password_env:
        if not user:
            raise UsageError("--password-env needs --user", hint="e.g. --user alice --password-env ALICE_PASSWORD")
        value = os.environ.get(password_env)
        if not value:
            raise UsageError(f"{password_env} is not set or empty", hint=f"export {password_env}=... first")
        return user, value
    spec = (lab.user(user) if user else (lab.users[0] if lab and lab.users else None)) if lab else None
    if spec is not None:
        password = password_for(spec, app.lab_dir)
        if not password:
            raise missing_password(lab, spec, app.lab_dir)
        return spec.username, password
    if user and lab is not None and lab.service_account(user) is not None:
        raise service_account_error(user, f"{lab.where(lab.key_of('service_account', user) or '')} lists it under service_accounts", provider)
    stored = stored_password(app.lab_dir, user) if user else None
    if stored:  # e.g. created by `authlab apply -f lab.yaml`, tested without -f
        return str(user), stored
    from authentik_lab.errors import ConfigError
    from authentik_lab.services.lab import load_lab

    admin = user or "akadmin"
    try:
        lab_env = load_lab(app.lab_dir)
    except ConfigError:  # no lab here (e.g. --url to another Authentik): only the options can help
        lab_env = None
    if lab_env is not None and admin == lab_env.admin_user:
        return admin, lab_env.bootstrap_password
    if user and user_type is not None and user_type(user) == SERVICE_ACCOUNT_TYPE:
        raise service_account_error(user, "the server says so", provider)
    looked = str(lab.path if lab is not None else find_labfile(file))
    where = f"not in {looked}" if lab is not None else f"no lab file at {looked}"
    raise UsageError(
        f"don't know the password of {admin!r} ({where}, and {store_path(app.lab_dir)} has no password for it)",
        hint=f"pass -f FILE with the lab file that lists {admin} (or add it to {looked}) and run `authlab apply`, "
        "or pass --user NAME --password-env VAR",
    )


def service_account_error(user: str, why: str, provider: str | None) -> UsageError:
    """Service accounts have an app-password token, not a password: no browser login exists for them."""
    command = f"authlab token --user {user}" + (f" --provider {provider}" if provider else "")
    return UsageError(
        f"{user!r} is a service account ({why}); service accounts cannot log in interactively",
        hint=f"get a token for it with `{command}` (client_credentials)",
    )


def missing_password(lab: "LabFile", spec: "UserSpec", lab_dir: Path) -> UsageError:
    """Why a lab-file user has no password, and the one thing that gives it one.

    A `password_env` user's password only ever comes from that variable (apply never invents it), so the
    hint is the export; a generated one exists only after `authlab apply` has set it on the server.
    """
    index = lab.users.index(spec)
    if spec.password_env:
        return UsageError(
            f"{spec.password_env} is not set ({lab.path} users[{index}] {spec.username} takes its password from it)",
            hint=f"export {spec.password_env}=... (the password `authlab apply` set for {spec.username}; in CI: from a secret)",
        )
    return UsageError(
        f"no password for test user {spec.username!r} yet ({lab.path} users[{index}] has it generated, and {lab_dir}/test-users.json has none)",
        hint="run `authlab apply` first (it generates the password, sets it and keeps it there)",
    )


def login_test(
    app: "App",
    provider: str,
    *,
    user: str | None = None,
    password_env: str | None = None,
    redirect_uri: str | None = None,
    file: Path | None = None,
    refresh: bool | None = None,
    url: str | None = None,
    token: str | None = None,
    on_step: Callable[[bl.Step], None] | None = None,
) -> LoginTestResult:
    from authentik_lab.adapters.oidc_client import OidcClient
    from authentik_lab.services.connection import resolve_connection

    lab = optional_labfile(file)
    username, password = resolve_user(app, lab, user, password_env, file=file, provider=provider,
                                      user_type=lambda name: _server_user_type(app, url, token, name))
    conn = resolve_connection(app, url, token)
    client = resolve_client(app, conn, provider, redirect_uri)
    spec = lab.provider(provider) if lab else None
    expect_refresh = refresh if refresh is not None else (spec.offline_access if spec else True)
    steps: list[bl.Step] = []

    def report(step: bl.Step) -> None:
        steps.append(step)
        if on_step:
            on_step(step)

    with OidcClient(conn.url) as http:
        session = bl.Session(http, client, report, Pkce.new())
        try:
            bl.discover(session)
            bl.authorize(session, username, password, DEFAULT_SCOPES)
            bl.exchange_code(session)
            bl.check_id_token(session)
            bl.refresh(session, expect_refresh)
        except bl.StepFailed as exc:
            report(exc.step)
    return LoginTestResult(provider, username, conn.url, client.issuer, client.client_id, client.redirect_uri, tuple(steps), conn.notes)


def _server_user_type(app: "App", url: str | None, token: str | None, username: str) -> str | None:
    """The user's type on the server, None when it cannot be asked (no lab, bad token): only to word an error."""
    from authentik_lab.services.connection import resolve_connection

    try:
        conn = resolve_connection(app, url, token)
        with app.api(conn.url, conn.token) as api:
            found = [u for u in api.get("core/users/", username=username).get("results", []) if u.get("username") == username]
    except Exception:  # noqa: BLE001 - this only chooses the wording of the error that follows
        return None
    return str(found[0].get("type") or "") if found else None
