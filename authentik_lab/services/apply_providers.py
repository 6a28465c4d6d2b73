"""The providers part of `authlab apply`, built on the provider engineer's reconcile (`services.providers`).

Planning runs `create_or_update(dry_run=True)` for every provider in the file *before* any write, so a
provider that cannot be applied (slug owned by another application, ...) stops the apply while nothing has
changed. Only providers whose plan is not `unchanged` are then applied for real, so an unchanged lab costs
reads only.

Marker: an application authlab.yaml manages carries `meta_publisher: "authlab"` (a free-text field every
supported release has and returns unchanged). `--prune` deletes marked applications (and their providers)
the file no longer names; unmarked applications are never deleted. A provider named in the file that
already exists without the marker (made by `authlab provider create`, by hand, or a real app on a shared
Authentik) is a *conflict*, as an unmarked user or group is: apply stops before any write. The lab file can
opt in per provider with `adopt: true`; the provider is then updated to match the file and marked.

An update that changes a provider's client id is called out: every app env file holding the old id stops
working, and the env files in the current directory that hold it are named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from authentik_lab.core import apply_plan as ap
from authentik_lab.core.labfile import LabFile, ProviderSpec
from authentik_lab.errors import AuthlabError

if TYPE_CHECKING:
    from authentik_lab.adapters.authentik_api import AuthentikApi
    from authentik_lab.app import App
    from authentik_lab.core.provider_spec import Desired
    from authentik_lab.services.connection import Connection
    from authentik_lab.services.provider_facts import ProviderView

MARKER_FIELD = "meta_publisher"
MARKER_VALUE = "authlab"
_ACTIONS = {"created": ap.Action.CREATE, "updated": ap.Action.UPDATE, "unchanged": ap.Action.UNCHANGED}


@dataclass
class ProviderPlan:
    items: list[ap.Item] = field(default_factory=list)
    desired: dict[str, "Desired"] = field(default_factory=dict)
    unmarked: set[str] = field(default_factory=set)  # slugs being adopted (`adopt: true`): marked after the write
    orphans: list[str] = field(default_factory=list)  # "provider NAME" lines for the not-in-file note
    views: dict[str, "ProviderView"] = field(default_factory=dict)


def desired_from_spec(spec: ProviderSpec) -> "Desired":
    from authentik_lab.core.provider_spec import FILE_KEYS, build_desired

    return build_desired(
        spec.name,
        preset=spec.preset,
        app_url=spec.app_url,
        redirect_uris=list(spec.redirect_uris),
        regex=spec.regex,
        slug=spec.slug,
        public=spec.client_type == "public",
        consent=spec.consent,
        offline_access=spec.offline_access,
        sub_mode=spec.sub_mode,
        client_id=spec.client_id,
        verified_email=spec.verified_email,
        names=FILE_KEYS,
    )


def observe_and_plan(
    app: "App", conn: "Connection", api: "AuthentikApi", lab: LabFile, prune: bool, show_secret: bool = False
) -> ProviderPlan:
    from authentik_lab.services.providers import create_or_update

    out = ProviderPlan()
    if not lab.providers and not prune:
        return out
    # pure validation of every provider first (bad preset options are errors before any request)
    for i, spec in enumerate(lab.providers):
        try:
            out.desired[spec.name] = desired_from_spec(spec)
        except AuthlabError as exc:
            raise AuthlabError(f"{lab.where(f'providers[{i}]')}: providers[{i}] ({spec.name}): {exc.message}", exc.hint) from None
    # the list with superuser_full_list: the plain list can answer from a per-user cache that ignores filters
    apps = {a["slug"]: a for a in api.paginate("core/applications/", superuser_full_list="true")}
    providers = {p["name"]: p for p in api.paginate("providers/oauth2/")}
    from authentik_lab.services.test_users import pending

    ours = pending(app.lab_dir, "provider")  # created by an apply from this folder that stopped before marking it
    for name, desired in out.desired.items():
        spec = lab.provider(name)
        current = apps.get(desired.slug)
        foreign = _unmanaged(name, desired.slug, current, providers.get(name), apps)
        if foreign and not (spec and spec.adopt) and name not in ours:
            out.items.append(ap.Item("provider", name, ap.Action.CONFLICT, reason=_conflict(lab.path, name, foreign)))
            continue
        result = create_or_update(app, conn, desired, dry_run=True, show_secret=show_secret)
        action = _ACTIONS[result.action]
        changes = [ap.Change(f"{c.object}.{c.field}", c.old, c.new) for c in result.changes]
        if foreign:  # adopt: true
            out.unmarked.add(desired.slug)
            changes.append(ap.Change(f"application.{MARKER_FIELD}", (current or {}).get(MARKER_FIELD) or None, MARKER_VALUE))
            action = ap.Action.UPDATE if action is ap.Action.UNCHANGED else action
        if result.provider is not None:
            out.views[name] = result.provider
        out.items.append(ap.Item("provider", name, action, tuple(changes), reason=_client_id_warning(name, changes)))
    wanted = {d.slug for d in out.desired.values()}
    for slug, current in apps.items():
        if current.get(MARKER_FIELD) != MARKER_VALUE or slug in wanted:
            continue
        name = (current.get("provider_obj") or {}).get("name") or current.get("name") or slug
        if prune:
            out.items.append(ap.Item("provider", name, ap.Action.DELETE, pk=current.get("provider")))
        else:
            out.orphans.append(f"provider {name}")
    return out


def execute(run: Any, app: "App", conn: "Connection", plan: ProviderPlan, show_secret: bool = False) -> None:
    """Apply the provider items; `run` is apply's write counter (`write()`, `writes`, `done`)."""
    from authentik_lab.services.provider_queries import delete_provider
    from authentik_lab.services.providers import create_or_update
    from authentik_lab.services.test_users import note_pending

    for item in plan.items:
        if item.action not in (ap.Action.CREATE, ap.Action.UPDATE):
            continue
        desired = plan.desired[item.key]
        own = [c for c in item.changes if c.field != f"application.{MARKER_FIELD}"]
        if item.action is ap.Action.CREATE:  # noted first: a stop before the marker must not turn it into a conflict
            note_pending(app.lab_dir, "provider", item.key, True)
        # an adopted provider may lack its application (an apply stopped between the two creates): let the reconcile
        # decide, it writes nothing when there is nothing to do
        if item.action is ap.Action.CREATE or own or desired.slug in plan.unmarked:
            result = create_or_update(app, conn, desired, dry_run=False, show_secret=show_secret)
            run.writes += 2 if result.action == "created" else len({c.object for c in result.changes})
            run.done.append(f"{result.action} provider {item.key}")
            if result.provider is not None:
                plan.views[item.key] = result.provider
        if item.action is ap.Action.CREATE or desired.slug in plan.unmarked:
            run.write("PATCH", f"core/applications/{desired.slug}/", {MARKER_FIELD: MARKER_VALUE}, f"marked application {desired.slug}")
        note_pending(app.lab_dir, "provider", item.key, False)
    for item in plan.items:
        if item.action is ap.Action.DELETE:
            result = delete_provider(app, conn, item.key, confirm=lambda _q: True)
            run.writes += (1 if result.application else 0) + (1 if result.action == "deleted" else 0)
            run.done.append(f"deleted provider {item.key}")


