"""core/lab_config and core/templates: secrets, sticky values, project names, which layout a release gets."""

from __future__ import annotations

import itertools
import re
from pathlib import PurePosixPath

import pytest

from authentik_lab.core import lab_config as cfg
from authentik_lab.core.templates import DEFAULT_VERSION, VersionNotCovered, is_newer_than_covered, layout_for

LAB = PurePosixPath("/home/dev/myapp/.authlab")


def _counter():
    numbers = itertools.count(1)
    return lambda n: f"tok{next(numbers)}x{n}"


def test_generated_secrets_have_the_required_shape() -> None:
    values = cfg.generate_secrets()
    assert sorted(values) == sorted(cfg.SECRET_KEYS)
    assert 1 <= len(values[cfg.PG_PASS]) <= 99
    assert len(values[cfg.SECRET_KEY]) >= 50
    for value in values.values():
        # safe unquoted in .env, in a postgres:// URL and in a shell
        assert re.fullmatch(r"[A-Za-z0-9_-]+", value)
    assert len(set(values.values())) == 4


def test_project_name_uses_the_parent_of_dot_authlab_and_differs_per_path() -> None:
    a = cfg.project_name(LAB)
    b = cfg.project_name(PurePosixPath("/home/dev/other/myapp/.authlab"))
    assert re.fullmatch(r"authlab-myapp-[0-9a-f]{8}", a)
    assert a != b and b.startswith("authlab-myapp-")
    assert cfg.project_name(LAB) == a  # stable
    assert re.fullmatch(r"authlab-my-lab-x-[0-9a-f]{8}", cfg.project_name(PurePosixPath("/tmp/My Lab.X")))
    assert re.fullmatch(r"authlab-lab-[0-9a-f]{8}", cfg.project_name(PurePosixPath("/.authlab")))


@pytest.mark.parametrize(
    ("version", "template", "redis", "mount", "pg"),
    [
        ("2023.5.0", "redis.yml.tmpl", True, "/media", "12-alpine"),
        ("2024.2.1", "redis.yml.tmpl", True, "/media", "12-alpine"),
        ("2024.6.0", "redis.yml.tmpl", True, "/media", "16-alpine"),
        ("2024.12.3", "redis.yml.tmpl", True, "/media", "16-alpine"),
        ("2025.8.4", "redis.yml.tmpl", True, "/media", "16-alpine"),
        ("2025.10.1", "current.yml.tmpl", False, "/media", "16-alpine"),
        # the official file mounts /data from 2025.12; authlab's volume stays at /media (the symlink's target)
        ("2025.12.0", "current.yml.tmpl", False, "/media", "16-alpine"),
        ("2026.5.6", "current.yml.tmpl", False, "/media", "16-alpine"),
    ],
)
def test_layout_for_each_era(version: str, template: str, redis: bool, mount: str, pg: str) -> None:
    layout = layout_for(version)
    assert (layout.template, layout.redis, layout.storage_mount, layout.postgres_tag) == (template, redis, mount, pg)
    assert layout.storage_volume == mount.strip("/")


def test_too_old_and_malformed_versions_are_rejected() -> None:
    with pytest.raises(VersionNotCovered, match="older than the oldest release"):
        layout_for("2023.3.1")
    with pytest.raises(ValueError, match="not an Authentik release number"):
        layout_for("latest")


def test_newer_than_covered() -> None:
    assert not is_newer_than_covered(DEFAULT_VERSION)
    assert is_newer_than_covered("2026.8.0")


@pytest.mark.parametrize(("raw", "expected"), [("127.0.0.1", "127.0.0.1"), (" 0.0.0.0", "0.0.0.0"), ("::1", "[::1]"), ("[::1]", "[::1]")])
def test_check_bind(raw: str, expected: str) -> None:
    assert cfg.check_bind(raw) == expected


@pytest.mark.parametrize("raw", ["localhost", "", "300.1.1.1"])
def test_check_bind_rejects_non_addresses(raw: str) -> None:
    with pytest.raises(ValueError, match="bind address must be an IP address"):
        cfg.check_bind(raw)


def test_check_port() -> None:
    assert cfg.check_port(" 9000", "p") == 9000
    for bad, message in (("x", "must be a port number"), (0, "between 1 and 65535"), (70000, "between 1 and 65535")):
        with pytest.raises(ValueError, match=message):
            cfg.check_port(bad, "p")


def test_lab_url() -> None:
    assert cfg.lab_url("127.0.0.1", 9000) == "http://localhost:9000"
    assert cfg.lab_url("0.0.0.0", 9100) == "http://localhost:9100"
    assert cfg.lab_url("192.168.1.5", 9000) == "http://192.168.1.5:9000"


