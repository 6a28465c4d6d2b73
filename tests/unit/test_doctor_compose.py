"""core.doctor.compose: each compose pitfall recognised from the parsed file, and its absence passes."""

from __future__ import annotations

import textwrap

import pytest
import yaml

from authentik_lab.core.doctor import compose as dc
from authentik_lab.core.doctor import mounts as dm
from authentik_lab.core.checks import FAIL, OK, WARN, Skip

OFFICIAL = """
services:
  server:
    image: ${AUTHENTIK_IMAGE:-ghcr.io/goauthentik/server}:${AUTHENTIK_TAG:-2026.5.6}
    command: server
    ports:
    - ${COMPOSE_PORT_HTTP:-9000}:9000
    volumes:
    - ./data:/data
  worker:
    image: ${AUTHENTIK_IMAGE:-ghcr.io/goauthentik/server}:${AUTHENTIK_TAG:-2026.5.6}
    command: worker
    user: root
    volumes:
    - /var/run/docker.sock:/var/run/docker.sock
    - ./data:/data
    - ./certs:/certs
  postgresql:
    image: docker.io/library/postgres:16-alpine
"""


def doc(text: str = OFFICIAL) -> dict:
    return yaml.safe_load(textwrap.dedent(text))


def test_interpolation_follows_compose_syntax() -> None:
    env = {"A": "1", "EMPTY": ""}
    assert dc.interpolate("${A}-${B:-two}-${EMPTY:-x}-${EMPTY-y}-$A-$$", env) == "1-two-x--1-$"


def test_the_official_file_is_recognised_and_its_traps_found() -> None:
    d = doc()
    assert [(s.name, s.role) for s in dc.authentik_services(d)] == [("server", "server"), ("worker", "worker")]
    assert dc.check_worker_root(d, "c.yml").status == WARN
    assert dc.check_worker_root(d, "c.yml", rootless=True).status == FAIL
    sock = dc.check_docker_socket(d, "c.yml", {})
    assert (sock.status, sock.evidence) == (WARN, ("c.yml: services.worker.volumes /var/run/docker.sock",))
    ports = dc.check_public_ports(d, "c.yml", {"COMPOSE_PORT_HTTP": "9100"})
    assert (ports.status, ports.evidence) == (WARN, ("c.yml: services.server.ports 9100:9000",))
    assert dc.check_localtime(d, "c.yml", {}).status == OK


@pytest.mark.parametrize("user", ["root", "0", "'0:0'", "root:root"])
def test_every_spelling_of_root_counts(user: str) -> None:
    d = doc(f"services:\n  worker:\n    image: ghcr.io/goauthentik/server:2026.5.6\n    command: worker\n    user: {user}\n")
    assert dc.check_worker_root(d, "c.yml").status == WARN


def test_an_app_worker_with_its_own_image_is_not_authentik() -> None:
    d = doc("services:\n  worker:\n    image: myapp:1\n    command: worker\n    user: root\n")
    with pytest.raises(Skip):
        dc.check_worker_root(d, "c.yml")


def test_image_tags_latest_missing_and_mismatch() -> None:
    def tags(server: str, worker: str, env: dict | None = None) -> tuple[str, str]:
        d = doc(f"services:\n  server:\n    image: {server}\n    command: server\n  worker:\n    image: {worker}\n    command: worker\n")
        o = dc.check_image_pinned(d, env or {})
        return o.status, o.summary

    assert tags("ghcr.io/goauthentik/server:2026.5.6", "ghcr.io/goauthentik/server:2026.5.6") == (OK, "pinned to 2026.5.6")
    assert tags("ghcr.io/goauthentik/server:latest", "ghcr.io/goauthentik/server:latest")[0] == WARN
    assert tags("ghcr.io/goauthentik/server", "ghcr.io/goauthentik/server")[0] == WARN
    status, summary = tags("ghcr.io/goauthentik/server:2026.5.6", "ghcr.io/goauthentik/server:${AUTHENTIK_TAG:-2026.2.2}")
    assert status == FAIL and "server=2026.5.6, worker=2026.2.2" in summary
    assert tags("ghcr.io/goauthentik/server:${T}", "ghcr.io/goauthentik/server:${T}", {"T": "2025.10.1"}) == (OK, "pinned to 2025.10.1")


