"""Which host folders a compose file bind-mounts, and the command that hands them to uid 1000."""

from __future__ import annotations

from pathlib import Path

import yaml

from authentik_lab.core.bind_mounts import all_bind_folders, chown_command, folder_for, owned_folders, permission_hint

DOC = yaml.safe_load("""
services:
  postgresql:
    image: postgres:16
    volumes:
    - database:/var/lib/postgresql/data
    - ./pg-init:/docker-entrypoint-initdb.d
  server:
    image: ghcr.io/goauthentik/server:2026.5.6
    command: server
    volumes:
    - ./data:/data
    - ${TEMPLATES:-./custom-templates}:/templates
  worker:
    image: ghcr.io/goauthentik/server:2026.5.6
    command: worker
    volumes:
    - /var/run/docker.sock:/var/run/docker.sock
    - ./data:/data
    - ./certs:/certs
    - /etc/localtime:/etc/localtime:ro
volumes:
  database: {}
""")


def test_owned_folders_are_authentiks_storage_certs_and_templates_as_absolute_paths() -> None:
    assert owned_folders(DOC, {}, "/srv/auth") == ["/srv/auth/data", "/srv/auth/custom-templates", "/srv/auth/certs"]
    assert owned_folders(DOC, {"TEMPLATES": "/opt/tpl"}, "/srv/auth") == ["/srv/auth/data", "/opt/tpl", "/srv/auth/certs"]


def test_all_bind_folders_skip_named_volumes_the_socket_and_etc_files() -> None:
    assert all_bind_folders(DOC, {}, "/srv/auth") == ["/srv/auth/pg-init", "/srv/auth/data", "/srv/auth/custom-templates", "/srv/auth/certs"]


def test_chown_command_creates_then_chowns_and_quotes() -> None:
    assert chown_command(["/srv/auth/data", "/srv/my auth/certs"]) == (
        "mkdir -p /srv/auth/data '/srv/my auth/certs' && sudo chown -R 1000:1000 /srv/auth/data '/srv/my auth/certs'")


def test_the_failing_path_inside_the_container_maps_to_its_host_folder() -> None:
    assert folder_for("/data/media/public", DOC, {}, "/srv/auth") == ("/srv/auth/data", "/data")
    assert folder_for("/tmp/x", DOC, {}, "/srv/auth") is None
    evidence = ["PermissionError: [Errno 13] Permission denied: '/data/media/public'"]
    assert permission_hint(evidence, DOC, {}, str(Path("/srv/auth"))) == (
        "the host folder /srv/auth/data is mounted at /data: run mkdir -p /srv/auth/data && sudo chown -R 1000:1000 "
        "/srv/auth/data (or use named volumes as `authlab init` does)")
    assert permission_hint(["nothing relevant"], DOC, {}, "/srv/auth") is None
