"""`authlab init` through the CLI: fresh lab, re-run, filling gaps, changing settings, JSON, errors."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.core import dotenv
from authentik_lab.core.lab_config import SECRET_KEYS, project_name
from authentik_lab.services.lab import load_lab

runner = CliRunner()


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    return tmp_path / ".authlab"  # AUTHLAB_DIR points here (tests/conftest.py)


def _init(*args: str):
    return runner.invoke(cli, ["init", *args], catch_exceptions=False)


def _secrets(lab: Path) -> dict[str, str]:
    env = dotenv.parse((lab / ".env").read_text())
    return {k: env[k] for k in SECRET_KEYS}


def _details(lab: Path, port: int = 9000, https: int = 9443) -> str:
    return (
        f"  compose file {lab}/compose.yml\n"
        f"  settings     {lab}/.env (mode 0600)\n"
        f"  URL          http://localhost:{port}  (HTTPS on port {https}, published on 127.0.0.1)\n"
        f"  admin user   akadmin\n"
        f"  password     AUTHENTIK_BOOTSTRAP_PASSWORD in {lab}/.env\n"
        f"  API token    AUTHENTIK_BOOTSTRAP_TOKEN in {lab}/.env\n"
        f"  project      {project_name(lab)}\n"
    )


def _assert_no_secret_in(output: str, lab: Path) -> None:
    for value in _secrets(lab).values():
        assert value not in output


def test_fresh_init(lab: Path) -> None:
    result = _init()
    assert result.exit_code == 0, result.output
    assert result.stdout == f"Created a lab for Authentik 2026.5.6 in {lab}\n" + _details(lab) + "next: authlab up\n"
    assert result.stderr == ""
    assert stat.S_IMODE((lab / ".env").stat().st_mode) == 0o600
    env = dotenv.parse((lab / ".env").read_text())
    assert env["AUTHENTIK_BOOTSTRAP_EMAIL"] == "admin@authlab.localhost"
    assert (env["COMPOSE_PORT_HTTP"], env["COMPOSE_PORT_HTTPS"], env["AUTHLAB_BIND"]) == ("9000", "9443", "127.0.0.1")
    assert env["COMPOSE_PROJECT_NAME"] == project_name(lab)
    assert len(env["PG_PASS"]) <= 99 and len(env["AUTHENTIK_SECRET_KEY"]) >= 50
    doc = yaml.safe_load((lab / "compose.yml").read_text())
    assert sorted(doc["services"]) == ["postgresql", "server", "worker"]
    assert not (lab / "compose.yml.bak").exists()
    assert (lab / ".gitignore").read_text().endswith("\n*\n")  # the secrets stay out of the app's repository
    _assert_no_secret_in(result.output, lab)


def test_rerun_is_a_no_op(lab: Path) -> None:
    _init()
    before = {p.name: p.read_bytes() for p in lab.iterdir()}
    result = _init()
    assert result.exit_code == 0
    assert result.stdout == f"lab already initialised at {lab}; secrets kept, nothing changed\n" + _details(lab)
    assert {p.name: p.read_bytes() for p in lab.iterdir()} == before


def test_missing_values_are_added_and_existing_secrets_kept(lab: Path) -> None:
    _init()
    kept = _secrets(lab)
    env_file = lab / ".env"
    lines = [ln for ln in env_file.read_text().splitlines() if not ln.startswith(("PG_PASS=", "AUTHENTIK_BOOTSTRAP_TOKEN="))]
    env_file.write_text("# mine\nMY_SETTING=1\n" + "\n".join(lines) + "\n")
    result = _init()
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == (
        f"lab at {lab} filled: added PG_PASS, AUTHENTIK_BOOTSTRAP_TOKEN to .env; existing secrets kept"
    )
    now = _secrets(lab)
    assert now["AUTHENTIK_SECRET_KEY"] == kept["AUTHENTIK_SECRET_KEY"]
    assert now["AUTHENTIK_BOOTSTRAP_PASSWORD"] == kept["AUTHENTIK_BOOTSTRAP_PASSWORD"]
    assert now["PG_PASS"] and now["PG_PASS"] != kept["PG_PASS"]
    assert env_file.read_text().startswith("# mine\nMY_SETTING=1\n")
    _assert_no_secret_in(result.output, lab)


def test_env_written_by_hand_gets_the_rest(lab: Path) -> None:
    lab.mkdir()
    (lab / ".env").write_text("PG_PASS=mine\nAUTHENTIK_SECRET_KEY=also-mine\n")
    (lab / ".env").chmod(0o644)
    result = _init()
    assert result.exit_code == 0
    assert result.stdout.startswith(f"lab at {lab} filled: added AUTHLAB_VERSION, ")
    assert "wrote compose.yml;" in result.stdout.splitlines()[0]
    env = dotenv.parse((lab / ".env").read_text())
    assert (env["PG_PASS"], env["AUTHENTIK_SECRET_KEY"]) == ("mine", "also-mine")
    assert stat.S_IMODE((lab / ".env").stat().st_mode) == 0o600


def test_port_and_version_change_rerenders_and_keeps_secrets(lab: Path) -> None:
    _init()
    kept = _secrets(lab)
    old_compose = (lab / "compose.yml").read_text()
    result = _init("--port", "9100", "--version", "2024.12.3")
    assert result.exit_code == 0
    assert result.stdout == (
        f"lab at {lab} updated: AUTHLAB_VERSION 2026.5.6 -> 2024.12.3; COMPOSE_PORT_HTTP 9000 -> 9100; "
        "COMPOSE_PORT_HTTPS 9443 -> 9543; wrote compose.yml (previous copy: compose.yml.bak); existing secrets kept\n"
        + _details(lab, 9100, 9543)
        + "next: authlab up\n"
    )
    assert result.stderr == (
        "warning: Authentik does not support downgrades: an existing database from 2026.5.6 may not start with 2024.12.3\n"
    )
    assert _secrets(lab) == kept
    assert (lab / "compose.yml.bak").read_text() == old_compose
    doc = yaml.safe_load((lab / "compose.yml").read_text())
    assert "redis" in doc["services"]
    assert doc["services"]["server"]["image"].endswith(":${AUTHENTIK_TAG:-2024.12.3}")
    loaded = load_lab(lab, environ={})
    assert (loaded.version, loaded.http_port, loaded.https_port, loaded.url) == ("2024.12.3", 9100, 9543, "http://localhost:9100")


def test_old_release_gets_the_redis_layout(lab: Path) -> None:
    result = _init("--version", "2024.12.3")
    assert result.exit_code == 0
    doc = yaml.safe_load((lab / "compose.yml").read_text())
    assert sorted(doc["services"]) == ["postgresql", "redis", "server", "worker"]


def test_json_output(lab: Path) -> None:
    result = _init("--json", "--port", "9200", "--bind", "0.0.0.0")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "authlab": 1,
        "command": "init",
        "ok": True,
        "data": {
            "action": "created",
            "lab_dir": str(lab),
            "compose_file": str(lab / "compose.yml"),
            "env_file": str(lab / ".env"),
            "url": "http://localhost:9200",
            "admin_user": "akadmin",
            "version": "2026.5.6",
            "http_port": 9200,
            "https_port": 9643,
            "bind": "0.0.0.0",
            "project_name": project_name(lab),
            "added": [],
            "changed": [],
            "compose_written": True,
            "compose_backup": None,
            "warnings": [],
            "running_stale": False,
            "password_key": "AUTHENTIK_BOOTSTRAP_PASSWORD",
            "token_key": "AUTHENTIK_BOOTSTRAP_TOKEN",
        },
    }
    _assert_no_secret_in(result.output, lab)


def test_dir_option_on_init_and_on_the_root(tmp_path: Path) -> None:
    assert runner.invoke(cli, ["init", "--dir", str(tmp_path / "a")]).exit_code == 0
    assert runner.invoke(cli, ["--dir", str(tmp_path / "b"), "init"]).exit_code == 0
    names = {dotenv.parse((tmp_path / d / ".env").read_text())["COMPOSE_PROJECT_NAME"] for d in ("a", "b")}
    assert len(names) == 2
    assert not (tmp_path / ".authlab").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "0"], "error: --port must be between 1 and 65535, got 0\n"),
        (["--bind", "localhost"], "error: --bind: bind address must be an IP address such as 127.0.0.1 or 0.0.0.0, got 'localhost'\n"),
        (["--version", "2022.12.1"], "error: --version: Authentik 2022.12.1 is older than the oldest release authlab's templates cover (2023.5)\n"),
        (["--version", "latest"], "error: --version: not an Authentik release number: 'latest' (expected YYYY.M[.P], e.g. 2026.5.6)\n"),
    ],
)
def test_bad_input_changes_nothing(lab: Path, args: list[str], message: str) -> None:
    result = _init(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == message + "hint: see `authlab init --help` for the accepted values\n"
    assert not lab.exists()


def test_broken_value_in_env_points_at_its_line(lab: Path) -> None:
    _init()
    env_file = lab / ".env"
    text = env_file.read_text().replace("COMPOSE_PORT_HTTP=9000", "COMPOSE_PORT_HTTP=nine")
    env_file.write_text(text)
    line = text.splitlines().index("COMPOSE_PORT_HTTP=nine") + 1
    result = _init()
    assert result.exit_code == 2
    # stderr wraps at the terminal width (120 here) and the tmp path is long: compare the words
    assert result.stderr.split() == (
        f"error: {env_file}:{line}: COMPOSE_PORT_HTTP must be a port number, got 'nine'\n"
        "hint: fix or delete the COMPOSE_PORT_HTTP line; `authlab init` fills in what is missing\n"
    ).split()
    assert env_file.read_text() == text


def test_lab_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / ".authlab").write_text("")
    result = _init()
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {tmp_path / '.authlab'} exists and is not a directory\n")


def test_rerun_tightens_a_loosened_env_mode_without_rewriting(lab: Path) -> None:
    _init()
    env_file = lab / ".env"
    env_file.chmod(0o644)
    before = env_file.read_bytes()
    result = _init()
    assert result.stdout.startswith(f"lab already initialised at {lab}; secrets kept, nothing changed\n")
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert env_file.read_bytes() == before


def test_an_existing_gitignore_is_left_alone(lab: Path) -> None:
    lab.mkdir()
    (lab / ".gitignore").write_text("mine\n")
    _init()
    assert (lab / ".gitignore").read_text() == "mine\n"


def test_a_new_port_on_a_running_lab_says_up_applies_it(tmp_path) -> None:  # noqa: ANN001
    from typer.testing import CliRunner

    from authentik_lab.app import App
    from authentik_lab.cli.main import cli
    from authentik_lab.core.readiness import ContainerState

    class Running:
        def containers(self, project: str) -> list:
            return [ContainerState("server", f"{project}-server-1", "running")]

    class Stopped:
        def containers(self, project: str) -> list:
            return []

    lab = str(tmp_path / "lab")
    assert CliRunner().invoke(cli, ["--dir", lab, "init"]).exit_code == 0
    result = CliRunner().invoke(cli, ["--dir", lab, "init", "--port", "19555"], obj=App(engine_factory=Running))
    assert result.exit_code == 0
    assert result.stdout.splitlines()[-1] == (
        "the lab is running with the old settings (COMPOSE_PORT_HTTP, COMPOSE_PORT_HTTPS): run `authlab up` to apply them")
    result = CliRunner().invoke(cli, ["--dir", lab, "init", "--port", "19556"], obj=App(engine_factory=Stopped))
    assert result.stdout.splitlines()[-1] == "next: authlab up"
