"""The real `authlab ci` service end to end against the stand-in: compose and the engine are fakes (the Docker
variant is tests/integration/docker/test_ci_docker.py), everything else is the code that runs in a pipeline.

Here the GITHUB_ACTIONS default of the masks is the service's own decision, not a fake's (tests/unit/test_cli_ci.py
replaces the service to test the CLI's streams)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from authentik_lab.app import App
from authentik_lab.cli.main import cli
from authentik_lab.core import dotenv
from authentik_lab.core.readiness import ContainerState
from tests.standin.harness import run_standin

LAB_FILE = """\
providers:
  - name: web
    preset: nextauth
    app_url: http://localhost:3000
users:
  - {username: alice, email: alice@example.com}
"""


class NoCompose:
    """`docker compose`: the stand-in process already is "the containers"."""

    def __init__(self, **kw: object) -> None:
        self.kw = kw

    def run(self, *args: str, timeout: float | None = None):  # noqa: ANN201 - `docker compose exec` of the database
        import subprocess

        return subprocess.CompletedProcess(list(args), 0, stdout=getattr(type(self), "system_id", ""), stderr="")

    def up(self, timeout: float | None = None) -> None:
        pass


class RunningEngine:
    """The lab's containers run (the stand-in process is "them"); no volume existed before `up` (a first boot)."""

    def volume_created(self, name: str) -> str | None:
        return None

    def image_id(self, ref: str) -> str | None:
        return None  # not pulled: no snapshot can match

    def require(self) -> None:
        pass

    def containers(self, project: str) -> list[ContainerState]:
        return [ContainerState(s, f"{project}-{s}-1", "running") for s in ("postgresql", "server", "worker")]

    def logs(self, project: str, service: str, tail: int, since: float | None = None) -> list[str]:
        return []


def _ci(*args: str):  # noqa: ANN202
    return CliRunner().invoke(cli, list(args), obj=App(compose_factory=NoCompose, engine_factory=RunningEngine))


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201 - yields (lab dir, stand-in)
    monkeypatch.chdir(tmp_path)
    lab_dir = tmp_path / "lab"
    assert CliRunner().invoke(cli, ["--dir", str(lab_dir), "init"]).exit_code == 0
    token = dotenv.parse((lab_dir / ".env").read_text())["AUTHENTIK_BOOTSTRAP_TOKEN"]
    with run_standin(worker_delay=0, env={"AUTHENTIK_BOOTSTRAP_TOKEN": token}) as s:
        init = CliRunner().invoke(cli, ["--dir", str(lab_dir), "init", "--port", str(s.port), "--https-port", str(s.port + 1)])
        assert init.exit_code == 0, init.output
        (tmp_path / "authlab.yaml").write_text(LAB_FILE)
        yield lab_dir, s


def test_under_github_actions_the_service_masks_every_exported_secret(lab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # noqa: ANN001
    lab_dir, s = lab
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = _ci("--dir", str(lab_dir), "ci", "--env-out", "out.env")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["ok"], doc["data"]["url"], doc["data"]["env_file"]) == (True, f"http://localhost:{s.port}", "out.env")
    exported = dotenv.parse((tmp_path / "out.env").read_text())
    assert list(exported) == doc["data"]["keys"]
    masks = [line for line in result.stderr.splitlines() if line.startswith("::add-mask::")]
    secrets = [exported["AUTHLAB_WEB_CLIENT_SECRET"], exported["AUTHLAB_USER_ALICE_PASSWORD"]]
    assert [f"::add-mask::{v}" in masks for v in secrets] == [True, True]
    assert all(secret and secret not in result.stdout for secret in secrets)


