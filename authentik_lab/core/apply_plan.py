"""Desired (the lab file) vs observed (the server) -> one action per object: create, update, unchanged, delete.

Only objects authlab manages are touched. Users and groups carry the marker attribute `authlab.managed: true`
(both have free-form `attributes`); an object with the same name but without the marker is a *conflict*, so a
lab file can never take over `akadmin` or a group someone made by hand. Only the fields authlab sets are
compared, so server-side defaults never cause churn: a second apply plans nothing but `unchanged`.

Passwords cannot be read back, so a managed user carries `authlab.password`, a salted PBKDF2 fingerprint of
the password authlab last set; a different desired password shows up as a change without storing the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterable, Mapping, Sequence

from authentik_lab.core.labfile import GroupSpec, ServiceAccountSpec, UserSpec

MANAGED_ATTR = "authlab.managed"
PASSWORD_ATTR = "authlab.password"
SERVICE_ACCOUNT_TYPE = "service_account"
_PBKDF2_ROUNDS = 60_000


class Action(str, Enum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DELETE = "delete"
    CONFLICT = "conflict"  # exists but authlab does not manage it: refuse rather than take it over


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Item:
    kind: str  # group | user | service_account | provider
    key: str  # the natural key: group name, username, provider name
    action: Action
    changes: tuple[Change, ...] = ()
    pk: Any = None  # the server's id for update/delete
    payload: Mapping[str, Any] = field(default_factory=dict)  # what to send; never rendered (may hold secrets)
    reason: str = ""

    @property
    def writes(self) -> bool:
        return self.action in (Action.CREATE, Action.UPDATE, Action.DELETE)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"kind": self.kind, "name": self.key, "action": self.action.value}
        if self.changes:
            doc["changes"] = [{"field": c.field, "old": c.old, "new": c.new} for c in self.changes]
        if self.reason:
            doc["reason"] = self.reason
        return doc


@dataclass(frozen=True)
class Plan:
    items: tuple[Item, ...] = ()
    not_in_file: tuple[str, ...] = ()  # managed objects the file no longer names (deleted only with --prune)

    @property
    def conflicts(self) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.action is Action.CONFLICT)

    @property
    def has_writes(self) -> bool:
        return any(i.writes for i in self.items)

    def counts(self) -> dict[str, int]:
        out = {a.value: 0 for a in Action}
        for item in self.items:
            out[item.action.value] += 1
        return out

    def of_action(self, *actions: Action) -> list[Item]:
        return [i for i in self.items if i.action in actions]

    def of(self, kind: str, *actions: Action) -> list[Item]:
        return [i for i in self.items if i.kind == kind and (not actions or i.action in actions)]

    def to_dict(self) -> dict[str, Any]:
        return {"items": [i.to_dict() for i in self.items], "counts": self.counts(), "not_in_file": list(self.not_in_file)}


def is_managed(obj: Mapping[str, Any]) -> bool:
    return (obj.get("attributes") or {}).get(MANAGED_ATTR) is True


# --- password fingerprints --------------------------------------------------------------------------


def password_fingerprint(password: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), _PBKDF2_ROUNDS)
    return f"pbkdf2_sha256${_PBKDF2_ROUNDS}${salt}${base64.b64encode(digest).decode()}"


def fingerprint_matches(fingerprint: Any, password: str) -> bool:
    if not isinstance(fingerprint, str) or fingerprint.count("$") != 3:
        return False
    _, rounds, salt, expected = fingerprint.split("$")
    if not rounds.isdigit():
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(rounds))
    return hmac.compare_digest(base64.b64encode(digest).decode(), expected)


# --- planners ---------------------------------------------------------------------------------------


def plan_groups(desired: Sequence[GroupSpec], observed: Iterable[Mapping[str, Any]], prune: bool) -> list[Item]:
    by_name = {g["name"]: g for g in observed}
    items: list[Item] = []
    for spec in desired:
        current = by_name.get(spec.name)
        if current is None:
            items.append(Item("group", spec.name, Action.CREATE, payload={"name": spec.name, "attributes": {MANAGED_ATTR: True}}))
        elif not is_managed(current):
            items.append(Item("group", spec.name, Action.CONFLICT, pk=current.get("pk"), reason=_conflict("group", spec.name)))
        else:
            items.append(Item("group", spec.name, Action.UNCHANGED, pk=current.get("pk")))
    items.extend(_prune("group", "name", desired_keys={g.name for g in desired}, observed=by_name.values(), prune=prune))
    return items


def plan_users(
    desired: Sequence[UserSpec],
    observed: Iterable[Mapping[str, Any]],
    passwords: Mapping[str, str],
    prune: bool,
) -> list[Item]:
    """`passwords` maps each desired username to the password it must have (resolved by the service)."""
    humans = [u for u in observed if u.get("type") != SERVICE_ACCOUNT_TYPE]
    by_name = {u["username"]: u for u in observed}
    items: list[Item] = []
    for spec in desired:
        password = passwords[spec.username]
        current = by_name.get(spec.username)
        want = {"name": spec.display_name, "email": spec.email, "is_active": True, "groups": sorted(spec.groups)}
        if current is None:
            payload = {
                "username": spec.username,
                **want,
                "path": "users",
                "type": "internal",
                "attributes": {MANAGED_ATTR: True, PASSWORD_ATTR: password_fingerprint(password)},
                "password": password,
            }
            items.append(Item("user", spec.username, Action.CREATE, payload=payload))
            continue
        if not is_managed(current) or current.get("type") == SERVICE_ACCOUNT_TYPE:
            items.append(Item("user", spec.username, Action.CONFLICT, pk=current.get("pk"), reason=_conflict("user", spec.username)))
            continue
        have = {
            "name": current.get("name") or "",
            "email": current.get("email") or "",
            "is_active": bool(current.get("is_active", True)),
            "groups": sorted(g["name"] for g in current.get("groups_obj") or []),
        }
        changes = [Change(k, have[k], want[k]) for k in want if have[k] != want[k]]
        payload: dict[str, Any] = {k: want[k] for k in want if have[k] != want[k]}
        if not fingerprint_matches((current.get("attributes") or {}).get(PASSWORD_ATTR), password):
            changes.append(Change("password", "(hidden)", "(hidden, changed)"))
            payload["attributes"] = {**(current.get("attributes") or {}), PASSWORD_ATTR: password_fingerprint(password)}
            payload["password"] = password
        action = Action.UPDATE if changes else Action.UNCHANGED
        items.append(Item("user", spec.username, action, tuple(changes), pk=current.get("pk"), payload=payload))
    items.extend(_prune("user", "username", desired_keys={u.username for u in desired}, observed=humans, prune=prune))
    return items


def plan_service_accounts(desired: Sequence[ServiceAccountSpec], observed: Iterable[Mapping[str, Any]], prune: bool,
                          pending: Iterable[str] = ()) -> list[Item]:
    """Service accounts are created once (their app-password token comes with them) and never updated.

    Authentik's service-account endpoint takes no attributes, so the marker is a second write. `pending` names the
    accounts this lab folder started creating and has not marked yet (an apply stopped between the two writes):
    such an unmarked account is this lab's own and is marked now (an update), not a conflict."""
    accounts = [u for u in observed if u.get("type") == SERVICE_ACCOUNT_TYPE]
    by_name = {u["username"]: u for u in observed}
    pending = set(pending)
    items: list[Item] = []
    for spec in desired:
        current = by_name.get(spec.name)
        if current is None:
            items.append(Item("service_account", spec.name, Action.CREATE, payload={"name": spec.name, "create_group": False, "expiring": False}))
        elif not is_managed(current) and current.get("type") == SERVICE_ACCOUNT_TYPE and spec.name in pending:
            items.append(Item("service_account", spec.name, Action.UPDATE, (Change(f"attributes.{MANAGED_ATTR}", None, True),),
                              pk=current.get("pk")))
        elif not is_managed(current) or current.get("type") != SERVICE_ACCOUNT_TYPE:
            items.append(Item("service_account", spec.name, Action.CONFLICT, pk=current.get("pk"), reason=_conflict("user", spec.name)))
        else:
            items.append(Item("service_account", spec.name, Action.UNCHANGED, pk=current.get("pk")))
    items.extend(_prune("service_account", "username", desired_keys={s.name for s in desired}, observed=accounts, prune=prune))
    return items


def orphans(kind: str, key: str, desired_keys: set[str], observed: Iterable[Mapping[str, Any]]) -> list[str]:
    return [f"{kind} {o[key]}" for o in observed if is_managed(o) and o[key] not in desired_keys]


def _prune(kind: str, key: str, desired_keys: set[str], observed: Iterable[Mapping[str, Any]], prune: bool) -> list[Item]:
    if not prune:
        return []
    return [Item(kind, o[key], Action.DELETE, pk=o.get("pk")) for o in observed if is_managed(o) and o[key] not in desired_keys]


def _conflict(kind: str, name: str) -> str:
    return (
        f"a {kind} named {name!r} already exists and authlab does not manage it (no `{MANAGED_ATTR}: true` attribute); "
        "rename it in the lab file, delete it, or add the attribute to let authlab manage it"
    )
