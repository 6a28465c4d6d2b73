"""`authlab compose patch FILE` through the CLI: diff, --check, --dry-run, backups, errors, JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from tests.conftest import write_tree

runner = CliRunner()

ORIGINAL = """\
services:
  server:
    image: ghcr.io/goauthentik/server:2026.5.6
    command: server
    ports:
    - ${COMPOSE_PORT_HTTP:-9000}:9000
  worker:
    image: ghcr.io/goauthentik/server:2026.5.6
    command: worker
    user: root
    volumes:
    - /var/run/docker.sock:/var/run/docker.sock
    - ./data:/data
"""

DIFF = """\
--- {f}
+++ {f} (patched)
@@ -7,7 +7,5 @@
   worker:
     image: ghcr.io/goauthentik/server:2026.5.6
     command: worker
-    user: root
     volumes:
-    - /var/run/docker.sock:/var/run/docker.sock
     - ./data:/data
"""


@pytest.fixture
def compose(tmp_path: Path) -> Path:
    write_tree(tmp_path, {"docker-compose.yml": ORIGINAL})
    return tmp_path / "docker-compose.yml"


class FakeEngine:
    """The engine facts `compose patch` asks for when folders need an owner: rootful Docker, or what a test sets."""

    rootless = False
    flavour = "docker"

    def require(self) -> None:
        pass

    def info(self):  # noqa: ANN201
        from authentik_lab.core.readiness import EngineInfo

        return EngineInfo("27.3.1", self.rootless, "Debian", "linux", "x86_64", self.flavour)


def _patch(*args: str, engine: type = FakeEngine):
    from authentik_lab.app import App

    return runner.invoke(cli, ["compose", "patch", *args], catch_exceptions=False, obj=App(engine_factory=engine))


def test_patch_prints_the_diff_writes_and_keeps_a_backup(compose: Path) -> None:
    result = _patch(str(compose))
    assert result.exit_code == 0
    assert result.stdout == DIFF.format(f=compose) + (
        f"patched {compose}: removed `user: root` from worker; removed the docker socket mount from worker "
        f"(previous version: {compose}.bak)\n"
    )
    assert compose.read_text() == ORIGINAL.replace("    user: root\n", "").replace("    - /var/run/docker.sock:/var/run/docker.sock\n", "")
    assert Path(f"{compose}.bak").read_text() == ORIGINAL


def test_second_run_says_already_patched_and_changes_nothing(compose: Path) -> None:
    _patch(str(compose))
    patched = compose.read_bytes()
    Path(f"{compose}.bak").unlink()
    result = _patch(str(compose))
    assert result.exit_code == 0
    assert result.stdout == f"{compose}: already patched, nothing to change\n"
    assert compose.read_bytes() == patched
    assert not Path(f"{compose}.bak").exists()


def test_check_exits_1_when_a_patch_is_needed_and_0_when_clean(compose: Path) -> None:
    result = _patch("--check", str(compose))
    assert result.exit_code == 1
    assert result.stdout == DIFF.format(f=compose) + (
        f"{compose} needs patching: removed `user: root` from worker; removed the docker socket mount from worker; "
        f"run `authlab compose patch {compose}`\n"
    )
    assert compose.read_text() == ORIGINAL
    assert not Path(f"{compose}.bak").exists()
    _patch(str(compose))
    assert _patch("--check", str(compose)).exit_code == 0


def test_dry_run_leaves_the_bytes(compose: Path) -> None:
    before = compose.read_bytes()
    mtime = compose.stat().st_mtime_ns
    result = _patch("--dry-run", "--bind-localhost", str(compose))
    assert result.exit_code == 0
    assert "-    - ${COMPOSE_PORT_HTTP:-9000}:9000\n+    - 127.0.0.1:${COMPOSE_PORT_HTTP:-9000}:9000\n" in result.stdout
    assert result.stdout.endswith(
        f"dry run, {compose} unchanged; would have: bound 1 published port of server to 127.0.0.1; "
        "removed `user: root` from worker; removed the docker socket mount from worker\n"
    )
    assert compose.read_bytes() == before and compose.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in compose.parent.iterdir()) == ["docker-compose.yml"]


def test_no_backup_and_keep_docker_socket(compose: Path) -> None:
    result = _patch("--no-backup", "--keep-docker-socket", str(compose))
    assert result.exit_code == 0
    assert compose.read_text() == ORIGINAL.replace("    user: root\n", "")
    assert not Path(f"{compose}.bak").exists()


def test_crlf_file_keeps_its_line_endings_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "compose.yml"
    path.write_bytes(ORIGINAL.replace("\n", "\r\n").encode())
    path.chmod(0o640)
    assert _patch(str(path)).exit_code == 0
    expected = ORIGINAL.replace("    user: root\n", "").replace("    - /var/run/docker.sock:/var/run/docker.sock\n", "")
    assert path.read_bytes() == expected.replace("\n", "\r\n").encode()
    assert path.stat().st_mode & 0o777 == 0o640


def test_json_document(compose: Path) -> None:
    result = _patch("--json", "--check", str(compose))
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "authlab": 1,
        "command": "compose patch",
        "ok": False,
        "data": {
            "file": str(compose),
            "status": "needs_patch",
            "changes": [
                {"kind": "user", "service": "worker", "line": 10, "before": "user: root", "after": ""},
                {"kind": "docker_socket", "service": "worker", "line": 12, "before": "- /var/run/docker.sock:/var/run/docker.sock", "after": ""},
            ],
            "diff": DIFF.format(f=compose),
            "written": False,
            "backup": None,
            "services": ["server", "worker"],
            "notes": [],
            "folders_to_own": [str(compose.parent / "data")],
            "permissions_command": f"mkdir -p {compose.parent / 'data'} && sudo chown -R 1000:1000 {compose.parent / 'data'}",
            "permissions_fixed": [],
            "owners": ["1000:1000"],
            "engine": "Docker",
            "problems": [],
        },
    }


def test_invalid_yaml_names_line_and_column_and_leaves_the_file(tmp_path: Path) -> None:
    path = tmp_path / "compose.yml"
    text = "services:\n  worker:\n    image: ghcr.io/goauthentik/server\n   user: root\n"
    path.write_text(text)
    result = _patch(str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.split() == (
        f"error: {path}:4:4: invalid YAML: while parsing a block mapping expected <block end>, but found '<block mapping start>'\n"
        "hint: fix the YAML first; the file was not changed\n"
    ).split()
    assert path.read_text() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compose.yml"]


def test_invalid_yaml_as_json(tmp_path: Path) -> None:
    path = tmp_path / "compose.yml"
    path.write_text("services: [\n")
    result = _patch("--json", str(path))
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["error"]["type"] == "ConfigError"
    assert doc["error"]["message"].startswith(f"{path}:2:1: invalid YAML: ")


@pytest.mark.parametrize(
    ("name", "files", "message", "hint"),
    [
        ("missing.yml", {}, "{p}: no such file", "pass the path of your compose file, e.g. docker-compose.yml"),
        ("proj", {"proj/compose.yaml": "services: {}\n"}, "{p} is a directory", "pass the file inside it, e.g. {p}/compose.yaml"),
        ("other.yml", {"other.yml": "name: x\nitems: [1]\n"}, "{p}: the file is not a compose file: it has no `services` mapping", "pass a docker compose file (the one with `services:`)"),
    ],
)
def test_clear_errors_for_things_that_are_not_compose_files(tmp_path: Path, name: str, files: dict, message: str, hint: str) -> None:
    write_tree(tmp_path, files)
    path = tmp_path / name
    result = _patch(str(path))
    assert result.exit_code == 2
    assert result.stderr.split() == f"error: {message.format(p=path)}\nhint: {hint.format(p=path)}\n".split()


def test_help_lists_the_options() -> None:
    result = runner.invoke(cli, ["compose", "patch", "--help"])
    assert result.exit_code == 0
    import re

    # the whole set, so an option added or dropped without its README line shows up here
    listed = set(re.findall(r"^\s+(?:-\w, )?(--[a-z-]+)", result.stdout, re.M))
    assert listed == {"--dry-run", "--check", "--keep-docker-socket", "--bind-localhost", "--drop-time-mounts", "--no-backup",
                      "--fix-permissions", "--json", "--help"}


def test_drop_time_mounts_removes_them_and_says_so(tmp_path: Path) -> None:
    text = ORIGINAL.replace("    - ./data:/data\n", "    - ./data:/data\n    - /etc/localtime:/etc/localtime:ro\n    - /etc/timezone:/etc/timezone:ro\n")
    write_tree(tmp_path, {"docker-compose.yml": text})
    path = tmp_path / "docker-compose.yml"
    # without the option the time mounts stay (root and the socket still go)
    plain = _patch("--dry-run", str(path))
    assert plain.stdout.splitlines()[-1] == (
        f"dry run, {path} unchanged; would have: removed `user: root` from worker; removed the docker socket mount from worker")
    result = _patch("--drop-time-mounts", str(path))
    assert result.exit_code == 0, result.stderr
    assert path.read_text() == ORIGINAL.replace("    user: root\n", "").replace("    - /var/run/docker.sock:/var/run/docker.sock\n", "")
    assert result.stdout.splitlines()[-1] == (
        f"patched {path}: removed `user: root` from worker; removed the docker socket mount from worker; "
        f"removed the host time zone mounts from worker (previous version: {path}.bak)")
    assert Path(f"{path}.bak").read_text() == text
    assert _patch("--drop-time-mounts", "--check", str(path)).exit_code == 0


def test_patch_names_the_folders_uid_1000_must_own_with_the_exact_command(compose: Path) -> None:
    result = _patch(str(compose))
    data = compose.parent / "data"
    assert result.exit_code == 0
    assert result.stderr == (
        f"warning: without `user: root` Authentik runs as its own user and cannot write {data} (missing or owned by another user)\n"
        f"  run: mkdir -p {data} && sudo chown -R 1000:1000 {data}\n"
        "  (or `authlab compose patch --fix-permissions` as root)\n"
    )
    assert not data.exists()  # only advice: nothing created without --fix-permissions


def test_official_file_lists_data_certs_and_templates(tmp_path: Path, shared_authentik: Path) -> None:
    import os

    if os.geteuid() == 1000:
        pytest.skip("folders made by uid 1000 already belong to it")
    path = tmp_path / "auth" / "docker-compose.yml"
    path.parent.mkdir()
    path.write_text((shared_authentik / "docker-compose-2026.5.6.yml").read_text())
    doc = json.loads(_patch("--json", str(path)).stdout)
    folders = [str(path.parent / n) for n in ("data", "custom-templates", "certs")]
    assert doc["data"]["folders_to_own"] == folders
    assert doc["data"]["permissions_command"] == f"mkdir -p {' '.join(folders)} && sudo chown -R 1000:1000 {' '.join(folders)}"


def test_fix_permissions_creates_the_folders_and_chowns_them_as_root(compose: Path) -> None:
    import os

    data = compose.parent / "data"
    (data / "media").mkdir(parents=True)
    (data / "media" / "logo.png").write_text("x")
    result = _patch("--fix-permissions", str(compose))
    assert result.exit_code == 0
    if os.geteuid() != 0:
        # not root: the folder exists now, and the chown is left to the printed command
        assert f"sudo chown -R 1000:1000 {data}" in result.stderr
        return
    assert result.stderr == f"prepared {data} for uid 1000\n"
    assert [os.stat(p).st_uid for p in (data, data / "media", data / "media" / "logo.png")] == [1000, 1000, 1000]
    # a later run finds nothing left to do
    again = _patch("--fix-permissions", str(compose))
    assert again.stdout == f"{compose}: already patched, nothing to change\n" and again.stderr == ""


def test_a_second_patch_keeps_the_original_backup(compose: Path) -> None:
    _patch(str(compose))
    text = compose.read_text().replace("- ${COMPOSE_PORT_HTTP:-9000}:9000", "- ${COMPOSE_PORT_HTTP:-9000}:9000")
    result = _patch("--bind-localhost", str(compose))
    assert result.exit_code == 0
    assert f"(previous version: {compose}.bak.1)" in result.stdout
    assert Path(f"{compose}.bak").read_text() == ORIGINAL  # the user's original survives
    assert Path(f"{compose}.bak.1").read_text() == text
    assert "127.0.0.1:" in compose.read_text()


@pytest.mark.parametrize("text", ["services: {}\n", "services:\n  db:\n    image: postgres:16-alpine\n"])
def test_a_file_without_any_authentik_service_is_a_problem_not_already_patched(tmp_path: Path, text: str) -> None:
    # QA of issue 9: "already patched, nothing to change" and exit 0 (also with --check) for a database-only file
    path = tmp_path / "compose.yml"
    path.write_text(text)
    for args in ((), ("--check",)):
        result = _patch(str(path), *args)
        assert result.exit_code == 1, result.output
        assert result.stderr == ("problem: no Authentik service (image ghcr.io/goauthentik/server) in the compose file; "
                                 "fix: pass the compose file that runs Authentik's server and worker\n")
        assert path.read_text() == text
    assert list(tmp_path.iterdir()) == [path]  # no backup, nothing written
