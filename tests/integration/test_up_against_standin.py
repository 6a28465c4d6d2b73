"""`up`'s readiness service against a real stand-in server process (HTTP over a real socket, no containers)."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest

from authentik_lab.adapters.authentik_api import AuthentikApi
from authentik_lab.core.readiness import Stage
from authentik_lab.errors import NotReadyError, WaitTimeout
from authentik_lab.services.wait import wait_ready
from tests.standin.harness import Standin, run_standin


def _api(s: Standin, token: str | None = None) -> AuthentikApi:
    return AuthentikApi(s.url, token or s.bootstrap_token, retries=0, timeout=5.0)


def parse_qs(query: str) -> tuple[tuple[str, str], ...]:
    from urllib.parse import parse_qsl

    return tuple(parse_qsl(query))


def _step_applied_at(s, step: str = "scope_mappings") -> float | None:
    """When the stand-in's worker applied a step of its first pass; the last one authlab waits for is the
    scope mappings (the remaining flows of the pass are none that authlab needs)."""
    for line in s.logs().splitlines():
        if line.startswith("{") and '"Blueprint step applied"' in line and f'"step": "{step}"' in line:
            return dt.datetime.fromisoformat(json.loads(line)["timestamp"]).timestamp()
    return None


def test_not_ready_before_the_worker_objects_exist() -> None:
    with run_standin(version="2026.5.6", worker_delay=2.0) as s, _api(s) as api:
        started = time.time()
        result = wait_ready(api, timeout=30)
        reported = time.time()
        applied = _step_applied_at(s)
        assert applied is not None, s.logs()
        assert applied <= reported
        assert applied - started >= 1.5  # the worker delay was really waited out
        assert reported - applied <= 1.0  # and noticed quickly
        assert result.version == "2026.5.6"
        assert [t.stage for t in result.stages] == list(Stage)
        assert result.stages[0].state == "skipped"
        seen = {(r["path"], parse_qs(r["query"])) for r in s.requests() if r["path"].startswith("/api/v3/") and r["query"]}
        assert ("/api/v3/flows/instances/", (("slug", "default-provider-invalidation-flow"),)) in seen
        assert ("/api/v3/propertymappings/provider/scope/", (("managed", "goauthentik.io/providers/oauth2/scope-offline_access"),)) in seen
        assert ("/api/v3/crypto/certificatekeypairs/", (("name", "authentik Self-signed Certificate"),)) in seen


def test_an_old_release_is_ready_with_its_own_paths() -> None:
    with run_standin(version="2024.2.1", worker_delay=0.5) as s, _api(s) as api:
        result = wait_ready(api, timeout=30)
        assert result.version == "2024.2.1"
        assert result.stages[-1].detail == "7 objects present"
        paths = [r["path"] for r in s.requests()]
        assert "/api/v3/propertymappings/scope/" in paths
        assert not any(p.startswith("/api/v3/propertymappings/provider/") for p in paths)


def test_without_a_worker_the_timeout_names_the_worker_not_the_token() -> None:
    """No worker, no bootstrap: the token is refused forever, and that is the worker's fault, not the token's."""
    with run_standin(version="2026.5.6", no_worker=True) as s, _api(s) as api:
        with pytest.raises(WaitTimeout) as info:
            wait_ready(api, timeout=3, db_booted=False)
    err = info.value
    assert err.target == "the worker to apply its first blueprints (the default flows, then the bootstrap token)"
    assert err.last_seen == ("worker has not applied the default flows yet: bootstrap token not created yet "
                             "(GET /api/v3/admin/version/ -> HTTP 403 'Token invalid/expired')")
    assert "is the worker running and does it get AUTHENTIK_BOOTSTRAP_TOKEN" in (err.hint or "")
    assert "down --volumes" not in (err.hint or "")
    assert 3.0 <= err.waited < 4.5


def test_without_a_worker_and_token_the_timeout_names_the_missing_flows() -> None:
    with run_standin(version="2026.5.6", no_worker=True) as s, AuthentikApi(s.url, None, retries=0) as api:
        with pytest.raises(WaitTimeout) as info:
            wait_ready(api, has_token=False, timeout=2)
    err = info.value
    assert err.target == "the worker to create the default flows, scope mappings and certificate"
    assert err.last_seen == ("missing flows default-provider-authorization-implicit-consent, "
                             "default-provider-invalidation-flow, default-authentication-flow")


def test_a_first_boot_whose_worker_creates_the_token_late_is_ready() -> None:
    """The real order (real-boot-2026.2.2, scaled): ready, then the flows, then the token 25 s (scaled) after ready.

    Before this was modelled, `up` took the flows as proof that the first start was over and failed with
    "rejects the bootstrap token" on a brand-new volume."""
    for db_booted in (False, None):
        with run_standin(version="2026.2.2", env={"STANDIN_BOOT_SCALE": "0.06"}) as s, _api(s) as api:
            events: list = []
            result = wait_ready(api, timeout=30, db_booted=db_booted, on_event=events.append)
            assert "scope_mappings" in s.info()["phases_done"]  # the last step authlab needs
        token = next(t for t in result.stages if t.stage is Stage.TOKEN)
        ready = next(t for t in result.stages if t.stage is Stage.READY)
        assert token.at - ready.at >= 15 * 0.06  # really waited for the worker's bootstrap (24.8 s, scaled)
        waits = [e.detail for e in events if e.stage is Stage.TOKEN and e.state == "active"]
        assert any(d.startswith("worker has not applied the default flows yet") for d in waits), waits
        assert any(d.startswith("worker is applying blueprints: bootstrap token not created yet") for d in waits), waits


def test_a_deleted_mapping_is_still_missing() -> None:
    with run_standin(version="2026.5.6", worker_delay=0) as s, _api(s) as api:
        s.wait_worker()
        s.fault(delete_mapping="goauthentik.io/providers/oauth2/scope-offline_access")
        with pytest.raises(WaitTimeout) as info:
            wait_ready(api, timeout=1.5)
    assert info.value.last_seen == "missing scope mappings scope-offline_access"


def test_a_token_the_database_does_not_know_gets_the_token_diagnosis() -> None:
    """A database that existed before this start: once the worker's flows exist, a refusal is final at once."""
    with run_standin(version="2026.5.6", worker_delay=1.0) as s, _api(s, token="a-token-from-another-lab") as api:
        started = time.monotonic()
        with pytest.raises(NotReadyError) as info:
            wait_ready(api, timeout=60, db_booted=True)
        took = time.monotonic() - started
    err = info.value
    assert err.message == "Authentik rejects the bootstrap token from .env (403 'Token invalid/expired')"
    assert err.evidence == ["GET /api/v3/admin/version/ -> HTTP 403 'Token invalid/expired'",
                            "this database finished its first boot before, and its worker's objects exist"]
    assert "initialised with another AUTHENTIK_BOOTSTRAP_TOKEN" in (err.hint or "")
    assert took < 10  # decided when the flows appeared (worker delay 1 s), not at the timeout


