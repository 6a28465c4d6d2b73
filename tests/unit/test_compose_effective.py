"""Pure rules around the effective configuration: which files and profiles, env_file + environment, data paths."""

from __future__ import annotations

import pytest

from authentik_lab.core.compose_effective import (
    active_profiles, compose_envs, env_file_entries, project_files, required_references, service_environment,
)
from authentik_lab.core.compose_merge import enabled_services, merge_documents
from authentik_lab.core.postgres_images import layout, split_image


def test_project_files_follow_composes_own_rules() -> None:
    exists = {"/p/docker-compose.override.yml", "/p/compose.override.yaml"}.__contains__
    assert project_files("/p/docker-compose.yml", ["/p/docker-compose.yml"], {}, exists) == (
        "/p/docker-compose.yml", "/p/docker-compose.override.yml")
    assert project_files("/p/my.yml", ["/p/my.yml"], {}, exists) == ("/p/my.yml",)  # no default name: no override
    # COMPOSE_FILE that names this file wins, relative to its folder, with its separator
    env = {"COMPOSE_FILE": "docker-compose.yml;extra/x.yml", "COMPOSE_PATH_SEPARATOR": ";"}
    assert project_files("/p/docker-compose.yml", ["/p/docker-compose.yml"], env, exists) == ("/p/docker-compose.yml", "/p/extra/x.yml")
    # ...but not when it names other files: doctor was asked about this one
    assert project_files("/p/my.yml", ["/p/my.yml"], {"COMPOSE_FILE": "a.yml"}, exists) == ("/p/my.yml",)
    # several --compose/--override files: exactly those
    assert project_files("/p/a.yml", ["/p/a.yml", "/q/b.yml"], {"COMPOSE_FILE": "x.yml"}, exists) == ("/p/a.yml", "/q/b.yml")


def test_profiles_from_options_else_compose_profiles() -> None:
    assert active_profiles(["a", "a", "b"], {"COMPOSE_PROFILES": "c"}) == ("a", "b")
    assert active_profiles([], {"COMPOSE_PROFILES": "full, debug"}) == ("full", "debug")
    assert active_profiles([], {}) == ()


def test_service_environment_like_compose() -> None:
    spec = {"env_file": [".env", {"path": "opt.env", "required": False}],
            "environment": ["FROM_SHELL", "B=${X:-dflt}", "C=literal"]}
    assert env_file_entries(spec, {}) == [(".env", True), ("opt.env", False)]
    got = service_environment(spec, [{"A": "1", "B": "file"}, {"A": "2"}], {"FROM_SHELL": "sh"})
    assert got == {"A": "2", "B": "dflt", "FROM_SHELL": "sh", "C": "literal"}  # later env files win, environment wins over both
    assert service_environment({"environment": {"K": None}}, [], {}) == {"K": None}
    assert compose_envs({"services": {"s": {"environment": {"A": "1", "N": None}}, "t": {}}}) == {"s": {"A": "1", "N": None}, "t": {}}


def test_required_references_skip_defaults_and_escapes() -> None:
    text = "a: ${PG_PASS:?required}\nb: ${TAG:-1}\nc: ${OPT-x}\nd: $$NOT\ne: $BARE\nf: ${PLAIN}\ng: ${ALT:+y}\n"
    assert required_references(text) == {"PG_PASS": "${PG_PASS:?required}", "BARE": "$BARE", "PLAIN": "${PLAIN}"}


@pytest.mark.parametrize(("image", "data", "volume"), [
    ("docker.io/library/postgres:16-alpine", "/var/lib/postgresql/data", "/var/lib/postgresql/data"),
    ("postgres:12-alpine", "/var/lib/postgresql/data", "/var/lib/postgresql/data"),
    ("postgres:17.2-bookworm", "/var/lib/postgresql/data", "/var/lib/postgresql/data"),
    ("postgres:18", "/var/lib/postgresql/18/docker", "/var/lib/postgresql"),
    ("library/postgres:19beta1", "/var/lib/postgresql/19/docker", "/var/lib/postgresql"),
])
def test_postgres_data_paths_per_tag(image: str, data: str, volume: str) -> None:
    got = layout(image)
    assert got is not None and (got.pgdata, got.volume) == (data, volume) and got.source


