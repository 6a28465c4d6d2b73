"""The pure plan: desired lab file vs observed server objects (shapes as in captures 120-126, 108-110)."""

from __future__ import annotations

from authentik_lab.core.apply_plan import (
    MANAGED_ATTR,
    PASSWORD_ATTR,
    Action,
    Change,
    Item,
    Plan,
    fingerprint_matches,
    orphans,
    password_fingerprint,
    plan_groups,
    plan_service_accounts,
    plan_users,
)
from authentik_lab.core.labfile import GroupSpec, ServiceAccountSpec, UserSpec

GROUP_UUID = "84676cd0-b7cf-44aa-b048-f0e2da6b07e5"


def _group(name: str, managed: bool = True, pk: str = GROUP_UUID) -> dict:
    # the group list shape (capture 124/125), trimmed to what the planner reads
    return {"pk": pk, "num_pk": 17599, "name": name, "is_superuser": False, "attributes": {MANAGED_ATTR: True} if managed else {}}


def _user(username: str, *, password: str | None = "pw", groups: tuple[str, ...] = (), managed: bool = True, **over) -> dict:
    attributes: dict = {}
    if managed:
        attributes[MANAGED_ATTR] = True
    if password is not None:
        attributes[PASSWORD_ATTR] = password_fingerprint(password, salt="fixedsalt")
    user = {
        "pk": 12,
        "username": username,
        "name": username,
        "is_active": True,
        "email": "",
        "groups": [GROUP_UUID for _ in groups],
        "groups_obj": [{"pk": GROUP_UUID, "name": g, "attributes": {}} for g in groups],
        "attributes": attributes,
        "path": "users",
        "type": "internal",
    }
    user.update(over)
    return user


def test_password_fingerprint_round_trips_and_is_salted() -> None:
    a = password_fingerprint("s3cret", salt="abc")
    assert a.startswith("pbkdf2_sha256$60000$abc$")
    assert "s3cret" not in a
    assert fingerprint_matches(a, "s3cret")
    assert not fingerprint_matches(a, "s3cret!")
    assert password_fingerprint("s3cret", salt="abd") != a
    assert not fingerprint_matches(None, "s3cret")
    assert not fingerprint_matches("garbage", "s3cret")
    assert not fingerprint_matches("pbkdf2_sha256$x$abc$zzz", "s3cret")


def test_groups_create_unchanged_conflict_and_prune() -> None:
    desired = [GroupSpec("testers"), GroupSpec("admins"), GroupSpec("handmade")]
    observed = [_group("testers"), _group("handmade", managed=False), _group("old", pk="g-old"), _group("foreign", managed=False)]
    items = plan_groups(desired, observed, prune=True)
    assert [i.to_dict() for i in items] == [
        {"kind": "group", "name": "testers", "action": "unchanged"},
        {"kind": "group", "name": "admins", "action": "create"},
        {
            "kind": "group",
            "name": "handmade",
            "action": "conflict",
            "reason": "a group named 'handmade' already exists and authlab does not manage it (no `authlab.managed: true` attribute); "
            "rename it in the lab file, delete it, or add the attribute to let authlab manage it",
        },
        {"kind": "group", "name": "old", "action": "delete"},
    ]
    assert items[1].payload == {"name": "admins", "attributes": {MANAGED_ATTR: True}}
    assert items[3].pk == "g-old"
    # without --prune the managed leftover is not touched
    assert [i.action for i in plan_groups(desired, observed, prune=False)] == [Action.UNCHANGED, Action.CREATE, Action.CONFLICT]


def test_new_user_payload_carries_marker_fingerprint_and_group_names() -> None:
    spec = UserSpec("alice", email="alice@example.com", name="Alice", groups=("testers", "admins"))
    [item] = plan_users([spec], [], {"alice": "pw-1"}, prune=False)
    assert item.action is Action.CREATE
    payload = dict(item.payload)
    fingerprint = payload["attributes"].pop(PASSWORD_ATTR)
    assert fingerprint_matches(fingerprint, "pw-1")
    assert payload == {
        "username": "alice",
        "name": "Alice",
        "email": "alice@example.com",
        "is_active": True,
        "groups": ["admins", "testers"],
        "path": "users",
        "type": "internal",
        "attributes": {MANAGED_ATTR: True},
        "password": "pw-1",
    }
    # the password never reaches rendered output
    assert "pw-1" not in str(item.to_dict())