def test_unknown_database_age_gives_the_token_a_grace_after_the_flows() -> None:
    with run_standin(version="2026.5.6", worker_delay=0.5) as s, _api(s, token="a-token-from-another-lab") as api:
        started = time.monotonic()
        with pytest.raises(NotReadyError) as info:
            wait_ready(api, timeout=60, token_grace=2.0)
        took = time.monotonic() - started
    assert info.value.evidence[1].startswith("still refused 2s after the worker's flows appeared")
    assert 2.0 <= took < 10


def test_a_fresh_database_never_blames_the_token() -> None:
    """On a database this start created, the token can only be late: wait, and time out with the worker's hint."""
    with run_standin(version="2026.5.6", worker_delay=0.2) as s, _api(s, token="a-token-from-another-lab") as api:
        with pytest.raises(WaitTimeout) as info:
            wait_ready(api, timeout=3, token_grace=0.5, db_booted=False)
    err = info.value
    assert err.target == "Authentik to accept the bootstrap token"
    assert err.last_seen.startswith("worker is applying blueprints: bootstrap token not created yet")
    assert "down --volumes" not in (err.hint or "")



def test_without_a_token_the_public_flow_pages_decide() -> None:
    """A user's own compose file may have no AUTHENTIK_BOOTSTRAP_TOKEN: the flows' pages still show the worker's work."""
    with run_standin(version="2026.5.6", worker_delay=1.5) as s, AuthentikApi(s.url, None, retries=0) as api:
        result = wait_ready(api, has_token=False, timeout=30)
        assert "provider_flows" in s.info()["phases_done"]
    assert [(t.stage.value, t.state) for t in result.stages][3:] == [("token", "skipped"), ("worker_objects", "done")]
    assert result.stages[-1].detail == "3 objects present"

