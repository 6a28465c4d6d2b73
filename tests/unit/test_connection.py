"""services.connection: which Authentik, which token, and the canonical URL (no network needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from authentik_lab.app import App
from authentik_lab.errors import UsageError
from authentik_lab.core.urls import BaseUrl
from authentik_lab.services.connection import Connection, canonical_url, resolve_connection
from authentik_lab.services.lab import init_lab, load_lab


@pytest.fixture
def lab_app(tmp_path: Path) -> App:
    init_lab(tmp_path / "lab", http_port=9123)
    return App(lab_dir=tmp_path / "lab")


def test_the_lab_is_the_default(lab_app: App) -> None:
    lab = load_lab(lab_app.lab_dir)
    assert resolve_connection(lab_app) == Connection(lab.url.rstrip("/"), lab.bootstrap_token, "lab", ())
    assert lab.url.startswith("http://localhost:9123")


def test_options_win_and_are_normalised(lab_app: App) -> None:
    conn = resolve_connection(lab_app, "https://Auth.Example.com/api/v3/", "tok")
    assert conn == Connection("https://auth.example.com", "tok", "options", ("removed the /api/v3 suffix (authlab adds API paths itself)", "lower-cased the scheme and host"))


def test_a_loopback_alias_of_the_lab_gets_the_lab_token_and_a_warning(lab_app: App) -> None:
    lab = load_lab(lab_app.lab_dir)
    conn = resolve_connection(lab_app, "http://127.0.0.1:9123")
    assert conn.url == "http://127.0.0.1:9123" and conn.token == lab.bootstrap_token
    assert len(conn.notes) == 1 and "but the browser uses http://localhost:9123, so the issuer (iss) will differ" in conn.notes[0]


def test_the_loopback_warning_also_comes_with_an_explicit_token(lab_app: App) -> None:
    # QA finding 11: `--url http://127.0.0.1:PORT/api/v3 --token T` used to skip the lab and so the warning
    conn = resolve_connection(lab_app, "http://127.0.0.1:9123/api/v3", "tok")
    assert conn.url == "http://127.0.0.1:9123" and conn.token == "tok"
    assert conn.notes[0] == "removed the /api/v3 suffix (authlab adds API paths itself)"
    assert conn.notes[1].startswith("http://127.0.0.1:9123 reaches the lab as '127.0.0.1', but the browser uses http://localhost:9123, so the issuer (iss) will differ")
    assert len(conn.notes) == 2


def test_canonical_url_is_the_one_normaliser(lab_app: App) -> None:
    assert canonical_url("http://localhost:9123/", "http://localhost:9123") == BaseUrl("http://localhost:9123", ("removed the trailing slash",))
    assert canonical_url("http://localhost:9123", "http://localhost:9123") == BaseUrl("http://localhost:9123", ())
    assert canonical_url("http://localhost:9123", None).notes == ()
    assert "the browser uses http://127.0.0.1:9123" in canonical_url("http://localhost:9123", "http://127.0.0.1:9123/").notes[0]


def test_no_lab_and_no_url(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as err:
        resolve_connection(App(lab_dir=tmp_path / "none"))
    assert "no lab in" in err.value.message and "--url" in (err.value.hint or "")


def test_a_foreign_url_needs_a_token(lab_app: App) -> None:
    with pytest.raises(UsageError, match="no API token for https://auth.example.com"):
        resolve_connection(lab_app, "https://auth.example.com")


def test_a_bad_url_error_names_the_option() -> None:
    from typer.testing import CliRunner

    from authentik_lab.cli.main import cli

    result = CliRunner().invoke(cli, ["provider", "list", "--url", "ftp://auth.example.org", "--token", "t"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == "error: --url: the Authentik URL must be http or https, not 'ftp': ftp://auth.example.org"
