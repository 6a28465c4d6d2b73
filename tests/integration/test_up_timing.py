"""`up` counts `docker compose up -d` in its stages and its --timeout, refuses a busy port before compose starts,
and echoes --compose FILE in its hints (QA 7, 9, polish). Compose and the engine are fakes around a real stand-in."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
from pathlib import Path

from typer.testing import CliRunner

from authentik_lab.app import App
from authentik_lab.cli.main import cli
from authentik_lab.core import dotenv
from authentik_lab.core.readiness import ContainerState
from authentik_lab.errors import ComposeError
from tests.standin.harness import run_standin


class SlowRunner:
    """`docker compose up -d` that takes COMPOSE_SECONDS (the official file waits ~30 s for postgres' health)."""

    COMPOSE_SECONDS = 1.5
    calls: list[tuple[str, float | None]] = []

    def __init__(self, **kw: object) -> None:
        self.kw = kw

    def run(self, *args: str, timeout: float | None = None):  # noqa: ANN201 - `docker compose exec` of the database
        import subprocess

        return subprocess.CompletedProcess(list(args), 0, stdout=getattr(type(self), "system_id", ""), stderr="")

    def up(self, timeout: float | None = None) -> None:
        SlowRunner.calls.append(("up", timeout))
        if timeout is not None and timeout < self.COMPOSE_SECONDS:
            time.sleep(timeout)
            cause = subprocess.TimeoutExpired(["docker", "compose", "up"], timeout)
            raise ComposeError(f"did not finish in {timeout:.0f}s", ["docker", "compose", "up"], None, "") from cause
        time.sleep(self.COMPOSE_SECONDS)


class RunningEngine:
    """The lab's containers run (the stand-in process is "them"); no volume existed before `up` (a first boot)."""

    def volume_created(self, name: str) -> str | None:
        return None

    def image_id(self, ref: str) -> str | None:
        return None  # not pulled: no snapshot can match

    containers_running = True

    def require(self) -> None:
        pass

    def containers(self, project: str) -> list[ContainerState]:
        if not self.containers_running:
            return []
        return [ContainerState(s, f"{project}-{s}-1", "running") for s in ("postgresql", "server", "worker")]

    def logs(self, project: str, service: str, tail: int, since: float | None = None) -> list[str]:
        return []


class StoppedEngine(RunningEngine):
    containers_running = False


def _invoke(*args: str, engine: type = RunningEngine):  # noqa: ANN202
    SlowRunner.calls = []
    return CliRunner().invoke(cli, list(args), obj=App(compose_factory=SlowRunner, engine_factory=engine))


def _lab(tmp_path: Path, port: int) -> tuple[Path, dict]:
    lab = tmp_path / "lab"
    assert CliRunner().invoke(cli, ["--dir", str(lab), "init", "--port", str(port)]).exit_code == 0
    return lab, dotenv.parse((lab / ".env").read_text())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_containers_stage_and_the_total_include_compose_time(tmp_path: Path) -> None:
    lab, env = _lab(tmp_path, _free_port())
    with run_standin(worker_delay=0, env={"AUTHENTIK_BOOTSTRAP_TOKEN": env["AUTHENTIK_BOOTSTRAP_TOKEN"]}) as s:
        CliRunner().invoke(cli, ["--dir", str(lab), "init", "--port", str(s.port)])
        result = _invoke("--dir", str(lab), "up", "--json", "--no-apply", "--timeout", "30")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)["data"]
    containers = data["stages"][0]
    assert containers["stage"] == "containers" and containers["state"] == "done"
    assert containers["at"] >= SlowRunner.COMPOSE_SECONDS  # was 0.0: compose's time belonged to no stage
    assert data["waited"] >= SlowRunner.COMPOSE_SECONDS
    # compose got what was left of --timeout, not a 60 s floor
    assert SlowRunner.calls[0][0] == "up" and 28 < SlowRunner.calls[0][1] <= 30


def test_timeout_counts_compose_so_up_stops_near_it(tmp_path: Path) -> None:
    lab, env = _lab(tmp_path, _free_port())
    with run_standin(no_worker=True, env={"AUTHENTIK_BOOTSTRAP_TOKEN": env["AUTHENTIK_BOOTSTRAP_TOKEN"]}) as s:
        CliRunner().invoke(cli, ["--dir", str(lab), "init", "--port", str(s.port)])
        began = time.monotonic()
        result = _invoke("--dir", str(lab), "up", "--no-apply", "--timeout", "3")
        took = time.monotonic() - began
    assert result.exit_code == 3, result.stderr
    # a generous sanity bound (a loaded CI runner is slow): it only proves `up` does not wait for the worker forever
    assert took < 3 + 15, took
    waited = int(re.search(r"timed out after (\d+)s", result.stderr).group(1))  # type: ignore[union-attr]
    assert waited == 3  # never "after 1s" when 3 s passed


