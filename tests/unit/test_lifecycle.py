"""Lifecycle use cases and their commands, with compose and the engine replaced by recording fakes."""

from __future__ import annotations

import dataclasses
import json
import socket
from pathlib import Path

from typer.testing import CliRunner

from authentik_lab.adapters.compose import Publisher, ServiceStatus
from authentik_lab.app import App
from authentik_lab.core.readiness import ContainerState
from authentik_lab.cli.main import cli
from authentik_lab.services.target import file_target
from tests.conftest import write_tree


class FakeRunner:
    calls: list[tuple] = []
    rows: list[ServiceStatus] = []

    def __init__(self, **kw: object) -> None:
        self.kw = kw
        FakeRunner.calls.append(("new", kw["project_name"], tuple(Path(str(f)).name for f in kw.get("extra_files", ()))))  # type: ignore[union-attr]

    is_v1 = False

    def ps(self) -> list[ServiceStatus]:
        return list(FakeRunner.rows)

    def down(self, volumes: bool = False) -> None:
        FakeRunner.calls.append(("down", volumes))

    def services(self) -> list[str]:
        return ["postgresql", "server", "worker"]


class FakeEngine:
    """The project's containers and volumes as the engine would list them (set per test; reset by _invoke)."""

    found: list[ContainerState] = []
    vols: list[str] = []

    def require(self) -> None:
        pass

    def containers(self, project: str) -> list:
        return [dataclasses.replace(c, name=f"{project}-{c.service}-1") for c in FakeEngine.found]

    def volumes(self, project: str) -> list[str]:
        return [f"{project}_{v}" for v in FakeEngine.vols]

    def logs(self, project: str, service: str, tail: int, since: float | None = None) -> list[str]:
        return ["chown: changing ownership of '/data': Operation not permitted"] if service == "worker" else []


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _invoke(*args: str, containers: tuple[str, ...] = (), volumes: tuple[str, ...] = (), stopped: bool = False):  # noqa: ANN202
    FakeRunner.calls = []
    FakeEngine.found = [ContainerState(s, "", "exited" if stopped else "running") for s in containers]
    FakeEngine.vols = list(volumes)
    return CliRunner().invoke(cli, list(args), obj=App(compose_factory=FakeRunner, engine_factory=FakeEngine))


def test_file_target_reads_the_sibling_env_and_override(tmp_path: Path) -> None:
    write_tree(tmp_path / "My Auth", {
        "docker-compose.yml": "services:\n  server:\n    image: ${AUTHENTIK_IMAGE:-ghcr.io/goauthentik/server}:${AUTHENTIK_TAG:-2026.5.6}\n",
        ".env": "COMPOSE_PORT_HTTP=9100\nAUTHENTIK_BOOTSTRAP_TOKEN=tok\n",
        "compose.override.yml": "services: {}\n",
    })
    t = file_target(tmp_path / "My Auth" / "docker-compose.yml")
    assert (t.project_name, t.url, t.token, t.version) == ("myauth", "http://localhost:9100", "tok", "2026.5.6")
    assert [p.name for p in t.extra_files] == ["compose.override.yml"]
    write_tree(tmp_path / "b", {"compose.yml": "services: {}\n", ".env": "COMPOSE_PROJECT_NAME=mine\nAUTHENTIK_TAG=2024.12.3\n"})
    t = file_target(tmp_path / "b" / "compose.yml")
    assert (t.project_name, t.url, t.token, t.version, t.extra_files) == ("mine", "http://localhost:9000", "", "2024.12.3", ())


