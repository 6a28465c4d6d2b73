"""`authlab apply` through the CLI against the stand-in Authentik: create, idempotency (counted requests),
dry run, update, prune, conflicts, and a malformed file that must not cause a single request."""

from __future__ import annotations

import json
import stat

from tests.integration.labfile_support import LAB_FILE, Env, env, invoke, invoke_json  # noqa: F401
from tests.standin.pytest_plugin import standin  # noqa: F401

FIRST_WRITES = [
    ("POST", "/api/v3/core/groups/"),
    ("POST", "/api/v3/core/users/"),
    ("POST", "/api/v3/core/users/{alice}/set_password/"),
    ("PATCH", "/api/v3/core/users/{alice}/"),  # the password fingerprint, only once the password is set
    ("POST", "/api/v3/core/users/"),
    ("POST", "/api/v3/core/users/{bob}/set_password/"),
    ("PATCH", "/api/v3/core/users/{bob}/"),
    ("POST", "/api/v3/core/users/service_account/"),
    ("PATCH", "/api/v3/core/users/{bot}/"),
    ("POST", "/api/v3/providers/oauth2/"),
    ("POST", "/api/v3/core/applications/"),
    ("PATCH", "/api/v3/core/applications/web/"),
    ("POST", "/api/v3/providers/oauth2/"),
    ("POST", "/api/v3/core/applications/"),
    ("PATCH", "/api/v3/core/applications/api/"),
]


def _client_id(env: Env, name: str) -> str:
    return [p["client_id"] for p in env.api("GET", "/api/v3/providers/oauth2/")["results"] if p["name"] == name][0]


def _user(env: Env, username: str) -> dict:
    [user] = [u for u in env.api("GET", f"/api/v3/core/users/?username={username}")["results"] if u["username"] == username]
    return user


def test_first_apply_creates_everything_and_a_second_apply_is_unchanged_without_writes(env: Env) -> None:
    env.write(LAB_FILE)
    env.server.clear_requests()
    code, doc = invoke_json("apply")
    assert code == 0, doc
    data = doc["data"]
    assert [(i["kind"], i["name"], i["action"]) for i in data["items"]] == [
        ("group", "testers", "create"),
        ("user", "alice", "create"),
        ("user", "bob", "create"),
        ("service_account", "ci-bot", "create"),
        ("provider", "web", "create"),
        ("provider", "api", "create"),
    ]
    ids = {name: _user(env, name)["pk"] for name in ("alice", "bob", "ci-bot")}
    expected = [(m, p.format(alice=ids["alice"], bob=ids["bob"], bot=ids["ci-bot"])) for m, p in FIRST_WRITES]
    assert env.writes() == expected
    assert data["writes"] == len(expected)
    assert [(p["name"], p["slug"], p["redirect_uris"]) for p in data["providers"]] == [
        ("web", "web", ["http://localhost:3000/api/auth/callback/authentik"]),
        ("api", "api", ["http://localhost:8080/cb"]),
    ]
    assert data["providers"][0]["issuer"] == f"{env.server.url}/application/o/web/"
    assert "client_secret" not in json.dumps(doc)

    # what landed on the server carries authlab's markers
    alice = _user(env, "alice")
    assert alice["attributes"]["authlab.managed"] is True
    assert alice["attributes"]["authlab.password"].startswith("pbkdf2_sha256$")
    assert [g["name"] for g in alice["groups_obj"]] == ["testers"]
    assert (alice["name"], alice["email"], alice["type"]) == ("Alice Example", "alice@example.com", "internal")
    assert _user(env, "ci-bot")["type"] == "service_account"
    assert env.api("GET", "/api/v3/core/applications/web/")["meta_publisher"] == "authlab"

    # the generated password is kept for the next run, readable only by the owner
    store = env.dir / ".authlab" / "test-users.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert set(json.loads(store.read_text())["passwords"]) == {"alice"}

    env.server.clear_requests()
    code, doc = invoke_json("apply")
    assert code == 0
    assert {i["action"] for i in doc["data"]["items"]} == {"unchanged"}
    assert doc["data"]["counts"] == {"create": 0, "update": 0, "unchanged": 6, "delete": 0, "conflict": 0}
    assert doc["data"]["writes"] == 0
    assert env.writes() == []


