"""`provider list | show | delete`: read what exists, and remove an application with its provider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from authentik_lab.core.presets import Preset
from authentik_lab.core.urls import issuer_url
from authentik_lab.errors import NotFoundError, UsageError
from authentik_lab.services import authentik_objects as ak
from authentik_lab.services.connection import Connection, detect_dialect
from authentik_lab.services.provider_facts import ProviderView, build_view, redirect_entries, release_notes, verify, with_checks

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.core.dialect import Dialect

# `key_type` (2026.2+) says rsa|ec; the older `private_key_type` is the key class name, e.g. rsa, ellipticcurve
_ALG_BY_KEY_TYPE = {"rsa": "RS256", "ec": "ES256", "ellipticcurve": "ES256"}


@dataclass(frozen=True)
class ProviderRow:
    name: str
    pk: int
    application: str | None
    client_id: str
    redirect_uris: tuple[str, ...]
    offline_access: bool
    signing_alg: str


@dataclass(frozen=True)
class ListResult:
    url: str
    server_version: str
    providers: tuple[ProviderRow, ...]


@dataclass(frozen=True)
class ShowResult:
    url: str
    server_version: str
    provider: ProviderView


@dataclass(frozen=True)
class DeleteResult:
    action: str  # deleted | absent | cancelled
    name: str
    application: str | None
    provider_pk: int | None


def key_types(certs: list[dict], dialect: "Dialect") -> dict[str, str]:
    """certificate pk -> key type, from the field the release-facts table names (the other one when it is absent)."""
    fields = (dialect.certificate_key_type_field, "private_key_type", "key_type")
    return {str(c["pk"]): next((str(c[f]).lower() for f in fields if c.get(f)), "") for c in certs}


def _alg(provider: dict, key_types: dict[str, str]) -> str:
    key = provider.get("signing_key")
    if not key:
        return "HS256"  # Authentik signs with the client secret when no key is set
    return _ALG_BY_KEY_TYPE.get(key_types.get(str(key), ""), "?")


def list_providers(app: "App", conn: Connection) -> ListResult:
    with app.api(conn.url, conn.token) as api:
        dialect = detect_dialect(api)
        got = ak.concurrently(
            {
                "providers": lambda: api.list("providers/oauth2/"),
                "mappings": lambda: ak.scope_mappings(api, dialect),
                "certs": lambda: api.list("crypto/certificatekeypairs/"),
            }
        )
    offline = {str(m["pk"]) for m in got["mappings"] if m.get("managed") == ak.scope_key("offline_access")}
    types = key_types(got["certs"], dialect)
    rows = tuple(
        ProviderRow(
            name=p["name"],
            pk=p["pk"],
            application=p.get("assigned_application_slug"),
            client_id=p.get("client_id", ""),
            redirect_uris=tuple(e["url"] for e in redirect_entries(p.get("redirect_uris"))),
            offline_access=bool(offline & {str(pk) for pk in p.get("property_mappings") or []}),
            signing_alg=_alg(p, types),
        )
        for p in sorted(got["providers"], key=lambda p: p["name"])
    )
    return ListResult(conn.url, dialect.label, rows)


def _find(api, name: str) -> dict:
    provider = ak.provider_by_name(api, name)
    if provider is None:
        raise NotFoundError(
            f"no OAuth2 provider named {name!r} at {api.base_url}", "GET", "/api/v3/providers/oauth2/", 404, None,
            hint="`authlab provider list` shows the providers there (names are case-sensitive)",
        )
    return provider


def show_provider(app: "App", conn: Connection, name: str, show_secret: bool = False, preset: Preset | None = None) -> ShowResult:
    with app.api(conn.url, conn.token) as api:
        dialect = detect_dialect(api)
        provider = _find(api, name)
        got = ak.concurrently(
            {
                "setup": lambda: ak.setup_urls(api, provider["pk"]),
                "mappings": lambda: ak.scope_mappings(api, dialect),
                "certs": lambda: api.list("crypto/certificatekeypairs/"),
            }
        )
        scope_by_pk = {str(m["pk"]): str(m.get("scope_name") or m.get("name")) for m in got["mappings"]}
        view = build_view(provider, got["setup"], scope_by_pk, show_secret, preset=preset,
                          signing_alg=_alg(provider, key_types(got["certs"], dialect)),
                          release_notes=release_notes(dialect, "offline_access" in {scope_by_pk.get(str(pk)) for pk in provider.get("property_mappings") or []}))
        slug = provider.get("assigned_application_slug")
        if slug:
            passed, problems = verify(api, view, issuer_url(conn.url, slug), want_offline=view.offline_access)
        else:
            passed, problems = [], ["no application uses this provider, so it has no issuer and no discovery document"]
    return ShowResult(conn.url, dialect.label, with_checks(view, passed, problems))


def delete_provider(app: "App", conn: Connection, name: str, confirm: Callable[[str], bool]) -> DeleteResult:
    with app.api(conn.url, conn.token) as api:
        detect_dialect(api)
        provider = ak.provider_by_name(api, name)
        if provider is None:
            return DeleteResult("absent", name, None, None)
        slug = provider.get("assigned_application_slug")
        application = ak.application_by_slug(api, slug) if slug else None
        if application is not None and application.get("provider") != provider["pk"]:
            # never act on an application we did not positively match to this provider
            raise UsageError(
                f"application {slug!r} does not point at provider {name!r} (pk {provider['pk']})", hint="inspect it in the admin UI"
            )
        what = f"application {slug!r} and provider {name!r}" if application else f"provider {name!r} (no application)"
        if not confirm(f"Delete {what}?"):
            return DeleteResult("cancelled", name, slug if application else None, provider["pk"])
        if application is not None:
            api.request("DELETE", f"core/applications/{slug}/")
        api.request("DELETE", f"providers/oauth2/{provider['pk']}/")
    return DeleteResult("deleted", name, slug if application else None, provider["pk"])