def test_without_github_actions_there_is_no_mask_line(lab, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    lab_dir, _ = lab
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    result = _ci("--dir", str(lab_dir), "ci")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["data"]["env_file"] == str(lab_dir / "ci.env")
    assert "::add-mask::" not in result.stderr + result.stdout


def test_ci_reports_the_lab_dir_like_up_does(lab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # noqa: ANN001
    lab_dir, _ = lab
    monkeypatch.setenv("AUTHLAB_DIR", "lab")  # the default `.authlab` is relative in the same way
    up = _ci("up", "--json", "--no-apply")
    assert up.exit_code == 0, up.stderr
    assert json.loads(up.stdout)["data"]["lab_dir"] == str(lab_dir)
    ci = _ci("ci")
    assert ci.exit_code == 0, ci.stderr
    assert json.loads(ci.stdout)["data"]["lab_dir"] == str(lab_dir)


def test_a_failing_lab_file_is_named_once_in_the_hint_with_its_dash_f(lab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # noqa: ANN001
    lab_dir, s = lab
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "b2.yaml").write_text("users:\n  - username: dave\n    groups: [nosuchgroup]\n")
    result = _ci("--dir", str(lab_dir), "ci", "-f", "bad/b2.yaml")
    assert result.exit_code == 4, result.stderr
    hint = ("nothing was changed on the server; fix bad/b2.yaml or the named objects, then run `authlab apply -f bad/b2.yaml`; "
            "Authentik is left running (`authlab down` stops it)")
    assert json.loads(result.stdout)["error"]["hint"] == hint
    assert result.stderr.splitlines()[-2:] == [
        f"error: Authentik is ready at http://localhost:{s.port} and left running, but bad/b2.yaml could not "
        "be applied: bad/b2.yaml:3:14: users[0].groups[0]: user 'dave' names group 'nosuchgroup', which is neither in the file's "
        "groups nor on the server",
        f"hint: {hint}",
    ]
    assert result.stderr.count("authlab apply") == 1


def test_success_summary_on_stderr_says_what_was_applied_and_where_the_env_went(lab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # noqa: ANN001
    lab_dir, _ = lab
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setenv("GITHUB_ENV", str(tmp_path / "gh.env"))
    first = _ci("--dir", str(lab_dir), "ci", "--env-out", "out.env")
    assert first.exit_code == 0, first.stderr
    keys = len(json.loads(first.stdout)["data"]["keys"])
    assert first.stderr.splitlines()[-3:] == [
        "boot: booted cold (a new database: migrations and the first blueprint pass)",
        "applied authlab.yaml: 2 created, 0 updated, 0 unchanged (6 writes)",
        f"env: {keys} keys appended to $GITHUB_ENV ({tmp_path / 'gh.env'}) and written to out.env (mode 0600)",
    ]
    again = _ci("--dir", str(lab_dir), "ci", "--env-out", "out.env")
    assert again.stderr.splitlines()[-2] == "applied authlab.yaml: 0 created, 0 updated, 2 unchanged (0 writes)"


def test_a_provider_with_app_dir_and_env_names_is_exported_under_the_apps_names_too(lab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # noqa: ANN001
    from tests.conftest import write_tree
    from tests.integration.app_fixtures import NEXTAUTH_TUTORIAL

    lab_dir, s = lab
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    write_tree(tmp_path / "web", NEXTAUTH_TUTORIAL.files)
    (tmp_path / "authlab.yaml").write_text(LAB_FILE.replace("    app_url: http://localhost:3000\n", (
        "    app_url: http://localhost:3000\n    app_dir: web\n    env_names: {jwks_url: AUTHENTIK_JWKS}\n")))
    result = _ci("--dir", str(lab_dir), "ci", "--env-out", "out.env")
    assert result.exit_code == 0, result.stderr
    exported = dotenv.parse((tmp_path / "out.env").read_text())
    issuer = f"http://localhost:{s.port}/application/o/web/"
    assert {k: exported[k] for k in ("AUTHENTIK_CLIENT_ID", "AUTHENTIK_ISSUER", "AUTHENTIK_TOKEN", "NEXTAUTH_URL", "AUTHENTIK_JWKS")} == {
        "AUTHENTIK_CLIENT_ID": exported["AUTHLAB_WEB_CLIENT_ID"], "AUTHENTIK_ISSUER": issuer.rstrip("/"),
        "AUTHENTIK_TOKEN": f"http://localhost:{s.port}/application/o/token/", "NEXTAUTH_URL": "http://localhost:3000",
        "AUTHENTIK_JWKS": f"{issuer}jwks/"}
    assert exported["AUTHENTIK_CLIENT_SECRET"] == exported["AUTHLAB_WEB_CLIENT_SECRET"]
    masks = [line for line in result.stderr.splitlines() if line.startswith("::add-mask::")]
    assert f"::add-mask::{exported['AUTHENTIK_CLIENT_SECRET']}" in masks
    assert not any("/application/o/token/" in m for m in masks)  # AUTHENTIK_TOKEN is the app's token URL here


def test_an_app_dir_that_is_not_a_folder_is_exit_2_before_anything_starts(lab, tmp_path: Path) -> None:  # noqa: ANN001
    lab_dir, s = lab
    (tmp_path / "authlab.yaml").write_text(LAB_FILE.replace("    preset: nextauth\n", "    preset: nextauth\n    app_dir: nowhere\n"))
    result = _ci("--dir", str(lab_dir), "ci", "--env-out", "out.env")
    assert result.exit_code == 2, result.stderr
    assert "authlab.yaml:4:14: providers[0].app_dir: nowhere is not a folder" in result.stderr
    assert not (tmp_path / "out.env").exists()


def test_awkward_values_reach_github_env_and_the_env_file_intact(lab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:  # noqa: ANN001
    from tests.github_env import parse_github_env

    lab_dir, _ = lab
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    password = "pa$$ word! \"double\" 'single' $HOME\nsecond line"
    one_line = "a b $c !d \"e\" 'f'"
    monkeypatch.setenv("BOB_PASSWORD", password)
    monkeypatch.setenv("CAROL_PASSWORD", one_line)
    (tmp_path / "authlab.yaml").write_text(LAB_FILE + "  - {username: bob, password_env: BOB_PASSWORD}\n"
                                           "  - {username: carol, password_env: CAROL_PASSWORD}\n")
    github_env = tmp_path / "gh.env"
    github_env.write_text("EARLIER_STEP=kept\n")  # the runner's file already holds what earlier steps wrote
    monkeypatch.setenv("GITHUB_ENV", str(github_env))
    result = _ci("--dir", str(lab_dir), "ci", "--env-out", "out.env")
    assert result.exit_code == 0, result.stderr
    as_runner_reads = parse_github_env(github_env.read_text())
    from_env_file = dotenv.parse((tmp_path / "out.env").read_text())
    assert as_runner_reads["EARLIER_STEP"] == "kept"
    assert as_runner_reads["AUTHLAB_USER_BOB_PASSWORD"] == password
    assert {k: v for k, v in as_runner_reads.items() if k != "EARLIER_STEP"} == from_env_file
    assert as_runner_reads["AUTHLAB_USER_CAROL_PASSWORD"] == one_line
    # a value that needs quoting in a .env file is never written in the raw one-line form to $GITHUB_ENV
    written = github_env.read_text().splitlines()
    assert f"AUTHLAB_USER_CAROL_PASSWORD={one_line}" not in written
    assert [line.split("<<")[0] for line in written if "<<" in line and "=" not in line.split("<<")[0]] == [
        "AUTHLAB_USER_BOB_PASSWORD", "AUTHLAB_USER_CAROL_PASSWORD"]
    assert "AUTHLAB_USER_BOB_USERNAME=bob" in written  # plain values keep the simple form