def test_second_apply_human_output(env: Env) -> None:
    env.write(LAB_FILE)
    assert invoke("apply").exit_code == 0
    result = invoke("apply")
    assert result.exit_code == 0
    assert result.stdout == (
        f"applied: authlab.yaml -> {env.server.url}\n"
        "  = group testers: unchanged\n"
        "  = user alice: unchanged\n"
        "  = user bob: unchanged\n"
        "  = service account ci-bot: unchanged\n"
        "  = provider web: unchanged\n"
        "  = provider api: unchanged\n"
        "6 unchanged (0 writes)\n"
        f"provider web: client id {_client_id(env, 'web')}, issuer {env.server.url}/application/o/web/\n"
        f"provider api: client id {_client_id(env, 'api')}, issuer {env.server.url}/application/o/api/\n"
    )
    assert result.stderr == f"generated passwords are kept in {env.dir}/.authlab/test-users.json (mode 0600)\n"


def test_dry_run_prints_the_plan_and_writes_nothing(env: Env) -> None:
    env.write(LAB_FILE)
    env.server.clear_requests()
    result = invoke("apply", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        f"plan (dry run, nothing changed): authlab.yaml -> {env.server.url}\n"
        "  + group testers: create\n"
        "  + user alice: create\n"
        "  + user bob: create\n"
        "  + service account ci-bot: create\n"
        "  + provider web: create\n"
        "  + provider api: create\n"
        "6 create\n"
    )
    assert env.writes() == []
    assert not (env.dir / ".authlab" / "test-users.json").exists()


def test_malformed_file_is_reported_with_location_and_no_request_is_made(env: Env) -> None:
    env.write(
        """
        providers:
          - name: web
            redirect_uris:
              - http://localhost:3000/cb
              - 42
            colour: blue
        """
    )
    env.server.clear_requests()
    result = invoke("apply")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error: authlab.yaml:5:9: providers[0].redirect_uris[1]: expected a string, got a number (42) (and 1 more problem)\n"
        "  │ authlab.yaml:6:5: providers[0].colour: unknown key; allowed: name, preset, app_url, redirect_uris, regex, "
        "offline_access, client_type, consent, sub_mode, client_id, slug, adopt, env_names, app_dir, verified_email\n"
        "hint: fix the lab file; nothing was changed on the server\n"
    )
    assert env.server.requests() == []


def test_malformed_file_json_error_lists_every_problem(env: Env) -> None:
    env.write("users:\n  - username: a\n    password: hunter2\n")
    code, doc = invoke_json("apply")
    assert code == 2
    assert doc["ok"] is False
    assert doc["error"]["problems"] == [
        {"location": "authlab.yaml:3:15", "path": "users[0].password",
         "message": "only 'generate' is allowed here; put a fixed password in an environment variable and use password_env"}
    ]


def test_unset_password_variable_stops_before_any_request(env: Env, monkeypatch) -> None:
    monkeypatch.delenv("BOB_PASSWORD")
    env.write(LAB_FILE)
    env.server.clear_requests()
    result = invoke("apply")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: authlab.yaml:18:19: users[1].password_env (bob): BOB_PASSWORD is not set or empty\n"
        "hint: export the variable (in CI: from a secret) or use `password: generate`; nothing was changed on the server\n"
    )
    assert env.server.requests() == []