# --- the `up` command end to end, with compose and the engine replaced by fakes around a real stand-in ------

import re  # noqa: E402
from pathlib import Path  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

from authentik_lab.app import App  # noqa: E402
from authentik_lab.cli.main import cli  # noqa: E402
from authentik_lab.core import dotenv  # noqa: E402
from authentik_lab.core.readiness import ContainerState  # noqa: E402


class FakeRunner:
    """Stands in for `docker compose`: records the commands; the stand-in process is "the containers"."""

    system_id = ""  # what `psql ... pg_control_system()` answers in the database container ("" = cannot tell)

    calls: list[tuple[str, ...]] = []

    def __init__(self, **kw: object) -> None:
        self.kw = kw

    def run(self, *args: str, timeout: float | None = None):  # noqa: ANN201 - `docker compose exec` of the database
        import subprocess

        return subprocess.CompletedProcess(list(args), 0, stdout=getattr(type(self), "system_id", ""), stderr="")

    def up(self, timeout: float | None = None) -> None:
        FakeRunner.calls.append(("up", str(self.kw["project_name"])))


class FakeEngine:
    volumes: dict[str, str] = {}  # volume name -> CreatedAt of the volumes that "exist" (the lab's database: a restart)

    def require(self) -> None:
        pass

    def volume_created(self, name: str) -> str | None:
        return FakeEngine.volumes.get(name)

    def image_id(self, ref: str) -> str | None:
        return None  # not pulled: no snapshot can match

    def containers(self, project: str) -> list[ContainerState]:
        return [ContainerState(s, f"{project}-{s}-1", "running") for s in ("postgresql", "server", "worker")]

    def logs(self, project: str, service: str, tail: int, since: float | None = None) -> list[str]:
        return []


def _lab_on(tmp_path: Path, worker_delay: float, token: str | None = None):  # noqa: ANN202
    lab = tmp_path / "lab"
    assert CliRunner().invoke(cli, ["--dir", str(lab), "init"]).exit_code == 0
    env = dotenv.parse((lab / ".env").read_text())
    s = run_standin(worker_delay=worker_delay, env={"AUTHENTIK_BOOTSTRAP_TOKEN": token or env["AUTHENTIK_BOOTSTRAP_TOKEN"]})
    return lab, env, s


def _target(lab: Path):  # noqa: ANN202
    from authentik_lab.services.target import resolve

    return resolve(App(compose_factory=FakeRunner, engine_factory=FakeEngine, lab_dir=lab), None)[0]


def _invoke(*args: str, volumes: dict[str, str] | None = None):  # noqa: ANN202
    FakeRunner.calls = []
    FakeEngine.volumes = volumes or {}
    return CliRunner().invoke(cli, list(args), obj=App(compose_factory=FakeRunner, engine_factory=FakeEngine))


