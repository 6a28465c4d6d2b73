"""The writes of `authlab apply`, in order: groups -> users -> service accounts (providers: apply_providers), and
deletes in reverse. `Run` counts the writes and tells the command's journal each step, so a failure or an
interrupt can say what was already changed.

Creates converge (authentik_objects.create): an object another run made a moment ago is found by its natural key
and used. Two writes that belong together are ordered so that a stop between them is seen and finished by the next
run: a user's password fingerprint is recorded only after set_password; a service account is noted in the lab
folder (test_users.pending) before it is created, and forgotten once marked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authentik_lab.core import apply_plan as ap

if TYPE_CHECKING:
    from authentik_lab.adapters.authentik_api import AuthentikApi


@dataclass
class Run:
    """What the apply has done so far, for the 'partially applied' message."""

    api: "AuthentikApi"
    writes: int = 0
    done: list[str] = field(default_factory=list)

    journal: Any = None  # the command's journal (authentik_lab.journal): what an interrupt reports as done
    lab_dir: Path | None = None  # where creates awaiting their marker are noted (test_users.pending)

    def write(self, method: str, path: str, json: Any = None, what: str = "", idempotent: bool = False) -> Any:
        self._doing(what or f"{method} {path}")
        body = self.api.request(method, path, json=json, idempotent=idempotent)
        self._did(what)
        return body

    def create(self, path: str, json: dict, find: Any, what: str) -> dict:
        """A create that converges on an object another run made (`authentik_objects.create`); a converged object
        comes back marked `_converged` and is reported as found, not created."""
        from authentik_lab.services.authentik_objects import create

        self._doing(what)
        obj, made = create(self.api, path, json, find)
        self._did(what if made else what.replace("created", "found (made by another run)", 1))
        return obj if made else {**obj, "_converged": True}

    def _doing(self, what: str) -> None:
        if self.journal is not None:
            self.journal.doing(what.replace("created", "creating", 1) if what.startswith("created") else what)

    def _did(self, what: str) -> None:
        self.writes += 1
        if what:
            self.done.append(what)
            if self.journal is not None:
                self.journal.done(what)


def execute(run: Run, plan: ap.Plan, observed_groups: list[dict]) -> None:
    """Creates converge: when another run made the same group/user/service account a moment ago (a uniqueness
    400, or an answer lost after the object landed), the object found by its natural key is used instead."""
    from authentik_lab.services import authentik_objects as ak
    from authentik_lab.services import test_users

    group_pk = {g["name"]: g["pk"] for g in observed_groups}
    for item in plan.of("group", ap.Action.CREATE):
        created = run.create("core/groups/", {**item.payload, "is_superuser": False}, _managed(lambda k=item.key: ak.group_by_name(run.api, k)),
                             f"created group {item.key}")
        group_pk[item.key] = created["pk"]
    for item in plan.of("user", ap.Action.CREATE, ap.Action.UPDATE):
        body = {k: v for k, v in item.payload.items() if k != "password"}
        if "password" in item.payload:
            # the fingerprint that says "this password is set" is written only after set_password succeeded: an
            # interrupt between the two must leave a user the next run sees as needing its password
            marked = {k: v for k, v in body.pop("attributes", {}).items() if k != ap.PASSWORD_ATTR}
            if item.action is ap.Action.CREATE:
                body["attributes"] = marked
        if "groups" in body:
            body["groups"] = [group_pk[name] for name in body["groups"]]
        if item.action is ap.Action.CREATE:
            found = _managed(lambda k=item.key: ak.user_by_username(run.api, k))
            user = run.create("core/users/", body, found, f"created user {item.key}")
            pk = user["pk"]
            if user.get("_converged"):  # another run made it: make it match this file (the other may differ)
                run.write("PATCH", f"core/users/{pk}/", {k: v for k, v in body.items() if k != "username"}, f"updated user {item.key}")
        else:
            pk = item.pk
            if body:
                run.write("PATCH", f"core/users/{pk}/", body, f"updated user {item.key}")
        if "password" in item.payload:
            run.write("POST", f"core/users/{pk}/set_password/", {"password": item.payload["password"]}, f"set the password of {item.key}",
                      idempotent=True)
            run.write("PATCH", f"core/users/{pk}/", {"attributes": item.payload["attributes"]}, f"recorded the password of {item.key}")
    for item in plan.of("service_account", ap.Action.CREATE):
        def account(k: str = item.key) -> dict | None:
            user = ak.user_by_username(run.api, k)
            # the endpoint answers {username, user_uid, user_pk, token}; a re-read gives the user
            return {"user_pk": user["pk"]} if user and user.get("type") == ap.SERVICE_ACCOUNT_TYPE else None
        # noted first: should this run stop between the create and the marker, the next one knows the account is ours
        if run.lab_dir is not None:
            test_users.note_pending(run.lab_dir, "service_account", item.key, True)
        created = run.create("core/users/service_account/", dict(item.payload), account, f"created service account {item.key}")
        _mark_account(run, created["user_pk"], item.key)
    for item in plan.of("service_account", ap.Action.UPDATE):
        _mark_account(run, item.pk, item.key)


def _mark_account(run: Run, pk: Any, name: str) -> None:
    from authentik_lab.services import test_users

    # the endpoint takes no attributes: mark it afterwards, keeping what Authentik put there
    current = run.api.get(f"core/users/{pk}/")
    attributes = {**(current.get("attributes") or {}), ap.MANAGED_ATTR: True}
    run.write("PATCH", f"core/users/{pk}/", {"attributes": attributes}, f"marked service account {name}")
    if run.lab_dir is not None:
        test_users.note_pending(run.lab_dir, "service_account", name, False)


def _managed(find: Any) -> Any:
    """A natural-key lookup that only converges on an object authlab manages: an unmarked one made by hand in the
    meantime is still a conflict (the 400 is raised)."""
    def lookup() -> dict | None:
        found = find()
        return found if found is not None and ap.is_managed(found) else None
    return lookup


def execute_deletes(run: Run, plan: ap.Plan) -> None:
    for kind, path in (("service_account", "core/users/{}/"), ("user", "core/users/{}/"), ("group", "core/groups/{}/")):
        for item in plan.of(kind, ap.Action.DELETE):
            run.write("DELETE", path.format(item.pk), what=f"deleted {kind.replace('_', ' ')} {item.key}")