def test_a_compose_up_that_outlasts_the_timeout_is_a_wait_timeout(tmp_path: Path) -> None:
    lab, _ = _lab(tmp_path, _free_port())
    result = _invoke("--dir", str(lab), "up", "--no-apply", "--timeout", "1")
    assert result.exit_code == 3
    assert SlowRunner.calls == [("up", SlowRunner.calls[0][1])] and SlowRunner.calls[0][1] <= 1  # compose got the 1 s budget
    assert result.stderr.splitlines()[1] == (
        "error: timed out after 1s waiting for the containers to start (`docker compose up -d`) "
        "(last seen: docker compose up -d still running)")


def test_a_busy_port_is_refused_before_compose_starts_anything(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        lab, _ = _lab(tmp_path, port)
        result = _invoke("--dir", str(lab), "up", "--no-apply", engine=StoppedEngine)
    assert result.exit_code == 2
    assert SlowRunner.calls == []
    assert result.stderr == (
        f"error: port {port} on 127.0.0.1 is already in use by another process, so the lab cannot publish it (nothing was started)\n"
        f"hint: stop that process (`ss -ltnp 'sport = :{port}'` shows it), or use another port: `authlab up --port N`\n")


def test_the_port_check_is_skipped_while_the_labs_own_containers_hold_the_ports(tmp_path: Path) -> None:
    lab, env = _lab(tmp_path, _free_port())
    with run_standin(worker_delay=0, env={"AUTHENTIK_BOOTSTRAP_TOKEN": env["AUTHENTIK_BOOTSTRAP_TOKEN"]}) as s:
        CliRunner().invoke(cli, ["--dir", str(lab), "init", "--port", str(s.port)])  # the stand-in holds the port
        result = _invoke("--dir", str(lab), "up", "--no-apply", "--timeout", "30")
    assert result.exit_code == 0, result.stderr
    assert [c[0] for c in SlowRunner.calls] == ["up"]  # compose was started although the port is taken
    assert "already in use" not in result.stderr


def test_after_up_with_compose_the_hints_name_the_same_file(tmp_path: Path) -> None:
    with run_standin(worker_delay=0) as s:
        folder = tmp_path / "my auth"
        folder.mkdir()
        (folder / "docker-compose.yml").write_text("services:\n  server:\n    image: ghcr.io/goauthentik/server:2026.5.6\n")
        (folder / ".env").write_text(f"COMPOSE_PORT_HTTP={s.port}\nAUTHENTIK_BOOTSTRAP_TOKEN={s.bootstrap_token}\n")
        result = _invoke("up", "--no-apply", "--compose", str(folder / "docker-compose.yml"))
    assert result.exit_code == 0, result.stderr
    quoted = f"'{folder / 'docker-compose.yml'}'"
    assert f"  stop it with `authlab down --compose {quoted}` (keeps data); logs: `authlab logs --compose {quoted}`\n" in result.stdout


class FastRunner(SlowRunner):
    COMPOSE_SECONDS = 0.0


class CrashLoopEngine(RunningEngine):
    """The worker restarts: uid 1000 cannot write the host folder mounted at /data (official file, root removed)."""

    def containers(self, project: str) -> list[ContainerState]:
        return [ContainerState("server", f"{project}-server-1", "running"),
                ContainerState("worker", f"{project}-worker-1", "restarting", restart_count=3)]

    def logs(self, project: str, service: str, tail: int, since: float | None = None) -> list[str]:
        return ["PermissionError: [Errno 13] Permission denied: '/data/media/public'"] if service == "worker" else []


def test_a_permission_error_names_the_host_folder_mounted_there(tmp_path: Path) -> None:
    folder = tmp_path / "auth"
    folder.mkdir()
    compose = folder / "docker-compose.yml"
    compose.write_text("services:\n  worker:\n    image: ghcr.io/goauthentik/server:2026.5.6\n    command: worker\n"
                       "    volumes:\n    - ./data:/data\n    - ./certs:/certs\n")
    (folder / ".env").write_text(f"COMPOSE_PORT_HTTP={_free_port()}\n")
    result = CliRunner().invoke(cli, ["up", "--no-apply", "--timeout", "20", "--compose", str(compose)],
                                obj=App(compose_factory=FastRunner, engine_factory=CrashLoopEngine))
    assert result.exit_code == 3, result.stderr
    data = folder / "data"
    assert result.stderr.splitlines()[-1] == (
        f"hint: the host folder {data} is mounted at /data: run mkdir -p {data} && sudo chown -R 1000:1000 {data} "
        "(or use named volumes as `authlab init` does)")


def test_up_with_a_compose_file_without_bootstrap_values_says_there_are_none(tmp_path: Path) -> None:
    with run_standin(worker_delay=0) as s:
        folder = tmp_path / "auth"
        folder.mkdir()
        (folder / "docker-compose.yml").write_text("services:\n  server:\n    image: ghcr.io/goauthentik/server:2026.5.6\n")
        (folder / ".env").write_text(f"COMPOSE_PORT_HTTP={s.port}\n")
        result = _invoke("up", "--no-apply", "--compose", str(folder / "docker-compose.yml"))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[2:4] == [
        f"  password    none: {folder / '.env'} has no AUTHENTIK_BOOTSTRAP_PASSWORD; on the first start set akadmin's "
        f"password at http://localhost:{s.port}/if/flow/initial-setup/",
        f"  API token   none: {folder / '.env'} has no AUTHENTIK_BOOTSTRAP_TOKEN, so `authlab provider create` and `apply` "
        "need --token (an API token made in the admin UI); or add AUTHENTIK_BOOTSTRAP_TOKEN to that .env before the first "
        "start (Authentik reads it only then)",
    ]
    assert "values hidden" not in result.stdout  # there are none to hide


class ChownLoopEngine(CrashLoopEngine):
    def logs(self, project: str, service: str, tail: int, since: float | None = None) -> list[str]:
        return ["chown: changing ownership of '/data': Operation not permitted"] if service == "worker" else []


def test_a_failed_up_with_compose_names_the_file_in_its_hint(tmp_path: Path) -> None:
    folder = tmp_path / "auth"
    folder.mkdir()
    compose = folder / "docker-compose.yml"
    compose.write_text("services:\n  worker:\n    image: ghcr.io/goauthentik/server:2026.5.6\n    user: root\n")
    (folder / ".env").write_text(f"COMPOSE_PORT_HTTP={_free_port()}\n")
    result = CliRunner().invoke(cli, ["up", "--no-apply", "--timeout", "20", "--compose", str(compose)],
                                obj=App(compose_factory=FastRunner, engine_factory=ChownLoopEngine))
    assert result.exit_code == 3, result.stderr
    hint = result.stderr.splitlines()[-1]
    assert f"`authlab compose patch {compose}` does it" in hint, hint
    assert "`authlab compose patch FILE`" not in result.stderr


def test_events_appear_in_the_order_they_happened(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    # a new lab: the first thing `up` does is create it, so that is the first line (stderr is not a terminal here),
    # even when the wait fails later (nothing answers on the port)
    ports = ["--port", str(_free_port()), "--https-port", str(_free_port())]  # an ephemeral port + 443 may pass 65535
    result = CliRunner().invoke(cli, ["--dir", str(lab), "up", "--no-apply", *ports, "--timeout", "3"],
                                obj=App(compose_factory=FastRunner, engine_factory=StoppedEngine))
    assert result.exit_code == 3, result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"created the lab in {lab} (settings and new secrets in .env)", result.stderr
    assert lines[1].startswith("waiting: containers running")
    assert sum(line.startswith("created the lab") for line in lines) == 1


def test_a_refused_token_after_up_with_compose_names_the_file_in_every_command_of_its_hint(tmp_path: Path) -> None:
    with run_standin(worker_delay=0) as s:
        folder = tmp_path / "auth"
        folder.mkdir()
        compose = folder / "docker-compose.yml"
        compose.write_text("services:\n  server:\n    image: ghcr.io/goauthentik/server:2026.5.6\n")
        # a token the server never saw: it reads the bootstrap values only on its very first start
        (folder / ".env").write_text(f"COMPOSE_PORT_HTTP={s.port}\nAUTHENTIK_BOOTSTRAP_TOKEN=not-the-one-it-knows\n")
        result = _invoke("up", "--no-apply", "--timeout", "10", "--compose", str(compose))
    assert result.exit_code == 3, result.stderr
    hint = result.stderr.splitlines()[-1]
    # whichever way the refusal is judged (token not created yet, or wrong token), each command it names needs the file
    commands = re.findall(r"`(authlab (?:up|down|status|logs)[^`]*)`", hint)
    assert commands, hint
    assert all(c.endswith(f" --compose {compose}") for c in commands), commands
