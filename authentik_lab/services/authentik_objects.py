"""Typed lookups of the Authentik objects authlab builds on, done the way the real server answers reliably.

Rules learnt from a real 2026.2 server (captures INDEX.md): list filters are hints, never proof, so every
list result's key is compared before it is used; the application LIST can answer from a per-user cache that
ignores `?slug=`, so applications are fetched only by `core/applications/<slug>/`. Independent lookups run
concurrently because each one is a round trip and the benchmark counts them.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, TypeVar

from authentik_lab.errors import ApiError, AuthlabError

if TYPE_CHECKING:
    from authentik_lab.adapters.authentik_api import AuthentikApi
    from authentik_lab.core.dialect import Dialect

T = TypeVar("T")

IMPLICIT_CONSENT_FLOW = "default-provider-authorization-implicit-consent"
EXPLICIT_CONSENT_FLOW = "default-provider-authorization-explicit-consent"
INVALIDATION_FLOW = "default-provider-invalidation-flow"
SELF_SIGNED_CERT = "authentik Self-signed Certificate"
SCOPE_KEY_PREFIX = "goauthentik.io/providers/oauth2/scope-"

WORKER_HINT = (
    "the default flows, scope mappings and certificate are created by Authentik's worker a little after start-up: "
    "wait (`authlab up` waits for them) or check the worker with `authlab doctor`"
)


class MissingObjectError(AuthlabError):
    """A built-in object authlab relies on does not exist (yet)."""

    def __init__(self, kind: str, key: str, hint: str = WORKER_HINT) -> None:
        super().__init__(f"Authentik has no {kind} {key!r}", hint)
        self.kind = kind
        self.key = key


def scope_key(scope: str) -> str:
    """The managed key of a default scope mapping, e.g. `openid` -> goauthentik.io/providers/oauth2/scope-openid."""
    return SCOPE_KEY_PREFIX + scope


def concurrently(calls: Mapping[str, Callable[[], Any]], max_workers: int = 6) -> dict[str, Any]:
    """Run independent lookups in parallel; the first exception (in `calls` order) is re-raised."""
    if len(calls) <= 1:
        return {name: fn() for name, fn in calls.items()}
    with ThreadPoolExecutor(max_workers=min(max_workers, len(calls))) as pool:
        futures = {name: pool.submit(fn) for name, fn in calls.items()}
        results: dict[str, Any] = {}
        for name, future in futures.items():
            results[name] = future.result()
        return results


def _exact(results: list[dict], field: str, value: Any) -> list[dict]:
    # never trust a filter: the server may ignore it (cache) or match loosely
    return [r for r in results if r.get(field) == value]


# --- creates that converge ----------------------------------------------------------------------


def create(api: "AuthentikApi", path: str, body: dict, find: Callable[[], dict | None]) -> tuple[dict, bool]:
    """POST `body` to `path`, keyed on a natural key that `find()` looks up; (object, True if this call made it).

    A lost answer is re-read before the POST is sent again (`AuthentikApi.request`), so a create that landed is
    never made twice. A 400 (Authentik answers a uniqueness clash with 400 and e.g. `{"name": ["provider with this
    name already exists."]}`, captures 030/046) is re-read too: when the object now exists, another run created it
    a moment ago and the caller converges on it (False); otherwise the 400 was about something else and is raised.
    """
    try:
        return api.request("POST", path, json=body, reread=find), True
    except ApiError as exc:
        if exc.status != 400:
            raise
        found = find()
        if found is None:
            raise
        return found, False


# --- lookups -------------------------------------------------------------------------------------


def flow_pks(api: "AuthentikApi", slugs: list[str], optional: tuple[str, ...] = ()) -> dict[str, str]:
    """slug -> flow pk for each slug (one request: a slug filter for one, the whole list for several).

    MissingObjectError for a missing required slug; `optional` ones are returned when they exist.
    """
    wanted = [*slugs, *optional]
    if len(wanted) == 1:
        found = _exact(list(api.paginate("flows/instances/", slug=wanted[0])), "slug", wanted[0])
    else:
        found = [f for f in api.paginate("flows/instances/", page_size=100) if f.get("slug") in wanted]
    by_slug = {f["slug"]: str(f["pk"]) for f in found}
    for slug in slugs:
        if slug not in by_slug:
            raise MissingObjectError("flow", slug)
    return by_slug


def flow_pk(api: "AuthentikApi", slug: str) -> str:
    return flow_pks(api, [slug])[slug]


def scope_mappings(api: "AuthentikApi", dialect: "Dialect") -> list[dict]:
    """Every scope mapping, from the path the release-facts table names for this release; a 404 there (a build
    whose number and API disagree) is retried once on the other release's path."""
    from authentik_lab.errors import NotFoundError

    try:
        return api.list(dialect.scope_mapping_path, page_size=100)
    except NotFoundError:
        return api.list(dialect.other_scope_mapping_path, page_size=100)