def test_localtime_mount_fails() -> None:
    d = doc("services:\n  server:\n    image: ghcr.io/goauthentik/server:2026.5.6\n    volumes:\n    - /etc/localtime:/etc/localtime:ro\n")
    o = dc.check_localtime(d, "c.yml", {})
    assert (o.status, o.summary) == (FAIL, "/etc/localtime mounted into server")


def test_ports_bound_to_an_address_or_not_published_pass() -> None:
    d = doc("services:\n  server:\n    image: ghcr.io/goauthentik/server:1\n    ports:\n    - 127.0.0.1:9000:9000\n    - '9443'\n"
            "    - {target: 9000, published: 9001, host_ip: 127.0.0.1}\n")
    assert dc.check_public_ports(d, "c.yml", {}).status == OK


def _owner_doc() -> dict:
    return doc("services:\n  worker:\n    image: ghcr.io/goauthentik/server:2026.5.6\n    command: worker\n    volumes:\n    - ./data:/data\n    - ./certs:/certs\n")


def test_storage_folder_ownership_without_root() -> None:
    d = _owner_doc()
    good = {"/lab/data": dc.PathFacts(True, 1000, 1000, 0o40755)}
    assert dm.check_bind_mount_owner(d, "c.yml", {}, "/lab", good).status == OK
    root_owned = {"/lab/data": dc.PathFacts(True, 0, 0, 0o40755)}
    o = dm.check_bind_mount_owner(d, "c.yml", {}, "/lab", root_owned)
    assert (o.status, o.evidence) == (FAIL, ("/lab/data: owner 0:0 mode 755",))
    assert dm.check_bind_mount_owner(d, "c.yml", {}, "/lab", {}).summary.startswith("/lab/data does not exist")
    world = {"/lab/data": dc.PathFacts(True, 0, 0, 0o40777)}
    assert dm.check_bind_mount_owner(d, "c.yml", {}, "/lab", world).status == OK


def test_a_root_worker_is_judged_as_it_will_run_after_the_patch() -> None:
    # root chowns the folder today, but the patch drops root: a root-owned folder is then a crash loop, so warn now
    o = dm.check_bind_mount_owner(doc(), "c.yml", {}, "/lab", {"/lab/data": dc.PathFacts(True, 0, 0, 0o40755)})
    assert (o.status, o.summary) == (WARN, "/lab/data (server:/data) is not writable by uid 1000 once `user: root` is removed "
                                           "(the worker then runs as uid 1000)")
    assert o.messages[0].fix == "sudo chown -R 1000:1000 /lab/data"
    o = dm.check_bind_mount_owner(doc(), "c.yml", {}, "/lab", {"/lab/data": dc.PathFacts(True, 1000, 1000, 0o40755)})
    assert (o.status, o.summary) == (OK, "storage folders are writable by uid 1000 (ready for a worker without root)")


def test_root_worker_on_a_rootless_engine_is_a_certain_crash_loop_not_a_risk() -> None:
    d = doc()
    unknown, rootful, rootless = (dc.check_worker_root(d, "c.yml", rootless=r) for r in (None, False, True))
    assert (unknown.status, rootful.status) == (WARN, WARN)
    assert unknown.summary == rootful.summary == "worker runs as root (`user: root`)"
    assert (rootless.status, rootless.summary) == (
        FAIL, "worker runs as root (`user: root`) on a rootless engine: its chown of the mounted folders fails and it will crash-loop")
    assert rootless.evidence == ("c.yml: services.worker.user",)
    assert rootless.fixable is not None and rootless.fixable.kind == "compose-patch"
    # no root anywhere: nothing to report, rootless or not
    clean = doc(OFFICIAL.replace("    user: root\n", ""))
    assert dc.check_worker_root(clean, "c.yml", rootless=True).status == OK