def test_unmanaged_user_and_unknown_group_are_refused_before_any_write(env: Env) -> None:
    env.write(
        """
        users:
          - username: akadmin
            password: generate
          - username: carol
            groups: [typo-group]
        """
    )
    env.server.clear_requests()
    code, doc = invoke_json("apply")
    assert code == 4
    assert doc["error"]["type"] == "ApplyError"
    assert doc["error"]["message"] == (
        "authlab.yaml:2:15: user akadmin: a user named 'akadmin' already exists and authlab does not manage it (no `authlab.managed: true` "
        "attribute); rename it in the lab file, delete it, or add the attribute to let authlab manage it (and 1 more)"
    )
    assert doc["error"]["hint"] == "nothing was changed on the server; fix authlab.yaml or the named objects, then run `authlab apply`"
    # found only against the server, the unknown group still points at its line in the file (QA3 L7)
    result = invoke("apply")
    assert result.exit_code == 4
    assert result.stderr.splitlines()[1] == (
        "  │ authlab.yaml:5:14: users[1].groups[0]: user 'carol' names group 'typo-group', which is neither in the "
        "file's groups nor on the server"
    )
    assert env.writes() == []


def test_a_failing_other_file_is_named_once_in_the_hint_with_its_dash_f(env: Env) -> None:
    env.write("users:\n  - username: carol\n    groups: [nosuchgroup]\n", name="b2.yaml")
    env.server.clear_requests()
    for args in (["apply", "-f", "b2.yaml"], ["apply", "-f", "b2.yaml", "--dry-run"]):
        result = invoke(*args)
        assert result.exit_code == 4, result.stdout
        assert result.stderr.splitlines() == [
            "error: b2.yaml:3:14: users[0].groups[0]: user 'carol' names group 'nosuchgroup', which is neither in the file's "
            "groups nor on the server",
            "hint: nothing was changed on the server; fix b2.yaml or the named objects, then run `authlab apply -f b2.yaml`",
        ]
    assert env.writes() == []


def test_changes_are_updates_and_prune_deletes_only_what_authlab_manages(env: Env, monkeypatch) -> None:
    env.write(LAB_FILE)
    assert invoke("apply").exit_code == 0
    # something made by hand must survive --prune
    env.api("POST", "/api/v3/core/groups/", {"name": "handmade"})

    monkeypatch.setenv("BOB_PASSWORD", "bob-New-456")
    env.write(
        """
        providers:
          - name: web
            preset: nextauth
            app_url: http://localhost:3000
        users:
          - username: alice
            email: alice@new.example.com
            name: Alice Example
          - username: bob
            password_env: BOB_PASSWORD
        """
    )
    code, doc = invoke_json("apply")
    assert code == 0, doc
    items = {(i["kind"], i["name"]): i for i in doc["data"]["items"]}
    assert items[("user", "alice")]["changes"] == [
        {"field": "email", "old": "alice@example.com", "new": "alice@new.example.com"},
        {"field": "groups", "old": ["testers"], "new": []},
    ]
    assert items[("user", "bob")]["changes"] == [{"field": "password", "old": "(hidden)", "new": "(hidden, changed)"}]
    assert doc["data"]["not_in_file"] == ["group testers", "user ci-bot", "provider api"]
    assert "bob-New-456" not in json.dumps(doc)

    provider_pk = [p["pk"] for p in env.api("GET", "/api/v3/providers/oauth2/")["results"] if p["name"] == "api"][0]
    group_pk = [g["pk"] for g in env.api("GET", "/api/v3/core/groups/")["results"] if g["name"] == "testers"][0]
    bot_pk = _user(env, "ci-bot")["pk"]
    env.server.clear_requests()
    code, doc = invoke_json("apply", "--prune", "--yes")
    assert code == 0, doc
    assert [(i["kind"], i["name"], i["action"]) for i in doc["data"]["items"] if i["action"] != "unchanged"] == [
        ("group", "testers", "delete"),
        ("service_account", "ci-bot", "delete"),
        ("provider", "api", "delete"),
    ]
    # deletes run in reverse order of creation: providers, service accounts, users, groups
    assert env.writes() == [
        ("DELETE", "/api/v3/core/applications/api/"),
        ("DELETE", f"/api/v3/providers/oauth2/{provider_pk}/"),
        ("DELETE", f"/api/v3/core/users/{bot_pk}/"),
        ("DELETE", f"/api/v3/core/groups/{group_pk}/"),
    ]
    assert doc["data"]["writes"] == 4
    groups = [g["name"] for g in env.api("GET", "/api/v3/core/groups/")["results"]]
    assert "handmade" in groups and "testers" not in groups
    assert "akadmin" in [u["username"] for u in env.api("GET", "/api/v3/core/users/")["results"]]
    env.server.clear_requests()
    code, doc = invoke_json("apply", "--prune")
    assert (code, doc["data"]["writes"], env.writes()) == (0, 0, [])