def test_unknown_postgres_images_and_tags_have_no_layout() -> None:
    assert layout("postgres:latest") is None and layout("postgres") is None
    assert layout("bitnami/postgresql:16") is None and layout("pgvector/pgvector:pg16") is None
    assert split_image("localhost:5000/postgres") == ("localhost:5000/postgres", None)


# --- the fallback reader merges files and drops disabled profiles like compose ---------------------------


def test_merge_follows_the_compose_merge_rules() -> None:
    # the same two files through `docker compose -f a.yml -f b.yml config` (2.40) give this model, in compose's shapes
    a = {"services": {"s": {"image": "x", "command": ["a", "b"], "environment": ["A=1", "B=2", "C"], "labels": {"l1": "x"},
                            "ports": ["9000:9000", "9443:9443", "8000"], "volumes": ["./data:/data", "media:/media", "/x"],
                            "dns": ["1.1.1.1"], "healthcheck": {"test": ["CMD", "a"], "interval": "5s"}}},
         "volumes": {"media": {}}}
    b = {"services": {"s": {"command": "c", "environment": {"B": "20", "D": "4"}, "labels": ["l2=y"],
                            "ports": ["127.0.0.1:9000:9000", "9443:9443/udp", "8000"],
                            "volumes": [{"type": "bind", "source": "./other", "target": "/data"}, "/x"], "dns": ["8.8.8.8"],
                            "healthcheck": {"test": ["CMD", "b"]}},
                      "worker": {"image": "y"}}}
    assert merge_documents([a, b], {}) == {
        "services": {
            "s": {"image": "x", "command": "c",  # command, entrypoint, healthcheck.test: the later file replaces
                  "environment": {"A": "1", "B": "20", "C": None, "D": "4"},  # by key, list or mapping form
                  "labels": {"l1": "x", "l2": "y"},
                  # unique key (host ip, published, target, protocol): 8000 once; 127.0.0.1:9000 and udp are other ports
                  "ports": ["9000:9000", "9443:9443", "8000", "127.0.0.1:9000:9000", "9443:9443/udp"],
                  # unique key target: /data replaced where it was, /x once
                  "volumes": [{"type": "bind", "source": "./other", "target": "/data"}, "media:/media", "/x"],
                  "dns": ["1.1.1.1", "8.8.8.8"],  # any other sequence: appended
                  "healthcheck": {"test": ["CMD", "b"], "interval": "5s"}},
            "worker": {"image": "y"}},
        "volumes": {"media": {}}}


def test_merge_resolves_variables_in_the_keys_only() -> None:
    a = {"services": {"w": {"volumes": ["${DATA:-./data}:/data"], "user": "1000"}}}
    b = {"services": {"w": {"volumes": ["./other:${TARGET}"], "user": "${UID}"}}}
    assert merge_documents([a, b], {"TARGET": "/data"}) == {"services": {"w": {"volumes": ["./other:${TARGET}"], "user": "${UID}"}}}
    assert merge_documents([a, {}], {}) == a  # an empty override changes nothing, nor does a key without a value
    assert merge_documents([a, {"services": {"w": None}}], {}) == a


def test_services_of_disabled_profiles_are_dropped() -> None:
    doc = {"services": {"server": {}, "worker": {"profiles": ["full"]}, "debug": {"profiles": ["${DEBUG_PROFILE}", "dev"]}},
           "volumes": {"v": {}}}
    assert list(enabled_services(doc, (), {})["services"]) == ["server"]
    assert list(enabled_services(doc, ("full",), {})["services"]) == ["server", "worker"]
    assert list(enabled_services(doc, ("dbg",), {"DEBUG_PROFILE": "dbg"})["services"]) == ["server", "debug"]
    assert list(enabled_services(doc, ("*",), {})["services"]) == ["server", "worker", "debug"]
    assert enabled_services(doc, (), {})["volumes"] == {"v": {}}
