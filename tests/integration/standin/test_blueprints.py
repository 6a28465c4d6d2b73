"""The stand-in's blueprint instances and importer, case by case: states, tags, the instance context, the
one-transaction rule, and the instance API's validation (see NOTES.md, "Blueprints")."""

from __future__ import annotations

import textwrap
import time

import pytest

from tests.standin.harness import Standin
from tests.standin.pytest_plugin import standin_module  # noqa: F401


@pytest.fixture(scope="module")
def server(standin_module) -> Standin:  # noqa: ANN001
    s = standin_module(version="2026.5.6", worker_delay=0, env={"STANDIN_BP_TEST_VALUE": "from-env"})
    s.wait_worker()
    return s


def run(server: Standin, content: str, name: str, context: dict | None = None, before_apply=None) -> dict:  # noqa: ANN001
    status, body = server.api("POST", "/api/v3/managed/blueprints/", {"name": name, "content": textwrap.dedent(content), "context": context or {}})
    assert status == 201, body
    if before_apply:
        before_apply()
    status, queued = server.api("POST", f"/api/v3/managed/blueprints/{body['pk']}/apply/")
    assert status == 200 and queued["status"] == "unknown"
    for _ in range(200):
        status, current = server.api("GET", f"/api/v3/managed/blueprints/{body['pk']}/")
        if current["last_applied"] != queued["last_applied"]:
            return current
        time.sleep(0.05)
    raise AssertionError("never applied")


def group(server: Standin, name: str) -> dict | None:
    found = [g for g in server.api("GET", f"/api/v3/core/groups/?name={name}")[1]["results"] if g["name"] == name]
    return found[0] if found else None


def test_tags_context_and_states(server: Standin) -> None:
    done = run(server, """
        version: 1
        metadata: {name: tags}
        context: {suffix: from-blueprint, kept: from-blueprint}
        entries:
          - model: authentik_core.group
            id: g1
            identifiers: {name: !Context suffix}
            attrs: {attributes: {env: !Env STANDIN_BP_TEST_VALUE, unset: !Env [STANDIN_BP_UNSET, fallback], kept: !Context kept,
                                 missing: !Context [nope, !Env STANDIN_BP_TEST_VALUE],
                                 flow: !Find [authentik_flows.flow, [slug, default-authentication-flow]],
                                 none: !Find [authentik_flows.flow, [slug, no-such-flow]]}}
          - model: authentik_core.user
            identifiers: {username: bp-user}
            attrs: {name: BP User, groups: [!KeyOf g1]}
          - model: authentik_core.group
            state: created
            identifiers: {name: !Context suffix}
            attrs: {attributes: {overwritten: true}}
        """, "tags", context={"suffix": "from-instance"})
    assert done["status"] == "successful"
    assert done["managed_models"] == ["authentik_core.group", "authentik_core.user"]
    g = group(server, "from-instance")  # the instance's context wins over the blueprint's
    flow_pk = [f["pk"] for f in server.api("GET", "/api/v3/flows/instances/?slug=default-authentication-flow")[1]["results"]][0]
    assert g["attributes"] == {"env": "from-env", "unset": "fallback", "kept": "from-blueprint", "missing": "from-env", "flow": flow_pk, "none": None}
    assert [u["username"] for u in g["users_obj"]] == ["bp-user"]

    # must_created on an object made after the content was validated fails at the worker: nothing of it applied
    done = run(server, """
        version: 1
        entries:
          - {model: authentik_core.group, identifiers: {name: made-then-rolled-back}}
          - {model: authentik_core.user, identifiers: {username: late-user}, state: must_created, attrs: {name: x}}
        """, "states-bad", before_apply=lambda: server.api("POST", "/api/v3/core/users/", {"username": "late-user", "name": "Late"}))
    assert done["status"] == "error" and done["last_applied_hash"] == ""
    assert group(server, "made-then-rolled-back") is None
    # absent deletes
    done = run(server, "version: 1\nentries:\n  - {model: authentik_core.group, identifiers: {name: from-instance}, state: absent}\n", "states-ok")
    assert done["status"] == "successful" and group(server, "from-instance") is None


def test_dict_identifiers_match_as_contains(server: Standin) -> None:
    status, made = server.api("POST", "/api/v3/core/groups/", {"name": "marked", "attributes": {"m": True, "other": 1}})
    assert status == 201
    done = run(server, "version: 1\nentries:\n  - {model: authentik_core.group, identifiers: {name: marked, attributes: {m: true}}, attrs: {is_superuser: false}}\n", "contains")
    assert done["status"] == "successful"
    [again] = [g for g in server.api("GET", "/api/v3/core/groups/?name=marked")[1]["results"] if g["name"] == "marked"]
    assert again["pk"] == made["pk"] and again["attributes"] == {"m": True}  # found, then attributes replaced (partial update)


@pytest.mark.parametrize(("body", "errors"), [
    ({"content": "version: 1\n"}, {"name": ["This field is required."]}),
    ({"name": "x"}, {"non_field_errors": ["Either path or content must be set."]}),
    ({"name": "x", "path": "some/file.yaml"}, {"path": ["Blueprint file does not exist"]}),
    ({"name": "x", "content": "version: 1\nentries:\n  - {model: authentik_core.group, identifiers: {name: !KeyOf nowhere}}\n"},
     {"content": ["Failed to validate blueprint", "- Entry invalid: KeyOf: failed to find entry with `id` of `nowhere` and a model instance"]}),
    ({"name": "x", "content": "version: 1\nentries:\n  - {model: authentik_stages_dummy.dummystage, identifiers: {name: d}}\n"},
     {"content": ["Failed to validate blueprint", "- Entry invalid: stand-in: model 'authentik_stages_dummy.dummystage' is not supported"]}),
    ({"name": "x", "content": "version: 2\nentries: []\n"}, {"content": ["Failed to validate blueprint", "- Invalid blueprint version"]}),
])
def test_instance_validation(server: Standin, body: dict, errors: dict) -> None:
    status, answer = server.api("POST", "/api/v3/managed/blueprints/", body)
    assert (status, answer) == (400, errors)


def test_instances_list_filter_update_delete(server: Standin) -> None:
    status, made = server.api("POST", "/api/v3/managed/blueprints/", {"name": "crud", "content": "version: 1\nentries: []\n"})
    assert status == 201 and set(made) == {"pk", "name", "path", "context", "last_applied", "last_applied_hash", "status", "enabled", "managed_models", "metadata", "content"}
    status, dup = server.api("POST", "/api/v3/managed/blueprints/", {"name": "crud", "content": "version: 1\nentries: []\n"})
    assert (status, dup) == (400, {"name": ["blueprint instance with this name already exists."]})
    listed = server.api("GET", "/api/v3/managed/blueprints/?name=crud")[1]["results"]
    assert [b["pk"] for b in listed] == [made["pk"]]
    status, patched = server.api("PATCH", f"/api/v3/managed/blueprints/{made['pk']}/", {"content": "version: 1\nentries: []\n# v2\n"})
    assert status == 200 and patched["content"].endswith("# v2\n") and patched["last_applied"] >= made["last_applied"]
    assert server.api("DELETE", f"/api/v3/managed/blueprints/{made['pk']}/")[0] == 204
    assert server.api("GET", f"/api/v3/managed/blueprints/{made['pk']}/")[0] == 404
