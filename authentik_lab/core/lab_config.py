"""A lab's settings and the rules for its `.env`: what is generated, what is sticky, what may change.

Pure: the caller passes the existing `.env` values in and writes the result out. Secrets are generated
once and never replaced: a new PG_PASS on an existing database volume locks authentik out of Postgres,
and a new AUTHENTIK_SECRET_KEY invalidates sessions and encrypted fields.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets as _secrets
from dataclasses import dataclass
from pathlib import PurePath
from typing import Callable

from authentik_lab import envnames
from authentik_lab.core.templates import DEFAULT_VERSION, layout_for

# .env keys (the compose file and Authentik read them; names fixed by the official compose file)
PG_PASS = "PG_PASS"
SECRET_KEY = "AUTHENTIK_SECRET_KEY"
BOOTSTRAP_PASSWORD = "AUTHENTIK_BOOTSTRAP_PASSWORD"
BOOTSTRAP_TOKEN = "AUTHENTIK_BOOTSTRAP_TOKEN"
BOOTSTRAP_EMAIL = "AUTHENTIK_BOOTSTRAP_EMAIL"
PORT_HTTP = envnames.COMPOSE_PORT_HTTP
PORT_HTTPS = envnames.COMPOSE_PORT_HTTPS
PROJECT_NAME = "COMPOSE_PROJECT_NAME"
# authlab's own keys
BIND = envnames.AUTHLAB_BIND
VERSION = "AUTHLAB_VERSION"
POSTGRES_TAG = "AUTHLAB_POSTGRES_TAG"

SECRET_KEYS = (PG_PASS, SECRET_KEY, BOOTSTRAP_PASSWORD, BOOTSTRAP_TOKEN)
DEFAULT_EMAIL = "admin@authlab.localhost"
DEFAULT_PORT = 9000
DEFAULT_BIND = "127.0.0.1"
# the HTTPS port follows the HTTP one (9000 -> 9443, 9100 -> 9543) unless given explicitly
HTTPS_OFFSET = 443

# Authentik settings a throwaway lab wants; added when missing, never changed afterwards.
LAB_DEFAULTS = {
    "AUTHENTIK_ERROR_REPORTING__ENABLED": "false",
    "AUTHENTIK_DISABLE_STARTUP_ANALYTICS": "true",
    "AUTHENTIK_DISABLE_UPDATE_CHECK": "true",
}


@dataclass(frozen=True)
class LabSettings:
    """What the compose file is rendered from (no secrets)."""

    version: str = DEFAULT_VERSION
    http_port: int = DEFAULT_PORT
    https_port: int = DEFAULT_PORT + HTTPS_OFFSET
    bind: str = DEFAULT_BIND
    postgres_tag: str = ""  # "" = the one the version's official file uses


def generate_secrets(token: Callable[[int], str] = _secrets.token_urlsafe) -> dict[str, str]:
    """token_urlsafe gives [A-Za-z0-9_-] only: safe unquoted in .env, in a postgres URL and in a shell."""
    return {
        PG_PASS: token(36),  # 48 chars; Postgres caps passwords at 99
        SECRET_KEY: token(60),  # 80 chars; Authentik wants at least 50
        BOOTSTRAP_PASSWORD: token(24),
        BOOTSTRAP_TOKEN: token(48),
    }


def compose_project_name(explicit: str | None, folder_name: str) -> str:
    """The project `docker compose` itself uses for a file of the user's: COMPOSE_PROJECT_NAME (shell over .env)
    or the file's top-level `name:` when set, else the folder's name reduced to [a-z0-9_-], leading letter or digit."""
    if explicit and explicit.strip():
        return explicit.strip()
    return re.sub(r"[^a-z0-9_-]", "", folder_name.lower()).lstrip("_-") or "authentik"


def project_name(lab_dir: PurePath) -> str:
    """`authlab-<folder>-<hash of the absolute path>`: stable for a lab, different for two labs.

    A lab dir named `.authlab` says nothing, so its parent's name is used instead. Compose allows only
    [a-z0-9_-] and a leading letter or digit.
    """
    name = lab_dir.name.lstrip(".")
    if name in ("", "authlab"):
        name = lab_dir.parent.name
    slug = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")[:24] or "lab"
    digest = hashlib.sha256(str(lab_dir).encode()).hexdigest()[:8]
    return f"authlab-{slug}-{digest}"


def check_port(value: int | str, what: str) -> int:
    try:
        port = int(str(value).strip())
    except ValueError:
        raise ValueError(f"{what} must be a port number, got {value!r}") from None
    if not 1 <= port <= 65535:
        raise ValueError(f"{what} must be between 1 and 65535, got {port}")
    return port


def check_bind(value: str) -> str:
    """An IP address for compose's `IP:HOST:CONTAINER` port form; IPv6 needs brackets there."""
    raw = value.strip().strip("[]")
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        raise ValueError(f"bind address must be an IP address such as 127.0.0.1 or 0.0.0.0, got {value!r}") from None
    return f"[{address}]" if address.version == 6 else str(address)


