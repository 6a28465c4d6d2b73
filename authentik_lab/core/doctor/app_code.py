"""Doctor check `app.code-env`: every OIDC variable the app's code reads is defined in an env file, and no
Authentik variable in an env file goes unread (the typo's twin: AUTHENTIK_ID defined, AUTHENTIK_CLIENT_ID read).

Pure: the code's reads (from services.app_wiring), the app env files and what the server says go in.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Sequence

from authentik_lab.core.app_source import facts
from authentik_lab.core.checks import Message, Outcome, Skip, from_messages
from authentik_lab.core.doctor.app_env import AppEnvFile, ProviderRef, ServerView


@dataclass(frozen=True)
class CodeRead:
    role: str
    name: str
    origin: str  # "read in auth.ts:12" or what framework reads it by itself


@dataclass(frozen=True)
class CodeView:
    app_dir: str
    reads: tuple[CodeRead, ...]  # OIDC variables, one entry per (name, first place)
    read_names: frozenset[str]  # every variable any code reads (OIDC or not)
    preset: str | None
    files: int  # source files scanned
    notes: tuple[str, ...] = ()
    issuer_form: str | None = None  # the preset's, for the value to add


def authentik_variable(name: str) -> bool:
    """A variable that carries a client role by its name (AUTHENTIK_ID, OIDC_ISSUER, AUTH_AUTHENTIK_SECRET, ...)."""
    return facts.role_of_name(name) is not None and name not in facts.FRAMEWORK_OWN


def which_provider(server: ServerView, wanted: str | None, files: Sequence[AppEnvFile] = ()) -> ProviderRef | None:
    """The provider the app uses: --provider, else the one whose client id an env file holds, else the only one."""
    with_app = [p for p in server.providers if p.slug]
    if wanted:
        return next((p for p in with_app if p.name == wanted), None)
    values = {v.strip() for f in files for _, v in f.lines.values()}
    holding = [p for p in with_app if p.client_id in values]
    if len(holding) == 1:
        return holding[0]
    return with_app[0] if len(with_app) == 1 else None


def value_for(role: str, server: ServerView, code: CodeView, p: ProviderRef | None) -> str:
    """The value to add for a role, from the server when it says; placeholders otherwise. Never a secret."""
    from authentik_lab.core.urls import IssuerForm, issuer_in_form

    base = (server.browser_url or "").rstrip("/")
    name = p.name if p else "NAME"
    if role == facts.CLIENT_ID:
        return p.client_id if p else f"<client id: `authlab provider show {name}`>"
    if role == facts.CLIENT_SECRET:
        return f"<client secret: `authlab provider show {name} --show-secret`>"
    if role == facts.CALLBACK_BASE:
        return "<your app's base URL, e.g. http://localhost:3000>"
    if base and role == facts.TOKEN_URL:
        return f"{base}/application/o/token/"  # one token endpoint for every application
    if not base or p is None:
        return f"<{role.replace('_', ' ')}: `authlab provider show {name}`>"
    issuer = f"{base}/application/o/{p.slug}/"
    if role == facts.ISSUER:
        form = IssuerForm(code.issuer_form) if code.issuer_form else IssuerForm.WITH_SLASH
        return issuer_in_form(issuer, form)
    if role == facts.TOKEN_URL:
        return f"{base}/application/o/token/"
    return f"{issuer}jwks/"  # JWKS_URL


def check_code_env(code: CodeView, files: Sequence[AppEnvFile], server: ServerView, provider_name: str | None = None) -> Outcome:
    if not code.reads:
        raise Skip(f"no code in {code.app_dir} reads OIDC variables ({code.files} source files scanned)")
    defined: dict[str, str] = {}
    for f in files:
        for key in f.lines:
            defined.setdefault(key, f.at(key))
        for key in f.folder_keys:
            defined.setdefault(key, f.path)
    target = files[0].path if files else ".env.local"
    messages: list[Message] = []
    evidence = [f"{r.name} ({r.role}): {r.origin}" for r in code.reads]
    missing = [r for r in code.reads if r.name not in defined]
    provider = which_provider(server, provider_name, files)
    for r in missing:
        where = r.origin.removeprefix("read in ")
        text = (f"{where}: reads {r.name} ({r.role}), which no env file defines" if r.origin.startswith("read in ")
                else f"{r.name} ({r.role}) is not defined: {r.origin}")
        # a base URL the framework reads by itself is optional in development (it falls back to the request's host)
        level = "warn" if r.role == facts.CALLBACK_BASE and not r.origin.startswith("read in ") else "fail"
        messages.append(Message(level, text, f"add {r.name}={value_for(r.role, server, code, provider)} to {target}"))
    wanted = {r.name: r for r in code.reads}
    for f in files:
        for key in f.lines:
            if key in code.read_names or key in wanted or not authentik_variable(key):
                continue
            role = facts.role_of_name(key)
            twin = next((r for r in missing if r.role == role), None)
            close = difflib.get_close_matches(key, [r.name for r in missing], n=1)
            twin = twin or (wanted[close[0]] if close else None)
            reader = next((r for r in code.reads if r.role == role), None)
            if twin:
                fix = f"rename it to {twin.name} ({twin.origin})"
            elif reader:
                fix = f"remove it: the code reads {reader.name} for the {role.replace('_', ' ')} ({reader.origin})"
            else:
                fix = f"remove it, or read it in the code (no file under {code.app_dir} does)"
            messages.append(Message("warn", f"{f.at(key)} is defined but no code reads it", fix))
    for note in code.notes:
        messages.append(Message("info", note))
    if missing and len(missing) > 1:
        messages.append(Message("info", "`authlab provider create NAME --env-out FILE` writes every name the code reads"))
    return from_messages(messages, f"every OIDC variable the code reads is defined ({len(code.reads)} in {code.app_dir})", evidence)
