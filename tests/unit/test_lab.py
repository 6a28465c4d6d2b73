"""services/lab: load_lab reads a lab as compose sees it; ensure_lab initialises once; secrets stay hidden."""

from __future__ import annotations

from pathlib import Path

import pytest

from authentik_lab.core import dotenv
from authentik_lab.errors import ConfigError
from authentik_lab.services.lab import ensure_lab, init_lab, load_lab


def _tokens():
    n = iter(range(1, 100))
    return lambda size: f"secret{next(n)}"


def test_load_lab_after_init(tmp_path: Path) -> None:
    lab_dir = tmp_path / "proj" / ".authlab"
    result = init_lab(lab_dir, token=_tokens())
    lab = load_lab(lab_dir, environ={})
    assert lab.to_dict() == {
        "dir": str(lab_dir),
        "compose_file": str(lab_dir / "compose.yml"),
        "env_file": str(lab_dir / ".env"),
        "project_name": result.project_name,
        "version": "2026.5.6",
        "image": "ghcr.io/goauthentik/server:2026.5.6",
        "http_port": 9000,
        "https_port": 9443,
        "bind": "127.0.0.1",
        "url": "http://localhost:9000",
        "admin_user": "akadmin",
    }
    assert (lab.bootstrap_password, lab.bootstrap_token) == ("secret3", "secret4")
    assert lab.env["PG_PASS"] == "secret1"
    assert "secret" not in repr(lab)


def test_the_shell_environment_wins_as_in_compose(tmp_path: Path) -> None:
    init_lab(tmp_path)
    lab = load_lab(tmp_path, environ={"COMPOSE_PORT_HTTP": "9300", "AUTHENTIK_TAG": "2025.10.1", "AUTHENTIK_IMAGE": "localhost/ak"})
    assert (lab.http_port, lab.https_port, lab.url) == (9300, 9443, "http://localhost:9300")
    assert (lab.version, lab.image) == ("2025.10.1", "localhost/ak:2025.10.1")


def test_a_tag_that_is_not_a_release_keeps_the_template_version(tmp_path: Path) -> None:
    init_lab(tmp_path, version="2025.2.4")
    (tmp_path / ".env").write_text((tmp_path / ".env").read_text() + "AUTHENTIK_TAG=latest\n")
    lab = load_lab(tmp_path, environ={})
    assert (lab.version, lab.image) == ("2025.2.4", "ghcr.io/goauthentik/server:latest")


def test_missing_lab_says_to_run_init(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_lab(tmp_path / "nope")
    assert info.value.message == f"no lab at {tmp_path / 'nope'} (.env is missing)"
    assert info.value.hint == f"run `authlab init` (or `authlab --dir {tmp_path / 'nope'} init`) first"


def test_missing_secret_says_which(tmp_path: Path) -> None:
    init_lab(tmp_path)
    env_file = tmp_path / ".env"
    env_file.write_text(dotenv.merge(env_file.read_text(), {"AUTHENTIK_BOOTSTRAP_TOKEN": ""}))
    with pytest.raises(ConfigError) as info:
        load_lab(tmp_path, environ={})
    assert info.value.message == f"{env_file}: missing values: AUTHENTIK_BOOTSTRAP_TOKEN"


def test_bad_port_in_the_environment_names_it(tmp_path: Path) -> None:
    init_lab(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_lab(tmp_path, environ={"COMPOSE_PORT_HTTP": "x"})
    assert info.value.message == "COMPOSE_PORT_HTTP must be a port number, got 'x' (from the environment)"
    assert info.value.hint == "fix or unset COMPOSE_PORT_HTTP in your shell"


def test_bad_value_in_env_file_points_at_its_line(tmp_path: Path) -> None:
    init_lab(tmp_path)
    env_file = tmp_path / ".env"
    env_file.write_text(env_file.read_text() + "AUTHLAB_BIND=nowhere\n")
    line = len(env_file.read_text().splitlines())
    with pytest.raises(ConfigError) as info:
        load_lab(tmp_path, environ={})
    assert info.value.location == f"{env_file}:{line}"


def test_ensure_lab_initialises_once(tmp_path: Path) -> None:
    lab, first = ensure_lab(tmp_path / "l")
    assert first.action == "created"
    again, second = ensure_lab(tmp_path / "l")
    assert second.action == "unchanged"
    assert again.bootstrap_token == lab.bootstrap_token and again.project_name == lab.project_name


def test_init_rewrites_a_deleted_compose_file_and_says_so(tmp_path: Path) -> None:
    init_lab(tmp_path)
    (tmp_path / "compose.yml").unlink()
    result = init_lab(tmp_path)
    assert (result.action, result.compose_written, result.compose_backup) == ("filled", True, None)
    assert (tmp_path / "compose.yml").is_file()


def test_newer_release_than_covered_warns(tmp_path: Path) -> None:
    result = init_lab(tmp_path, version="2026.8.1")
    assert result.warnings == (
        "Authentik 2026.8.1 is newer than the releases authlab's templates were checked against; using the current layout",
    )


def test_init_keeps_a_yaml_style_secret_and_rewrites_yaml_style_settings_in_place(tmp_path: Path) -> None:
    # compose reads `PG_PASS: x` (and a byte order mark); init must too, or it appends a new PG_PASS that compose
    # would then use: "password authentication failed" on an existing database
    init_lab(tmp_path, token=_tokens())
    env_file = tmp_path / ".env"
    text = env_file.read_text().replace("PG_PASS=secret1", "PG_PASS: yamlpass").replace("COMPOSE_PORT_HTTP=9000", "COMPOSE_PORT_HTTP: 9000")
    env_file.write_text("\ufeff" + text)
    result = init_lab(tmp_path, http_port=9100, token=_tokens())
    after = env_file.read_text()
    # the HTTPS port follows the HTTP one, as for any lab
    assert after == "\ufeff" + text.replace("COMPOSE_PORT_HTTP: 9000", "COMPOSE_PORT_HTTP: 9100").replace(
        "COMPOSE_PORT_HTTPS=9443", "COMPOSE_PORT_HTTPS=9543")
    assert result.action != "created"
    lab = load_lab(tmp_path, environ={})
    assert (lab.env["PG_PASS"], lab.http_port) == ("yamlpass", 9100)