def test_status_without_an_answering_api_shows_containers_and_the_image_tag(tmp_path: Path) -> None:
    port = _closed_port()
    write_tree(tmp_path, {"compose.yml": "services: {}\n", ".env": f"COMPOSE_PORT_HTTP={port}\nCOMPOSE_PROJECT_NAME=p\nAUTHENTIK_TAG=2025.10.1\n"})
    FakeRunner.rows = [
        ServiceStatus("postgresql", "p-postgresql-1", "running", "healthy", 0),
        ServiceStatus("server", "p-server-1", "running", "starting", 0, publishers=(Publisher("127.0.0.1", 9000, port),)),
        ServiceStatus("worker", "p-worker-1", "exited", None, 1),
    ]
    result = _invoke("status", "--compose", str(tmp_path / "compose.yml"))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"lab      {tmp_path} (p): not fully running\n"
        f"url      http://localhost:{port}\n"
        "version  2025.10.1 (from image tag)\n"
        f"api      no answer (http://localhost:{port}: ConnectError)\n"
        "  postgresql  running (healthy)\n"
        f"  server      running (starting)  127.0.0.1:{port}->9000\n"
        "  worker      exited, exit code 1\n"
        "problem: worker: the worker runs as root (`user: root`) to chown /data, but root in the container cannot change "
        "ownership on this filesystem (rootless Docker, Podman, NFS or dropped capabilities)\n"
        "  │ chown: changing ownership of '/data': Operation not permitted\n"
        # --compose FILE: the fix names that very file
        f"  fix: remove `user: root` from the worker: `authlab compose patch {tmp_path / 'compose.yml'}` does it (a lab made by "
        "`authlab init` never sets it and uses named volumes that uid 1000 owns)\n"
    )
    doc = json.loads(_invoke("status", "--compose", str(tmp_path / "compose.yml"), "--json").stdout)
    assert doc["data"]["services"][2] == {"service": "worker", "container": "p-worker-1", "state": "exited", "health": None, "exit_code": 1, "ports": []}
    assert (doc["data"]["running"], doc["data"]["api"], doc["data"]["version_source"]) == (False, "no answer", "image tag")
    assert [(p["service"], p["evidence"]) for p in doc["data"]["problems"]] == [("worker", ["chown: changing ownership of '/data': Operation not permitted"])]


RUNNING = ("postgresql", "server", "worker")


def test_down_volumes_needs_yes_when_nobody_can_be_asked(tmp_path: Path) -> None:
    write_tree(tmp_path, {"compose.yml": "services: {}\n", ".env": "COMPOSE_PROJECT_NAME=p\n"})
    refused = _invoke("down", "--volumes", "--compose", str(tmp_path / "compose.yml"))
    assert refused.exit_code == 2
    assert refused.stderr == "error: deleting the lab's data needs confirmation\nhint: pass --yes to confirm in a non-interactive run\n"
    assert not [c for c in FakeRunner.calls if c[0] == "down"]
    done = _invoke("down", "--volumes", "--yes", "--compose", str(tmp_path / "compose.yml"), containers=RUNNING, volumes=("db",))
    assert done.exit_code == 0
    assert [c for c in FakeRunner.calls if c[0] == "down"] == [("down", True)]
    compose = str(tmp_path / "compose.yml")
    assert done.stdout == "stopped p (3 containers); deleted its data (p_db)\n"
    kept = _invoke("down", "--compose", compose, containers=RUNNING, volumes=("db",))
    # with --compose FILE the hints name the file: `authlab up` alone would look for a lab
    assert kept.stdout == f"stopped p (3 containers); data kept in p_db (`authlab up --compose {compose}` starts it again, " \
                          f"`authlab down --volumes --compose {compose}` deletes it)\n"


def test_logs_refuses_an_unknown_service_and_follow_with_json(tmp_path: Path) -> None:
    write_tree(tmp_path, {"compose.yml": "services: {}\n", ".env": ""})
    unknown = _invoke("logs", "nginx", "--compose", str(tmp_path / "compose.yml"))
    assert unknown.exit_code == 2
    assert unknown.stderr == "error: no service 'nginx' in compose.yml\nhint: pick one of: postgresql, server, worker\n"
    both = _invoke("logs", "--follow", "--json", "--compose", str(tmp_path / "compose.yml"))
    assert both.exit_code == 2
    assert json.loads(both.stdout)["error"]["message"] == "--follow cannot be combined with --json"


