"""The e2e suite: real framework code (from npm and PyPI) logging in against the stand-in Authentik process.

Every app is wired only by the env file `authlab provider create --env-out` writes (started with
`node --env-file=FILE`), and driven by `authlab login-test --app`. The Node apps are installed and built once
per lockfile + sources (tests/e2e/node_apps.py); without node/npm the whole suite skips with that reason.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from tests.e2e import node_apps
from tests.standin.harness import Standin, start_standin

PASSWORD_ENV = "E2E_AKADMIN_PASSWORD"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def apps() -> node_apps.Layout:
    """The built copy of tests/e2e/apps (node_modules one folder up); skips only when node/npm are absent."""
    try:
        node_apps.tools()
    except node_apps.NodeMissing as exc:
        pytest.skip(str(exc))
    started = time.monotonic()
    built = node_apps.build(report=lambda m: print(f"\n[e2e] {m}", file=sys.stderr))
    print(f"\n[e2e] apps ready in {time.monotonic() - started:.1f}s under {built.modules}", file=sys.stderr)
    return built


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class NodeApp:
    url: str
    proc: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Lab:
    """One stand-in, the CLI pointed at it, a folder for env files, and the apps started for this test."""

    server: Standin
    dir: Path
    apps: node_apps.Layout
    started: list[NodeApp]

    def cli(self, *args: str) -> Any:
        return CliRunner().invoke(cli, [*args, "--url", self.server.url, "--token", self.server.bootstrap_token])

    def cli_json(self, *args: str) -> tuple[int, dict]:
        result = self.cli(*args, "--json")
        try:
            return result.exit_code, json.loads(result.stdout)
        except ValueError:
            raise AssertionError(f"not JSON (exit {result.exit_code}):\n{result.stdout}\n{result.stderr}") from None

    def provider(self, name: str, preset: str, app_url: str, *extra: str) -> Path:
        """`authlab provider create --env-out`: the only wiring an app gets."""
        env_file = self.dir / f"{name}.env"
        result = self.cli("provider", "create", name, "--preset", preset, "--app-url", app_url, "--env-out", str(env_file), *extra)
        assert result.exit_code == 0, result.stdout + result.stderr
        return env_file

    def env(self, env_file: Path) -> dict[str, str]:
        from authentik_lab.core.dotenv import parse

        return parse(env_file.read_text())

    def provider_pk(self, name: str) -> int:
        status, body = self.server.api("GET", "/api/v3/providers/oauth2/")
        assert status == 200, body
        return [p["pk"] for p in body["results"] if p["name"] == name][0]  # type: ignore[index]

    def patch_provider(self, name: str, **fields: Any) -> None:
        status, body = self.server.api("PATCH", f"/api/v3/providers/oauth2/{self.provider_pk(name)}/", fields)
        assert status == 200, body

    def node(self, argv: list[str], env_file: Path, port: int, cwd: Path) -> NodeApp:
        """`node --env-file=FILE ...` on 127.0.0.1:port; returns once it answers HTTP."""
        return self.process(["node", f"--env-file={env_file}", *argv], port, cwd)

    def process(self, argv: list[str], port: int, cwd: Path, ready_path: str = "/") -> NodeApp:
        """An app process on 127.0.0.1:port whose only wiring is its env file; returns once it answers HTTP."""
        log = self.dir / f"app-{port}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTHENTIK_", "AUTH_", "NEXTAUTH_", "OIDC_"))}
        env.update({"PORT": str(port), "NEXT_TELEMETRY_DISABLED": "1", "NODE_ENV": "production"})
        with open(log, "w") as out:
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        app = NodeApp(f"http://127.0.0.1:{port}", proc, log)
        self.started.append(app)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"{argv} exited {proc.returncode}:\n{app.output()[-3000:]}")
            try:
                urllib.request.urlopen(app.url + ready_path, timeout=2).close()
                return app
            except urllib.error.HTTPError:
                return app  # it answers: any status means the server is up
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"{argv} did not answer on {app.url} within 60 s:\n{app.output()[-3000:]}")

    def nextauth_app(self, env_file: Path, port: int) -> NodeApp:
        next_bin = self.apps.modules / "node_modules" / "next" / "dist" / "bin" / "next"
        return self.node([str(next_bin), "start", "-p", str(port), "-H", "127.0.0.1"], env_file, port, self.apps.next_app)

    def authjs_app(self, env_file: Path, port: int) -> NodeApp:
        return self.node([str(self.apps.apps / "authjs-app" / "server.mjs")], env_file, port, self.apps.apps / "authjs-app")

    def openid_client_app(self, env_file: Path, port: int) -> NodeApp:
        return self.node([str(self.apps.apps / "oidc-client" / "server.mjs")], env_file, port, self.apps.apps / "oidc-client")

    def authlib_app(self, env_file: Path, port: int) -> NodeApp:
        from tests.standin.harness import _module_and_cwd

        _, root = _module_and_cwd()
        return self.process([sys.executable, "-m", "tests.e2e.authlib_app", str(env_file), str(port)], port, Path(root))

    def hono_api(self, env_file: Path) -> NodeApp:
        port = free_port()
        return self.node([str(self.apps.apps / "api" / "server.mjs")], env_file, port, self.apps.apps / "api")

    def login_test(self, app_url: str, preset: str, *extra: str) -> tuple[int, dict]:
        return self.cli_json("login-test", "--app", app_url, "--preset", preset, "--user", "akadmin", "--password-env", PASSWORD_ENV, *extra)


@pytest.fixture
def lab(apps: node_apps.Layout, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    server = start_standin(version="2026.5.6", worker_delay=0)
    started: list[NodeApp] = []
    try:
        server.wait_worker()
        monkeypatch.setenv(PASSWORD_ENV, server.bootstrap_password)
        monkeypatch.chdir(tmp_path)
        yield Lab(server, tmp_path, apps, started)
    finally:
        for app in started:
            app.proc.terminate()
            try:
                app.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                app.proc.kill()
                app.proc.wait(timeout=5)
        server.stop()


def steps(doc: dict) -> list[tuple[str, str]]:
    return [(s["name"], s["status"]) for s in doc["data"]["steps"]]


def failed(doc: dict) -> dict:
    return next(s for s in doc["data"]["steps"] if s["status"] == "failed")


def api_get(url: str, token: str | None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")