def test_release_mismatch_is_noted(env: Env) -> None:
    env.write('version: "2025.10.1"\ngroups:\n  - name: testers\n')
    code, doc = invoke_json("apply")
    assert code == 0
    assert doc["data"]["notes"] == ["authlab.yaml names Authentik 2025.10.1 but the server runs 2026.5.6"]


# --- providers authlab did not create (QA finding 2) -------------------------------------------------

GRAFANA_FILE = """
    providers:
      - name: p-grafana
        preset: grafana
        app_url: http://localhost:3333
    """


def _app(env: Env, slug: str) -> dict:
    return env.api("GET", f"/api/v3/core/applications/{slug}/")


def test_an_unmarked_provider_with_the_same_name_is_a_conflict_and_nothing_is_written(env: Env) -> None:
    assert invoke("provider", "create", "p-grafana", "--preset", "grafana").exit_code == 0
    before = env.api("GET", "/api/v3/providers/oauth2/")["results"]
    env.write(GRAFANA_FILE)
    env.server.clear_requests()
    for args in (["apply"], ["apply", "--dry-run"]):
        result = invoke(*args)
        assert result.exit_code == 4, result.stdout
        assert result.stderr.splitlines() == [
            "error: authlab.yaml:2:11: provider p-grafana: application 'p-grafana' already exists and authlab does not manage it "
            "(no `meta_publisher: authlab` on its application), so apply will not take it over; rename the provider in "
            "authlab.yaml, delete the existing one (`authlab provider delete p-grafana`), or add `adopt: true` to this "
            "provider in authlab.yaml to let authlab update and mark it",
            "hint: nothing was changed on the server; fix authlab.yaml or the named objects, then run `authlab apply`",
        ]
    assert env.writes() == []
    assert env.api("GET", "/api/v3/providers/oauth2/")["results"] == before
    assert _app(env, "p-grafana").get("meta_publisher") != "authlab"


def test_an_unmarked_provider_without_an_application_is_a_conflict_too(env: Env) -> None:
    assert invoke("provider", "create", "p-grafana", "--preset", "grafana").exit_code == 0
    env.api("DELETE", "/api/v3/core/applications/p-grafana/")  # the provider is left without an application
    env.write(GRAFANA_FILE)
    env.server.clear_requests()
    code, doc = invoke_json("apply")
    assert code == 4
    assert doc["error"]["message"].startswith("authlab.yaml:2:11: provider p-grafana: OAuth2 provider 'p-grafana' already exists and authlab does not manage it")
    assert env.writes() == []


def test_adopt_true_takes_the_provider_over_and_marks_it(env: Env) -> None:
    assert invoke("provider", "create", "p-grafana", "--preset", "grafana").exit_code == 0
    env.write(GRAFANA_FILE.replace("app_url: http://localhost:3333", "app_url: http://localhost:3333\n        adopt: true"))
    result = invoke("apply")
    assert result.exit_code == 0, result.stderr
    assert "  ~ provider p-grafana: update\n" in result.stdout
    # whole values, no truncated Python repr
    assert (
        "      provider.redirect_uris: [http://localhost:3000/login/generic_oauth (strict)] -> "
        "[http://localhost:3333/login/generic_oauth (strict)]\n" in result.stdout
    )
    assert "      application.meta_publisher: (none) -> authlab\n" in result.stdout
    assert _app(env, "p-grafana")["meta_publisher"] == "authlab"
    env.server.clear_requests()
    code, doc = invoke_json("apply")
    assert code == 0 and doc["data"]["counts"]["unchanged"] == 1 and env.writes() == []


