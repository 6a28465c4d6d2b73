"""`authlab apply --blueprint` against the stand-in: the same plan and summary as `apply`, the writes sent as one
blueprint instance applied by the worker (plus one set_password per password), the same objects as `apply`
makes, a second run is all unchanged without a write, and a worker-side failure is reported."""

from __future__ import annotations

from tests.integration.labfile_support import LAB_FILE, Env, env, invoke, invoke_json  # noqa: F401
from tests.integration.test_export_roundtrip import ROUNDTRIP_FILE, pks, snapshot
from tests.standin.pytest_plugin import standin  # noqa: F401


def test_blueprint_apply_makes_what_apply_makes_with_the_same_summary(env: Env, standin) -> None:
    env.write(ROUNDTRIP_FILE)
    env.server.clear_requests()
    code, doc = invoke_json("apply", "--blueprint")
    assert code == 0, doc
    data = doc["data"]
    assert [(i["kind"], i["name"], i["action"]) for i in data["items"]] == [
        ("group", "testers", "create"), ("user", "alice", "create"), ("user", "bob", "create"),
        ("service_account", "ci-bot", "create"), ("provider", "web", "create"), ("provider", "api", "create"),
    ]
    assert data["blueprint"]["name"] == "authlab authlab.yaml" and data["blueprint"]["status"] == "successful"
    ids = {u["username"]: u["pk"] for u in env.api("GET", "/api/v3/core/users/")["results"]}
    bp = data["blueprint"]["pk"]
    assert env.writes() == [
        ("POST", "/api/v3/managed/blueprints/"),
        ("POST", f"/api/v3/managed/blueprints/{bp}/apply/"),
        ("POST", f"/api/v3/core/users/{ids['alice']}/set_password/"),
        ("POST", f"/api/v3/core/users/{ids['bob']}/set_password/"),
    ]
    assert data["writes"] == 4
    assert data["providers"][0]["client_id"] == "web-local"
    assert data["providers"][0]["issuer"] == f"{env.server.url}/application/o/web/"
    # the stored blueprint holds no password
    stored = env.api("GET", f"/api/v3/managed/blueprints/{bp}/")["content"]
    assert "bob-Secret-123" not in stored and "!Env" not in stored
    from authentik_lab.core.export.blueprint_yaml import load

    assert all("password" not in e["attrs"] for e in load(stored)["entries"])

    # the same objects as `apply` on a fresh server
    other = standin(version="2026.5.6", worker_delay=0)
    other.wait_worker()
    made_by_blueprint = snapshot(env.server)
    import os

    os.environ["AUTHENTIK_URL"], saved = other.url, os.environ["AUTHENTIK_URL"]
    os.environ["AUTHENTIK_TOKEN"], saved_token = other.bootstrap_token, os.environ["AUTHENTIK_TOKEN"]
    try:
        assert invoke("apply").exit_code == 0
    finally:
        os.environ["AUTHENTIK_URL"], os.environ["AUTHENTIK_TOKEN"] = saved, saved_token
    assert snapshot(other) == made_by_blueprint

    # both passwords work (generated for alice, from BOB_PASSWORD for bob)
    for user in ("alice", "bob"):
        result = invoke("login-test", "--provider", "web", "--user", user)
        assert result.exit_code == 0, result.stdout + result.stderr

    # a second run: everything unchanged, nothing sent
    before = pks(env.server)
    env.server.clear_requests()
    code, doc = invoke_json("apply", "--blueprint")
    assert code == 0
    assert doc["data"]["counts"]["unchanged"] == 6 and doc["data"]["writes"] == 0 and "blueprint" not in doc["data"]
    assert env.writes() == [] and pks(env.server) == before
    # and plain apply agrees that nothing differs
    code, doc = invoke_json("apply", "--dry-run")
    assert {i["action"] for i in doc["data"]["items"]} == {"unchanged"}


def test_an_update_goes_through_the_same_instance(env: Env) -> None:
    env.write(ROUNDTRIP_FILE)
    assert invoke("apply", "--blueprint").exit_code == 0
    [instance] = env.api("GET", "/api/v3/managed/blueprints/")["results"]
    env.write(ROUNDTRIP_FILE.replace("name: Alice Example", "name: Alice Changed"))
    env.server.clear_requests()
    result = invoke("apply", "--blueprint")
    assert result.exit_code == 0, result.stderr
    assert "  ~ user alice: update\n      name: Alice Example -> Alice Changed\n" in result.stdout
    assert "blueprint authlab authlab.yaml applied by Authentik's worker (status successful)" in result.stderr
    assert env.writes() == [("PATCH", f"/api/v3/managed/blueprints/{instance['pk']}/"), ("POST", f"/api/v3/managed/blueprints/{instance['pk']}/apply/")]
    assert [u["name"] for u in env.api("GET", "/api/v3/core/users/?username=alice")["results"]] == ["Alice Changed"]