def test_up_command_prints_where_the_secrets_live_not_their_values(tmp_path: Path) -> None:
    lab, env, ctx = _lab_on(tmp_path, worker_delay=5.0)
    with ctx as s:
        assert CliRunner().invoke(cli, ["--dir", str(lab), "init", "--port", str(s.port)]).exit_code == 0
        result = _invoke("--dir", str(lab), "up", "--timeout", "30")
    assert result.exit_code == 0, result.stderr
    assert FakeRunner.calls == [("up", env["COMPOSE_PROJECT_NAME"])]
    stdout = re.sub(r"took \d+\.\ds", "took N.Ns", result.stdout)
    assert stdout == (
        f"Authentik 2026.5.6 is ready at http://localhost:{s.port} (took N.Ns)\n"
        "  admin user  akadmin\n"
        f"  password    AUTHENTIK_BOOTSTRAP_PASSWORD in {lab}/.env\n"
        f"  API token   AUTHENTIK_BOOTSTRAP_TOKEN in {lab}/.env\n"
        "  values hidden; `authlab up --show-secrets` prints them\n"
        "  stop it with `authlab down` (keeps data); logs: `authlab logs`\n"
    )
    assert env["AUTHENTIK_BOOTSTRAP_TOKEN"] not in result.output
    assert env["AUTHENTIK_BOOTSTRAP_PASSWORD"] not in result.output
    progress = [line.split(" after ")[0] for line in result.stderr.splitlines() if line.startswith("done: ")]
    assert progress == [
        "done: containers running",
        "done: server alive (/-/health/live/)",
        "done: server ready (/-/health/ready/)",
        "done: bootstrap token accepted",
        "done: worker created flows, scope mappings, certificate",
    ]
    # the worker creates the token late on a first boot: the live view says so instead of failing
    assert "waiting: bootstrap token accepted (worker has not applied the default flows yet: bootstrap token not created yet" in result.stderr


def test_up_json_is_one_document_and_secrets_only_on_request(tmp_path: Path) -> None:
    lab, env, ctx = _lab_on(tmp_path, worker_delay=0.0)
    with ctx as s:
        CliRunner().invoke(cli, ["--dir", str(lab), "init", "--port", str(s.port)])
        result = _invoke("--dir", str(lab), "up", "--json", "--show-secrets")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    data = doc["data"]
    for volatile in ("elapsed", "waited", "stages"):
        data.pop(volatile)
    assert doc == {
        "authlab": 1,
        "command": "up",
        "ok": True,
        "data": {
            "url": f"http://localhost:{s.port}",
            "admin_user": "akadmin",
            "version": "2026.5.6",
            "project_name": env["COMPOSE_PROJECT_NAME"],
            "lab_dir": str(lab),
            "compose_file": str(lab / "compose.yml"),
            "env_file": str(lab / ".env"),
            "password_key": "AUTHENTIK_BOOTSTRAP_PASSWORD",
            "token_key": "AUTHENTIK_BOOTSTRAP_TOKEN",
            "initialised": "unchanged",
            "settings_changed": [],
            "apply": None,  # no authlab.yaml in the working directory: a zero-config up stays zero-config
            "notes": [],
            "compose_arg": None,  # --compose FILE as given, echoed in the next-step hints
            "boot": "cold",  # no database volume before this `up`
            "snapshot": None,  # the fake engine has no images, so no snapshot can be made
            "bootstrap_keys": ["AUTHENTIK_BOOTSTRAP_PASSWORD", "AUTHENTIK_BOOTSTRAP_TOKEN"],  # names of what .env has
            "secrets": {
                "AUTHENTIK_BOOTSTRAP_PASSWORD": env["AUTHENTIK_BOOTSTRAP_PASSWORD"],
                "AUTHENTIK_BOOTSTRAP_TOKEN": env["AUTHENTIK_BOOTSTRAP_TOKEN"],
            },
        },
    }