def check_version(value: str) -> str:
    """A release number the templates cover, normalised to YYYY.M.P."""
    layout_for(value)  # raises ValueError with the reason
    from authentik_lab.core.dialect import parse_version

    return ".".join(str(p) for p in parse_version(value))


def url_host(bind: str) -> str:
    """Loopback and wildcard binds are reached as `localhost`; anything else by its address."""
    raw = bind.strip("[]")
    if raw in ("127.0.0.1", "0.0.0.0", "::", "::1"):
        return "localhost"
    return bind


def lab_url(bind: str, http_port: int) -> str:
    return f"http://{url_host(bind)}:{http_port}"


class BadEnvValue(ValueError):
    """A value already in .env is unusable; `key` lets the caller point at its line."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class EnvPlan:
    settings: LabSettings
    updates: dict[str, str]  # keys to write into .env (added or changed), values included
    added: tuple[str, ...]  # keys that were missing or empty
    changed: tuple[tuple[str, str, str], ...]  # (key, old, new) for settings the user asked to change
    settings_changed: bool  # the compose file must be re-rendered


def _existing(existing: dict[str, str], key: str, check: Callable[[str], object]) -> object | None:
    raw = (existing.get(key) or "").strip()
    if not raw:
        return None
    try:
        return check(raw)
    except ValueError as exc:
        message = str(exc) if key in str(exc) else f"{key}: {exc}"
        raise BadEnvValue(key, message) from None


def plan_env(
    existing: dict[str, str],
    lab_dir: PurePath,
    *,
    version: str | None = None,
    http_port: int | None = None,
    https_port: int | None = None,
    bind: str | None = None,
    token: Callable[[int], str] = _secrets.token_urlsafe,
) -> EnvPlan:
    """Decide what `.env` must gain or change. Arguments left as None keep what the lab already has.

    Secrets, the bootstrap email, the project name and the PostgreSQL image are sticky: they are only
    ever added when missing. Version, ports and bind change when asked for.
    """
    old_version = _existing(existing, VERSION, check_version)
    old_http = _existing(existing, PORT_HTTP, lambda v: check_port(v, PORT_HTTP))
    old_https = _existing(existing, PORT_HTTPS, lambda v: check_port(v, PORT_HTTPS))
    old_bind = _existing(existing, BIND, check_bind)

    new_version = _option("--version", version, check_version) if version else (old_version or DEFAULT_VERSION)
    new_http = check_port(http_port, "--port") if http_port is not None else (old_http or DEFAULT_PORT)
    if https_port is not None:
        new_https = check_port(https_port, "--https-port")
    elif old_https is not None and not (http_port is not None and old_http is not None and old_https == old_http + HTTPS_OFFSET):
        new_https = old_https  # an explicit HTTPS port stays; a derived one follows --port
    else:
        new_https = check_port(new_http + HTTPS_OFFSET, "the HTTPS port (--port + 443)")
    if new_https == new_http:
        raise ValueError(f"the HTTP and HTTPS ports must differ (both {new_http})")
    new_bind = _option("--bind", bind, check_bind) if bind is not None else (old_bind or DEFAULT_BIND)

    wanted: dict[str, str] = {
        VERSION: str(new_version),
        PORT_HTTP: str(new_http),
        PORT_HTTPS: str(new_https),
        BIND: str(new_bind),
    }
    updates: dict[str, str] = {}
    added: list[str] = []
    changed: list[tuple[str, str, str]] = []
    for key, value in wanted.items():
        old = (existing.get(key) or "").strip()
        if not old:
            updates[key] = value
            added.append(key)
        elif old != value and _differs(key, old, value):
            updates[key] = value
            changed.append((key, old, value))

    sticky = {
        PROJECT_NAME: lambda: project_name(lab_dir),
        POSTGRES_TAG: lambda: layout_for(str(new_version)).postgres_tag,
        BOOTSTRAP_EMAIL: lambda: DEFAULT_EMAIL,
        **{k: (lambda v=v: v) for k, v in LAB_DEFAULTS.items()},
    }
    fresh = generate_secrets(token)
    for key in SECRET_KEYS:
        sticky[key] = lambda key=key: fresh[key]
    for key, make in sticky.items():
        if not (existing.get(key) or "").strip():
            updates[key] = make()
            added.append(key)

    postgres_tag = (existing.get(POSTGRES_TAG) or "").strip() or updates[POSTGRES_TAG]
    settings = LabSettings(str(new_version), int(new_http), int(new_https), str(new_bind), postgres_tag)
    rerender = bool(changed) or any(k in added for k in wanted)
    return EnvPlan(settings, updates, tuple(added), tuple(changed), rerender)


def _option(name: str, value: str, check: Callable[[str], str]) -> str:
    """A value the user typed as `name`: its error names that option (the checks are shared with .env values)."""
    try:
        return check(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _differs(key: str, old: str, new: str) -> bool:
    """Compare by meaning, so `9000` vs ` 9000` or `2026.5` vs `2026.5.0` is not reported as a change."""
    try:
        if key in (PORT_HTTP, PORT_HTTPS):
            return int(old) != int(new)
        if key == VERSION:
            return check_version(old) != new
        if key == BIND:
            return check_bind(old) != new
    except ValueError:
        return True
    return old != new
