"""The providers part of `authlab apply`, built on the provider engineer's reconcile (`services.providers`).

Planning runs `create_or_update(dry_run=True)` for every provider in the file *before* any write, so a
provider that cannot be applied (slug owned by another application, ...) stops the apply while nothing has
changed. Only providers whose plan is not `unchanged` are then applied for real, so an unchanged lab costs
reads only.

Marker: an application authlab.yaml manages carries `meta_publisher: "authlab"` (a free-text field every
supported release has and returns unchanged). `--prune` deletes marked applications (and their providers)
the file no longer names; unmarked applications are never deleted. A provider named in the file that exists
without the marker (e.g. made by `authlab provider create` or by hand) is adopted and marked.
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
    unmarked: set[str] = field(default_factory=set)  # slugs whose application lacks the marker
    orphans: list[str] = field(default_factory=list)  # "provider NAME" lines for the not-in-file note
    views: dict[str, "ProviderView"] = field(default_factory=dict)


def desired_from_spec(spec: ProviderSpec) -> "Desired":
    from authentik_lab.core.provider_spec import build_desired

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
            raise AuthlabError(f"{lab.path}: providers[{i}] ({spec.name}): {exc.message}", exc.hint) from None
    # the list with superuser_full_list: the plain list can answer from a per-user cache that ignores filters
    apps = {a["slug"]: a for a in api.paginate("core/applications/", superuser_full_list="true")}
    for name, desired in out.desired.items():
        result = create_or_update(app, conn, desired, dry_run=True, show_secret=show_secret)
        action = _ACTIONS[result.action]
        changes = [ap.Change(f"{c.object}.{c.field}", c.old, c.new) for c in result.changes]
        current = apps.get(desired.slug)
        if current is not None and current.get(MARKER_FIELD) != MARKER_VALUE:
            out.unmarked.add(desired.slug)
            changes.append(ap.Change(f"application.{MARKER_FIELD}", current.get(MARKER_FIELD), MARKER_VALUE))
            action = ap.Action.UPDATE if action is ap.Action.UNCHANGED else action
        if result.provider is not None:
            out.views[name] = result.provider
        out.items.append(ap.Item("provider", name, action, tuple(changes)))
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

    for item in plan.items:
        if item.action not in (ap.Action.CREATE, ap.Action.UPDATE):
            continue
        desired = plan.desired[item.key]
        own = [c for c in item.changes if c.field != f"application.{MARKER_FIELD}"]
        if item.action is ap.Action.CREATE or own:
            result = create_or_update(app, conn, desired, dry_run=False, show_secret=show_secret)
            run.writes += 2 if result.action == "created" else len({c.object for c in result.changes})
            run.done.append(f"{result.action} provider {item.key}")
            if result.provider is not None:
                plan.views[item.key] = result.provider
        if item.action is ap.Action.CREATE or desired.slug in plan.unmarked:
            run.write("PATCH", f"core/applications/{desired.slug}/", {MARKER_FIELD: MARKER_VALUE}, f"marked application {desired.slug}")
    for item in plan.items:
        if item.action is ap.Action.DELETE:
            result = delete_provider(app, conn, item.key, confirm=lambda _q: True)
            run.writes += (1 if result.application else 0) + (1 if result.action == "deleted" else 0)
            run.done.append(f"deleted provider {item.key}")


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