def test_up_with_a_token_the_server_does_not_know_exits_not_ready_with_the_fix(tmp_path: Path) -> None:
    lab, env, ctx = _lab_on(tmp_path, worker_delay=0.5, token="the-token-of-an-older-lab")
    volume = {env["COMPOSE_PROJECT_NAME"] + "_database": "2026-11-29T10:00:00Z"}
    with ctx as s:
        CliRunner().invoke(cli, ["--dir", str(lab), "init", "--port", str(s.port)])
        # an earlier `up` saw this very cluster (same volume, same PostgreSQL system identifier) fully booted ...
        s.wait_worker()
        from authentik_lab.services import boot_record

        FakeRunner.system_id = "7312345678901234567"
        _, where = boot_record.judge(FakeEngine(), _target(lab))
        boot_record.remember(FakeRunner(), where)
        # ... so now a refused token is the wrong token, at once
        result = _invoke("--dir", str(lab), "up", "--timeout", "30", volumes=volume)
        FakeRunner.system_id = ""
    assert result.exit_code == 3
    assert result.stdout == ""
    report = result.stderr[result.stderr.index("error: "):]
    assert report.splitlines()[:2] == [
        "error: Authentik rejects the bootstrap token from .env (403 'Token invalid/expired')",
        "  │ GET /api/v3/admin/version/ -> HTTP 403 'Token invalid/expired'",
    ]
    hint = " ".join(report.split("hint: ", 1)[1].split())  # the console wraps long hints
    assert hint == (
        "the database was initialised with another AUTHENTIK_BOOTSTRAP_TOKEN (bootstrap values are read only on the "
        "very first start): put the old token back into .env, or start over with `authlab down --volumes` "
        "(deletes all lab data) and `authlab up`"
    )


# --- `up` applies authlab.yaml; --port/--version/--bind reach init -------------------------------------

import textwrap  # noqa: E402

from authentik_lab.errors import ExitCode  # noqa: E402


@pytest.fixture(autouse=True)
def _workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every `up` here runs in a directory of its own: what `./authlab.yaml` holds is up to each test."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _labfile(text: str, name: str = "authlab.yaml") -> Path:
    path = Path(name)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def _oauth2_names(s: Standin) -> list[str]:
    status, body = s.api("GET", "/api/v3/providers/oauth2/")
    assert status == 200, body
    return sorted(p["name"] for p in body["results"])  # type: ignore[index]


def _secrets(lab: Path) -> dict[str, str]:
    env = dotenv.parse((lab / ".env").read_text())
    return {k: v for k, v in env.items() if k in ("PG_PASS", "AUTHENTIK_SECRET_KEY", "AUTHENTIK_BOOTSTRAP_PASSWORD", "AUTHENTIK_BOOTSTRAP_TOKEN")}


def test_up_in_a_folder_with_authlab_yaml_ends_with_its_objects_present(tmp_path: Path) -> None:
    lab, env, ctx = _lab_on(tmp_path, worker_delay=0.5)  # the lab is on the default port 9000
    before = _secrets(lab)
    with ctx as s:
        _labfile(f"""
            version: "2026.5.6"
            port: {s.port}
            providers:
              - name: web
                preset: nextauth
                app_url: http://localhost:3000
            users:
              - username: alice
                email: alice@example.com
            """)
        result = _invoke("--dir", str(lab), "up", "--json", "--timeout", "30")
        assert result.exit_code == 0, result.stderr
        doc = json.loads(result.stdout)
        assert _oauth2_names(s) == ["web"]
        # a second `up` (human output) finds everything in place: reads only
        s.clear_requests()
        again = _invoke("--dir", str(lab), "up", "--timeout", "30")
        writes = [r for r in s.requests() if r["method"] not in ("GET", "HEAD")]
    data = doc["data"]
    assert FakeRunner.calls == [("up", env["COMPOSE_PROJECT_NAME"])]
    # the file's port reached init: the compose file was re-rendered, every secret kept
    assert data["url"] == f"http://localhost:{s.port}"
    assert data["initialised"] == "updated"
    assert data["settings_changed"] == [["COMPOSE_PORT_HTTP", "9000", str(s.port)], ["COMPOSE_PORT_HTTPS", "9443", str(s.port + 443)]]
    assert _secrets(lab) == before
    assert f"${{COMPOSE_PORT_HTTP:-{s.port}}}:9000" in (lab / "compose.yml").read_text()
    applied = data["apply"]
    assert [(i["kind"], i["name"], i["action"]) for i in applied["items"]] == [("user", "alice", "create"), ("provider", "web", "create")]
    assert (applied["file"], applied["url"], applied["dry_run"], applied["writes"] > 0) == ("authlab.yaml", f"http://localhost:{s.port}", False, True)
    assert [(p["name"], p["issuer"]) for p in applied["providers"]] == [("web", f"http://localhost:{s.port}/application/o/web/")]
    assert data["notes"] == []

    assert again.exit_code == 0, again.stderr
    assert writes == []
    stdout = re.sub(r"took \d+\.\ds", "took N.Ns", again.stdout)
    client_id = applied["providers"][0]["client_id"]
    assert stdout == (
        f"Authentik 2026.5.6 is ready at http://localhost:{s.port} (took N.Ns)\n"
        "  admin user  akadmin\n"
        f"  password    AUTHENTIK_BOOTSTRAP_PASSWORD in {lab}/.env\n"
        f"  API token   AUTHENTIK_BOOTSTRAP_TOKEN in {lab}/.env\n"
        "  values hidden; `authlab up --show-secrets` prints them\n"
        "  stop it with `authlab down` (keeps data); logs: `authlab logs`\n"
        f"applied: authlab.yaml -> http://localhost:{s.port}\n"
        "  = user alice: unchanged\n"
        "  = provider web: unchanged\n"
        "2 unchanged (0 writes)\n"
        f"provider web: client id {client_id}, issuer http://localhost:{s.port}/application/o/web/\n"
    )