def scope_mapping_pks(api: "AuthentikApi", dialect: "Dialect", scopes: list[str], optional: tuple[str, ...] = ()) -> dict[str, str]:
    """scope name -> pk of Authentik's managed default mapping (one request: all scope mappings).

    `optional` scopes are returned when they exist (to name them in diffs) but are not required.
    """
    wanted = {scope_key(s): s for s in (*scopes, *optional)}
    found = [m for m in scope_mappings(api, dialect) if m.get("managed") in wanted]
    by_scope = {wanted[m["managed"]]: str(m["pk"]) for m in found}
    for scope in scopes:
        if scope not in by_scope:
            raise MissingObjectError("scope mapping", scope_key(scope))
    return by_scope


def verified_email_mapping(api: "AuthentikApi", dialect: "Dialect", create: bool) -> str | None:
    """pk of authlab's email mapping that asserts email_verified (core/email_claims.py), created when `create`
    and missing; None when missing and not created (a dry run)."""
    from authentik_lab.core import email_claims

    found = _exact(scope_mappings(api, dialect), "name", email_claims.MAPPING_NAME)
    if found:
        return str(found[0]["pk"])
    if not create:
        return None
    made = api.request("POST", dialect.scope_mapping_path, json=email_claims.mapping_payload())
    return str(made["pk"])


def certificate_pk(api: "AuthentikApi", name: str = SELF_SIGNED_CERT) -> str:
    found = _exact(list(api.paginate("crypto/certificatekeypairs/", name=name)), "name", name)
    if not found:
        raise MissingObjectError("certificate key pair", name)
    return str(found[0]["pk"])


def provider_by_name(api: "AuthentikApi", name: str) -> dict | None:
    """The OAuth2 provider whose name is exactly `name` (names are unique in Authentik)."""
    # paginate: should the server ignore the filter, the exact match may be on a later page
    found = _exact(list(api.paginate("providers/oauth2/", name=name)), "name", name)
    return found[0] if found else None


def group_by_name(api: "AuthentikApi", name: str) -> dict | None:
    found = _exact(list(api.paginate("core/groups/", name=name, include_users="false")), "name", name)
    return found[0] if found else None


def user_by_username(api: "AuthentikApi", username: str) -> dict | None:
    found = _exact(list(api.paginate("core/users/", username=username)), "username", username)
    return found[0] if found else None


def provider_by_pk(api: "AuthentikApi", pk: int | str) -> dict | None:
    return api.get_optional(f"providers/oauth2/{pk}/")


def application_by_slug(api: "AuthentikApi", slug: str) -> dict | None:
    """Only the detail endpoint: the list's `?slug=` can be ignored by the per-user cache (2026.2)."""
    app = api.get_optional(f"core/applications/{slug}/")
    if app is not None and app.get("slug") != slug:
        return None
    return app


def setup_urls(api: "AuthentikApi", provider_pk: int | str) -> dict:
    return api.get(f"providers/oauth2/{provider_pk}/setup_urls/") or {}


def server_version(api: "AuthentikApi") -> str:
    body = api.get("admin/version/") or {}
    return str(body.get("version_current") or "")


@dataclass(frozen=True)
class Prerequisites:
    """The pks a provider payload refers to, resolved from their stable names."""

    authorization_flow: str
    invalidation_flow: str | None
    mappings: dict[str, str]  # scope name -> pk
    signing_key: str
    flows: dict[str, str] | None = None  # every flow looked up: slug -> pk

    def to_dict(self) -> dict[str, Any]:
        return {
            "authorization_flow": self.authorization_flow,
            "invalidation_flow": self.invalidation_flow,
            "mappings": dict(self.mappings),
            "signing_key": self.signing_key,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Prerequisites":
        return cls(
            authorization_flow=str(data["authorization_flow"]),
            invalidation_flow=data.get("invalidation_flow"),
            mappings={str(k): str(v) for k, v in dict(data["mappings"]).items()},
            signing_key=str(data["signing_key"]),
        )


DEFAULT_SCOPES = ("openid", "email", "profile", "offline_access")


def lookup_prerequisites(
    api: "AuthentikApi", dialect: "Dialect", authorization_flow: str, scopes: list[str], invalidation_flow: str | None = INVALIDATION_FLOW
) -> Prerequisites:
    """Flows, scope mappings and the self-signed certificate, three requests run side by side."""
    flows = [authorization_flow] + ([invalidation_flow] if invalidation_flow and dialect.requires_invalidation_flow else [])
    # the other consent flow too (same request), so a diff can name the flow being replaced
    others = tuple(f for f in (IMPLICIT_CONSENT_FLOW, EXPLICIT_CONSENT_FLOW) if f not in flows)
    got = concurrently(
        {
            "flows": lambda: flow_pks(api, flows, optional=others),
            "mappings": lambda: scope_mapping_pks(api, dialect, scopes, optional=tuple(s for s in DEFAULT_SCOPES if s not in scopes)),
            "cert": lambda: certificate_pk(api),
        }
    )
    return Prerequisites(
        authorization_flow=got["flows"][authorization_flow],
        invalidation_flow=got["flows"].get(invalidation_flow) if invalidation_flow else None,
        mappings=got["mappings"],
        signing_key=got["cert"],
        flows=dict(got["flows"]),
    )
