"""services.doctor: checks run side by side over one Facts, results keep catalogue order, a crash stays local."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from authentik_lab.app import App
from authentik_lab.core.checks import Check, ok
from authentik_lab.services.doctor import run_checks
from authentik_lab.services.doctor.facts import DoctorOptions, Facts


def test_checks_run_concurrently_share_facts_once_and_keep_their_order(tmp_path: Path) -> None:
    facts = Facts(App(lab_dir=tmp_path), DoctorOptions(cwd=tmp_path))
    calls: list[int] = []

    def slow_fact() -> str:
        calls.append(1)
        time.sleep(0.2)
        return "value"

    # All six checks must be inside run() at the same time to pass this barrier: run one after another, the
    # first wait times out and that check becomes an "error" result. Proves concurrency without a wall clock.
    together = threading.Barrier(6, timeout=10)

    def use(i: int):
        def run(f: Facts):
            together.wait()
            return ok(f"{i}: {f.once('shared', slow_fact)} on {threading.current_thread().name != 'MainThread'}")
        return run

    def crash(f: Facts):
        raise RuntimeError("boom")

    checks = [Check(f"g.c{i}", "t", "g", (), use(i)) for i in range(6)] + [Check("g.crash", "t", "g", (), crash)]
    results = run_checks(facts, checks)
    assert [r.id for r in results] == [c.id for c in checks]
    assert [r.summary for r in results[:6]] == [f"{i}: value on True" for i in range(6)]
    assert (results[6].status, results[6].summary) == ("error", "the check crashed: RuntimeError: boom")
    assert calls == [1]  # the fact was computed once although six checks asked at the same time


def test_a_failed_fact_is_remembered_and_re_raised_to_every_asker(tmp_path: Path) -> None:
    facts = Facts(App(lab_dir=tmp_path), DoctorOptions(cwd=tmp_path))
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("bad input")

    for _ in range(2):
        with pytest.raises(ValueError, match="bad input"):
            facts.once("x", broken)
    assert calls == [1]
    facts.forget("x")
    with pytest.raises(ValueError):
        facts.once("x", broken)
    assert calls == [1, 1]


def test_without_a_lab_every_input_is_missing_with_a_reason(tmp_path: Path) -> None:
    facts = Facts(App(lab_dir=tmp_path / "none"), DoctorOptions(cwd=tmp_path))
    assert facts.missing("compose") == "no lab here and no --compose FILE (run `authlab init`, or pass --compose FILE)"
    assert facts.missing("api") == "no Authentik URL (no lab here: pass --url and --token, or --compose FILE)"
    assert facts.missing("app-env") == "no app env file (pass --app-env FILE, or run in the app's folder with .env / .env.local / .env.development)"
    (tmp_path / ".env.local").write_text("AUTH_AUTHENTIK_ID=x\n")
    assert Facts(App(lab_dir=tmp_path / "none"), DoctorOptions(cwd=tmp_path)).missing("app-env") is None


class RootlessEngine:
    """What the engine adapter reports for a rootless engine where the server could not publish its port."""

    def require(self) -> None:
        pass

    def info(self):  # noqa: ANN201
        from authentik_lab.core.readiness import EngineInfo

        return EngineInfo("27.3.1", True, "Ubuntu 24.04.1 LTS", "linux", "x86_64")

    def containers(self, project: str) -> list:
        from authentik_lab.core.readiness import ContainerState

        busy = "driver failed programming external connectivity on endpoint: Bind for 127.0.0.1:9000 failed: port is already allocated"
        return [ContainerState("server", f"{project}-server-1", "created", error=busy), ContainerState("worker", f"{project}-worker-1", "running")]

    def logs(self, project: str, service: str, tail: int = 60, since: float | None = None) -> list[str]:
        return []


def test_engine_facts_come_from_the_engine_adapter_and_rootless_makes_worker_root_fail(tmp_path: Path) -> None:
    from authentik_lab.services.doctor import choose

    compose = tmp_path / "docker-compose.yml"
    compose.write_text(
        "services:\n"
        "  server:\n    image: ghcr.io/goauthentik/server:2026.5.6\n    command: server\n"
        "  worker:\n    image: ghcr.io/goauthentik/server:2026.5.6\n    command: worker\n    user: root\n"
    )
    (tmp_path / ".env").write_text("COMPOSE_PROJECT_NAME=p\n")
    facts = Facts(App(lab_dir=tmp_path / "none"), DoctorOptions(compose=compose, cwd=tmp_path), engine_factory=RootlessEngine)
    found = {r.id: r for r in run_checks(facts, choose(["engine.reachable", "compose.worker-root", "runtime.logs"]))}

    engine = found["engine.reachable"]
    assert (engine.status, engine.summary, engine.evidence) == (
        "ok", "Docker 27.3.1 (rootless)", ("engine 27.3.1, OS Ubuntu 24.04.1 LTS (linux/x86_64)",))
    root = found["compose.worker-root"]
    assert (root.status, root.summary) == (
        "fail", "worker runs as root (`user: root`) on a rootless engine: its chown of the mounted folders fails and it will crash-loop")
    logs = found["runtime.logs"]
    assert logs.status == "fail"
    assert logs.evidence == ("server| engine: driver failed programming external connectivity on endpoint: Bind for 127.0.0.1:9000 "
                             "failed: port is already allocated",)


class ExitedWorkerEngine(RootlessEngine):
    def containers(self, project: str) -> list:
        from authentik_lab.core.readiness import ContainerState

        return [ContainerState("server", f"{project}-server-1", "running"), ContainerState("worker", f"{project}-worker-1", "exited", exit_code=1)]


def test_doctor_with_compose_names_the_file_in_its_fixes(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from authentik_lab.cli.main import cli

    compose = tmp_path / "docker-compose.yml"
    compose.write_text("services:\n  server:\n    image: ghcr.io/goauthentik/server:2026.5.6\n    command: server\n"
                       "  worker:\n    image: ghcr.io/goauthentik/server:2026.5.6\n    command: worker\n")
    (tmp_path / ".env").write_text("COMPOSE_PROJECT_NAME=p\n")
    result = CliRunner().invoke(cli, ["--dir", str(tmp_path / "none"), "doctor", "--compose", str(compose), "runtime.containers"],
                                obj=App(engine_factory=ExitedWorkerEngine))
    assert result.exit_code == 1, result.output
    fixes = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("fix:")]
    assert fixes == [f"fix: `authlab up --compose {compose}` starts it; runtime.logs shows why it stopped"]
