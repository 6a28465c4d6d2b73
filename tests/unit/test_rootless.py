"""Rootless engines: detection, the uid mapping, the fix commands, and the storage check judged through them."""

from __future__ import annotations

import pytest

from authentik_lab.adapters.engine import info_of
from authentik_lab.core.doctor import mounts as dm
from authentik_lab.core.checks import FAIL, OK
from authentik_lab.core.doctor.compose import PathFacts
from authentik_lab.core.rootless import EngineKind, UserMapping, chown_command, from_docker_host, kind_of, parse_subuid

DOC = {"services": {
    "server": {"image": "ghcr.io/goauthentik/server:2026.5.6", "command": "server", "volumes": ["./data:/data"]},
    "worker": {"image": "ghcr.io/goauthentik/server:2026.5.6", "command": "worker", "volumes": ["./data:/data"]},
}}
ROOTLESS_DOCKER = EngineKind("docker", True)
ROOTLESS_PODMAN = EngineKind("podman", True)


def test_podman_is_told_by_its_version_and_rootless_by_security_options() -> None:
    raw = {"ServerVersion": "5.2.2", "SecurityOptions": ["name=seccomp,profile=default", "name=rootless"], "OperatingSystem": "fedora",
           "OSType": "linux", "Architecture": "amd64"}
    version = {"Platform": {"Name": "linux/amd64/fedora-40"}, "Components": [{"Name": "Podman Engine", "Version": "5.2.2"}]}
    info = info_of(raw, version)
    assert (info.flavour, info.rootless) == ("podman", True)
    docker = info_of({**raw, "SecurityOptions": ["name=seccomp,profile=builtin"]}, {"Components": [{"Name": "Engine"}]})
    assert (docker.flavour, docker.rootless) == ("docker", False)


@pytest.mark.parametrize(("host", "expected"), [
    ("unix:///run/user/1000/docker.sock", ("docker", True)),
    ("unix:///run/user/1000/podman/podman.sock", ("podman", True)),
    ("unix:///var/run/docker.sock", None),
    ("tcp://127.0.0.1:2375", None),
])
def test_docker_host_at_a_user_socket_means_rootless(host: str, expected: tuple | None) -> None:
    found = from_docker_host(host)
    assert (None if found is None else (found.flavour, found.rootless)) == expected


def test_the_engines_answer_beats_docker_host_and_docker_host_fills_in_when_it_cannot_answer() -> None:
    assert kind_of(None, None, "unix:///run/user/1000/podman/podman.sock") == EngineKind(
        "podman", True, "DOCKER_HOST=unix:///run/user/1000/podman/podman.sock is a per-user socket")
    assert kind_of(False, "docker", "unix:///run/user/1000/docker.sock").rootless is False
    assert kind_of(True, "docker", "").rootless is True
    assert kind_of(None, None, "").rootless is None


def test_subuid_lines_and_the_mapping() -> None:
    text = "alice:100000:65536\nbob:165536:65536\n"
    assert parse_subuid(text, "bob", 1001) == 165536
    assert parse_subuid(text, "carol", 1002) is None
    mapping = UserMapping(ROOTLESS_DOCKER, 100000, 1000)
    assert (mapping.host_uid(0), mapping.host_uid(1000)) == (1000, 100999)
    assert UserMapping().host_uid(1000) == 1000  # rootful: the same uid


def test_fix_commands_per_engine_never_sudo_when_rootless() -> None:
    assert chown_command(["/srv/a b"], 1000, 1000, EngineKind()) == "sudo chown -R 1000:1000 '/srv/a b'"
    assert chown_command(["/srv/d"], 1000, 1000, ROOTLESS_PODMAN) == "podman unshare chown -R 1000:1000 /srv/d"
    assert chown_command(["/srv/d"], 1001, 1002, ROOTLESS_DOCKER, "ghcr.io/goauthentik/server:2026.5.6") == (
        "docker run --rm -u 0 -v /srv/d:/d --entrypoint chown ghcr.io/goauthentik/server:2026.5.6 -R 1001:1002 /d")


def test_a_folder_owned_by_host_uid_1000_is_not_writable_by_the_containers_1000_on_rootless_docker() -> None:
    mapping = UserMapping(ROOTLESS_DOCKER, 100000, 1000)
    o = dm.check_bind_mount_owner(DOC, "c.yml", {}, "/lab", {"/lab/data": PathFacts(True, 1000, 1000, 0o40755)}, mapping)
    assert (o.status, o.summary) == (FAIL, "/lab/data (server:/data) is not writable by uid 1000 on this rootless Docker engine, "
                                           "where uid 1000 in the container is host uid 100999")
    assert o.messages[0].fix == "docker run --rm -u 0 -v /lab/data:/d --entrypoint chown ghcr.io/goauthentik/server:2026.5.6 -R 1000:1000 /d"
    assert "sudo" not in repr(o)
    done = dm.check_bind_mount_owner(DOC, "c.yml", {}, "/lab", {"/lab/data": PathFacts(True, 100999, 100999, 0o40755)}, mapping)
    assert done.status == OK


def test_podman_without_a_known_subuid_range_gives_the_unshare_command() -> None:
    # one more input of the kind: Podman, the range unknown, a missing folder
    o = dm.check_bind_mount_owner(DOC, "c.yml", {}, "/lab", {}, UserMapping(ROOTLESS_PODMAN))
    assert (o.status, o.summary) == (FAIL, "/lab/data does not exist: the engine creates it owned by root in the container, and uid 1000 "
                                           "cannot write it on this rootless Podman engine, where uid 1000 in the container is a "
                                           "subordinate uid on the host (/etc/subuid)")
    assert o.messages[0].fix == "mkdir -p /lab/data && podman unshare chown -R 1000:1000 /lab/data"


def test_effective_user_forms() -> None:
    assert dm.effective_user({}) == dm.RunAs(1000, 1000, None)
    assert dm.effective_user({"user": "1001"}) == dm.RunAs(1001, None, "1001")
    assert dm.effective_user({"user": "1001:1002"}) == dm.RunAs(1001, 1002, "1001:1002")
    assert dm.effective_user({"user": "authentik"}) == dm.RunAs(1000, 1000, "authentik")
    assert dm.effective_user({"user": "root"}).root
    assert dm.effective_user({"user": "${UID}:${GID}"}, {"UID": "1003", "GID": "1004"}) == dm.RunAs(1003, 1004, "1003:1004")
    assert dm.effective_user({"user": "www-data"}).uid is None


def test_a_named_user_the_image_alone_knows_is_a_warning_not_a_guess() -> None:
    doc = {"services": {"worker": {**DOC["services"]["worker"], "user": "www-data"}}}
    o = dm.check_bind_mount_owner(doc, "c.yml", {}, "/lab", {"/lab/data": PathFacts(True, 0, 0, 0o40755)})
    assert o.status == "warn" and o.summary.startswith("worker runs as `user: www-data`, a name whose uid only the image knows")
