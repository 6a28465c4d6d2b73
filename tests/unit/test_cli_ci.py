"""`authlab ci` output streams: stdout is only the JSON document, even under GitHub Actions (masks go to stderr).

The service itself needs Docker (tests/integration/docker/test_ci_docker.py); here it is replaced by one that
returns a real CiResult, so what is tested is exactly the CLI's job: which stream gets what.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.core import apply_plan as ap
from authentik_lab.core import ci_export as ce
from authentik_lab.services import ci as ci_service
from authentik_lab.services.apply import ApplyResult

SECRETS = {"AUTHLAB_WEB_CLIENT_SECRET": "client-secret-123", "AUTHLAB_USER_BOB_PASSWORD": "bobpw-Secret-123"}


MASK_ARGS: list[object] = []  # what the CLI passed as `mask`: the GITHUB_ACTIONS default itself is the service's job


def _fake_ci(app, file=None, *, env_out=None, timeout=600.0, mask=None, on_event=None):  # noqa: ANN001
    import os

    MASK_ARGS.append(mask)
    values = {"AUTHENTIK_URL": "http://localhost:9000", "AUTHLAB_WEB_CLIENT_ID": "web-local", **SECRETS}
    if mask is None:  # mirrors services.ci; the real default is covered by test_ci_docker (no --mask given there)
        mask = os.environ.get("GITHUB_ACTIONS", "").lower() == "true"
    plan = ap.Plan((ap.Item("group", "testers", ap.Action.UNCHANGED), ap.Item("user", "bob", ap.Action.CREATE),
                    ap.Item("provider", "web", ap.Action.UNCHANGED)))
    applied = ApplyResult(file="e2e/lab.yaml", url="http://localhost:9000", dry_run=False, prune=False, plan=plan, writes=2)
    return ci_service.CiResult(
        url="http://localhost:9000", version="2026.5.6", lab_dir=str(app.lab_dir), ready_after=1.0, apply=applied,
        github_env=os.environ.get("GITHUB_ENV") or None, env_file=None if os.environ.get("GITHUB_ENV") else "/lab/ci.env",
        keys=tuple(values), masks=tuple(ce.github_masks(values)) if mask else (),
    )


SUMMARY = ["boot: booted on an existing database", "applied e2e/lab.yaml: 1 created, 0 updated, 2 unchanged (2 writes)", "env: 4 keys written to /lab/ci.env (mode 0600)"]


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    MASK_ARGS.clear()
    monkeypatch.setattr(ci_service, "ci", _fake_ci)
    return CliRunner()


def test_under_github_actions_stdout_is_only_json_and_masks_go_to_stderr(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("CI", "true")
    result = runner.invoke(cli, ["ci"])
    assert result.exit_code == 0, result.output
    assert MASK_ARGS == [None]  # no option: the service decides from GITHUB_ACTIONS
    doc = json.loads(result.stdout)  # the whole of stdout parses: no workflow command before or after it
    assert doc["command"] == "ci" and doc["ok"] is True
    assert doc["data"]["keys"] == ["AUTHENTIK_URL", "AUTHLAB_WEB_CLIENT_ID", *SECRETS]
    assert result.stderr.splitlines() == ["::add-mask::client-secret-123", "::add-mask::bobpw-Secret-123", *SUMMARY]
    for secret in SECRETS.values():
        assert secret not in result.stdout


def test_without_github_actions_no_mask_lines_at_all(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    result = runner.invoke(cli, ["ci"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"] is True
    assert result.stderr.splitlines() == SUMMARY
    assert "::add-mask::" not in result.stderr
    assert "::add-mask::" not in result.stdout


def test_mask_option_forces_mask_lines_on_stderr(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    result = runner.invoke(cli, ["ci", "--mask"])
    assert result.exit_code == 0, result.output
    assert MASK_ARGS == [True]
    assert json.loads(result.stdout)["ok"] is True
    assert "::add-mask::client-secret-123" in result.stderr.splitlines()


def test_a_failure_is_json_on_stdout_and_words_on_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    from authentik_lab.errors import ApplyError

    def failing(app, file=None, **kw):  # noqa: ANN001, ANN003
        raise ApplyError("apply failed: boom", hint="fix it")

    monkeypatch.setattr(ci_service, "ci", failing)
    result = CliRunner().invoke(cli, ["ci"])
    assert result.exit_code == 4
    doc = json.loads(result.stdout)
    assert (doc["ok"], doc["error"]["message"], doc["error"]["hint"]) == (False, "apply failed: boom", "fix it")
    assert result.stderr.splitlines() == ["error: apply failed: boom", "hint: fix it"]


def test_progress_lines_use_the_same_words_as_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from authentik_lab.core.readiness import Stage
    from authentik_lab.services.wait import StageEvent

    def with_progress(app, file=None, *, on_event=None, **kw):  # noqa: ANN001, ANN003
        on_event(StageEvent(Stage.LIVE, "active", "", 0.1))  # not finished: no line
        on_event(StageEvent(Stage.WORKER_OBJECTS, "done", "", 3.4))
        return _fake_ci(app, file, **kw)

    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setattr(ci_service, "ci", with_progress)
    result = CliRunner().invoke(cli, ["ci"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == ["done: worker created flows, scope mappings, certificate after 3.4s", *SUMMARY]


def test_no_mask_wins_over_github_actions(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = runner.invoke(cli, ["ci", "--no-mask"])
    assert result.exit_code == 0, result.output
    assert MASK_ARGS == [False]
    assert "::add-mask::" not in result.stderr


def test_success_summary_names_the_counts_and_both_env_targets(runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GITHUB_ENV", str(tmp_path / "gh.env"))
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    result = runner.invoke(cli, ["ci"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [*SUMMARY[:2], f"env: 4 keys appended to $GITHUB_ENV ({tmp_path / 'gh.env'})"]
    for secret in SECRETS.values():
        assert secret not in result.stderr


def test_summary_lines_with_both_targets_and_deletes() -> None:
    from authentik_lab.cli.ci import summary_lines

    plan = ap.Plan((ap.Item("user", "carol", ap.Action.DELETE), ap.Item("user", "bob", ap.Action.UPDATE)))
    applied = ApplyResult(file="authlab.yaml", url="u", dry_run=False, prune=True, plan=plan, writes=1)
    result = ci_service.CiResult(url="u", version=None, lab_dir="/lab", ready_after=0.0, apply=applied,
                                 github_env="/gh/env", env_file="out.env", keys=("A",), boot="snapshot",
                                 snapshot="2026.5.6-0123456789abcdef")
    assert summary_lines(result) == [
        "boot: booted from database snapshot 2026.5.6-0123456789abcdef",
        "applied authlab.yaml: 0 created, 1 updated, 0 unchanged, 1 deleted (1 write)",
        "env: 1 key appended to $GITHUB_ENV (/gh/env) and written to out.env (mode 0600)",
    ]


@pytest.mark.parametrize("command", ["ci", "token", "login-test", "apply"])
def test_help_shows_metavars_not_python_types(command: str) -> None:
    import re

    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert re.findall(r"<(?:str|int|float|path|bool|list\[\w+\])>", result.stdout) == []
    options = " ".join(result.stdout.split())
    expected = {
        "ci": ["-f, --file FILE", "--env-out FILE", "--timeout SECONDS"],
        "token": ["-u, --user USER", "-p, --provider NAME", "-f, --file FILE", "--password-env VAR", "--url URL", "--token TOKEN"],
        "login-test": ["-p, --provider NAME", "-u, --user USER", "--password-env VAR", "--redirect-uri URI", "-f, --file FILE"],
        "apply": ["-f, --file FILE", "--url URL", "--token TOKEN"],
    }[command]
    assert [e for e in expected if e not in options] == []
