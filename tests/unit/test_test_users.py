"""Test users' passwords: from the environment, or generated once and kept (mode 0600) for later runs."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from authentik_lab.core.labfile import LabFile, UserSpec, parse
from authentik_lab.errors import ConfigError
from authentik_lab.services.test_users import load_labfile, password_for, read_store, resolve_passwords, store_path, stored_password, write_store

LAB = LabFile(path="authlab.yaml", users=(UserSpec("alice"), UserSpec("bob", password_env="BOB_PW")))


def test_generated_passwords_are_stable_once_stored(tmp_path: Path) -> None:
    first, generated = resolve_passwords(LAB, tmp_path, environ={"BOB_PW": "b"})
    assert first["bob"] == "b" and len(first["alice"]) >= 20
    assert generated == {"alice": first["alice"]}
    # not stored yet: another resolve invents another password
    assert resolve_passwords(LAB, tmp_path, environ={"BOB_PW": "b"})[0]["alice"] != first["alice"]
    write_store(tmp_path, generated)
    assert stat.S_IMODE(store_path(tmp_path).stat().st_mode) == 0o600
    assert resolve_passwords(LAB, tmp_path, environ={"BOB_PW": "b"})[0] == first
    assert password_for(LAB.users[0], tmp_path) == first["alice"]
    assert password_for(LAB.users[1], tmp_path, environ={"BOB_PW": "b"}) == "b"
    assert read_store(tmp_path) == {"alice": first["alice"]}


def test_missing_environment_variable_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_passwords(LAB, tmp_path, environ={})
    assert info.value.message == "authlab.yaml: users[1].password_env (bob): BOB_PW is not set or empty"


def test_missing_environment_variable_points_at_the_password_env_key_of_a_parsed_file(tmp_path: Path) -> None:
    lab = parse("users:\n  - username: alice\n  - username: dave\n    password_env: DAVE_PW_UNSET\n"
                "  - username: erin\n    password_env: ERIN_PW_UNSET\n", filename="bad/b2.yaml")
    with pytest.raises(ConfigError) as info:
        resolve_passwords(lab, tmp_path, environ={})
    assert info.value.message == "bad/b2.yaml:4:19: users[1].password_env (dave): DAVE_PW_UNSET is not set or empty"
    assert info.value.evidence == ["bad/b2.yaml:6:19: users[2].password_env (erin): ERIN_PW_UNSET is not set or empty"]  # type: ignore[attr-defined]


def test_stored_password_is_found_by_username_whichever_file_generated_it(tmp_path: Path) -> None:
    assert stored_password(tmp_path, "alice") is None  # no store yet
    write_store(tmp_path, {"alice": "from-lab-yaml"})
    assert stored_password(tmp_path, "alice") == "from-lab-yaml"
    assert stored_password(tmp_path, "bob") is None


def test_missing_lab_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        load_labfile(None)
    assert info.value.message == "no lab file at authlab.yaml"
    assert info.value.hint == "create authlab.yaml (see the README's example) or pass -f PATH (AUTHLAB_FILE)"


def test_unreadable_store_is_a_config_error(tmp_path: Path) -> None:
    store_path(tmp_path).write_text("{not json")
    with pytest.raises(ConfigError) as info:
        read_store(tmp_path)
    assert info.value.hint == "delete it; apply generates new passwords"
