"""The values a pipeline's app and tests need after `authlab ci`, as `KEY=value` lines.

Two targets with different rules: `$GITHUB_ENV` takes values literally (quotes would become part of the value),
so every value that is not plain (the ones a `.env` file must quote: `$`, `!`, quotes, spaces, newlines, ...) is
written in the multi-line delimiter form GitHub documents, `KEY<<DELIM`, the value, `DELIM`, with a random
delimiter that does not occur in the value; a `.env` file takes dotenv quoting.
Names are `AUTHLAB_<PROVIDER>_*`, `AUTHLAB_USER_<USERNAME>_*` and `AUTHLAB_SA_<NAME>_*` (upper-cased, every
other character becomes `_`) plus `AUTHENTIK_URL`, so several providers and users never collide silently.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

from authentik_lab.core import dotenv
from authentik_lab.core.urls import IssuerForm, issuer_in_form

SECRET_SUFFIXES = ("SECRET", "_PASSWORD", "_TOKEN")


@dataclass(frozen=True)
class ProviderExport:
    name: str
    client_id: str
    client_secret: str  # "" for public clients
    issuer: str  # exactly as Authentik emits it (trailing slash)
    authorize: str
    token: str
    userinfo: str
    end_session: str
    jwks: str
    redirect_uri: str = ""
    # the app's own names for some roles (core.app_source.facts): (role, name); exported besides AUTHLAB_<NAME>_*
    app_names: tuple[tuple[str, str], ...] = ()
    issuer_form: IssuerForm = IssuerForm.WITH_SLASH  # the form the app's framework wants, for an app-named issuer
    app_url: str = ""


@dataclass(frozen=True)
class UserExport:
    username: str
    password: str
    email: str = ""


@dataclass(frozen=True)
class ServiceAccountExport:
    username: str
    token: str  # the app-password token for the client_credentials grant


class ExportNameClash(ValueError):
    pass


def env_key(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", name.upper())


def export_values(
    base_url: str,
    providers: Iterable[ProviderExport] = (),
    users: Iterable[UserExport] = (),
    service_accounts: Iterable[ServiceAccountExport] = (),
) -> dict[str, str]:
    values: dict[str, str] = {"AUTHENTIK_URL": base_url.rstrip("/")}
    owners: dict[str, str] = {}

    def put(owner: str, key: str, value: str) -> None:
        if key in values and owners.get(key) != owner:
            raise ExportNameClash(f"{owner} and {owners.get(key, 'AUTHENTIK_URL')} both export {key}; rename one of them")
        owners[key] = owner
        values[key] = value

    for p in providers:
        prefix = f"AUTHLAB_{env_key(p.name)}_"
        owner = f"provider {p.name!r}"
        for suffix, value in (
            ("CLIENT_ID", p.client_id),
            ("CLIENT_SECRET", p.client_secret),
            # both issuer forms: strict `iss` checks (jose, oauth4webapi, Auth.js v5) need the slash,
            # NextAuth v4 appends "/.well-known/..." itself and needs it without
            ("ISSUER", issuer_in_form(p.issuer, IssuerForm.WITH_SLASH)),
            ("ISSUER_NO_SLASH", issuer_in_form(p.issuer, IssuerForm.WITHOUT_SLASH)),
            ("DISCOVERY_URL", issuer_in_form(p.issuer, IssuerForm.DISCOVERY)),
            ("AUTHORIZE_URL", p.authorize),
            ("TOKEN_URL", p.token),
            ("USERINFO_URL", p.userinfo),
            ("END_SESSION_URL", p.end_session),
            ("JWKS_URL", p.jwks),
            ("REDIRECT_URI", p.redirect_uri),
        ):
            put(owner, prefix + suffix, value)
        by_role = {"client_id": p.client_id, "client_secret": p.client_secret, "issuer": issuer_in_form(p.issuer, p.issuer_form),
                   "token_url": p.token, "jwks_url": p.jwks, "callback_base": p.app_url}
        for role, key in p.app_names:
            if role == "client_secret" and not p.client_secret:
                continue  # a public client has none
            put(owner, key, by_role[role])
    for u in users:
        prefix = f"AUTHLAB_USER_{env_key(u.username)}_"
        put(f"user {u.username!r}", prefix + "USERNAME", u.username)
        put(f"user {u.username!r}", prefix + "PASSWORD", u.password)
        put(f"user {u.username!r}", prefix + "EMAIL", u.email)
    for s in service_accounts:
        prefix = f"AUTHLAB_SA_{env_key(s.username)}_"
        put(f"service account {s.username!r}", prefix + "USERNAME", s.username)
        put(f"service account {s.username!r}", prefix + "TOKEN", s.token)
    return values


def is_secret(key: str, known: Mapping[str, bool] | None = None) -> bool:
    """`known`: names whose secrecy is known from their role (an app's own names: its client secret may be called
    anything, and its token URL may be called AUTHENTIK_TOKEN, which is no secret); else the name's suffix decides."""
    if known and key in known:
        return known[key]
    return key.endswith(SECRET_SUFFIXES)


def app_name_secrecy(providers: Iterable[ProviderExport]) -> dict[str, bool]:
    return {key: role == "client_secret" for p in providers for role, key in p.app_names}


def render_github_env(values: dict[str, str], delimiter: Callable[[], str] | None = None) -> str:
    """Lines for `$GITHUB_ENV` (appended by the caller): `KEY=value` for a plain value, else the delimiter form
    with a random delimiter that does not occur in the value (source: GitHub's "Multiline strings" section of
    "Workflow commands for GitHub Actions"; the runner takes every byte between the two lines as the value)."""
    make = delimiter or (lambda: f"ghadelimiter_{secrets.token_hex(8)}")
    lines: list[str] = []
    for key, value in values.items():
        if not dotenv.is_plain(value):
            delim = make()
            while delim in value:
                delim = make()
            lines.extend([f"{key}<<{delim}", value, delim])
        else:
            lines.append(f"{key}={value}")
    return "\n".join(lines) + "\n" if lines else ""


def render_env_file(values: dict[str, str], header: str | None = None) -> str:
    return dotenv.render(values, header=header)


def github_masks(values: dict[str, str], known: Mapping[str, bool] | None = None) -> list[str]:
    """`::add-mask::` commands so later steps' logs show *** instead of the secrets (one line each)."""
    out: list[str] = []
    for key, value in values.items():
        if is_secret(key, known) and value:
            out.extend(f"::add-mask::{line}" for line in value.splitlines() if line.strip())
    return out


def redacted(values: dict[str, str], known: Mapping[str, bool] | None = None) -> dict[str, str]:
    return {k: ("***" if is_secret(k, known) and v else v) for k, v in values.items()}