def test_up_port_option_reaches_init_keeps_secrets_and_wins_over_the_file_with_a_note(tmp_path: Path) -> None:
    lab, env, ctx = _lab_on(tmp_path, worker_delay=0.0)
    before = _secrets(lab)
    _labfile("port: 9000\n")  # says the default; the command line wins
    with ctx as s:
        result = _invoke("--dir", str(lab), "up", "--port", str(s.port), "--timeout", "30")
        assert result.exit_code == 0, result.stderr
        plain = _invoke("--dir", str(lab), "up", "--no-apply", "--json", "--timeout", "30")
    assert result.stdout.startswith(f"Authentik 2026.5.6 is ready at http://localhost:{s.port} (took ")
    assert (
        f"lab settings changed: COMPOSE_PORT_HTTP 9000 -> {s.port}, COMPOSE_PORT_HTTPS 9443 -> {s.port + 443} "
        "(compose file re-rendered, secrets kept)\n"
    ) in result.stderr
    assert f"note: --port {s.port} overrides `port: 9000` in authlab.yaml\n" in result.stderr
    assert "applied: authlab.yaml" in result.stdout  # a file without objects: nothing to do, still reported
    assert _secrets(lab) == before
    assert (lab / "compose.yml.bak").is_file()
    # without options and with --no-apply nothing changes: the lab keeps the port it was given
    data = json.loads(plain.stdout)["data"]
    assert (plain.exit_code, data["url"], data["initialised"], data["settings_changed"], data["apply"]) == (
        0, f"http://localhost:{s.port}", "unchanged", [], None)


def test_apply_failure_after_ready_exits_4_and_leaves_the_lab_running(tmp_path: Path) -> None:
    lab, env, ctx = _lab_on(tmp_path, worker_delay=0.0)
    _labfile("users:\n  - username: akadmin\n")  # Authentik's own admin: not authlab's to manage
    with ctx as s:
        CliRunner().invoke(cli, ["--dir", str(lab), "init", "--port", str(s.port)])
        result = _invoke("--dir", str(lab), "up", "--timeout", "30", "--json")
        writes = [r for r in s.requests() if r["method"] not in ("GET", "HEAD")]
    assert result.exit_code == ExitCode.APPLY_FAILED, result.stderr
    assert FakeRunner.calls == [("up", env["COMPOSE_PROJECT_NAME"])]  # no down: the lab stays up
    assert writes == []
    error = json.loads(result.stdout)["error"]
    assert error["type"] == "ApplyError"
    assert error["message"].startswith(
        f"Authentik is ready at http://localhost:{s.port} and left running, but authlab.yaml could not be applied: "
        "authlab.yaml:2:15: user akadmin: ")
    # the apply error's own hint names the command; up adds only how to stop the lab, never the command twice
    assert error["hint"] == (
        "nothing was changed on the server; fix authlab.yaml or the named objects, then run `authlab apply`; "
        "`authlab down` stops the lab")


