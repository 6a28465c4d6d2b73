"""`authlab apply --blueprint` on a real Docker engine with the locally built stand-in images (PostgreSQL-backed
stand-in, so the blueprint instance and the objects the queued apply makes survive in the database): the same
summary as `apply`, a login that works, and a second run with nothing to write."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.core import dotenv

pytestmark = pytest.mark.docker

LAB_FILE = """\
version: "2026.5.6"
port: {port}
providers:
  - {{name: web, preset: nextauth, app_url: http://localhost:3000}}
groups: [{{name: testers}}]
users:
  - {{username: alice, groups: [testers]}}
service_accounts: [{{name: ci-bot}}]
"""


def run(*args: str) -> tuple[int, Any, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    try:
        doc = json.loads(result.stdout) if result.stdout.strip() else None
    except ValueError:
        doc = None
    return result.exit_code, doc, result.stderr


def test_apply_blueprint_on_a_real_lab(lab_dir, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    lab = lab_dir("blueprint")
    monkeypatch.chdir(lab.path)
    monkeypatch.setenv("AUTHLAB_DIR", str(lab.path / ".authlab"))
    monkeypatch.setenv("AUTHLAB_CACHE_DIR", str(lab.path / "cache"))
    monkeypatch.setenv("COMPOSE_PORT_HTTPS", str(lab.https_port))
    (lab.path / "authlab.yaml").write_text(LAB_FILE.format(port=lab.http_port))
    # --no-apply reads no lab file, so its port is given here: the lab must not need port 9000 free
    code, doc, err = run("up", "--timeout", "300", "--no-apply", "--port", str(lab.http_port), "--https-port", str(lab.https_port), "--json")
    lab.track(dotenv.parse((lab.path / ".authlab" / ".env").read_text())["COMPOSE_PROJECT_NAME"])
    assert code == 0, err

    code, doc, err = run("apply", "--blueprint", "--json")
    assert code == 0, (doc, err)
    assert [(i["kind"], i["name"], i["action"]) for i in doc["data"]["items"]] == [
        ("group", "testers", "create"), ("user", "alice", "create"), ("service_account", "ci-bot", "create"), ("provider", "web", "create"),
    ]
    assert doc["data"]["blueprint"]["status"] == "successful"
    code, doc, err = run("login-test", "--provider", "web", "--json")
    assert code == 0, (doc, err)
    code, doc, err = run("token", "--user", "ci-bot", "--json")
    assert code == 0, err

    code, doc, err = run("apply", "--blueprint", "--json")
    assert code == 0, err
    assert {i["action"] for i in doc["data"]["items"]} == {"unchanged"} and doc["data"]["writes"] == 0