def test_fresh_plan_adds_everything_with_defaults() -> None:
    plan = cfg.plan_env({}, LAB, token=_counter())
    assert plan.settings == cfg.LabSettings("2026.5.6", 9000, 9443, "127.0.0.1", "16-alpine")
    assert plan.changed == ()
    assert plan.settings_changed
    assert set(plan.added) == set(plan.updates)
    assert plan.updates[cfg.BOOTSTRAP_EMAIL] == "admin@authlab.localhost"
    assert plan.updates[cfg.PROJECT_NAME] == cfg.project_name(LAB)
    assert plan.updates[cfg.PG_PASS] == "tok1x36"
    assert plan.updates[cfg.SECRET_KEY] == "tok2x60"


def test_second_plan_is_empty() -> None:
    first = cfg.plan_env({}, LAB)
    again = cfg.plan_env(dict(first.updates), LAB)
    assert (again.updates, again.added, again.changed, again.settings_changed) == ({}, (), (), False)
    assert again.settings == first.settings


def test_missing_and_empty_values_are_filled_and_secrets_never_replaced() -> None:
    existing = dict(cfg.plan_env({}, LAB).updates)
    kept = existing[cfg.SECRET_KEY]
    del existing[cfg.PG_PASS]
    existing[cfg.BOOTSTRAP_TOKEN] = "  "
    plan = cfg.plan_env(existing, LAB, token=_counter())
    assert plan.added == (cfg.PG_PASS, cfg.BOOTSTRAP_TOKEN)
    assert sorted(plan.updates) == sorted(plan.added)
    assert cfg.SECRET_KEY not in plan.updates and existing[cfg.SECRET_KEY] == kept
    assert not plan.settings_changed  # secrets are not in the compose file


def test_changing_port_and_version_keeps_sticky_values() -> None:
    existing = dict(cfg.plan_env({}, LAB, version="2024.2.1").updates)
    plan = cfg.plan_env(existing, LAB, version="2025.2.4", http_port=9100)
    assert plan.changed == (
        (cfg.VERSION, "2024.2.1", "2025.2.4"),
        (cfg.PORT_HTTP, "9000", "9100"),
        (cfg.PORT_HTTPS, "9443", "9543"),  # derived from the HTTP port, so it follows
    )
    # the database volume was made by PostgreSQL 12: a new release must not switch it to 16
    assert plan.settings.postgres_tag == "12-alpine"
    assert plan.settings_changed
    assert set(plan.updates) == {cfg.VERSION, cfg.PORT_HTTP, cfg.PORT_HTTPS}


def test_an_explicit_https_port_stays_when_the_http_port_moves() -> None:
    existing = dict(cfg.plan_env({}, LAB, https_port=8443).updates)
    plan = cfg.plan_env(existing, LAB, http_port=9100)
    assert plan.settings.https_port == 8443


def test_same_values_spelled_differently_are_not_changes() -> None:
    existing = dict(cfg.plan_env({}, LAB).updates)
    plan = cfg.plan_env(existing, LAB, version="2026.5.6", http_port=9000, bind="127.0.0.1")
    assert plan.changed == () and plan.updates == {}


def test_bad_existing_value_names_its_key() -> None:
    with pytest.raises(cfg.BadEnvValue) as info:
        cfg.plan_env({cfg.PORT_HTTP: "nine"}, LAB)
    assert info.value.key == cfg.PORT_HTTP
    assert str(info.value) == "COMPOSE_PORT_HTTP must be a port number, got 'nine'"
    with pytest.raises(cfg.BadEnvValue, match=r"^AUTHLAB_VERSION: not an Authentik release number: 'x'"):
        cfg.plan_env({cfg.VERSION: "x"}, LAB)


def test_equal_ports_and_out_of_range_https_are_rejected() -> None:
    with pytest.raises(ValueError, match="must differ"):
        cfg.plan_env({}, LAB, http_port=9000, https_port=9000)
    with pytest.raises(ValueError, match=r"HTTPS port \(--port \+ 443\) must be between"):
        cfg.plan_env({}, LAB, http_port=65500)


def test_compose_project_name_follows_compose_rules() -> None:
    from authentik_lab.core.lab_config import compose_project_name

    assert compose_project_name(None, "My App!") == "myapp"
    assert compose_project_name("", "_app") == "app"  # compose wants a leading letter or digit
    assert compose_project_name(" named ", "ignored") == "named"
    assert compose_project_name(None, "___") == "authentik"
