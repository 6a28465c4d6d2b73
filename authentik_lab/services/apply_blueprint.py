"""`authlab apply --blueprint`: the writes of `apply` as one blueprint instance, applied by Authentik's worker.

`apply` observes and plans exactly as without `--blueprint` (same summary, same conflict refusal before any write);
only the execution differs: instead of one API call per object, the plan's blueprint is stored on the server as
a blueprint instance with inline content (`POST /managed/blueprints/`, or PATCH of the instance of the same name)
and applied (`POST /managed/blueprints/{pk}/apply/`). The server validates the content when it is stored (a dry
run of the import) and queues the apply for the worker, answering at once; authlab polls the instance until the
worker has saved it (its `last_applied` moves on every save) and reads `status` (schema 2026.2.2; the queueing and
`last_applied` semantics come from Authentik's source, see tests/standin/NOTES.md).

Passwords never go into the stored blueprint: it carries the `authlab.password` fingerprints (not secrets), and
each password that must change is then set with `core/users/{pk}/set_password/`, as `apply` does. `--prune`
deletions also go through the API. Afterwards the server is observed again and must plan nothing but `unchanged`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Callable

from authentik_lab.core import apply_plan as ap
from authentik_lab.errors import ApplyError

if TYPE_CHECKING:
    from authentik_lab.adapters.authentik_api import AuthentikApi
    from authentik_lab.core.dialect import Dialect
    from authentik_lab.core.labfile import LabFile

INSTANCES = "managed/blueprints/"
DEFAULT_TIMEOUT = 60.0  # seconds for the worker to run the queued apply
DONE = ("successful", "warning", "error", "orphaned")


def instance_name(lab: "LabFile") -> str:
    """One blueprint instance per lab file, so two lab files on one server never overwrite each other."""
    return f"authlab {lab.path}"


def fingerprints(plan: ap.Plan, observed_users: list[dict]) -> dict[str, str]:
    """username -> the `authlab.password` fingerprint the user must carry after this apply."""
    out = {u["username"]: (u.get("attributes") or {}).get(ap.PASSWORD_ATTR) for u in observed_users if ap.is_managed(u)}
    for item in plan.of("user"):
        new = (item.payload.get("attributes") or {}).get(ap.PASSWORD_ATTR)
        if new:
            out[item.key] = new
    return {k: v for k, v in out.items() if isinstance(v, str) and v}


def send(run: Any, lab: "LabFile", dialect: "Dialect", plan: ap.Plan, observed_users: list[dict], *,
         timeout: float = DEFAULT_TIMEOUT, sleep: Callable[[float], None] = time.sleep,
         clock: Callable[[], float] = time.monotonic) -> dict:
    """Store and apply the blueprint, wait for the worker, then set the passwords the plan changes.

    `run` is apply's write counter (`write()`, `api`). Returns the applied instance (no content). ApplyError when
    the worker reports an error or does not run it within `timeout`.
    """
    from authentik_lab.core.export.blueprint_yaml import dump
    from authentik_lab.services.export import blueprint_document

    name = instance_name(lab)
    document = blueprint_document(lab, dialect, name, passwords=False, fingerprints=fingerprints(plan, observed_users))
    content = dump(document)
    api: "AuthentikApi" = run.api
    existing = [b for b in api.paginate(INSTANCES, name=name) if b.get("name") == name]
    if existing:
        instance = run.write("PATCH", f"{INSTANCES}{existing[0]['pk']}/", {"content": content, "enabled": True}, f"updated blueprint {name!r}")
    else:
        instance = run.write("POST", INSTANCES, {"name": name, "content": content, "enabled": True}, f"stored blueprint {name!r}")
    before = instance.get("last_applied")
    run.write("POST", f"{INSTANCES}{instance['pk']}/apply/", what=f"applied blueprint {name!r}")
    applied = _wait(api, instance["pk"], before, name, timeout, sleep, clock)
    users = {u["username"]: u for u in observed_users}
    for item in plan.of("user", ap.Action.CREATE, ap.Action.UPDATE):
        if "password" in item.payload:
            pk = item.pk if item.pk is not None else _user_pk(api, item.key, users)
            run.write("POST", f"core/users/{pk}/set_password/", {"password": item.payload["password"]}, f"set the password of {item.key}")
    return {k: v for k, v in applied.items() if k != "content"}


def _wait(api: "AuthentikApi", pk: str, before: Any, name: str, timeout: float, sleep: Callable[[float], None],
          clock: Callable[[], float]) -> dict:
    start = clock()
    seen = "queued"
    while True:
        current = api.get(f"{INSTANCES}{pk}/")
        if current.get("last_applied") != before and current.get("status") in DONE:
            if current["status"] in ("successful", "warning"):
                return current
            raise ApplyError(
                f"Authentik's worker could not apply blueprint {name!r} (status {current['status']})",
                hint="the reason is in Authentik's worker log and under Admin > Events (system tasks); "
                "nothing of this blueprint was applied (the import is one transaction)",
            )
        seen = f"status {current.get('status')}, last applied {current.get('last_applied')}"
        if clock() - start >= timeout:
            raise ApplyError(
                f"blueprint {name!r} was queued but not applied within {timeout:.0f}s ({seen})",
                hint="is Authentik's worker running? `authlab doctor` checks it; the blueprint stays stored and "
                "is applied when the worker runs",
            )
        sleep(0.25)


def _user_pk(api: "AuthentikApi", username: str, known: dict[str, dict]) -> Any:
    if username in known:
        return known[username]["pk"]
    found = [u for u in api.paginate("core/users/", username=username) if u.get("username") == username]
    if not found:
        raise ApplyError(f"the blueprint did not create user {username!r}", hint="report this: the blueprint and the plan disagree")
    return found[0]["pk"]
