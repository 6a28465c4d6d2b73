"""Shared setup for the lab-file CLI tests: a fresh stand-in per test, the CLI pointed at it, a working dir."""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from tests.standin.harness import Standin

LAB_FILE = """
    version: "2026.5.6"
    providers:
      - name: web
        preset: nextauth
        app_url: http://localhost:3000
      - name: api
        preset: generic
        redirect_uris: [http://localhost:8080/cb]
        offline_access: false
    groups:
      - name: testers
    users:
      - username: alice
        email: alice@example.com
        name: Alice Example
        groups: [testers]
      - username: bob
        password_env: BOB_PASSWORD
    service_accounts:
      - name: ci-bot
    """


@dataclass
class Env:
    server: Standin
    dir: Path

    def write(self, text: str, name: str = "authlab.yaml") -> Path:
        path = self.dir / name
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    def writes(self) -> list[tuple[str, str]]:
        """The stand-in's recorded write requests since the last clear: (method, path)."""
        return [(r["method"], r["path"]) for r in self.server.requests() if r["method"] not in ("GET", "HEAD", "OPTIONS")]

    def api(self, method: str, path: str, body: Any = None) -> Any:
        status, data = self.server.api(method, path, body)
        assert 200 <= status < 300, (status, data)
        return data


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def invoke_json(*args: str) -> tuple[int, dict]:
    result = invoke(*args, "--json")
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"not JSON (exit {result.exit_code}):\n{result.stdout}\n{result.stderr}") from None


@pytest.fixture
def env(standin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Env:
    server = standin(version="2026.5.6", worker_delay=0)
    server.wait_worker()
    monkeypatch.setenv("AUTHENTIK_URL", server.url)
    monkeypatch.setenv("AUTHENTIK_TOKEN", server.bootstrap_token)
    monkeypatch.setenv("AUTHLAB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("BOB_PASSWORD", "bob-Secret-123")
    monkeypatch.chdir(tmp_path)
    return Env(server, tmp_path)