def test_a_blueprint_the_server_rejects_is_reported_and_changes_nothing(env: Env, monkeypatch) -> None:
    from authentik_lab.services import apply_blueprint

    env.write(ROUNDTRIP_FILE)
    before = snapshot(env.server)
    real_send = apply_blueprint.send

    def flow_gone_after_the_plan(*args, **kw):
        # between the plan and the write the invalidation flow disappears: !Find gives null, which the provider
        # serializer refuses, so the server's validation of the content fails and the import never starts
        env.server.fault(delete_flow="default-provider-invalidation-flow")
        return real_send(*args, **kw)

    monkeypatch.setattr(apply_blueprint, "send", flow_gone_after_the_plan)
    result = invoke("apply", "--blueprint")
    assert result.exit_code == 4
    lines = result.stderr.splitlines()
    assert lines[0] == "error: apply failed: POST /api/v3/managed/blueprints/: Authentik rejected the request"
    assert lines[1] == "  │ content: Failed to validate blueprint"
    assert "invalidation_flow" in lines[2] and "This field may not be null." in lines[2]
    assert snapshot(env.server) == before
    assert env.api("GET", "/api/v3/managed/blueprints/")["results"] == []


def test_waiting_for_the_worker_reports_an_error_status_and_a_timeout() -> None:
    import pytest

    from authentik_lab.errors import ApplyError

    class Api:
        def __init__(self, answers):
            self.answers = answers

        def get(self, path):
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    t = [0.0]
    clock, sleep = (lambda: t[0]), (lambda s: t.__setitem__(0, t[0] + s))
    queued = {"last_applied": "t0", "status": "successful"}
    api = Api([queued, queued, {"last_applied": "t1", "status": "successful"}])
    assert apply_blueprint_wait(api, clock, sleep)["last_applied"] == "t1"
    with pytest.raises(ApplyError, match=r"could not apply blueprint 'b' \(status error\)"):
        apply_blueprint_wait(Api([queued, {"last_applied": "t1", "status": "error"}]), clock, sleep)
    with pytest.raises(ApplyError, match=r"queued but not applied within 60s \(status successful, last applied t0\)"):
        apply_blueprint_wait(Api([queued]), clock, sleep)


def apply_blueprint_wait(api, clock, sleep):
    from authentik_lab.services.apply_blueprint import _wait

    return _wait(api, "pk", "t0", "b", 60.0, sleep, clock)


def test_dry_run_sends_nothing_and_prune_deletes_through_the_api(env: Env) -> None:
    env.write(ROUNDTRIP_FILE)
    env.server.clear_requests()
    code, doc = invoke_json("apply", "--blueprint", "--dry-run")
    assert code == 0 and doc["data"]["counts"]["create"] == 6 and "blueprint" not in doc["data"]
    assert env.writes() == []
    assert invoke("apply", "--blueprint").exit_code == 0
    # the file drops the service account and the api provider
    env.write(ROUNDTRIP_FILE.replace("    service_accounts:\n      - name: ci-bot\n", "").split("      - name: api")[0]
              + ROUNDTRIP_FILE.split("        offline_access: false\n")[1].replace("    service_accounts:\n      - name: ci-bot\n", ""))
    env.server.clear_requests()
    code, doc = invoke_json("apply", "--blueprint", "--prune", "--yes")  # deletions need confirmation (issue 14)
    assert code == 0, doc
    changed = [(i["kind"], i["name"], i["action"]) for i in doc["data"]["items"] if i["action"] != "unchanged"]
    assert changed == [("service_account", "ci-bot", "delete"), ("provider", "api", "delete")]
    deletes = [w for w in env.writes() if w[0] == "DELETE"]
    assert len(deletes) == len(env.writes()) == 3  # application, provider, user: no blueprint needed
    assert "blueprint" not in doc["data"]
    assert [p["name"] for p in env.api("GET", "/api/v3/providers/oauth2/")["results"]] == ["web"]
