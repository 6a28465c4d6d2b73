"""core/compose_patch: text edits guided by a YAML parse; only the intended lines change."""

from __future__ import annotations

import difflib
import textwrap
from pathlib import Path

import pytest
import yaml

from authentik_lab.core.compose_patch import (
    ComposeSyntaxError,
    NotACompose,
    PatchOptions,
    patch_compose_text,
    split_port,
)
from tests.conftest import skip_without_docker

BIND = PatchOptions(bind_localhost=True)


def _d(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(removed, added) lines, line endings included, from a byte-exact line diff."""
    removed, added = [], []
    for line in difflib.ndiff(before.splitlines(keepends=True), after.splitlines(keepends=True)):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


def _official_files(shared: Path) -> list[Path]:
    files = sorted(shared.glob("docker-compose-*.yml"))
    assert len(files) >= 7
    return files


def test_every_official_file_loses_only_root_and_the_socket(shared_authentik: Path) -> None:
    for path in _official_files(shared_authentik):
        text = path.read_bytes().decode()
        result = patch_compose_text(text)
        removed, added = _changed_lines(text, result.text)
        assert [line.strip() for line in removed] == ["user: root", "- /var/run/docker.sock:/var/run/docker.sock"], path.name
        assert added == [], path.name
        assert result.services == ("server", "worker")
        assert [(c.kind, c.service) for c in result.changes] == [("user", "worker"), ("docker_socket", "worker")]
        doc = yaml.safe_load(result.text)
        worker = doc["services"]["worker"]
        assert "user" not in worker
        assert not any("docker.sock" in v for v in worker["volumes"])
        original = yaml.safe_load(text)
        # everything else is the same document
        del original["services"]["worker"]["user"]
        original["services"]["worker"]["volumes"].remove("/var/run/docker.sock:/var/run/docker.sock")
        assert doc == original, path.name


def test_every_official_file_with_bind_localhost(shared_authentik: Path) -> None:
    for path in _official_files(shared_authentik):
        text = path.read_text()
        result = patch_compose_text(text, BIND)
        removed, added = _changed_lines(text, result.text)
        assert len(removed) == 4 and len(added) == 2, path.name
        ports = yaml.safe_load(result.text)["services"]["server"]["ports"]
        assert ports == ["127.0.0.1:${COMPOSE_PORT_HTTP:-9000}:9000", "127.0.0.1:${COMPOSE_PORT_HTTPS:-9443}:9443"]
        # the quoting style of each file is kept
        quoted = '"${COMPOSE_PORT_HTTP' in text
        assert ('"127.0.0.1:${COMPOSE_PORT_HTTP' in result.text) is quoted


def test_every_official_file_patches_once(shared_authentik: Path) -> None:
    for path in _official_files(shared_authentik):
        once = patch_compose_text(path.read_text(), BIND)
        twice = patch_compose_text(once.text, BIND)
        assert not twice.changed and twice.text == once.text, path.name


def test_keep_docker_socket(shared_authentik: Path) -> None:
    text = (shared_authentik / "docker-compose-2026.5.6.yml").read_text()
    result = patch_compose_text(text, PatchOptions(keep_docker_socket=True))
    assert [c.kind for c in result.changes] == ["user"]
    assert "/var/run/docker.sock:/var/run/docker.sock" in result.text


COMMENTED = _d(
    """
    # my authentik
    services:
      db:
        image: docker.io/library/postgres:16-alpine
        user: "999"   # postgres' own uid: not ours to touch
      worker:
        image: "ghcr.io/goauthentik/server:2026.5.6"
        command: worker
        # the next line is the problem
        user: root # comment on the same line
        volumes:
          - /var/run/docker.sock:/var/run/docker.sock:ro   # outposts
          # keep this comment
          - ./data:/data
      app:
        image: mycompany/app
        command: worker
        user: root
        volumes:
          - /var/run/docker.sock:/var/run/docker.sock
    """
)


def test_comments_and_other_services_stay() -> None:
    result = patch_compose_text(COMMENTED)
    assert result.text == COMMENTED.replace("    user: root # comment on the same line\n", "").replace(
        "      - /var/run/docker.sock:/var/run/docker.sock:ro   # outposts\n", ""
    )
    assert result.services == ("worker",)
    assert [(c.kind, c.service, c.line, c.before) for c in result.changes] == [
        ("user", "worker", 10, "user: root # comment on the same line"),
        ("docker_socket", "worker", 12, "- /var/run/docker.sock:/var/run/docker.sock:ro   # outposts"),
    ]


@pytest.mark.parametrize("value", ["root", '"root"', "'root'", "0", '"0"', "'0'", "0:0", "'0:0'", '"root:root"', "root:root",
                                   '"0:1000"', "root:authentik", " ROOT "])  # root with another group is still root
def test_every_spelling_of_root_is_removed(value: str) -> None:
    text = _d(
        f"""
        services:
          worker:
            image: ghcr.io/goauthentik/server:2024.12.3
            user: {value}
            command: worker
        """
    )
    result = patch_compose_text(text)
    assert result.text == text.replace(f"    user: {value}\n", "")


@pytest.mark.parametrize("value", ['"1000:1000"', "authentik", "'1000'", "${UID}"])
def test_other_users_on_authentik_services_stay(value: str) -> None:
    text = _d(
        f"""
        services:
          server:
            image: ghcr.io/goauthentik/server
            user: {value}
        """
    )
    result = patch_compose_text(text)
    assert not result.changed and result.text == text


def test_crlf_line_endings_are_kept() -> None:
    text = COMMENTED.replace("\n", "\r\n")
    result = patch_compose_text(text, BIND)
    assert result.text == patch_compose_text(COMMENTED, BIND).text.replace("\n", "\r\n")
    assert "\n" not in result.text.replace("\r\n", "")


def test_anchors_and_merge_keys() -> None:
    text = _d(
        """
        x-authentik: &authentik
          image: ${AUTHENTIK_IMAGE:-ghcr.io/goauthentik/server}:${AUTHENTIK_TAG:-2025.2.4}
          restart: unless-stopped
          env_file: [.env]
        x-volumes: &vols
          - ./media:/media
          - /var/run/docker.sock:/var/run/docker.sock
        services:
          server:
            <<: *authentik
            command: server
          worker:
            <<: *authentik
            command: worker
            user: root
            volumes: *vols
        """
    )
    result = patch_compose_text(text)
    assert result.text == text.replace("    user: root\n", "").replace("  - /var/run/docker.sock:/var/run/docker.sock\n", "")
    assert yaml.safe_load(result.text)["services"]["worker"]["volumes"] == ["./media:/media"]


def test_root_user_in_an_anchor_shared_with_another_service_is_left_alone_with_a_note() -> None:
    text = _d(
        """
        x-base: &base
          user: root
        services:
          worker:
            <<: *base
            image: ghcr.io/goauthentik/server
          backup:
            <<: *base
            image: alpine
        """
    )
    result = patch_compose_text(text)
    assert result.text == text and not result.changed
    assert result.notes == ("worker: `user: root` comes from a YAML anchor also used by backup; left alone",)


def test_root_user_in_an_anchor_used_only_by_authentik_is_removed() -> None:
    text = _d(
        """
        x-ak: &ak
          image: ghcr.io/goauthentik/server
          user: root
        services:
          server: {<<: *ak, command: server}
          worker:
            <<: *ak
        """
    )
    result = patch_compose_text(text)
    assert result.text == text.replace("  user: root\n", "")
    assert [c.service for c in result.changes] == ["server"]  # one edit, reported once


def test_flow_style_mappings_and_sequences() -> None:
    text = _d(
        """
        services:
          worker: {image: "ghcr.io/goauthentik/server:2026.5.6", user: root, volumes: [/var/run/docker.sock:/var/run/docker.sock, ./data:/data]}
          server: {image: ghcr.io/goauthentik/server, user: '0', ports: ["9000:9000", 9443]}
        """
    )
    result = patch_compose_text(text, BIND)
    assert result.text == _d(
        """
        services:
          worker: {image: "ghcr.io/goauthentik/server:2026.5.6", volumes: [./data:/data]}
          server: {image: ghcr.io/goauthentik/server, ports: ["127.0.0.1:9000:9000", 127.0.0.1::9443]}
        """
    )
    assert yaml.safe_load(result.text)["services"]["server"]["ports"] == ["127.0.0.1:9000:9000", "127.0.0.1::9443"]


def test_long_syntax_volumes_and_ports() -> None:
    text = _d(
        """
        services:
          worker:
            image: ghcr.io/goauthentik/server
            volumes:
              - type: bind
                source: /var/run/docker.sock
                target: /var/run/docker.sock
              - type: volume
                source: data
                target: /data
            ports:
              - target: 9000
                published: "9000"
              - {target: 9443, published: 9443}
              - target: 9300
                host_ip: 0.0.0.0
        """
    )
    result = patch_compose_text(text, BIND)
    assert result.text == _d(
        """
        services:
          worker:
            image: ghcr.io/goauthentik/server
            volumes:
              - type: volume
                source: data
                target: /data
            ports:
              - target: 9000
                published: "9000"
                host_ip: 127.0.0.1
              - {target: 9443, published: 9443, host_ip: 127.0.0.1}
              - target: 9300
                host_ip: 0.0.0.0
        """
    )
    assert not patch_compose_text(result.text, BIND).changed


def test_a_volumes_list_holding_only_the_socket_is_removed_whole() -> None:
    text = _d(
        """
        services:
          worker:
            image: ghcr.io/goauthentik/server
            volumes:
              - /var/run/docker.sock:/var/run/docker.sock
            command: worker
        """
    )
    result = patch_compose_text(text)
    assert result.text == _d(
        """
        services:
          worker:
            image: ghcr.io/goauthentik/server
            command: worker
        """
    )


def test_custom_image_recognised_by_command_and_authentik_settings() -> None:
    text = _d(
        """
        services:
          idp-worker:
            build: .
            command: ["worker"]
            environment:
              - AUTHENTIK_SECRET_KEY=x
            user: "0:0"
          celery:
            build: .
            command: worker
            user: root
        """
    )
    result = patch_compose_text(text)
    assert result.services == ("idp-worker",)
    assert result.text == text.replace('    user: "0:0"\n', "")


def test_ports_with_an_address_are_left_alone() -> None:
    text = _d(
        """
        services:
          server:
            image: ghcr.io/goauthentik/server
            ports:
              - "127.0.0.1:9000:9000"
              - 0.0.0.0:${P:-9443}:9443
              - "[::1]:9100:9000"
              - 9200:9000/tcp
        """
    )
    result = patch_compose_text(text, BIND)
    assert result.text == text.replace("- 9200:9000/tcp", "- 127.0.0.1:9200:9000/tcp")


def test_file_without_final_newline() -> None:
    text = "services:\n  worker:\n    image: ghcr.io/goauthentik/server\n    user: root"
    assert patch_compose_text(text).text == "services:\n  worker:\n    image: ghcr.io/goauthentik/server\n"


def test_split_port_ignores_colons_inside_variables() -> None:
    assert split_port("${A:-9000}:9000") == ["${A:-9000}", "9000"]
    assert split_port("127.0.0.1:${A:-${B:-1}}:9000") == ["127.0.0.1", "${A:-${B:-1}}", "9000"]
    assert split_port("9000") == ["9000"]


def test_invalid_yaml_reports_line_and_column() -> None:
    with pytest.raises(ComposeSyntaxError) as info:
        patch_compose_text("services:\n  worker:\n    image: x\n   user: root\n")
    assert (info.value.line, info.value.column) == (4, 4)
    assert "expected <block end>" in str(info.value)


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "version: '3'\n", "services: [a]\n"])
def test_not_a_compose_file(text: str) -> None:
    with pytest.raises(NotACompose):
        patch_compose_text(text)


def test_docker_compose_config_accepts_every_patched_official_file(shared_authentik: Path, tmp_path: Path) -> None:
    """The patched files still mean what they meant to the real compose parser, minus root and the socket."""
    import json
    import os
    import shutil
    import subprocess

    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        skip_without_docker("`docker compose` (v2) is not installed; tests/run.sh installs it")
    (tmp_path / ".env").write_text("PG_PASS=p\nAUTHENTIK_SECRET_KEY=k\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    for path in _official_files(shared_authentik):
        target = tmp_path / "docker-compose.yml"
        target.write_text(patch_compose_text(path.read_text(), BIND).text)
        out = subprocess.run([docker, "compose", "-p", "t", "config", "--format", "json"], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert out.returncode == 0, (path.name, out.stderr)
        services = json.loads(out.stdout)["services"]
        assert "user" not in services["worker"], path.name
        assert not any("docker.sock" in v.get("source", "") for v in services["worker"]["volumes"]), path.name
        assert {p["host_ip"] for p in services["server"]["ports"]} == {"127.0.0.1"}, path.name


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        ("{image: ghcr.io/goauthentik/server, user: root, volumes: [/var/run/docker.sock:/x]}", "{image: ghcr.io/goauthentik/server}"),
        ("{user: root, volumes: [/var/run/docker.sock:/x], image: ghcr.io/goauthentik/server}", "{image: ghcr.io/goauthentik/server}"),
        ("{volumes: [/var/run/docker.sock:/x], user: root, image: ghcr.io/goauthentik/server}", "{image: ghcr.io/goauthentik/server}"),
        (
            "{image: ghcr.io/goauthentik/server, volumes: [/var/run/docker.sock:/x, a:/a, /run/docker.sock:/y], user: root}",
            "{image: ghcr.io/goauthentik/server, volumes: [a:/a]}",
        ),
    ],
)
def test_neighbouring_removals_in_one_flow_mapping(service: str, expected: str) -> None:
    result = patch_compose_text(f"services:\n  worker: {service}\n")
    assert result.text == f"services:\n  worker: {expected}\n"


TIME = PatchOptions(drop_time_mounts=True)


def test_time_mounts_stay_unless_asked_and_then_go_from_authentik_services_only() -> None:
    text = _d(
        """
        services:
          server:
            image: ghcr.io/goauthentik/server:2026.5.6
            volumes:
              # the host's time zone: Authentik wants UTC
              - /etc/localtime:/etc/localtime:ro
              - ./data:/data
              - "/etc/timezone:/etc/timezone:ro"   # quoted, with a comment
          worker:
            image: ghcr.io/goauthentik/server:2026.5.6
            command: worker
            volumes: [/etc/localtime:/etc/localtime:ro, ./data:/data, '${TZ_FILE:-/etc/timezone}:/etc/timezone']
          app:
            image: myapp:1
            volumes:
              - /etc/localtime:/etc/localtime:ro
        """
    )
    assert not patch_compose_text(text).changed  # opt-in: the default patch leaves them
    result = patch_compose_text(text, TIME)
    assert result.text == _d(
        """
        services:
          server:
            image: ghcr.io/goauthentik/server:2026.5.6
            volumes:
              # the host's time zone: Authentik wants UTC
              - ./data:/data
          worker:
            image: ghcr.io/goauthentik/server:2026.5.6
            command: worker
            volumes: [./data:/data]
          app:
            image: myapp:1
            volumes:
              - /etc/localtime:/etc/localtime:ro
        """
    )
    assert [(c.kind, c.service, c.line) for c in result.changes] == [
        ("time_mount", "server", 6), ("time_mount", "server", 8), ("time_mount", "worker", 12), ("time_mount", "worker", 12)]
    assert result.changes[1].before == '- "/etc/timezone:/etc/timezone:ro"   # quoted, with a comment'
    assert not patch_compose_text(result.text, TIME).changed


def test_time_mounts_in_long_syntax_and_a_list_left_empty_goes_whole() -> None:
    text = _d(
        """
        services:
          worker:
            image: ghcr.io/goauthentik/server
            command: worker
            volumes:
              - type: bind
                source: /etc/localtime
                target: /etc/localtime
                read_only: true
              - type: volume
                source: data
                target: /data
          server:
            image: ghcr.io/goauthentik/server
            volumes:
              - {type: bind, source: /etc/timezone, target: /etc/timezone}
              - /var/run/docker.sock:/var/run/docker.sock
            command: server
        """
    )
    result = patch_compose_text(text, TIME)
    assert result.text == _d(
        """
        services:
          worker:
            image: ghcr.io/goauthentik/server
            command: worker
            volumes:
              - type: volume
                source: data
                target: /data
          server:
            image: ghcr.io/goauthentik/server
            command: server
        """
    )
    # the server's list held only a time mount and the socket: the whole key went, and both reasons are listed
    assert [(c.kind, c.service, c.before) for c in result.changes] == [
        ("time_mount", "worker", "- type: bind"), ("time_mount", "server", "volumes:"), ("docker_socket", "server", "volumes:")]
    assert yaml.safe_load(result.text)["services"]["worker"]["volumes"] == [{"type": "volume", "source": "data", "target": "/data"}]
    # with the socket kept, only the time mount goes from the server
    kept = patch_compose_text(text, PatchOptions(drop_time_mounts=True, keep_docker_socket=True))
    assert "      - /var/run/docker.sock:/var/run/docker.sock\n" in kept.text
    assert "/etc/timezone" not in kept.text and "/etc/localtime" not in kept.text


@pytest.mark.parametrize(("value", "root"), [("0:1000", True), ("root:1000", True), ("00", True), ("1000:0", False), ("10", False),
                                             ("authentik", False), ("rootless", False), ("", False)])
def test_root_is_the_user_part(value: str, root: bool) -> None:
    from authentik_lab.core.compose_patch import is_root_user

    assert is_root_user(value) is root