def test_prune_never_deletes_an_unmarked_provider(env: Env) -> None:
    assert invoke("provider", "create", "handmade", "--preset", "generic").exit_code == 0
    env.write(LAB_FILE)
    assert invoke("apply").exit_code == 0
    env.write("groups: [{name: testers}]\n")
    code, doc = invoke_json("apply", "--prune", "--yes")
    assert code == 0, doc
    deleted = [(i["kind"], i["name"]) for i in doc["data"]["items"] if i["action"] == "delete"]
    assert ("provider", "web") in deleted and ("provider", "api") in deleted
    assert ("provider", "handmade") not in deleted
    names = [p["name"] for p in env.api("GET", "/api/v3/providers/oauth2/")["results"]]
    assert "handmade" in names and "web" not in names
    assert _app(env, "handmade")["slug"] == "handmade"


def test_a_client_id_change_is_called_out_with_the_env_files_holding_the_old_one(env: Env) -> None:
    env.write(LAB_FILE)
    assert invoke("apply").exit_code == 0
    old = _client_id(env, "web")
    (env.dir / ".env.local").write_text(f"AUTHENTIK_ID={old}\n")
    (env.dir / ".env.other").write_text("AUTHENTIK_ID=something-else\n")
    env.write(LAB_FILE.replace("app_url: http://localhost:3000\n", "app_url: http://localhost:3000\n        client_id: web-local\n", 1))
    result = invoke("apply")
    assert result.exit_code == 0, result.stderr
    assert f"      provider.client_id: {old} -> web-local\n" in result.stdout
    assert (
        f"warning: the client id of web changes from {old} to web-local: every app env file with the old id stops working "
        "(.env.local holds it); rewrite them with `authlab provider show web` or `provider create ... --env-out FILE`"
    ) in result.stderr.splitlines()
    code, doc = invoke_json("apply", "--dry-run")
    assert code == 0 and all(not i.get("reason") for i in doc["data"]["items"])  # unchanged now: no warning


def test_apply_says_how_it_normalised_the_url(env: Env) -> None:
    env.write("groups: [{name: testers}]\n")
    result = invoke("apply", "--url", env.server.url + "/api/v3/")
    assert result.exit_code == 0, result.stderr
    assert "note: removed the /api/v3 suffix (authlab adds API paths itself)" in result.stderr.splitlines()
    assert result.stdout.startswith(f"applied: authlab.yaml -> {env.server.url}\n")


def test_prune_deletes_only_after_confirmation_and_refuses_without_a_terminal(env: Env, monkeypatch) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from authentik_lab.app import App
    from authentik_lab.cli.main import cli

    env.write("groups: [{name: testers}, {name: old}]\n")
    assert invoke("apply").exit_code == 0
    env.write("groups: [{name: testers}]\n")
    env.server.clear_requests()

    # no terminal, no --yes: the plan is shown, then exit 2 with nothing sent
    result = invoke("apply", "--prune")
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[:2] == [f"--prune would delete 1 object on {env.server.url}:", "  - group old: delete"]
    assert "needs confirmation" in result.stderr and "--yes" in result.stderr
    assert env.writes() == []
    code, doc = invoke_json("apply", "--prune")
    assert (code, doc["error"]["type"]) == (2, "UsageError") and env.writes() == []

    # a person at a terminal who answers no: exit 1, nothing deleted; yes: deleted
    monkeypatch.setattr(App, "interactive", property(lambda self: True))
    declined = CliRunner().invoke(cli, ["apply", "--prune"], input="n\n")
    assert declined.exit_code == 1 and env.writes() == []
    assert "Delete group old on" in declined.output
    accepted = CliRunner().invoke(cli, ["apply", "--prune"], input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert [m for m, _ in env.writes()] == ["DELETE"]
    assert [g["name"] for g in env.api("GET", "/api/v3/core/groups/")["results"] if g["name"] in ("old", "testers")] == ["testers"]
