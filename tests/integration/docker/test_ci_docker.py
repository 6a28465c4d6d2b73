"""`authlab ci` on a real Docker engine with the locally built stand-in images: from nothing in a clean
directory holding only `authlab.yaml`, to a ready lab, applied objects and exported variables; a second run
changes nothing; the exit codes tell "never ready" (3) from "apply failed" (4)."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.core import dotenv
from authentik_lab.errors import ExitCode

pytestmark = pytest.mark.docker

LAB_FILE = """\
version: "2026.5.6"
port: {port}
providers:
  - name: web
    preset: nextauth
    app_url: http://localhost:3000
groups:
  - name: testers
users:
  - username: alice
    email: alice@example.com
    groups: [testers]
service_accounts:
  - name: ci-bot
"""


def run(*args: str) -> tuple[int, dict[str, Any] | None, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    try:
        doc = json.loads(result.stdout) if result.stdout.strip() else None
    except ValueError:
        doc = None
    return result.exit_code, doc, result.stderr


def _unset_signing_key(url: str, lab_path: Path, name: str) -> None:
    """What API/Terraform-made providers get when signing_key is omitted (HS256, JWKS {})."""
    import httpx

    token = dotenv.parse((lab_path / ".authlab" / ".env").read_text())["AUTHENTIK_BOOTSTRAP_TOKEN"]
    headers = {"Authorization": f"Bearer {token}"}
    [pk] = [p["pk"] for p in httpx.get(f"{url}/api/v3/providers/oauth2/", headers=headers).json()["results"] if p["name"] == name]
    assert httpx.patch(f"{url}/api/v3/providers/oauth2/{pk}/", json={"signing_key": None}, headers=headers).status_code == 200


def _github_env(path: Path) -> dict[str, str]:
    # read as the runner reads it (KEY=value and the KEY<<DELIMITER form); later entries win
    from tests.github_env import parse_github_env

    return parse_github_env(path.read_text())


@pytest.fixture
def clean_dir(lab_dir, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001 - fixture factory
    lab = lab_dir("ci")
    monkeypatch.chdir(lab.path)
    monkeypatch.setenv("AUTHLAB_DIR", str(lab.path / ".authlab"))
    monkeypatch.setenv("AUTHLAB_CACHE_DIR", str(lab.path / "cache"))
    # the lab file sets the HTTP port; keep the derived HTTPS port on a free one as well
    monkeypatch.setenv("COMPOSE_PORT_HTTPS", str(lab.https_port))
    yield lab
    env_file = lab.path / ".authlab" / ".env"
    if env_file.is_file():  # whatever ci got to, its compose project is taken down by lab_dir
        lab.track(dotenv.parse(env_file.read_text())["COMPOSE_PROJECT_NAME"])


def test_ci_from_nothing_then_unchanged(clean_dir, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    lab = clean_dir
    (lab.path / "authlab.yaml").write_text(LAB_FILE.format(port=lab.http_port))
    github_env = lab.path / "github_env"
    github_env.write_text("")
    monkeypatch.setenv("GITHUB_ENV", str(github_env))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    code, doc, err = run("ci", "--timeout", "300")  # no --mask: GITHUB_ACTIONS=true turns the masks on
    assert code == 0, (doc, err)
    lab.track(dotenv.parse((lab.path / ".authlab" / ".env").read_text())["COMPOSE_PROJECT_NAME"])
    assert doc is not None and doc["ok"] is True
    data = doc["data"]
    url = f"http://localhost:{lab.http_port}"
    assert (data["url"], data["version"], data["github_env"], data["env_file"]) == (url, "2026.5.6", str(github_env), None)
    assert [(i["kind"], i["name"], i["action"]) for i in data["apply"]["items"]] == [
        ("group", "testers", "create"), ("user", "alice", "create"), ("service_account", "ci-bot", "create"), ("provider", "web", "create"),
    ]
    assert "done: worker created flows, scope mappings, certificate after" in err

    exported = _github_env(github_env)
    assert list(exported) == data["keys"]
    issuer = f"{url}/application/o/web/"
    assert exported["AUTHENTIK_URL"] == url
    assert (exported["AUTHLAB_WEB_ISSUER"], exported["AUTHLAB_WEB_ISSUER_NO_SLASH"]) == (issuer, issuer.rstrip("/"))
    assert exported["AUTHLAB_WEB_REDIRECT_URI"] == "http://localhost:3000/api/auth/callback/authentik"
    assert len(exported["AUTHLAB_WEB_CLIENT_SECRET"]) >= 40
    masks = [line for line in err.splitlines() if line.startswith("::add-mask::")]
    assert f"::add-mask::{exported['AUTHLAB_WEB_CLIENT_SECRET']}" in masks
    assert f"::add-mask::{exported['AUTHLAB_USER_ALICE_PASSWORD']}" in masks
    assert exported["AUTHLAB_USER_ALICE_USERNAME"] == "alice" and len(exported["AUTHLAB_USER_ALICE_PASSWORD"]) >= 20
    assert exported["AUTHLAB_SA_CI_BOT_TOKEN"]
    # the summary names the keys, never the secrets
    assert exported["AUTHLAB_WEB_CLIENT_SECRET"] not in json.dumps(doc)
    assert exported["AUTHLAB_USER_ALICE_PASSWORD"] not in json.dumps(doc)

    # what ci exported really logs in, and the service account gets a token
    code, doc, err = run("login-test", "--provider", "web", "--json")
    assert code == 0, (doc, err)
    code, doc, err = run("token", "--user", "ci-bot", "--json")
    assert code == 0, err
    assert doc["data"]["jwks_verified"] is True  # type: ignore[index]

    # second run: ready at once, everything unchanged, no writes
    code, doc, err = run("ci", "--timeout", "300", "--no-mask")
    assert code == 0, err
    assert {i["action"] for i in doc["data"]["apply"]["items"]} == {"unchanged"}  # type: ignore[index]
    assert doc["data"]["apply"]["writes"] == 0  # type: ignore[index]
    assert _github_env(github_env) == exported  # the same values again

    # a malformed file: exit 2 with its location, and the server is untouched (the next apply has nothing to do)
    (lab.path / "bad.yaml").write_text("users:\n  - username: alice\n    groups: testers\n")
    code, doc, err = run("apply", "-f", "bad.yaml", "--json")
    assert code == ExitCode.USAGE
    assert doc["error"]["message"] == "bad.yaml:3:13: users[0].groups: expected a list, got a string ('testers')"  # type: ignore[index]
    code, doc, err = run("apply", "--json")
    assert (code, doc["data"]["writes"]) == (0, 0)  # type: ignore[index]

    # login-test fails at the right step for each broken provider
    code, doc, err = run("login-test", "--provider", "web", "--redirect-uri", "http://localhost:3000/wrong", "--json")
    assert (code, doc["data"]["failed_step"]) == (1, "authorize")  # type: ignore[index]
    made = CliRunner().invoke(cli, ["provider", "create", "nooffline", "--redirect-uri", "http://localhost:5000/cb", "--no-offline-access"])
    assert made.exit_code == 0, made.stderr
    code, doc, err = run("login-test", "--provider", "nooffline", "--json")
    assert (code, doc["data"]["failed_step"]) == (1, "refresh")  # type: ignore[index]
    _unset_signing_key(exported["AUTHENTIK_URL"], lab.path, "web")
    code, doc, err = run("login-test", "--provider", "web", "--json")
    assert (code, doc["data"]["failed_step"]) == (1, "id_token")  # type: ignore[index]
    assert doc["data"]["steps"][-1]["cause"].startswith("no signing key:")  # type: ignore[index]

    # --prune: the file drops the group and the service account; only managed objects go
    (lab.path / "authlab.yaml").write_text(LAB_FILE.format(port=lab.http_port).split("groups:")[0] + "users:\n  - username: alice\n    email: alice@example.com\n")
    code, doc, err = run("apply", "--prune", "--yes", "--json")
    assert code == 0, err
    changed = [(i["kind"], i["name"], i["action"]) for i in doc["data"]["items"] if i["action"] != "unchanged"]  # type: ignore[index]
    # web's signing key is restored; `nooffline` came from `provider create` (no authlab.yaml marker), so it stays
    assert changed == [("group", "testers", "delete"), ("user", "alice", "update"), ("service_account", "ci-bot", "delete"),
                       ("provider", "web", "update")]
    assert CliRunner().invoke(cli, ["provider", "show", "nooffline"]).exit_code == 0
    code, doc, err = run("login-test", "--provider", "web", "--json")
    assert code == 0, doc

    # a lab file that cannot be applied: exit 4, distinct from "never ready"
    (lab.path / "broken.yaml").write_text("users:\n  - username: akadmin\n")
    code, doc, err = run("ci", "-f", "broken.yaml", "--timeout", "120")
    assert code == ExitCode.APPLY_FAILED
    assert doc["error"]["type"] == "ApplyError"  # type: ignore[index]


def test_ci_without_github_env_writes_the_env_file_with_mode_0600(clean_dir, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    lab = clean_dir
    monkeypatch.delenv("GITHUB_ENV", raising=False)
    (lab.path / "authlab.yaml").write_text(f'version: "2026.5.6"\nport: {lab.http_port}\nusers:\n  - username: bob\n')
    code, doc, err = run("ci", "--timeout", "1")
    # one second is not enough for a first boot: "never got ready" has its own exit code
    assert code == ExitCode.NOT_READY, (doc, err)
    assert doc["error"]["type"] in ("WaitTimeout", "NotReadyError")  # type: ignore[index]
    code, doc, err = run("ci", "--timeout", "300", "--env-out", "app.env")
    assert code == 0, err
    env_file = lab.path / "app.env"
    assert doc["data"]["env_file"] == "app.env"  # type: ignore[index]
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = dotenv.parse(env_file.read_text())
    assert values["AUTHLAB_USER_BOB_USERNAME"] == "bob"
    assert values["AUTHENTIK_URL"] == f"http://localhost:{lab.http_port}"
