"""The compose choke point: argv, binary detection, stderr -> typed errors, and `ps` parsing per version."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from authentik_lab.adapters import compose as compose_mod
from authentik_lab.adapters.compose import ComposeRunner, Publisher, ServiceStatus, error_for, parse_ps
from authentik_lab.errors import ComposeError, ExitCode

SAMPLES = Path(__file__).parent / "samples" / "compose-ps"
PROJECT = "authlab-demo-1a2b3c4d"


def _expected_lab() -> list[tuple[str, str, str | None, int | None, tuple[Publisher, ...]]]:
    ports = (Publisher("127.0.0.1", 9000, 39000, "tcp"), Publisher("127.0.0.1", 9443, 39443, "tcp"))
    return [
        ("postgresql", "running", "healthy", 0, ()),
        ("server", "running", "starting", 0, ports),
        ("worker", "exited", None, 1, ()),
    ]


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.txt")), ids=lambda p: p.stem)
def test_ps_samples_parse_to_the_same_lab(sample: Path) -> None:
    rows = parse_ps(sample.read_text())
    assert [(r.service, r.state, r.health, r.exit_code, r.publishers) for r in rows] == _expected_lab()
    assert [r.name for r in rows] == [f"{PROJECT}-{s}-1" for s in ("postgresql", "server", "worker")]


def test_both_shapes_are_covered_by_samples() -> None:
    first_chars = {p.read_text().lstrip()[:1] for p in SAMPLES.glob("*.txt")}
    assert first_chars == {"[", "{"}


def test_empty_ps_in_either_shape() -> None:
    assert parse_ps("") == []
    assert parse_ps("[]\n") == []


def test_newer_fields_are_kept_when_present() -> None:
    line = '{"Name":"p-server-1","Service":"server","State":"running","Health":"","ExitCode":0,"Status":"Up 5 seconds","Image":"ghcr.io/goauthentik/server:2026.5.6","Publishers":[]}'
    assert parse_ps(line) == [
        ServiceStatus("server", "p-server-1", "running", None, 0, "Up 5 seconds", "ghcr.io/goauthentik/server:2026.5.6", ())
    ]


def test_argv_names_directory_file_project_and_env_file(tmp_path: Path) -> None:
    runner = ComposeRunner(tmp_path / "compose.yml", "proj", env_file=tmp_path / ".env", binary=["docker", "compose"])
    assert runner.argv("up", "-d") == [
        "docker", "compose", "--project-directory", str(tmp_path), "-f", str(tmp_path / "compose.yml"),
        "-p", "proj", "--env-file", str(tmp_path / ".env"), "up", "-d",
    ]
    v1 = ComposeRunner(tmp_path / "compose.yml", "proj", binary=["docker-compose"])
    assert v1.argv("ps")[:2] == ["docker-compose", "--project-directory"]
    assert "--env-file" not in v1.argv("ps")
    assert runner.logs_args("server", follow=True, tail=20) == ["logs", "--no-color", "--follow", "--tail", "20", "server"]
    assert runner.logs_args(None, follow=False, tail=None) == ["logs", "--no-color"]


def test_run_maps_a_failure_to_a_typed_error(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def fake_run(argv: list[str], **kw: object) -> subprocess.CompletedProcess:
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 1, "", "Error response from daemon: driver failed programming external connectivity on endpoint x-server-1: Bind for 127.0.0.1:9000 failed: port is already allocated\n")

    runner = ComposeRunner(tmp_path / "compose.yml", "proj", binary=["docker", "compose"], run=fake_run)
    with pytest.raises(ComposeError) as info:
        runner.up()
    err = info.value
    assert calls[0][-3:] == ["up", "-d", "--remove-orphans"]
    assert err.message == "another process already uses the port Authentik should publish (127.0.0.1:9000)"
    assert "authlab init --port N" in (err.hint or "")
    assert (err.code, err.argv, err.exit_code) == (1, calls[0], ExitCode.COMPOSE)


@pytest.mark.parametrize(
    ("stderr", "message", "hint_part"),
    [
        ("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
         "cannot reach the Docker engine at unix:///var/run/docker.sock (the default socket)", "start Docker"),
        ("permission denied while trying to connect to the Docker daemon socket at unix:///var/run/docker.sock", "no permission to use the Docker engine", "`docker` group"),
        ("Error response from daemon: pull access denied for ghcr.io/goauthentik/server, repository does not exist or may require 'docker login'", "an image could not be pulled", "AUTHENTIK_TAG"),
        ("no configuration file provided: not found", "compose found no compose file", "authlab init"),
        ("error while interpolating services.postgresql.environment.POSTGRES_PASSWORD: required variable PG_PASS is missing a value: database password required", "the .env next to the compose file lacks a required value (PG_PASS)", "authlab init"),
        ("something new went wrong\nsecond line", "`docker compose up` failed: something new went wrong | second line", "--json"),
    ],
)
def test_stderr_phrases_become_messages_with_hints(stderr: str, message: str, hint_part: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    err = error_for(["docker", "compose", "up"], 1, stderr, command="up")
    assert err.message == message
    assert hint_part in (err.hint or "")
    assert err.to_dict()["stderr"] == stderr


def _fake_bin(directory: Path, name: str, script: str) -> None:
    path = directory / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


def test_prefers_the_plugin_and_falls_back_to_standalone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    # a docker CLI without the compose plugin answers "unknown command" with exit 1
    _fake_bin(bin_dir, "docker", 'echo "docker: unknown command: docker compose" >&2; exit 1\n')
    _fake_bin(bin_dir, "docker-compose", 'echo "docker-compose version 1.29.2"\n')
    compose_mod.detect_binary.cache_clear()
    try:
        assert compose_mod.detect_binary() == ("docker-compose",)
        # v1 cannot print `ps --format json`: status asks the engine instead
        _fake_bin(bin_dir, "docker-compose", 'echo "1.29.2"\n')
        compose_mod._standalone_major.cache_clear()
        assert ComposeRunner(tmp_path / "c.yml", "p").is_v1 is True
        _fake_bin(bin_dir, "docker-compose", 'echo "v2.40.3"\n')
        compose_mod._standalone_major.cache_clear()
        assert ComposeRunner(tmp_path / "c.yml", "p").is_v1 is False
        compose_mod.detect_binary.cache_clear()
        _fake_bin(bin_dir, "docker", 'echo "Docker Compose version v2.40.3"\n')
        assert compose_mod.detect_binary() == ("docker", "compose")
        compose_mod.detect_binary.cache_clear()
        os.remove(bin_dir / "docker")
        os.remove(bin_dir / "docker-compose")
        with pytest.raises(ComposeError) as info:
            compose_mod.detect_binary()
        assert "Docker Compose is not installed" in info.value.message
        assert "docker compose" in (info.value.hint or "")
    finally:
        compose_mod.detect_binary.cache_clear()
        compose_mod._standalone_major.cache_clear()


def test_an_unreachable_engine_names_docker_host_when_it_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    err = error_for(["docker", "compose", "ps"], 1, "Cannot connect to the Docker daemon at unix:///nonexistent.sock. Is the docker daemon running?", command="ps")
    assert err.message == "cannot reach the Docker engine at unix:///nonexistent.sock"
    assert "DOCKER_HOST" in (err.hint or "") and "rootless" in (err.hint or "")


def test_config_json_tries_the_plugin_first_and_falls_back_to_the_probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    calls = tmp_path / "calls"
    # the plugin answers the config call directly: no `docker compose version` probe before it
    _fake_bin(bin_dir, "docker", f'echo "$*" >> {calls}\necho \'{{"name": "p", "services": {{}}}}\'\n')
    compose_mod.detect_binary.cache_clear()
    try:
        runner = ComposeRunner(tmp_path / "c.yml", None)
        assert runner.config_json(["full"]) == {"name": "p", "services": {}}
        assert calls.read_text().splitlines() == [f"compose --project-directory {tmp_path} -f {tmp_path / 'c.yml'} --profile full config --format json"]
        # a docker CLI without the plugin: the probe picks the standalone binary, whose answer is used
        _fake_bin(bin_dir, "docker", 'echo "docker: unknown command: docker compose" >&2; exit 1\n')
        _fake_bin(bin_dir, "docker-compose", 'case "$*" in *config*) echo \'{"name": "q"}\';; *) echo "2.40.3";; esac\n')
        assert ComposeRunner(tmp_path / "c.yml", None).config_json() == {"name": "q"}
        # compose refusing the file is an error naming compose's reason
        compose_mod.detect_binary.cache_clear()
        _fake_bin(bin_dir, "docker", 'echo "required variable PG_PASS is missing a value" >&2; exit 15\n')
        with pytest.raises(ComposeError) as info:
            ComposeRunner(tmp_path / "c.yml", None).config_json()
        assert info.value.message == "the .env next to the compose file lacks a required value (PG_PASS)"
    finally:
        compose_mod.detect_binary.cache_clear()
