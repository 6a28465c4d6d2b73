"""The exported blueprint imported by the stand-in (as the real server imports it: instance with inline content,
then apply) gives, field by field, the objects `authlab apply` makes; login-test then passes; importing it again,
or where `apply` already ran, changes nothing; an unmarked object of the same name makes the import fail whole."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.integration.labfile_support import LAB_FILE, Env, env, invoke  # noqa: F401
from tests.standin.harness import Standin
from tests.standin.pytest_plugin import standin  # noqa: F401

BOB_PASSWORD = "bob-Secret-123"
# the lab file of the other lab-file tests, with a fixed client id on top
ROUNDTRIP_FILE = LAB_FILE.replace("        app_url: http://localhost:3000\n", "        app_url: http://localhost:3000\n        client_id: web-local\n")


def _list(server: Standin, path: str) -> list[dict]:
    status, body = server.api("GET", path + ("&" if "?" in path else "?") + "page_size=1000")
    assert status == 200, body
    return body["results"]  # type: ignore[index]


def snapshot(server: Standin) -> dict[str, Any]:
    """Every object authlab manages, references replaced by natural keys (flow slug, mapping key, names)."""
    flows = {f["pk"]: f["slug"] for f in _list(server, "/api/v3/flows/instances/")}
    mappings = {m["pk"]: m["managed"] for m in _list(server, "/api/v3/propertymappings/provider/scope/")}
    certs = {c["pk"]: c["name"] for c in _list(server, "/api/v3/crypto/certificatekeypairs/")}
    users = [u for u in _list(server, "/api/v3/core/users/") if u["username"] != "akadmin"]
    groups = [g for g in _list(server, "/api/v3/core/groups/") if g["name"] != "authentik Admins"]
    providers = _list(server, "/api/v3/providers/oauth2/")
    names = {p["pk"]: p["name"] for p in providers}
    return {
        "groups": {g["name"]: {"is_superuser": g["is_superuser"], "attributes": g["attributes"],
                               "members": sorted(u["username"] for u in g["users_obj"])} for g in groups},
        "users": {u["username"]: {
            "name": u["name"], "email": u["email"], "is_active": u["is_active"], "path": u["path"], "type": u["type"],
            "groups": sorted(g["name"] for g in u["groups_obj"]),
            # the password fingerprint is apply's own bookkeeping (salted per apply): not part of the object
            "attributes": {k: v for k, v in u["attributes"].items() if k != "authlab.password"},
        } for u in users},
        "tokens": {t["identifier"]: {"intent": t["intent"], "user": t["user_obj"]["username"], "expiring": t["expiring"]}
                   for t in _list(server, "/api/v3/core/tokens/?intent=app_password")},
        "providers": {p["name"]: {
            "authorization_flow": flows[p["authorization_flow"]], "invalidation_flow": flows[p["invalidation_flow"]],
            "client_type": p["client_type"], "redirect_uris": p["redirect_uris"], "signing_key": certs[p["signing_key"]],
            "property_mappings": sorted(mappings[m] for m in p["property_mappings"]), "sub_mode": p["sub_mode"],
            "issuer_mode": p["issuer_mode"], "access_code_validity": p["access_code_validity"],
            "access_token_validity": p["access_token_validity"], "refresh_token_validity": p["refresh_token_validity"],
            "include_claims_in_id_token": p["include_claims_in_id_token"], "encryption_key": p["encryption_key"],
            "logout_method": p["logout_method"], "logout_uri": p["logout_uri"],
            # generated on each server: compared by shape, the fixed one by value
            "client_id": p["client_id"] if p["client_id"] == "web-local" else len(p["client_id"]),
            "client_secret": len(p["client_secret"]),
        } for p in providers},
        "applications": {a["slug"]: {
            "name": a["name"], "provider": names[a["provider"]], "meta_launch_url": a["meta_launch_url"],
            "meta_publisher": a["meta_publisher"], "policy_engine_mode": a["policy_engine_mode"],
            "open_in_new_tab": a["open_in_new_tab"], "group": a["group"], "meta_description": a["meta_description"],
        } for a in _list(server, "/api/v3/core/applications/?superuser_full_list=true")},
    }


def pks(server: Standin) -> dict[str, list]:
    return {path: sorted(str(o["pk"]) for o in _list(server, path)) for path in (
        "/api/v3/core/users/", "/api/v3/core/groups/", "/api/v3/providers/oauth2/", "/api/v3/core/tokens/")}


def import_blueprint(server: Standin, content: str, name: str = "authlab") -> dict:
    """What `apply --blueprint` does by hand: create (or update) the instance, apply, wait for the worker."""
    existing = [b for b in _list(server, f"/api/v3/managed/blueprints/?name={name}") if b["name"] == name]
    if existing:
        status, instance = server.api("PATCH", f"/api/v3/managed/blueprints/{existing[0]['pk']}/", {"content": content})
    else:
        status, instance = server.api("POST", "/api/v3/managed/blueprints/", {"name": name, "content": content})
    assert status in (200, 201), instance
    before = instance["last_applied"]  # type: ignore[index]
    status, queued = server.api("POST", f"/api/v3/managed/blueprints/{instance['pk']}/apply/")  # type: ignore[index]
    assert status == 200 and queued["last_applied"] == before  # queued for the worker, not applied yet
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        status, current = server.api("GET", f"/api/v3/managed/blueprints/{instance['pk']}/")  # type: ignore[index]
        if current["last_applied"] != before:  # type: ignore[index]
            return current  # type: ignore[return-value]
        time.sleep(0.05)
    raise AssertionError("the blueprint was never applied")


@pytest.fixture
def exported(env: Env) -> str:
    env.write(ROUNDTRIP_FILE)
    result = invoke("export", "blueprint")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_blueprint_objects_equal_apply_objects_and_login_test_passes(env: Env, exported: str, standin, monkeypatch) -> None:
    assert invoke("apply").exit_code == 0
    made_by_apply = snapshot(env.server)

    other = standin(version="2026.5.6", worker_delay=0, env={"BOB_PASSWORD": BOB_PASSWORD})
    other.wait_worker()
    done = import_blueprint(other, exported)
    assert done["status"] == "successful"
    assert done["metadata"] == {"name": "authlab", "labels": {}}
    made_by_blueprint = snapshot(other)
    for kind in made_by_apply:
        assert made_by_blueprint[kind] == made_by_apply[kind], kind
    assert made_by_blueprint == made_by_apply

    # the blueprint's objects log in: bob's password came from the server's environment through !Env
    monkeypatch.setenv("AUTHENTIK_URL", other.url)
    monkeypatch.setenv("AUTHENTIK_TOKEN", other.bootstrap_token)
    result = invoke("login-test", "--provider", "web", "--user", "bob")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == f"login-test passed: bob logged in with provider web ({other.url}/application/o/web/)"

    # importing it again changes nothing, not even an id
    ids = pks(other)
    assert import_blueprint(other, exported)["status"] == "successful"
    assert (snapshot(other), pks(other)) == (made_by_blueprint, ids)


def test_blueprint_where_apply_ran_finds_the_same_objects(env: Env, exported: str) -> None:
    assert invoke("apply").exit_code == 0
    before, ids = snapshot(env.server), pks(env.server)
    assert import_blueprint(env.server, exported)["status"] == "successful"
    assert (snapshot(env.server), pks(env.server)) == (before, ids)
    # and apply afterwards: everything it manages is unchanged except the password bookkeeping of its users
    from tests.integration.labfile_support import invoke_json

    code, doc = invoke_json("apply", "--dry-run")
    assert code == 0
    assert [(i["kind"], i["name"], i["action"], [c["field"] for c in i.get("changes", [])]) for i in doc["data"]["items"]] == [
        ("group", "testers", "unchanged", []),
        ("user", "alice", "update", ["password"]),
        ("user", "bob", "update", ["password"]),
        ("service_account", "ci-bot", "unchanged", []),
        ("provider", "web", "unchanged", []),
        ("provider", "api", "unchanged", []),
    ]


def test_an_unmarked_object_of_the_same_name_fails_the_whole_import(env: Env, exported: str) -> None:
    env.api("POST", "/api/v3/core/groups/", {"name": "testers"})  # made by hand: no authlab.managed
    before, ids = snapshot(env.server), pks(env.server)
    status, body = env.server.api("POST", "/api/v3/managed/blueprints/", {"name": "authlab", "content": exported})
    assert status == 400
    assert body["content"][0] == "Failed to validate blueprint"  # type: ignore[index]
    assert "Group with this name already exists." in body["content"][1]  # type: ignore[index]
    assert (snapshot(env.server), pks(env.server)) == (before, ids)
    assert _list(env.server, "/api/v3/managed/blueprints/") == []