def test_commands_on_a_missing_lab_say_how_to_create_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--dir", str(tmp_path / "nothing"), "status"])
    assert result.exit_code == 2
    assert f"no lab at {tmp_path / 'nothing'}" in result.stderr
    assert "authlab init" in result.stderr


def test_down_volumes_says_bind_mounted_folders_are_kept(tmp_path: Path) -> None:
    write_tree(tmp_path, {"compose.yml": "services:\n  server:\n    image: x\n    volumes:\n    - ./data:/data\n    - db:/var/lib/db\n"
                                         "volumes:\n  db: {}\n", ".env": "COMPOSE_PROJECT_NAME=p\n"})
    done = _invoke("down", "--volumes", "--yes", "--compose", str(tmp_path / "compose.yml"), containers=RUNNING, volumes=("db",))
    assert done.exit_code == 0
    assert done.stdout == (f"stopped p (3 containers); deleted its named volumes (p_db); bind-mounted folders are kept: "
                           f"{tmp_path / 'data'} (delete them yourself if you want a fresh start)\n")
    doc = json.loads(_invoke("down", "--volumes", "--yes", "--json", "--compose", str(tmp_path / "compose.yml")).stdout)
    assert doc["data"]["kept_folders"] == [str(tmp_path / "data")]


def test_down_of_a_lab_that_never_ran_claims_nothing(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    assert CliRunner().invoke(cli, ["--dir", str(lab), "init"]).exit_code == 0
    project = (lab / ".env").read_text().split("COMPOSE_PROJECT_NAME=")[1].split()[0]
    result = _invoke("--dir", str(lab), "down")
    assert result.exit_code == 0
    assert result.stdout == f"nothing to stop: no container of {project} exists\n"
    wiped = _invoke("--dir", str(lab), "down", "--volumes", "--yes")
    assert wiped.stdout == f"nothing to stop: no container of {project} exists; no data volume to delete\n"
    doc = json.loads(_invoke("--dir", str(lab), "down", "--volumes", "--yes", "--json").stdout)["data"]
    assert (doc["found"], doc["stopped"], doc["volumes_removed"], doc["containers"], doc["volumes"]) == (True, False, False, [], [])


def test_down_says_what_was_there(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    assert CliRunner().invoke(cli, ["--dir", str(lab), "init"]).exit_code == 0
    project = (lab / ".env").read_text().split("COMPOSE_PROJECT_NAME=")[1].split()[0]
    exited = _invoke("--dir", str(lab), "down", containers=RUNNING, volumes=("database", "data"), stopped=True)
    assert exited.stdout == (f"removed {project}'s 3 containers (none was running); data kept in {project}_database, {project}_data "
                             "(`authlab up` starts it again, `authlab down --volumes` deletes it)\n")
    leftover = _invoke("--dir", str(lab), "down", "--volumes", "--yes", volumes=("database",))
    assert leftover.stdout == f"nothing to stop: no container of {project} exists; deleted its data ({project}_database)\n"
    doc = json.loads(_invoke("--dir", str(lab), "down", "--json", containers=("server",)).stdout)["data"]
    assert (doc["stopped"], doc["containers"], doc["running"], doc["volumes_removed"]) == (True, [f"{project}-server-1"], [f"{project}-server-1"], False)


def test_down_volumes_without_yes_where_no_lab_exists_is_nothing_to_stop(tmp_path: Path) -> None:
    # the lab check comes before the confirmation: a cleanup step without --yes must not fail either
    result = CliRunner().invoke(cli, ["--dir", str(tmp_path / "nothing"), "down", "--volumes"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"nothing to stop: no lab at {tmp_path / 'nothing'}\n"
    assert result.stderr == ""


def test_down_of_a_lab_that_does_not_exist_is_not_an_error(tmp_path: Path) -> None:
    # cleanup steps (`if: always()`) run `down --volumes --yes` even when `ci` failed before creating the lab
    result = CliRunner().invoke(cli, ["--dir", str(tmp_path / "nothing"), "down", "--volumes", "--yes"])
    assert result.exit_code == 0
    assert result.stdout == f"nothing to stop: no lab at {tmp_path / 'nothing'}\n"
    doc = json.loads(CliRunner().invoke(cli, ["--dir", str(tmp_path / "nothing"), "down", "--json"]).stdout)
    assert (doc["ok"], doc["data"]["stopped"]) == (True, False)


class NoPgPassRunner(FakeRunner):
    """compose interpolates the whole file even for `ps`: the official file without PG_PASS fails like this."""

    STDERR = ("error while interpolating services.postgresql.environment.POSTGRES_PASSWORD: required variable PG_PASS is "
              "missing a value: database password required")

    def ps(self) -> list[ServiceStatus]:
        from authentik_lab.adapters.compose import error_for

        raise error_for(["docker", "compose", "ps"], 1, self.STDERR, command="ps")

    def services(self) -> list[str]:
        from authentik_lab.adapters.compose import error_for

        raise error_for(["docker", "compose", "config"], 1, self.STDERR, command="config")


class ContainersEngine(FakeEngine):
    def containers(self, project: str) -> list:
        from authentik_lab.core.readiness import ContainerState

        return [ContainerState("server", f"{project}-server-1", "running", "healthy")]


def test_status_of_a_users_file_without_pg_pass_reads_the_engine_and_never_suggests_init(tmp_path: Path) -> None:
    write_tree(tmp_path / "auth", {"docker-compose.yml": "services: {}\n", ".env": f"COMPOSE_PORT_HTTP={_closed_port()}\n"})
    compose = str(tmp_path / "auth" / "docker-compose.yml")
    result = CliRunner().invoke(cli, ["status", "--compose", compose], obj=App(compose_factory=NoPgPassRunner, engine_factory=ContainersEngine))
    assert result.exit_code == 0, result.stderr
    assert "  server  running (healthy)" in result.stdout.splitlines()
    assert "authlab init" not in result.output
    # a command that really needs compose to read the file says what to add, and where
    logs = CliRunner().invoke(cli, ["logs", "server", "--compose", compose], obj=App(compose_factory=NoPgPassRunner, engine_factory=ContainersEngine))
    assert logs.exit_code == 6
    assert logs.stderr == ("error: the .env next to the compose file lacks a required value (PG_PASS)\n"
                           f"hint: add the value to {tmp_path / 'auth' / '.env'} (compose reads that file; authlab never writes it)\n")


def test_apply_hint_names_the_rerun_command_once() -> None:
    from authentik_lab.services.up import _apply_hint

    assert _apply_hint("fix e2e/lab.yaml, then run `authlab apply -f e2e/lab.yaml`", "e2e/lab.yaml") == (
        "fix e2e/lab.yaml, then run `authlab apply -f e2e/lab.yaml`; `authlab down` stops the lab")
    assert _apply_hint("the token lacks permission", "e2e/lab.yaml") == (
        "the token lacks permission; then run `authlab apply -f e2e/lab.yaml` (or `authlab up` again); "
        "`authlab down` stops the lab")
    assert _apply_hint(None, "authlab.yaml") == "then run `authlab apply` (or `authlab up` again); `authlab down` stops the lab"


def test_a_users_file_gets_the_project_compose_would_use(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    folder = tmp_path / "_My-App"
    folder.mkdir()
    compose = folder / "docker-compose.yml"
    compose.write_text("services: {}\n")
    monkeypatch.delenv("COMPOSE_PROJECT_NAME", raising=False)
    assert file_target(compose).project_name == "my-app"
    compose.write_text("name: fromfile\nservices: {}\n")
    assert file_target(compose).project_name == "fromfile"  # the top-level name: wins over the folder
    (folder / ".env").write_text("COMPOSE_PROJECT_NAME=fromenv\n")
    assert file_target(compose).project_name == "fromenv"
    monkeypatch.setenv("COMPOSE_PROJECT_NAME", "fromshell")
    assert file_target(compose).project_name == "fromshell"  # the shell wins over .env, as in compose


def test_logs_without_a_lab_hints_at_the_compose_file_up_was_given(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    # after `authlab up --compose docker-compose.yml`, `authlab logs` alone looks for the lab in ./.authlab
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docker-compose.yml").write_text("services: {}\n")
    result = CliRunner().invoke(cli, ["--dir", str(tmp_path / ".authlab"), "logs"])
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: no lab at {tmp_path / '.authlab'} (.env is missing)\n"
        f"hint: run `authlab init` (or `authlab --dir {tmp_path / '.authlab'} init`) first; if you started it with "
        "`authlab up --compose FILE`, pass the same file (--compose docker-compose.yml, or AUTHLAB_COMPOSE_FILE)\n")


class SigpipeRunner(FakeRunner):
    def logs_args(self, service: str | None, follow: bool, tail: int | None) -> list[str]:
        return ["logs"]

    def stream(self, *args: str) -> int:
        return -13  # `docker compose logs` killed by SIGPIPE: the reader of stdout (`| head`) went away


def test_logs_into_a_closed_pipe_exits_141_like_every_command(tmp_path: Path) -> None:
    write_tree(tmp_path, {"compose.yml": "services: {}\n", ".env": ""})
    result = CliRunner().invoke(cli, ["logs", "--compose", str(tmp_path / "compose.yml")],
                                obj=App(compose_factory=SigpipeRunner, engine_factory=FakeEngine))
    assert (result.exit_code, result.stdout, result.stderr) == (141, "", "")


def test_status_during_a_first_boot_says_the_token_is_not_created_yet(tmp_path: Path) -> None:
    """real-boot-2026.2.2: right after ready the worker has made neither the flows nor the bootstrap token, so a
    refused token is 'not created yet', not 'rejected'; once the flows exist, a refusal is reported as rejected."""
    from tests.standin.harness import run_standin

    with run_standin(no_worker=True, env={"AUTHENTIK_BOOTSTRAP_TOKEN": "tok-not-yet"}) as s:
        write_tree(tmp_path, {"compose.yml": "services: {}\n",
                              ".env": f"COMPOSE_PORT_HTTP={s.port}\nCOMPOSE_PROJECT_NAME=p\nAUTHENTIK_BOOTSTRAP_TOKEN=tok-not-yet\n"})
        FakeRunner.rows = [ServiceStatus("server", "p-server-1", "running", "starting", 0)]
        early = _invoke("status", "--compose", str(tmp_path / "compose.yml"), "--json")
        s.fault(worker_done=True)  # the worker's pass ends; this token is still not the database's
        s.api("DELETE", "/_standin/requests")
        env = tmp_path / ".env"
        env.write_text(env.read_text().replace("tok-not-yet", "another-token"))
        late = _invoke("status", "--compose", str(tmp_path / "compose.yml"), "--json")
        sent = s.requests()
    import json

    api = json.loads(early.stdout)["data"]
    assert (api["api"], api["api_detail"]) == (
        "token not created yet",
        "worker has not applied the default flows yet: bootstrap token not created yet (GET /api/v3/admin/version/ -> 403)")
    api = json.loads(late.stdout)["data"]
    assert (api["api"], api["api_detail"]) == ("token rejected", "GET /api/v3/admin/version/ -> 403")
    # the flow executor was asked without the token (a Bearer header would make it a 403 too)
    assert [r["path"] for r in sent if "executor" in r["path"]] == ["/api/v3/flows/executor/default-authentication-flow/"]
    assert [r["status"] for r in sent if "executor" in r["path"]] == [200]
