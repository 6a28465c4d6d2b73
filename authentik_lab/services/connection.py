"""Which Authentik to talk to, with which token, and which API dialect it speaks.

Order: `--url/--token` (or AUTHENTIK_URL/AUTHENTIK_TOKEN, which typer folds into the same options), then
the lab in `--dir`. Every call and every printed URL uses one canonical base URL, because Authentik builds
the issuer from the Host header of each request.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from authentik_lab.core.dialect import MIN_SUPPORTED, Dialect, parse_version
from authentik_lab.core.urls import BaseUrl, loopback_mismatch, normalize_base_url, same_server
from authentik_lab.errors import AuthlabError, ConfigError, NotFoundError, UsageError

if TYPE_CHECKING:
    from authentik_lab.adapters.authentik_api import AuthentikApi
    from authentik_lab.app import App


@dataclass(frozen=True)
class Connection:
    url: str  # canonical: scheme://host[:port], no trailing slash
    token: str
    source: str  # "options" | "lab"
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class LabAccess:
    url: str
    token: str


def lab_access(lab_dir: Path) -> LabAccess | None:
    """The lab's URL and bootstrap token, or None when there is no (complete) lab."""
    from authentik_lab.services.lab import load_lab

    try:
        lab = load_lab(lab_dir)
    except ConfigError:
        return None
    return LabAccess(lab.url, lab.bootstrap_token)


def canonical_url(given: str, lab_url: str | None) -> "BaseUrl":
    """The one place every `--url` is normalised: the canonical form plus the notes every command prints.

    Notes say what changed from what the user typed (an /api/v3 suffix, a trailing slash, a default port),
    and warn when the URL names the lab's own port under another loopback name than the lab's URL
    (127.0.0.1 vs localhost): Authentik puts the request's host into `iss`.
    """
    try:
        base = normalize_base_url(given)
    except UsageError as exc:
        exc.message = f"--url: {exc.message}"  # what the user typed (or set as AUTHENTIK_URL, which feeds --url)
        raise
    notes = list(base.notes)
    if lab_url:
        warning = loopback_mismatch(base.url, normalize_base_url(lab_url).url)
        if warning:
            notes.append(warning)
    return BaseUrl(base.url, tuple(notes))


def resolve_connection(app: "App", url: str | None = None, token: str | None = None) -> Connection:
    try:  # also with --token: the lab's URL decides the 127.0.0.1-vs-localhost warning
        lab = lab_access(app.lab_dir)
    except AuthlabError:
        if not (url and token):
            raise
        lab = None  # a broken lab folder must not stop a command that names its own server and token
    if url:
        base = canonical_url(url, lab.url if lab is not None else None)
        if not token:
            if lab is not None and same_server(base.url, lab.url):
                token = lab.token
            else:
                raise UsageError(
                    f"no API token for {base.url}",
                    hint="pass --token (or set AUTHENTIK_TOKEN); a lab's token is AUTHENTIK_BOOTSTRAP_TOKEN in its .env",
                )
        return Connection(base.url, token, "options", base.notes)
    if lab is None:
        raise UsageError(
            f"no Authentik to talk to: no lab in {app.lab_dir} and no --url",
            hint="run `authlab up` for a local lab, or pass --url and --token (AUTHENTIK_URL / AUTHENTIK_TOKEN)",
        )
    base = normalize_base_url(lab.url)
    return Connection(base.url, token or lab.token, "lab", ())


def detect_dialect(api: "AuthentikApi") -> Dialect:
    """`GET admin/version/` -> Dialect; releases older than 2024.2 are refused with a clear message."""
    try:
        body = api.get("admin/version/") or {}
    except NotFoundError:
        raise AuthlabError(
            f"{api.base_url} has no Authentik API (GET /api/v3/admin/version/ answered 404)",
            hint="check --url: it must be Authentik's base URL, e.g. http://localhost:9000",
        ) from None
    version = str(body.get("version_current") or "")
    try:
        parse_version(version)
    except ValueError:
        raise AuthlabError(
            f"Authentik at {api.base_url} reported an unreadable version {version!r}",
            hint="is this really Authentik's API? check --url",
        ) from None
    dialect = Dialect.for_version(version)
    if not dialect.supported:
        minimum = ".".join(str(p) for p in MIN_SUPPORTED[:2])
        raise AuthlabError(
            f"Authentik {version} is older than {minimum}, the oldest release authlab supports",
            hint=f"upgrade Authentik to {minimum} or newer (`authlab init --version ...` for a lab)",
        )
    return dialect