def _unmanaged(name: str, slug: str, app: dict | None, provider: dict | None, apps: dict[str, dict]) -> str:
    """What exists under this name without authlab's marker ("" when nothing does, or it is marked)."""
    if app is not None:
        return "" if app.get(MARKER_FIELD) == MARKER_VALUE else f"application {slug!r}"
    if provider is not None:
        owner = provider.get("assigned_application_slug")
        if owner and apps.get(owner, {}).get(MARKER_FIELD) == MARKER_VALUE:
            return ""  # used by another application authlab manages: create_or_update reports that clash
        return f"OAuth2 provider {name!r}" + (f" (used by application {owner!r})" if owner else "")
    same_name = [a["slug"] for a in apps.values() if a.get("name") == name and a.get(MARKER_FIELD) != MARKER_VALUE]
    return f"application {same_name[0]!r} (named {name!r})" if same_name else ""


def _conflict(path: str, name: str, what: str) -> str:
    return (
        f"{what} already exists and authlab does not manage it (no `{MARKER_FIELD}: {MARKER_VALUE}` on its application), "
        f"so apply will not take it over; rename the provider in {path}, delete the existing one "
        f"(`authlab provider delete {name}`), or add `adopt: true` to this provider in {path} to let authlab update and mark it"
    )


def _client_id_warning(name: str, changes: list[ap.Change]) -> str:
    """A loud note when apply rewrites a client id: env files that hold the old one stop working."""
    change = next((c for c in changes if c.field == "provider.client_id"), None)
    if change is None or not change.old:
        return ""
    holders = _files_holding(str(change.old))
    where = f" ({', '.join(holders)} hold{'s' if len(holders) == 1 else ''} it)" if holders else ""
    return (
        f"the client id of {name} changes from {change.old} to {change.new}: every app env file with the old id "
        f"stops working{where}; rewrite them with `authlab provider show {name}` or `provider create ... --env-out FILE`"
    )


def _files_holding(value: str) -> list[str]:
    """Env files in the current directory that mention `value` (best effort: unreadable files are skipped)."""
    from pathlib import Path

    found: list[str] = []
    for path in sorted({*Path.cwd().glob(".env*"), *Path.cwd().glob("*.env")}):
        try:
            if path.is_file() and path.stat().st_size < 1_000_000 and value in path.read_text(encoding="utf-8", errors="replace"):
                found.append(path.name)
        except OSError:
            continue
    return found


def summaries(plan: ProviderPlan) -> tuple[dict, ...]:
    """What apply prints per provider: never the client secret."""
    out = []
    for name, desired in plan.desired.items():
        view = plan.views.get(name)
        out.append({
            "name": name,
            "slug": desired.slug,
            "client_id": view.client_id if view else None,
            "issuer": view.issuer if view else None,
            "redirect_uris": [u.url for u in desired.redirect_uris],
        })
    return tuple(out)
