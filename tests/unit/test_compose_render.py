"""core/compose_render: every era renders a compose file with authlab's fixes, and nothing else changes."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
import yaml

from authentik_lab.core import lab_config as cfg
from authentik_lab.core.compose_render import fill, render_compose
from authentik_lab.core.dialect import parse_version
from authentik_lab.core.templates import load_template, template_dir
from tests.conftest import skip_without_docker

VERSIONS = ["2023.5.0", "2024.2.1", "2024.12.3", "2025.2.4", "2025.8.0", "2025.10.1", "2025.12.2", "2026.2.2", "2026.5.6"]


def _render(version: str, **kw) -> dict:
    settings = cfg.LabSettings(version=version, **kw)
    return yaml.safe_load(render_compose(settings))


@pytest.mark.parametrize("version", VERSIONS)
def test_every_era_renders_valid_compose_with_the_fixes(version: str) -> None:
    doc = _render(version)
    services = doc["services"]
    redis = parse_version(version) < (2025, 10, 0)
    assert sorted(services) == (["postgresql", "redis", "server", "worker"] if redis else ["postgresql", "server", "worker"])
    # every release keeps its files in a volume at /media; from 2025.12 the image's /data/media is a symlink there
    mount, volume = "/media", "media"
    for name in ("server", "worker"):
        svc = services[name]
        assert "user" not in svc
        assert svc["image"] == f"${{AUTHENTIK_IMAGE:-ghcr.io/goauthentik/server}}:${{AUTHENTIK_TAG:-{version}}}"
        assert svc["command"] == name
        assert svc["env_file"] == [".env"]
        assert svc["restart"] == "unless-stopped"
        assert all("docker.sock" not in v and not v.startswith(("./", "/")) for v in svc["volumes"]), svc["volumes"]
        assert f"{volume}:{mount}" in svc["volumes"]
        assert not any(v.endswith(":/data") for v in svc["volumes"]), svc["volumes"]  # no copy of the symlink
        assert svc["depends_on"]["postgresql"] == {"condition": "service_healthy"}
        assert ("redis" in svc["depends_on"]) is redis
        assert svc["environment"]["AUTHENTIK_SECRET_KEY"] == "${AUTHENTIK_SECRET_KEY:?secret key required}"
        assert ("AUTHENTIK_REDIS__HOST" in svc["environment"]) is redis
        assert not any("localtime" in v or "timezone" in v for v in svc["volumes"])
    assert services["worker"]["volumes"] == [f"{volume}:{mount}", "certs:/certs", "custom-templates:/templates"]
    assert services["server"]["ports"] == [
        "${AUTHLAB_BIND:-127.0.0.1}:${COMPOSE_PORT_HTTP:-9000}:9000",
        "${AUTHLAB_BIND:-127.0.0.1}:${COMPOSE_PORT_HTTPS:-9443}:9443",
    ]
    assert "ports" not in services["postgresql"] and "ports" not in services.get("redis", {})
    assert services["postgresql"]["healthcheck"]["test"] == ["CMD-SHELL", "pg_isready -d $${POSTGRES_DB} -U $${POSTGRES_USER}"]
    expected_volumes = {"database", volume, "certs", "custom-templates"} | ({"redis"} if redis else set())
    assert set(doc["volumes"]) == expected_volumes
    assert "name" not in doc  # the project name comes from COMPOSE_PROJECT_NAME in .env (compose v1 rejects `name:`)
    if redis:
        assert services["redis"]["image"] == "docker.io/library/redis:alpine"
        assert services["redis"]["healthcheck"]["test"] == ["CMD-SHELL", "redis-cli ping | grep PONG"]


@pytest.mark.parametrize(("version", "tag"), [("2024.2.1", "12-alpine"), ("2024.6.0", "16-alpine"), ("2026.5.6", "16-alpine")])
def test_postgres_image_follows_the_official_file_of_the_era(version: str, tag: str) -> None:
    assert _render(version)["services"]["postgresql"]["image"] == f"docker.io/library/postgres:{tag}"


def test_a_sticky_postgres_tag_wins_over_the_era() -> None:
    doc = _render("2026.5.6", postgres_tag="12-alpine")
    assert doc["services"]["postgresql"]["image"] == "docker.io/library/postgres:12-alpine"


def test_ports_and_bind_are_the_defaults_of_the_variables() -> None:
    doc = _render("2026.5.6", http_port=9100, https_port=9543, bind="0.0.0.0")
    assert doc["services"]["server"]["ports"] == [
        "${AUTHLAB_BIND:-0.0.0.0}:${COMPOSE_PORT_HTTP:-9100}:9000",
        "${AUTHLAB_BIND:-0.0.0.0}:${COMPOSE_PORT_HTTPS:-9543}:9443",
    ]


def test_no_placeholder_survives_and_no_template_has_a_stray_one() -> None:
    for name in ("current.yml.tmpl", "redis.yml.tmpl"):
        text = load_template(name)
        rendered = render_compose(cfg.LabSettings(version="2024.12.3" if name.startswith("redis") else "2026.5.6"))
        assert "[[" not in rendered and "]]" not in rendered
        assert "[[version]]" in text


def test_fill_refuses_unknown_placeholders() -> None:
    assert fill("a [[x]] ${KEEP} $$ b", {"x": "1"}) == "a 1 ${KEEP} $$ b"
    with pytest.raises(KeyError, match=r"\[\[y\]\]"):
        fill("[[y]]", {})


def test_templates_are_found_in_the_repo_for_an_editable_install() -> None:
    assert (template_dir() / "current.yml.tmpl").is_file()
    assert (template_dir() / "redis.yml.tmpl").is_file()


def test_two_labs_get_different_project_names() -> None:
    a = cfg.plan_env({}, PurePosixPath("/w/app1/.authlab")).updates[cfg.PROJECT_NAME]
    b = cfg.plan_env({}, PurePosixPath("/w/app2/.authlab")).updates[cfg.PROJECT_NAME]
    assert a != b


def _compose_v2() -> list[str]:
    import shutil
    import subprocess

    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    skip_without_docker("`docker compose` (v2) is not installed; tests/run.sh installs it")


@pytest.mark.parametrize("version", ["2024.2.1", "2024.12.3", "2026.5.6"])
def test_docker_compose_config_accepts_a_rendered_lab(tmp_path, version: str) -> None:
    """The real compose parser (no engine needed): interpolation, project name, binds, volumes."""
    import json
    import os
    import subprocess

    from authentik_lab.services.lab import init_lab

    compose = _compose_v2()
    lab = tmp_path / "app" / ".authlab"
    result = init_lab(lab, version=version, http_port=9100)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "AUTHENTIK_", "AUTHLAB_", "PG_"))}
    out = subprocess.run([*compose, "config", "--format", "json"], cwd=lab, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["name"] == result.project_name
    server, worker = doc["services"]["server"], doc["services"]["worker"]
    assert [(p["host_ip"], p["published"], p["target"]) for p in server["ports"]] == [("127.0.0.1", "9100", 9000), ("127.0.0.1", "9543", 9443)]
    assert "user" not in worker
    assert all(v["type"] == "volume" for v in worker["volumes"])
    assert server["image"] == f"ghcr.io/goauthentik/server:{version}"
    assert doc["volumes"]["media"]["name"] == f"{result.project_name}_media"
    assert "data" not in doc["volumes"]


def test_docker_compose_config_honours_image_and_tag_overrides(tmp_path) -> None:
    import json
    import os
    import subprocess

    from authentik_lab.services.lab import init_lab

    compose = _compose_v2()
    lab = tmp_path / ".authlab"
    init_lab(lab)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}, "AUTHENTIK_IMAGE": "localhost/ak", "AUTHENTIK_TAG": "dev"}
    out = subprocess.run([*compose, "config", "--format", "json"], cwd=lab, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["services"]["worker"]["image"] == "localhost/ak:dev"


def test_a_lab_rendered_by_an_earlier_authlab_keeps_its_data_volume_declared(tmp_path) -> None:
    """Migration: labs of 2025.12+ once mounted a `data` volume at /data. Re-rendering mounts `media` at /media
    and keeps `data` declared (never mounted), so `down --volumes` still removes it and no volume is orphaned."""
    from authentik_lab.services.lab import init_lab

    lab = tmp_path / ".authlab"
    init_lab(lab, version="2026.2.2")
    compose = lab / "compose.yml"
    old = compose.read_text().replace("- media:/media", "- data:/data").replace("  media:\n    driver: local\n", "  data:\n    driver: local\n")
    compose.write_text(old)
    assert yaml.safe_load(old)["volumes"].keys() >= {"data"}
    init_lab(lab, version="2026.2.2", http_port=9300)  # a changed setting re-renders the file
    doc = yaml.safe_load(compose.read_text())
    assert "media:/media" in doc["services"]["worker"]["volumes"]
    assert not any(v.endswith(":/data") for s in ("server", "worker") for v in doc["services"][s]["volumes"])
    assert doc["volumes"]["data"] == {"driver": "local"} and "media" in doc["volumes"]
    assert "only held the image's media symlink" in compose.read_text()
    # a lab that never had it does not get it
    fresh = tmp_path / "fresh"
    init_lab(fresh, version="2026.2.2")
    assert "data" not in yaml.safe_load((fresh / "compose.yml").read_text())["volumes"]
