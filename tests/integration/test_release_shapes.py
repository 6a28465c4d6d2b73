"""The safety net behind the release-facts table: a server whose release number and API disagree (a patched
build, a backport). `provider create` sends the table's shape, reads the field error, sends the other shape
once, says so with -v, and a second run is unchanged.

The stand-in speaks its own release; the release authlab believes it runs is swapped in `providers.detect_dialect`
(the one place that reads the version for a write), so every request still goes over real HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.core.dialect import Dialect
from tests.standin.pytest_plugin import standin  # noqa: F401

CALLBACK = "http://localhost:3000/api/auth/callback/authentik"


def _believe(monkeypatch: pytest.MonkeyPatch, version: str) -> None:
    monkeypatch.setattr("authentik_lab.services.providers.detect_dialect", lambda api: Dialect.for_version(version))


@pytest.fixture(autouse=True)
def _here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def _posts(s) -> list[tuple[str, int]]:
    return [(r["path"], r["status"]) for r in s.requests() if r["method"] == "POST" and r["path"] == "/api/v3/providers/oauth2/"]


@pytest.mark.parametrize(
    ("real", "believed", "stored", "note"),
    [
        ("2024.10.5", "2024.10.2", [{"matching_mode": "strict", "url": CALLBACK}],
         "POST /api/v3/providers/oauth2/: the server wants redirect_uris as a list of {matching_mode, url} (the CVE-2024-52289 form): sent again in that form"),
        ("2024.10.2", "2024.10.5", CALLBACK,
         "POST /api/v3/providers/oauth2/: the server wants redirect_uris as newline-separated text (each line a regex): sent again in that form"),
    ],
)
def test_redirect_uris_retried_once_in_the_other_form(standin, monkeypatch: pytest.MonkeyPatch, real: str, believed: str, stored, note: str) -> None:  # noqa: F811
    s = standin(version=real, worker_delay=0)
    s.wait_worker()
    _believe(monkeypatch, believed)
    result = CliRunner().invoke(cli, ["provider", "create", "web", "--preset", "nextauth", "--url", s.url, "--token", s.bootstrap_token, "-v"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert f"note: {note}" in result.stderr.splitlines()
    assert _posts(s) == [("/api/v3/providers/oauth2/", 400), ("/api/v3/providers/oauth2/", 201)]
    status, body = s.api("GET", "/api/v3/providers/oauth2/?name=web")
    assert body["results"][0]["redirect_uris"] == stored  # type: ignore[index]
    # without -v the retry is not mentioned; the second run reads the server's own form and changes nothing
    s.clear_requests()
    again = CliRunner().invoke(cli, ["provider", "create", "web", "--preset", "nextauth", "--url", s.url, "--token", s.bootstrap_token, "--json"])
    doc = json.loads(again.stdout)
    assert (again.exit_code, doc["data"]["action"], doc["data"]["retries"]) == (0, "unchanged", [])
    assert [r for r in s.requests() if r["method"] in ("POST", "PATCH")] == []


def test_missing_invalidation_flow_and_moved_scope_mappings_are_retried(standin, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    # the server is a 2024.10.0 (invalidation_flow required); authlab believes 2024.6.0 (none, old mapping path)
    s = standin(version="2024.10.0", worker_delay=0)
    s.wait_worker()
    _believe(monkeypatch, "2024.6.0")
    result = CliRunner().invoke(cli, ["provider", "create", "web", "--preset", "nextauth", "--url", s.url, "--token", s.bootstrap_token, "--json"])
    assert result.exit_code == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert doc["data"]["retries"] == [
        "POST /api/v3/providers/oauth2/: the server requires invalidation_flow: sent again with default-provider-invalidation-flow"]
    paths = [r["path"] for r in s.requests()]
    # the old path answered 404, the new one was read instead
    assert "/api/v3/propertymappings/scope/" in paths and "/api/v3/propertymappings/provider/scope/" in paths
    status, body = s.api("GET", "/api/v3/flows/instances/?slug=default-provider-invalidation-flow")
    inv = body["results"][0]["pk"]  # type: ignore[index]
    status, body = s.api("GET", "/api/v3/providers/oauth2/?name=web")
    assert body["results"][0]["invalidation_flow"] == inv  # type: ignore[index]


def test_an_unrelated_field_error_is_not_retried(standin, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    s = standin(version="2024.12.3", worker_delay=0)
    s.wait_worker()
    result = CliRunner().invoke(cli, ["provider", "create", "web", "--preset", "nextauth", "--url", s.url, "--token", s.bootstrap_token])
    assert result.exit_code == 0
    # the same name under another slug: a conflict the server reports, never a shape problem
    s.clear_requests()
    result = CliRunner().invoke(cli, ["provider", "create", "web", "--preset", "nextauth", "--slug", "other", "--url", s.url, "--token", s.bootstrap_token])
    assert result.exit_code != 0
    assert _posts(s) == []