def test_user_that_matches_is_unchanged_with_no_payload() -> None:
    spec = UserSpec("alice", groups=("testers",))
    [item] = plan_users([spec], [_user("alice", groups=("testers",))], {"alice": "pw"}, prune=False)
    assert item == Item("user", "alice", Action.UNCHANGED, (), pk=12, payload={})


def test_user_update_lists_only_changed_fields_and_keeps_other_attributes() -> None:
    spec = UserSpec("alice", email="new@example.com", groups=("testers",))
    current = _user("alice", password="old-pw", email="old@example.com", groups=("other",))
    current["attributes"]["team"] = "blue"
    [item] = plan_users([spec], [current], {"alice": "new-pw"}, prune=False)
    assert item.action is Action.UPDATE
    assert item.changes == (
        Change("email", "old@example.com", "new@example.com"),
        Change("groups", ["other"], ["testers"]),
        Change("password", "(hidden)", "(hidden, changed)"),
    )
    assert item.payload["email"] == "new@example.com"
    assert item.payload["groups"] == ["testers"]
    assert item.payload["password"] == "new-pw"
    assert item.payload["attributes"]["team"] == "blue"
    assert item.payload["attributes"][MANAGED_ATTR] is True
    assert fingerprint_matches(item.payload["attributes"][PASSWORD_ATTR], "new-pw")
    assert set(item.payload) == {"email", "groups", "password", "attributes"}


def test_unmanaged_user_and_service_account_name_clash_are_conflicts() -> None:
    akadmin = _user("akadmin", managed=False, password=None)
    bot = _user("bot", type="service_account")
    items = plan_users([UserSpec("akadmin"), UserSpec("bot")], [akadmin, bot], {"akadmin": "x", "bot": "y"}, prune=False)
    assert [(i.key, i.action) for i in items] == [("akadmin", Action.CONFLICT), ("bot", Action.CONFLICT)]


def test_prune_deletes_only_managed_humans_not_in_the_file() -> None:
    observed = [
        _user("alice"),
        {**_user("gone"), "pk": 30},
        _user("akadmin", managed=False),
        _user("ak-web-client_credentials", managed=False, type="service_account"),
        {**_user("ci-bot", type="service_account"), "pk": 31},
    ]
    items = plan_users([UserSpec("alice")], observed, {"alice": "pw"}, prune=True)
    assert [(i.key, i.action, i.pk) for i in items] == [("alice", Action.UNCHANGED, 12), ("gone", Action.DELETE, 30)]
    assert orphans("user", "username", {"alice"}, observed) == ["user gone", "user ci-bot"]


def test_service_accounts_are_created_once_and_pruned() -> None:
    observed = [
        {**_user("ci-bot", type="service_account", password=None), "pk": 10},
        {**_user("old-bot", type="service_account", password=None), "pk": 11},
        _user("alice"),
    ]
    desired = [ServiceAccountSpec("ci-bot"), ServiceAccountSpec("deploy"), ServiceAccountSpec("alice")]
    items = plan_service_accounts(desired, observed, prune=True)
    assert [(i.key, i.action, i.pk) for i in items] == [
        ("ci-bot", Action.UNCHANGED, 10),
        ("deploy", Action.CREATE, None),
        ("alice", Action.CONFLICT, 12),
        ("old-bot", Action.DELETE, 11),
    ]
    assert items[1].payload == {"name": "deploy", "create_group": False, "expiring": False}


def test_plan_counts_and_document() -> None:
    plan = Plan(
        items=(
            Item("group", "g", Action.CREATE),
            Item("user", "u", Action.UNCHANGED),
            Item("user", "v", Action.UPDATE, (Change("email", "a", "b"),)),
        ),
        not_in_file=("user old",),
    )
    assert plan.has_writes
    assert plan.counts() == {"create": 1, "update": 1, "unchanged": 1, "delete": 0, "conflict": 0}
    assert plan.of("user", Action.UPDATE) == [plan.items[2]]
    assert plan.to_dict() == {
        "items": [
            {"kind": "group", "name": "g", "action": "create"},
            {"kind": "user", "name": "u", "action": "unchanged"},
            {"kind": "user", "name": "v", "action": "update", "changes": [{"field": "email", "old": "a", "new": "b"}]},
        ],
        "counts": {"create": 1, "update": 1, "unchanged": 1, "delete": 0, "conflict": 0},
        "not_in_file": ["user old"],
    }
    assert not Plan(items=(Item("user", "u", Action.UNCHANGED),)).has_writes