@pytest.mark.parametrize(
    ("files", "args", "message", "hint"),
    [
        ({"authlab.yaml": "users:\n  - username: alice\n    groups: testers\n"}, (),
         "authlab.yaml:3:13: users[0].groups: expected a list, got a string ('testers')",
         "fix the lab file; no container was started (--no-apply skips the lab file)"),
        ({"authlab.yaml": "users:\n  - username: bob\n    password_env: AUTHLAB_TEST_UNSET_PW\n"}, (),
         "authlab.yaml:3:19: users[0].password_env (bob): AUTHLAB_TEST_UNSET_PW is not set or empty",
         "export the variable (in CI: from a secret) or use `password: generate`; no container was started "
         "(--no-apply skips the lab file)"),
        ({}, ("-f", "missing.yaml"), "no lab file at missing.yaml",
         "create authlab.yaml (see the README's example) or pass -f PATH (AUTHLAB_FILE); no container was started "
         "(--no-apply skips the lab file)"),
        ({}, ("--port", "9100", "--compose", "compose.yml"),
         "--port configure the lab made by `authlab init`, not a --compose file",
         "set COMPOSE_PORT_HTTP / AUTHENTIK_TAG in the .env next to your compose file instead"),
    ],
)
def test_bad_input_for_up_stops_before_any_container_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            files: dict, args: tuple, message: str, hint: str) -> None:
    monkeypatch.delenv("AUTHLAB_TEST_UNSET_PW", raising=False)
    for name, text in files.items():
        _labfile(text, name)
    Path("compose.yml").write_text("services: {}\n")
    lab = tmp_path / "never"
    result = _invoke("--dir", str(lab), "up", *args, "--json")
    assert result.exit_code == ExitCode.USAGE, result.stderr
    error = json.loads(result.stdout)["error"]
    assert (error["message"], error["hint"]) == (message, hint)
    assert FakeRunner.calls == []
    assert not lab.exists()  # not even the lab folder was made


def test_an_interrupted_first_boot_is_waited_for_on_the_next_up(tmp_path: Path) -> None:
    """The database exists (a first `up` was cut short) but no run saw it ready: its worker may still create the
    token, so the next `up` waits instead of blaming the token (seen on the Docker suite: ci --timeout 1, then ci)."""
    lab, env, ctx = _lab_on(tmp_path, worker_delay=3.0)
    volume = {env["COMPOSE_PROJECT_NAME"] + "_database": "2026-11-29T10:00:00Z"}
    with ctx as s:
        CliRunner().invoke(cli, ["--dir", str(lab), "init", "--port", str(s.port)])
        result = _invoke("--dir", str(lab), "up", "--timeout", "30", volumes=volume)
    assert result.exit_code == 0, result.stderr
    assert "worker is applying blueprints: bootstrap token not created yet" in result.stderr or \
        "worker has not applied the default flows yet" in result.stderr
    # and now it is recorded: this cluster finished its first boot
    from authentik_lab.services import boot_record

    FakeEngine.volumes = volume
    judged, where = boot_record.judge(FakeEngine(), _target(lab))
    assert judged is None  # it exists: what it is, only the running database can tell
    FakeRunner.system_id = "7312345678901234567"
    boot_record.remember(FakeRunner(), where)
    assert boot_record.booted_before(FakeRunner(), where) is True
    FakeRunner.system_id = "7399999999999999999"  # deleted and made again: another cluster
    assert boot_record.booted_before(FakeRunner(), where) is None
    FakeRunner.system_id = ""
    FakeEngine.volumes = {}
    assert boot_record.judge(FakeEngine(), _target(lab))[0] is False
