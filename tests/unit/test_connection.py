"""services.connection: which Authentik, which token, and the canonical URL (no network needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from authentik_lab.app import App
from authentik_lab.errors import UsageError
from authentik_lab.services.connection import Connection, resolve_connection
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
    assert conn == Connection("https://auth.example.com", "tok", "options", ("removed the /api/v3 suffix (authlab adds API paths itself)",))


def test_a_loopback_alias_of_the_lab_gets_the_lab_token_and_a_warning(lab_app: App) -> None:
    lab = load_lab(lab_app.lab_dir)
    conn = resolve_connection(lab_app, "http://127.0.0.1:9123")
    assert conn.url == "http://127.0.0.1:9123" and conn.token == lab.bootstrap_token
    assert len(conn.notes) == 1 and "use http://localhost:9123 everywhere" in conn.notes[0]


def test_no_lab_and_no_url(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as err:
        resolve_connection(App(lab_dir=tmp_path / "none"))
    assert "no lab in" in err.value.message and "--url" in (err.value.hint or "")


def test_a_foreign_url_needs_a_token(lab_app: App) -> None:
    with pytest.raises(UsageError, match="no API token for https://auth.example.com"):
        resolve_connection(lab_app, "https://auth.example.com")
