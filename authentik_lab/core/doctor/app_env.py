"""Doctor checks over an app's env files: is the app wired to Authentik the way its library expects?

The traps (FACTS.md §9): the issuer is `<scheme>://<host>/application/o/<slug>/` WITH a trailing slash
and is built from the request's Host. NextAuth v4's built-in provider appends `/.well-known/...` itself,
so it wants the issuer WITHOUT the slash; Auth.js v5 and jose compare `iss` exactly, so they want it WITH.
A server-side URL like `http://server:9000` gives a different `iss` (and an authorize URL the browser
cannot open) than the `http://localhost:9000` the browser uses.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence
from urllib.parse import urlsplit

from authentik_lab.core.checks import FixAction, Message, Outcome, Skip, from_messages
from authentik_lab.core.urls import IssuerForm

ISSUER_PATH = re.compile(r"^/application/o/(?P<slug>[-a-zA-Z0-9_]+)(?P<slash>/?)$")
WITH_SLASH, WITHOUT_SLASH = IssuerForm.WITH_SLASH.value, IssuerForm.WITHOUT_SLASH.value
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


@dataclass(frozen=True)
class AppEnvFile:
    path: str
    lines: Mapping[str, tuple[int, str]]  # key -> (line, value), from core.dotenv.parse_with_lines
    # keys of the app's other env files in the same folder (not checked themselves): Next.js apps keep NEXTAUTH_URL
    # in .env and the secrets in .env.local, and the framework is told by the names across all of them
    folder_keys: frozenset[str] = frozenset()

    def at(self, key: str) -> str:
        return f"{self.path}:{self.lines[key][0]}: {key}"


@dataclass(frozen=True)
class ProviderRef:
    name: str
    client_id: str
    client_secret: str
    slug: str | None  # assigned application


@dataclass(frozen=True)
class ServerView:
    """What the server says, when doctor can ask it; None fields mean "unknown", not "absent"."""

    browser_url: str | None = None  # the URL a person's browser uses (the lab URL or --url)
    slugs: frozenset[str] | None = None
    providers: Sequence[ProviderRef] = field(default_factory=tuple)
    issuer_form: str | None = None  # from --preset: WITH_SLASH / WITHOUT_SLASH
    issuer_form_why: str | None = None  # from --preset: why that framework wants that form


# app URL variable -> the callback path its framework uses (a preset's, when the variable names say which)
_APP_URL_CALLBACKS = {"NEXTAUTH_URL": "nextauth", "AUTH_URL": "authjs", "GF_SERVER_ROOT_URL": "grafana"}


def expected_callbacks(f: AppEnvFile, preset_name: str | None = None) -> tuple[str, ...]:
    """The redirect URIs this app will send, when its env says: an explicit redirect variable, or an app URL
    plus the framework's callback path, or the framework's documented default app URL when that is unset."""
    return tuple(callbacks_with_reasons(f, preset_name))


def callbacks_with_reasons(f: AppEnvFile, preset_name: str | None = None) -> dict[str, str | None]:
    """expected_callbacks -> why each one is expected, when it comes from a framework default (else None)."""
    from authentik_lab.core.framework_defaults import fixed_defaults
    from authentik_lab.core.presets import PRESETS

    out: dict[str, str | None] = {uri: None for uri in _from_env(f, preset_name)}
    names = frozenset(f.lines) | f.folder_keys
    framework, defaults = fixed_defaults(names, preset_name if preset_name in PRESETS else None)
    for d in defaults:
        preset = PRESETS[framework or ""]
        base = d.resolve({k: v for k, (_, v) in f.lines.items()}) or ""
        uri = preset.callback_url(base)
        out.setdefault(uri, f"{d.variable} is unset in {f.path}, so {preset.title} uses its default {base}")
    return out


def _from_env(f: AppEnvFile, preset_name: str | None = None) -> tuple[str, ...]:
    from authentik_lab.core.presets import PRESETS, Source

    out: list[str] = []
    redirect_vars = {v.name for p in PRESETS.values() for v in p.env if v.source is Source.REDIRECT_URI}
    for key, (_, value) in f.lines.items():
        if key in redirect_vars and value.strip():
            out.append(value.strip())
    for key, name in _APP_URL_CALLBACKS.items():
        app_url = f.lines.get(key, (0, ""))[1].strip()
        if app_url.startswith(("http://", "https://")):
            preset = PRESETS[preset_name] if preset_name in PRESETS else PRESETS[name]
            out.append(preset.callback_url(app_url))
    return tuple(dict.fromkeys(out))


def need_files(files: Sequence[AppEnvFile]) -> None:
    if not files:
        raise Skip("no app env file (pass --app-env FILE, or run in the app's folder with .env / .env.local)")


def issuer_keys(f: AppEnvFile) -> list[str]:
    return [k for k, (_, v) in f.lines.items() if "ISSUER" in k.upper() and v.strip().startswith(("http://", "https://"))]


def folder_keys(files: Sequence[AppEnvFile]) -> dict[str, frozenset[str]]:
    """folder -> every variable name set in the app env files there (scanned or only read for context)."""
    out: dict[str, set[str]] = {}
    for f in files:
        out.setdefault(posixpath.dirname(f.path), set()).update(f.lines, f.folder_keys)
    return {k: frozenset(v) for k, v in out.items()}


def expected_form(f: AppEnvFile, key: str, preset_form: str | None, context: frozenset[str] | None = None,
                  preset_why: str | None = None) -> tuple[str | None, str]:
    """(form, reason): which trailing-slash form this variable needs, and how we know. `context`: the variable
    names of the whole folder (default: this file's and its recorded siblings')."""
    upper = key.upper()
    names = context if context is not None else frozenset(f.lines) | f.folder_keys
    if preset_form:  # the user said which framework reads this file: that beats guessing from names
        return preset_form, preset_why or "the preset's issuer form"
    if upper.endswith("_EXACT"):
        return WITH_SLASH, "an exact issuer for `iss` comparison"
    if upper.startswith("AUTH_") and "NEXTAUTH" not in upper:
        return WITH_SLASH, "Auth.js v5 (AUTH_* variables) compares `iss` exactly"
    if upper.startswith("AUTHENTIK_") and any(k.startswith("NEXTAUTH_") for k in names):
        return WITHOUT_SLASH, "NextAuth v4 appends /.well-known/openid-configuration itself"
    known = _preset_forms().get(key)
    if known:
        return known
    return None, "framework unknown"


def _preset_forms() -> dict[str, tuple[str, str]]:
    """Issuer variable names that only one framework uses -> (form, why). AUTHENTIK_ISSUER is left out:
    apps other than NextAuth v4 use that name too, so only the NEXTAUTH_* rule above decides it."""
    from authentik_lab.core.presets import PRESETS, Source, expand_env_name

    seen: dict[str, set[tuple[str, str]]] = {}
    for p in PRESETS.values():
        for v in p.env:
            if v.source is Source.ISSUER and p.issuer_form.value in (WITH_SLASH, WITHOUT_SLASH):
                name = expand_env_name(v.name, p.default_provider_id or "authentik")
                seen.setdefault(name, set()).add((p.issuer_form.value, f"{p.title} expects it"))
    out = {}
    for name, found in seen.items():
        forms = {form for form, _ in found}
        if len(forms) == 1 and name != "AUTHENTIK_ISSUER":
            why = next(iter(found))[1] if len(found) == 1 else "every preset that uses this name expects it"
            out[name] = (forms.pop(), why)
    return out


def check_issuer_form(files: Sequence[AppEnvFile], server: ServerView) -> Outcome:
    need_files(files)
    messages, evidence = [], []
    updates: dict[str, dict[str, str]] = {}
    context = folder_keys(files)
    for f in files:
        for key in issuer_keys(f):
            value = f.lines[key][1].strip()
            parts = urlsplit(value)
            evidence.append(f"{f.at(key)}={value}")
            m = ISSUER_PATH.match(parts.path)
            if not m:
                messages.append(Message("fail", f"{f.at(key)}: {value} is not an application issuer ({'a double slash' if '//' in parts.path else 'path must be /application/o/<slug>/'})",
                                        f"use the issuer from `authlab provider show NAME`: {fix_base(server, value)}/application/o/{slug_hint(server)}/"))
                continue
            slug = m.group("slug")
            if server.slugs is not None and slug not in server.slugs:
                known = ", ".join(sorted(server.slugs)) or "none"
                messages.append(Message("fail", f"{f.at(key)}: no application with slug {slug!r} (known: {known}); discovery answers 404"))
            form, why = expected_form(f, key, server.issuer_form, context[posixpath.dirname(f.path)], server.issuer_form_why)
            has_slash = bool(m.group("slash"))
            if form is None:
                # no verdict is not a pass: NextAuth v4 wants no slash, most other libraries want it
                messages.append(Message("warn", f"{f.at(key)}: can't tell which framework reads {key}, so its trailing-slash form is not checked",
                                        "pass --preset (e.g. --preset nextauth for NextAuth v4, --preset authjs for Auth.js v5)"))
                continue
            if (form == WITH_SLASH) == has_slash:
                continue
            fixed = value + "/" if form == WITH_SLASH else value.rstrip("/")
            messages.append(Message("fail", f"{f.at(key)}: {'add' if form == WITH_SLASH else 'remove'} the trailing slash ({why})",
                                    f"{key}={fixed}"))
            updates.setdefault(f.path, {})[key] = fixed
    if not evidence:
        raise Skip("no *ISSUER* variable in the app env files")
    fix = None
    if updates:
        changes = tuple(f"{path}: {k}={v}" for path, kv in updates.items() for k, v in kv.items())
        fix = FixAction("app-env-issuer", ", ".join(updates), "rewrite the issuer form in the app env file(s)", changes, {"updates": updates})
    return from_messages(messages, "issuer variables have the form the framework expects", evidence, fix)


def _docker_name(host: str) -> bool:
    # a bare name without dots that is not localhost is a compose service or container name
    return "." not in host and host not in LOCAL_HOSTS and not host.startswith("[")


def check_issuer_host(files: Sequence[AppEnvFile], server: ServerView) -> Outcome:
    need_files(files)
    browser = urlsplit(server.browser_url) if server.browser_url else None
    messages, evidence = [], []
    for f in files:
        for key in issuer_keys(f):
            parts = urlsplit(f.lines[key][1].strip())
            evidence.append(f"{f.at(key)}: host {parts.netloc}")
            if browser and parts.netloc == browser.netloc and parts.scheme == browser.scheme:
                continue
            host = parts.hostname or ""
            if _docker_name(host):
                messages.append(Message("fail", f"{f.at(key)}: {parts.netloc} is a Docker-internal name: the browser cannot open the "
                                        f"authorize URL and the `iss` differs from {browser.netloc if browser else 'the browser URL'}",
                                        f"use the browser's URL ({server.browser_url or 'e.g. http://localhost:9000'}) everywhere; give the app container "
                                        "`extra_hosts: [\"localhost:host-gateway\"]` or publish Authentik on an address both reach"))
            elif browser:
                messages.append(Message("warn", f"{f.at(key)}: {parts.scheme}://{parts.netloc} differs from the browser URL "
                                        f"{browser.scheme}://{browser.netloc}: Authentik builds `iss` from the Host, so the values differ",
                                        f"use {browser.scheme}://{browser.netloc}"))
    if not evidence:
        raise Skip("no *ISSUER* variable in the app env files")
    return from_messages(messages, "issuers use the same host as the browser", evidence)


def fix_base(server: ServerView, value: str) -> str:
    """The Authentik base URL to put in a fix: the browser's (lab or --url), else the origin the file already uses."""
    if server.browser_url:
        return server.browser_url.rstrip("/")
    parts = urlsplit(value)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else "<url>"


def slug_hint(server: ServerView, *preferred: str | None) -> str:
    for slug in preferred:
        if slug and (server.slugs is None or slug in server.slugs):
            return slug
    return next(iter(server.slugs)) if server.slugs and len(server.slugs) == 1 else "<slug>"
