"""`authlab doctor --compose FILE` judges the configuration as compose runs it (issue 9, section 1).

Each case is a small compose project in tmp_path. The real `docker compose config` computes the effective
configuration (it needs the compose binary only, no engine); the fallback reader is tested with compose hidden.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from typer.testing import CliRunner

from authentik_lab.app import App
from authentik_lab.cli.main import cli
from tests.conftest import write_tree
from tests.integration.doctor_support import NothingRunsEngine

KEY = "k" * 60
IMAGE = "ghcr.io/goauthentik/server:2026.5.6"


def _has_compose() -> bool:
    return bool(shutil.which("docker")) and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


needs_compose = pytest.mark.skipif(not _has_compose(), reason="`docker compose` is not installed")


@pytest.fixture(autouse=True)
def _clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("COMPOSE_FILE", "COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME", "PG_PASS", "AUTHENTIK_SECRET_KEY", "DOCKER_HOST"):
        monkeypatch.delenv(name, raising=False)


def run(*args: str) -> tuple[int, dict]:
    result = CliRunner().invoke(cli, ["doctor", *args, "--json"], obj=App(engine_factory=NothingRunsEngine))
    return result.exit_code, json.loads(result.stdout)


@contextlib.contextmanager
def compose_reader(reader: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Run doctor with `docker compose` ("compose") or with it hidden from PATH ("fallback": doctor's own reader); the
    cached lookup of the compose binary is cleared around it."""
    from authentik_lab.adapters.compose import detect_binary

    if reader == "fallback":
        monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    detect_binary.cache_clear()
    try:
        yield
    finally:
        detect_binary.cache_clear()


def found(*args: str) -> dict[str, dict]:
    return {c["id"]: c for c in run(*args)[1]["data"]["checks"]}


def project(tmp_path: Path, compose: str, env: str = f"PG_PASS=pw\nAUTHENTIK_SECRET_KEY={KEY}\n", **more: str) -> Path:
    write_tree(tmp_path / "p", {"docker-compose.yml": compose, ".env": env, **more})
    os.chmod(tmp_path / "p" / ".env", 0o600)
    return tmp_path / "p" / "docker-compose.yml"


def service(name: str, extra: str = "") -> str:
    return (f"  {name}:\n    image: {IMAGE}\n    command: {name}\n    environment:\n      AUTHENTIK_POSTGRESQL__HOST: postgresql\n"
            f"      AUTHENTIK_POSTGRESQL__PASSWORD: ${{PG_PASS}}\n{extra}")


# --- the environment each service really gets -----------------------------------------------------


@needs_compose
def test_worker_without_the_env_file_lacks_the_secret_key(tmp_path: Path) -> None:
    # the example: .env holds the key, only server has `env_file: .env`
    compose = project(tmp_path, "services:\n" + service("server", "    env_file: .env\n") + service("worker"))
    code, doc = run("--compose", str(compose), "compose.service-env")
    check = doc["data"]["checks"][0]
    assert code == 1
    assert (check["status"], check["summary"]) == (
        "fail", 'worker has no AUTHENTIK_SECRET_KEY: it cannot decrypt or sign what the other service wrote, and the worker then '
                'creates no flows: every page "Not Found"')
    assert check["messages"][0]["fix"] == ("add `env_file: .env` to services.worker (services.server has it), "
                                           "or `AUTHENTIK_SECRET_KEY: ${AUTHENTIK_SECRET_KEY}` under services.worker.environment")
    assert check["evidence"] == ["services.worker: AUTHENTIK_SECRET_KEY absent in its effective environment (server has it from env_file .env)"]
    assert doc["data"]["compose_config"] == {"source": "docker compose config", "files": [str(compose)], "profiles": [],
                                             "fallback_reason": None, "seconds": doc["data"]["compose_config"]["seconds"]}
    # both with the env file: passes
    both = project(tmp_path, "services:\n" + service("server", "    env_file: .env\n") + service("worker", "    env_file: .env\n"))
    assert found("--compose", str(both), "compose.service-env")["compose.service-env"]["status"] == "ok"


@needs_compose
def test_database_host_given_to_the_server_only_names_the_worker(tmp_path: Path) -> None:
    # one more of the kind: the database settings reach one service through a YAML anchor the other does not use
    compose = project(tmp_path, (
        "x-db: &db\n  AUTHENTIK_POSTGRESQL__HOST: postgresql\n  AUTHENTIK_POSTGRESQL__USER: authentik\n"
        "services:\n"
        f"  server:\n    image: {IMAGE}\n    command: server\n    env_file: .env\n    environment:\n      <<: *db\n"
        f"  worker:\n    image: {IMAGE}\n    command: worker\n    env_file: .env\n"))
    check = found("--compose", str(compose), "compose.service-env")["compose.service-env"]
    assert check["status"] == "fail"
    assert [m["text"] for m in check["messages"]] == [
        "worker has no AUTHENTIK_POSTGRESQL__HOST: Authentik then connects to localhost, inside its own container",
        "worker has no AUTHENTIK_POSTGRESQL__USER: it cannot reach the database the other service uses"]


@needs_compose
def test_key_written_inline_for_the_server_only_names_the_worker_not_dot_env(tmp_path: Path) -> None:
    # the example: the key is inline under server.environment; .env has no key at all
    compose = project(tmp_path, "services:\n" + service("server", f"      AUTHENTIK_SECRET_KEY: {KEY}\n") + service("worker"),
                      env="PG_PASS=pw\n")
    checks = found("--compose", str(compose), "compose.service-env", "env.required")
    env = checks["compose.service-env"]
    assert (env["status"], env["summary"]) == (
        "fail", 'worker has no AUTHENTIK_SECRET_KEY: it cannot decrypt or sign what the other service wrote, and the worker then '
                'creates no flows: every page "Not Found"')
    assert "authlab init" not in json.dumps(checks)
    assert env["messages"][0]["fix"].startswith(f"put the value in {tmp_path / 'p' / '.env'} once and reference it from every Authentik service")
    assert (checks["env.required"]["status"], checks["env.required"]["summary"]) == ("ok", f"PG_PASS set for {compose}")


@needs_compose
def test_server_and_worker_with_different_keys_fail_without_showing_them(tmp_path: Path) -> None:
    # one more of the kind: an override file (read by compose itself) gives the worker another key
    compose = project(tmp_path, "services:\n" + service("server", "    env_file: .env\n") + service("worker", "    env_file: .env\n"),
                      **{"docker-compose.override.yml": "services:\n  worker:\n    environment:\n      AUTHENTIK_SECRET_KEY: other-key-other-key\n"})
    code, doc = run("--compose", str(compose), "compose.service-env")
    check = doc["data"]["checks"][0]
    assert (check["status"], check["summary"]) == ("fail", "server, worker have different AUTHENTIK_SECRET_KEY values: they must share one key")
    assert KEY not in json.dumps(doc) and "other-key" not in json.dumps(doc)
    assert doc["data"]["compose_config"]["files"] == [str(compose), str(tmp_path / "p" / "docker-compose.override.yml")]


# --- a worker exists ------------------------------------------------------------------------------


@needs_compose
def test_a_file_without_worker_fails(tmp_path: Path) -> None:
    postgres = "  postgresql:\n    image: docker.io/library/postgres:16-alpine\n    volumes:\n    - database:/var/lib/postgresql/data\n"
    compose = project(tmp_path, "services:\n" + postgres + service("server", "    env_file: .env\n") + "volumes:\n  database: {}\n")
    check = found("--compose", str(compose), "compose.worker")["compose.worker"]
    assert (check["status"], check["summary"]) == (
        "fail", 'no worker service: the default flows, scope mappings and certificate are never created (every page says "Not Found")')
    with_worker = project(tmp_path, "services:\n" + postgres + service("server") + service("worker") + "volumes:\n  database: {}\n")
    assert found("--compose", str(with_worker), "compose.worker")["compose.worker"]["summary"] == "worker service: worker"


@needs_compose
def test_a_worker_behind_an_inactive_profile_is_no_worker_until_the_profile_is_enabled(tmp_path: Path) -> None:
    # one more of the kind: compose leaves out services whose profile is not enabled
    compose = project(tmp_path, "services:\n" + service("server") + service("worker", "    profiles: [full]\n"))
    assert found("--compose", str(compose), "compose.worker")["compose.worker"]["status"] == "fail"
    code, doc = run("--compose", str(compose), "--profile", "full", "compose.worker")
    assert (code, doc["data"]["checks"][0]["status"], doc["data"]["compose_config"]["profiles"]) == (0, "ok", ["full"])
    (tmp_path / "p" / ".env").write_text(f"PG_PASS=pw\nAUTHENTIK_SECRET_KEY={KEY}\nCOMPOSE_PROFILES=full\n")
    assert found("--compose", str(compose), "compose.worker")["compose.worker"]["status"] == "ok"


def test_a_service_named_worker_that_runs_no_worker_command_fails(tmp_path: Path) -> None:
    compose = project(tmp_path, f"services:\n{service('server')}  worker:\n    image: {IMAGE}\n")
    check = found("--compose", str(compose), "compose.worker")["compose.worker"]
    assert (check["status"], check["summary"]) == ("fail", "services.worker does not run the worker (no `command: worker`)")


# --- the user a service runs as -------------------------------------------------------------------


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another uid")
@needs_compose
def test_storage_folder_is_judged_for_the_services_own_user(tmp_path: Path) -> None:
    compose = project(tmp_path, "services:\n" + service("server", "    user: '1001:1001'\n    volumes:\n    - ./data:/data\n")
                      + service("worker", "    user: '1001:1001'\n    volumes:\n    - ./data:/data\n"))
    data = tmp_path / "p" / "data"
    data.mkdir()
    os.chmod(data, 0o755)
    os.chown(data, 1000, 1000)  # right for the image's default user, wrong for 1001
    check = found("--compose", str(compose), "compose.bind-mount-owner")["compose.bind-mount-owner"]
    assert (check["status"], check["summary"]) == ("fail", f"{data} (server:/data) is not writable by uid 1001 (user: 1001:1001)")
    assert check["messages"][0]["fix"] == f"sudo chown -R 1001:1001 {data}"
    os.chown(data, 1001, 1001)
    check = found("--compose", str(compose), "compose.bind-mount-owner")["compose.bind-mount-owner"]
    assert (check["status"], check["summary"]) == ("ok", "storage folders are writable by uid 1001 (user: 1001:1001)")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a folder to another uid")
@needs_compose
def test_the_user_comes_from_dot_env_through_interpolation(tmp_path: Path) -> None:
    # one more of the kind: `user: ${AUTHENTIK_UID}` only compose (or the fallback's interpolation) can resolve
    compose = project(tmp_path, "services:\n" + service("server", "    user: ${AUTHENTIK_UID}\n    volumes:\n    - ./data:/data\n")
                      + service("worker", "    user: ${AUTHENTIK_UID}\n"), env=f"PG_PASS=pw\nAUTHENTIK_SECRET_KEY={KEY}\nAUTHENTIK_UID=1002\n")
    data = tmp_path / "p" / "data"
    data.mkdir()
    os.chmod(data, 0o755)
    os.chown(data, 1000, 1000)
    check = found("--compose", str(compose), "compose.bind-mount-owner")["compose.bind-mount-owner"]
    assert (check["status"], check["messages"][0]["fix"]) == ("fail", f"sudo chown -R 1002:1002 {data}")


# --- volume targets ------------------------------------------------------------------------------


@needs_compose
def test_a_host_folder_at_blueprints_hides_the_shipped_ones(tmp_path: Path) -> None:
    compose = project(tmp_path, "services:\n" + service("server") + service("worker", "    volumes:\n    - ./blueprints:/blueprints\n"))
    check = found("--compose", str(compose), "compose.volume-targets")["compose.volume-targets"]
    folder = tmp_path / "p" / "blueprints"
    assert (check["status"], check["summary"]) == (
        "fail", f"{folder} is mounted at /blueprints in worker: it hides the blueprints the image ships, so no default flows, "
                "no scope mappings and no bootstrap")
    assert check["messages"][0]["fix"] == f"mount it at /blueprints/custom instead: `{folder}:/blueprints/custom`"
    custom = project(tmp_path, "services:\n" + service("server") + service("worker", "    volumes:\n    - ./blueprints:/blueprints/custom\n"))
    assert found("--compose", str(custom), "compose.volume-targets")["compose.volume-targets"]["status"] == "ok"


@needs_compose
def test_a_named_volume_at_blueprints_warns(tmp_path: Path) -> None:
    # one more of the kind: a named volume is filled once from the image, then hides every later release's blueprints
    compose = project(tmp_path, "services:\n" + service("server") + service("worker", "    volumes:\n    - bp:/blueprints\n")
                      + "volumes:\n  bp: {}\n")
    check = found("--compose", str(compose), "compose.volume-targets")["compose.volume-targets"]
    assert check["status"] == "warn" and check["summary"].startswith("a volume (bp) is mounted at /blueprints in worker")


@needs_compose
def test_a_named_volume_at_data_keeps_no_uploads_and_races_on_its_symlink(tmp_path: Path) -> None:
    # what the official file's `./data:/data` becomes when someone swaps in a named volume (real-boot-2026.2.2 layout:
    # /data/media is a symlink to /media; the race was reproduced by tests/integration/docker/test_doctor_docker.py)
    compose = project(tmp_path, "services:\n" + service("server", "    volumes:\n    - data:/data\n")
                      + service("worker", "    volumes:\n    - data:/data\n") + "volumes:\n  data: {}\n")
    check = found("--compose", str(compose), "compose.volume-targets")["compose.volume-targets"]
    assert check["status"] == "warn"
    assert [m["text"] for m in check["messages"] if m["level"] == "warn"] == [
        "server keeps no uploaded files: the volume at /data (data) only gets a copy of the image's /data/media, a symlink to "
        "/media (2025.12+; older releases write /media), so icons and other uploads land in the container's own /media and "
        "are lost when it is re-created",
        "worker keeps no uploaded files: the volume at /data (data) only gets a copy of the image's /data/media, a symlink to "
        "/media (2025.12+; older releases write /media), so icons and other uploads land in the container's own /media and "
        "are lost when it is re-created",
        "server and worker share the named volume data at /data: the first start over a fresh volume copies the image's /data "
        "into it from both containers at once and can fail with `failed to create symlink ... file exists` (2025.12+ images)",
    ]
    assert check["messages"][0]["fix"] == ("mount the volume at /media instead (`data:/media`), or bind-mount a host folder "
                                           "at /data as the official file does (`./data:/data`)")


@needs_compose
@pytest.mark.parametrize(("server_volumes", "worker_volumes", "status"), [
    ("./data:/data", "./data:/data", "ok"),  # the official 2025.12+ file: the bind mount hides the symlink
    ("media:/media", "media:/media", "ok"),  # authlab's own layout
    ("data:/data", "media:/media", "warn"),  # one more of the kind: only the server loses its uploads
])
def test_where_uploads_are_kept(tmp_path: Path, server_volumes: str, worker_volumes: str, status: str) -> None:
    compose = project(tmp_path, "services:\n" + service("server", f"    volumes:\n    - {server_volumes}\n")
                      + service("worker", f"    volumes:\n    - {worker_volumes}\n") + "volumes:\n  data: {}\n  media: {}\n")
    check = found("--compose", str(compose), "compose.volume-targets")["compose.volume-targets"]
    assert check["status"] == status, check
    if status == "warn":
        assert check["summary"].startswith("server keeps no uploaded files") and len(check["messages"]) == 1, check


@needs_compose
@pytest.mark.parametrize(("tag", "target", "status"), [
    ("16-alpine", "/var/lib/postgresql/data", "ok"),
    ("16-alpine", "/var/lib/postgresql", "fail"),  # the image's VOLUME at .../data is deeper: an anonymous volume wins
    ("12-alpine", "/data", "fail"),
    ("18-alpine", "/var/lib/postgresql/data", "fail"),  # 18 keeps its data in /var/lib/postgresql/18/docker
    ("18", "/var/lib/postgresql", "ok"),
])
def test_the_database_volume_must_hold_the_images_data_path(tmp_path: Path, tag: str, target: str, status: str) -> None:
    postgres = f"  postgresql:\n    image: docker.io/library/postgres:{tag}\n    volumes:\n    - database:{target}\n"
    compose = project(tmp_path, "services:\n" + postgres + service("server") + service("worker") + "volumes:\n  database: {}\n")
    check = found("--compose", str(compose), "compose.volume-targets")["compose.volume-targets"]
    assert check["status"] == status, check
    if status == "fail":
        data = "/var/lib/postgresql/18/docker" if tag.startswith("18") else "/var/lib/postgresql/data"
        assert check["summary"] == (f"postgresql: the database is not kept: postgres:{tag} writes {data}, but the volume is at {target}, "
                                    "so the data lands in an anonymous volume and `down` + `up` starts with an empty database")


@needs_compose
def test_pgdata_set_in_the_environment_moves_the_data_path(tmp_path: Path) -> None:
    postgres = ("  postgresql:\n    image: postgres:16-alpine\n    environment:\n      PGDATA: /var/lib/postgresql/data/pgdata\n"
                "    volumes:\n    - database:/var/lib/postgresql/data\n")
    compose = project(tmp_path, "services:\n" + postgres + service("server") + service("worker") + "volumes:\n  database: {}\n")
    assert found("--compose", str(compose), "compose.volume-targets")["compose.volume-targets"]["status"] == "ok"


# --- a missing value's fix fits the mode ----------------------------------------------------------


def test_missing_value_fix_names_this_files_env_and_fix_appends_without_replacing(tmp_path: Path) -> None:
    body = "services:\n" + service("server", "      AUTHENTIK_SECRET_KEY: ${AUTHENTIK_SECRET_KEY:?secret key required}\n") \
        + service("worker", "      AUTHENTIK_SECRET_KEY: ${AUTHENTIK_SECRET_KEY:?secret key required}\n")
    compose = project(tmp_path, body, env="PG_PASS=keep-me\n")
    env = tmp_path / "p" / ".env"
    check = found("--compose", str(compose), "env.required")["env.required"]
    assert (check["status"], check["summary"]) == (
        "fail", f"AUTHENTIK_SECRET_KEY is missing in {env}, and {compose} uses ${{AUTHENTIK_SECRET_KEY:?secret key required}}: "
                "compose refuses to start")
    assert check["messages"][0]["fix"] == (f"add it: echo \"AUTHENTIK_SECRET_KEY=$(openssl rand -base64 60 | tr -d '\\n')\" >> {env}  "
                                           f"(or `authlab doctor --compose {compose} --fix`)")
    assert "authlab init" not in json.dumps(check)
    result = CliRunner().invoke(cli, ["doctor", "--compose", str(compose), "env.required", "--fix", "--yes"],
                                obj=App(engine_factory=NothingRunsEngine))
    assert result.exit_code == 0, result.stdout
    lines = env.read_text().splitlines()
    assert lines[0] == "PG_PASS=keep-me" and len(lines) == 2 and lines[1].startswith("AUTHENTIK_SECRET_KEY=")
    assert len(lines[1].split("=", 1)[1]) == 80 and lines[1].split("=", 1)[1] not in result.stdout
    assert found("--compose", str(compose), "env.required")["env.required"]["status"] == "ok"


def test_an_empty_value_is_never_replaced(tmp_path: Path) -> None:
    # one more of the kind: the line is there but empty, so --fix leaves it to the user and says which line
    compose = project(tmp_path, "services:\n" + service("server") + service("worker") +
                      "  postgresql:\n    image: postgres:16-alpine\n    environment:\n      POSTGRES_PASSWORD: ${PG_PASS:?database password required}\n",
                      env=f"AUTHENTIK_SECRET_KEY={KEY}\nPG_PASS=\n")
    env = tmp_path / "p" / ".env"
    before = env.read_text()
    check = found("--compose", str(compose), "env.required")["env.required"]
    assert check["status"] == "fail" and check["fixable"] is None
    assert check["messages"][0]["fix"] == f"set a value on line 2 of {env} (the line is there but empty; `--fix` never replaces a line)"
    CliRunner().invoke(cli, ["doctor", "--compose", str(compose), "env.required", "--fix", "--yes"], obj=App(engine_factory=NothingRunsEngine))
    assert env.read_text() == before


# --- compose absent: the fallback reader ----------------------------------------------------------


def test_without_compose_the_fallback_reader_is_used_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compose = project(tmp_path, "services:\n" + service("server", "    env_file: .env\n") + service("worker"))
    with compose_reader("fallback", monkeypatch, tmp_path):
        code, doc = run("--compose", str(compose), "compose.service-env")
        verbose = CliRunner().invoke(cli, ["doctor", "--compose", str(compose), "compose.service-env", "-v"],
                                     obj=App(engine_factory=NothingRunsEngine))
    assert doc["data"]["checks"][0]["summary"].startswith("worker has no AUTHENTIK_SECRET_KEY")  # env_file read by the fallback too
    reason = ("`docker compose config` could not be used: Docker Compose is not installed (neither `docker compose` nor "
              "`docker-compose` works)")
    assert doc["data"]["compose_config"] == {"source": "file", "files": [str(compose)], "profiles": [], "fallback_reason": reason,
                                             "seconds": None}
    assert f"compose: compose file read by authlab's own reader (docker-compose.yml): {reason}" in verbose.stdout.splitlines()


@needs_compose
def test_verbose_says_compose_computed_the_configuration(tmp_path: Path) -> None:
    compose = project(tmp_path, "services:\n" + service("server", "    env_file: .env\n") + service("worker", "    env_file: .env\n"))
    out = CliRunner().invoke(cli, ["doctor", "--compose", str(compose), "compose.service-env", "-v"],
                             obj=App(engine_factory=NothingRunsEngine)).stdout
    line = next(x for x in out.splitlines() if x.startswith("compose: "))
    assert line.startswith("compose: effective configuration from `docker compose config` (docker-compose.yml) in ")


@needs_compose
def test_compose_file_named_in_dot_env_brings_its_override(tmp_path: Path) -> None:
    # COMPOSE_FILE in the project's .env: compose merges the override; so does doctor (here it adds `user: root`)
    compose = project(tmp_path, "services:\n" + service("server") + service("worker"),
                      env=f"PG_PASS=pw\nAUTHENTIK_SECRET_KEY={KEY}\nCOMPOSE_FILE=docker-compose.yml:root.yml\n",
                      **{"root.yml": "services:\n  worker:\n    user: root\n"})
    code, doc = run("--compose", str(compose), "compose.worker-root")
    assert doc["data"]["checks"][0]["status"] == "warn"
    assert doc["data"]["compose_config"]["files"] == [str(compose), str(tmp_path / "p" / "root.yml")]
    # --override names one explicitly
    (tmp_path / "p" / ".env").write_text(f"PG_PASS=pw\nAUTHENTIK_SECRET_KEY={KEY}\n")
    assert found("--compose", str(compose), "compose.worker-root")["compose.worker-root"]["status"] == "ok"
    assert found("--compose", str(compose), "--override", str(tmp_path / "p" / "root.yml"),
                 "compose.worker-root")["compose.worker-root"]["status"] == "warn"


def test_an_override_without_compose_or_missing_is_bad_input(tmp_path: Path) -> None:
    compose = project(tmp_path, "services:\n" + service("server") + service("worker"))
    result = CliRunner().invoke(cli, ["doctor", "--override", str(compose)], obj=App(engine_factory=NothingRunsEngine))
    assert result.exit_code == 2 and "--override needs --compose FILE" in result.output
    result = CliRunner().invoke(cli, ["doctor", "--compose", str(compose), "--override", "nope.yml"], obj=App(engine_factory=NothingRunsEngine))
    assert result.exit_code == 2 and "--override nope.yml: no such file" in result.output
    result = CliRunner().invoke(cli, ["doctor", "--compose", str(compose), "--override", "."], obj=App(engine_factory=NothingRunsEngine))
    assert result.exit_code == 2 and "--override .: is a folder, not a compose file" in result.output  # QA re-check of issue 9


# --- the official files stay correct --------------------------------------------------------------


def _official() -> list[str]:
    from tests.conftest import SHARED_AUTHENTIK

    return sorted(p.name for p in SHARED_AUTHENTIK.glob("docker-compose-*.yml")) if SHARED_AUTHENTIK.is_dir() else []


@pytest.mark.parametrize("reader", ["compose", "fallback"])
@pytest.mark.parametrize("name", _official() or ["(reference data absent)"])
def test_every_official_file_with_its_documented_env_passes_the_compose_and_env_checks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, reader: str) -> None:
    from tests.conftest import SHARED_AUTHENTIK

    if not (SHARED_AUTHENTIK / name).is_file():
        pytest.skip(f"reference data not found at {SHARED_AUTHENTIK}")
    # the install docs' .env: PG_PASS and AUTHENTIK_SECRET_KEY only
    compose = project(tmp_path, (SHARED_AUTHENTIK / name).read_text())
    with compose_reader(reader, monkeypatch, tmp_path):
        code, doc = run("--compose", str(compose), "compose", "env")
    checks = {c["id"]: c for c in doc["data"]["checks"]}
    # (without compose, compose.available says so: that is the one expected failure of the fallback run)
    bad = {k: (c["status"], c["summary"]) for k, c in checks.items() if c["status"] in ("fail", "error")
           and not (reader == "fallback" and k == "compose.available")}
    assert bad == {}
    assert {checks[k]["status"] for k in ("compose.worker", "compose.service-env", "compose.volume-targets", "env.required")} == {"ok"}
    # the official files keep `user: root` and the docker socket: advice, not failures
    assert checks["compose.worker-root"]["status"] == "warn"
    expected = "docker compose config" if _has_compose() and reader == "compose" else "file"
    assert doc["data"]["compose_config"]["source"] == expected, doc["data"]["compose_config"]


@needs_compose
def test_root_with_another_group_is_root(tmp_path: Path) -> None:
    # QA of issue 9: `user: "0:1000"` was "no Authentik service runs as root" and a "chown 0:1000" fix
    compose = project(tmp_path, "services:\n" + service("server") + service("worker", '    user: "0:1000"\n    volumes:\n    - ./data:/data\n'))
    checks = found("--compose", str(compose), "compose.worker-root", "compose.bind-mount-owner")
    assert (checks["compose.worker-root"]["status"], checks["compose.worker-root"]["summary"]) == ("warn", "worker runs as root (`user: 0:1000`)")
    fixes = [m["fix"] for m in checks["compose.bind-mount-owner"]["messages"] if m.get("fix")]
    assert fixes and all("chown -R 1000:1000 " in f and "chown -R 0:" not in f for f in fixes), fixes  # the uid after root goes


@pytest.mark.parametrize(("given", "message"), [
    (".", "--compose . (or AUTHLAB_COMPOSE_FILE): is a folder, not a compose file"),
    ("/dev/null", "--compose /dev/null (or AUTHLAB_COMPOSE_FILE): not a regular file"),
    ("nope.yml", "--compose nope.yml (or AUTHLAB_COMPOSE_FILE): no such file"),
])
def test_a_compose_path_that_is_no_file_says_what_it_is(tmp_path: Path, given: str, message: str) -> None:
    result = CliRunner().invoke(cli, ["doctor", "--compose", given], obj=App(engine_factory=NothingRunsEngine))
    assert result.exit_code == 2 and result.stderr.splitlines()[0] == f"error: {message}", result.output


def test_a_profile_without_compose_is_bad_input_like_an_override(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["doctor", "--profile", "full"], obj=App(engine_factory=NothingRunsEngine))
    assert result.exit_code == 2 and result.stderr.splitlines()[0] == "error: --profile needs --compose FILE", result.output


@needs_compose
def test_a_setting_from_an_override_or_dot_env_is_not_promised_to_fix(tmp_path: Path) -> None:
    # QA of issue 9 (M8): the report said "(authlab doctor --fix can do this)", then --fix found nothing to patch
    compose = project(tmp_path, "services:\n" + service("server") + service("worker", "    user: ${AK_USER:-1000}\n"),
                      env=f"PG_PASS=pw\nAUTHENTIK_SECRET_KEY={KEY}\nAK_USER=root\n",
                      **{"docker-compose.override.yml": "services:\n  server:\n    ports: ['9555:9000']\n  worker:\n    volumes:\n"
                                                         "    - /var/run/docker.sock:/var/run/docker.sock\n"})
    ids = ("compose.worker-root", "compose.docker-socket", "compose.public-ports")
    code, doc = run("--compose", str(compose), *ids)
    note = (f"this is not written in {compose} itself (it comes from an override file or a value in .env), so `--fix` cannot "
            "change it: edit it where it is set")
    for check in doc["data"]["checks"]:
        assert check["status"] == "warn" and check["messages"][-1] == {"level": "info", "text": note, "fix": None}, check
    human = CliRunner().invoke(cli, ["doctor", "--compose", str(compose), *ids], obj=App(engine_factory=NothingRunsEngine))
    assert "--fix can do this" not in human.stdout
    fixed = CliRunner().invoke(cli, ["doctor", "--compose", str(compose), *ids, "--fix", "--yes"], obj=App(engine_factory=NothingRunsEngine))
    assert "nothing doctor can fix automatically" in fixed.output, fixed.output
    # written in the file itself, the same findings keep the promise and --fix patches them
    (tmp_path / "p" / "docker-compose.override.yml").unlink()
    (tmp_path / "p" / "docker-compose.yml").write_text("services:\n" + service("server", "    ports: ['9555:9000']\n")
                                                       + service("worker", "    user: root\n    volumes:\n    - /var/run/docker.sock:/var/run/docker.sock\n"))
    human = CliRunner().invoke(cli, ["doctor", "--compose", str(compose), *ids], obj=App(engine_factory=NothingRunsEngine))
    assert human.stdout.count("(authlab doctor --fix can do this)") == 3, human.stdout


# --- compose refuses the files: the fallback reader reads what compose would, and compose.valid says no --------


POSTGRES = ("  postgresql:\n    image: docker.io/library/postgres:16-alpine\n    environment:\n"
            "      POSTGRES_PASSWORD: ${PG_PASS:?database password required}\n    volumes:\n    - database:/var/lib/postgresql/data\n")
NO_PG_PASS = ("error while interpolating services.postgresql.environment.POSTGRES_PASSWORD: required variable PG_PASS is missing a "
              "value: database password required")
WORKER_OVERRIDE = (f"services:\n  worker:\n    image: {IMAGE}\n    command: worker\n    user: \"1234:1234\"\n"
                   "    volumes:\n      - ./data:/data\n")


def doctor(*args: str) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(cli, ["doctor", *args], obj=App(engine_factory=NothingRunsEngine))
    return result.exit_code, result.stdout.splitlines(), result.stderr


@needs_compose
def test_the_fallback_merges_the_override_and_after_fix_compose_judges_again(tmp_path: Path) -> None:
    # the QA run: .env lacks PG_PASS, so compose refuses; the worker is in the .override file compose reads itself
    compose = project(tmp_path, "services:\n" + POSTGRES + service("server", "    env_file: .env\n") + "volumes:\n  database: {}\n",
                      env=f"AUTHENTIK_SECRET_KEY={KEY}\n", **{"docker-compose.override.yml": WORKER_OVERRIDE})
    override, env, data = (tmp_path / "p" / n for n in ("docker-compose.override.yml", ".env", "data"))
    code, doc = run("--compose", str(compose), "compose", "env")
    checks = {c["id"]: c for c in doc["data"]["checks"]}
    assert code == 1
    assert doc["data"]["compose_config"] == {"source": "file", "files": [str(compose), str(override)], "profiles": [],
                                             "fallback_reason": f"`docker compose config` refused the configuration: {NO_PG_PASS}",
                                             "seconds": None}
    assert (checks["compose.worker"]["status"], checks["compose.worker"]["summary"]) == ("ok", "worker service: worker")
    # the override's user reaches the checks as well
    assert checks["compose.bind-mount-owner"]["summary"] == (
        f"{data} does not exist: Docker creates it owned by root, and uid 1234 (user: 1234:1234) cannot write it")
    assert (checks["compose.valid"]["status"], checks["compose.valid"]["summary"]) == (
        "fail", f"compose refuses the configuration: {NO_PG_PASS}")
    assert checks["compose.valid"]["messages"][0]["fix"] == (
        f"PG_PASS is missing in {env}: the cause env.required reports, whose fix applies here too")
    assert checks["env.required"]["status"] == "fail"
    # --fix appends PG_PASS to .env; the report after it is compose's own view of the project again
    code, doc = run("--compose", str(compose), "compose", "env", "--fix", "--yes")
    checks = {c["id"]: c for c in doc["data"]["checks"]}
    assert [(f["kind"], f["ok"]) for f in doc["data"]["fixes"]] == [("env-append", True)]
    assert doc["data"]["compose_config"]["source"] == "docker compose config"
    assert doc["data"]["compose_config"]["files"] == [str(compose), str(override)]
    assert {k: checks[k]["status"] for k in ("compose.valid", "compose.worker", "env.required")} == {
        "compose.valid": "ok", "compose.worker": "ok", "env.required": "ok"}
    assert checks["compose.valid"]["summary"] == "compose accepts docker-compose.yml + docker-compose.override.yml"


@needs_compose
def test_the_fallback_leaves_out_a_worker_of_a_profile_that_is_not_enabled(tmp_path: Path) -> None:
    # compose refuses the file (no PG_PASS); the fallback must still see what compose would: no worker without `full`
    compose = project(tmp_path, "services:\n" + POSTGRES + service("server") + service("worker", "    profiles: [full]\n")
                      + "volumes:\n  database: {}\n", env=f"AUTHENTIK_SECRET_KEY={KEY}\n")
    code, doc = run("--compose", str(compose), "compose.worker")
    check = doc["data"]["checks"][0]
    assert (doc["data"]["compose_config"]["source"], check["status"], check["summary"]) == (
        "file", "fail", 'no worker service: the default flows, scope mappings and certificate are never created (every page says "Not Found")')
    code, doc = run("--compose", str(compose), "--profile", "full", "compose.worker")
    assert (doc["data"]["compose_config"]["source"], doc["data"]["compose_config"]["profiles"], doc["data"]["checks"][0]["status"]) == (
        "file", ["full"], "ok")
    (tmp_path / "p" / ".env").write_text(f"AUTHENTIK_SECRET_KEY={KEY}\nCOMPOSE_PROFILES=full\n")
    assert found("--compose", str(compose), "compose.worker")["compose.worker"]["status"] == "ok"


def test_without_compose_the_fallback_merges_the_override_and_compose_valid_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compose = project(tmp_path, "services:\n" + service("server", "    env_file: .env\n"),
                      **{"docker-compose.override.yml": WORKER_OVERRIDE})
    with compose_reader("fallback", monkeypatch, tmp_path):
        checks = found("--compose", str(compose), "compose.valid", "compose.worker")
    assert (checks["compose.worker"]["status"], checks["compose.worker"]["summary"]) == ("ok", "worker service: worker")
    assert (checks["compose.valid"]["status"], checks["compose.valid"]["summary"]) == (
        "skip", "compose could not be asked: Docker Compose is not installed (neither `docker compose` nor `docker-compose` works) "
                "(see compose.available)")


@needs_compose
@pytest.mark.parametrize(("extra", "env", "reason", "warnings", "fix"), [
    ("    enviroment_typo: 1\n", f"PG_PASS=pw\nAUTHENTIK_SECRET_KEY={KEY}\n",
     "validating {compose}: services.server additional properties 'enviroment_typo' not allowed", [],
     "remove or correct 'enviroment_typo' under services.server: it is not a Compose key (a misspelling of one?); the Compose "
     "specification lists the keys a service takes"),
    ("    volumes:\n    - media:/media\n", f"PG_PASS=pw\nAUTHENTIK_SECRET_KEY={KEY}\n",
     'service "server" refers to undefined volume media: invalid compose project', [],
     "declare the volume at the top level (`volumes:` with `  media: {}` below it), or write a path (`./media:...`) if a folder "
     "of this machine was meant"),
    ("", "PG_PASS=${UNDEF_X}\nAUTHENTIK_SECRET_KEY=" + KEY + "\n", NO_PG_PASS,
     ['The "UNDEF_X" variable is not set. Defaulting to a blank string.'],
     "PG_PASS on line 1 of {env} refers to UNDEF_X, which is not set, so compose reads it as empty: give PG_PASS a value of its own, "
     "or set UNDEF_X"),
    ("", f'AUTHENTIK_SECRET_KEY={KEY}\nPG_PASS="pw\n', "failed to read {env}: line 3: unterminated quoted value <hidden>", [],
     "close the quote on that line of {env} (or remove the opening one): compose reads a quoted value up to its closing quote"),
])
def test_a_configuration_compose_refuses_fails_with_composes_reason(
        tmp_path: Path, extra: str, env: str, reason: str, warnings: list[str], fix: str) -> None:
    compose = project(tmp_path, "services:\n" + POSTGRES + service("server", extra) + service("worker") + "volumes:\n  database: {}\n",
                      env=env)
    def fill(text: str) -> str:
        return text.replace("{compose}", str(compose)).replace("{env}", str(tmp_path / "p" / ".env"))

    code, out, _ = doctor("--compose", str(compose), "compose.valid")
    assert (code, out) == (1, [
        f"[✗] Compose accepts the configuration: compose refuses the configuration: {fill(reason)} (compose.valid)",
        *(f"    • compose warns: {w}" for w in warnings),
        f"    • checked with: docker compose -f {compose} config --quiet",
        f"      fix: {fill(fix)}",
        "",
        "0 passed, 1 failed",
    ])
    # and in the default run, which used to stay green
    code, out, _ = doctor("--compose", str(compose))
    assert code == 1 and out[2].startswith("[✗] Compose accepts the configuration: compose refuses the configuration: ")


@needs_compose
def test_a_valid_configuration_passes_compose_valid(tmp_path: Path) -> None:
    compose = project(tmp_path, "services:\n" + POSTGRES + service("server") + service("worker") + "volumes:\n  database: {}\n")
    assert doctor("--compose", str(compose), "compose.valid") == (0, [
        "[✓] Compose accepts the configuration: compose accepts docker-compose.yml", "", "1 passed"], "")


# --- what compose says is shown without the secrets it echoes --------------------------------------------


@needs_compose
@pytest.mark.parametrize(("env", "extra", "reason"), [
    (f'AUTHENTIK_SECRET_KEY={KEY}\nPG_PASS="myDBpasswordLEAK\n', "", "failed to read {env}: line 3: unterminated quoted value <hidden>"),
    ("PG_PASS=pw\nAUTHENTIK_SECRET_KEY=${abcSECRETkeyLEAK\n", "", "failed to read {env}: Invalid template: <hidden>"),
    # a value compose interpolates into a field it then rejects: hidden because it is a value of .env
    (f"PG_PASS=pw\nAUTHENTIK_SECRET_KEY={KEY}\nMEM=memLEAKsize\n", "    mem_limit: ${MEM}\n",
     "decoding failed due to the following error(s): 'services[server].mem_limit' invalid size: '<hidden>'"),
])
def test_secrets_compose_echoes_appear_nowhere_in_verbose_or_json_output(tmp_path: Path, env: str, extra: str, reason: str) -> None:
    compose = project(tmp_path, "services:\n" + POSTGRES + service("server", extra) + service("worker") + "volumes:\n  database: {}\n",
                      env=env)
    reason = reason.format(env=tmp_path / "p" / ".env")
    for args in (("-v",), ("--json",), ("--json", "-v")):
        result = CliRunner().invoke(cli, ["doctor", "--compose", str(compose), *args], obj=App(engine_factory=NothingRunsEngine))
        assert result.exit_code == 1
        for text in (result.stdout, result.stderr):
            assert "LEAK" not in text and KEY not in text
    doc = json.loads(result.stdout)
    valid = next(c for c in doc["data"]["checks"] if c["id"] == "compose.valid")
    assert valid["summary"] == f"compose refuses the configuration: {reason}"
    assert doc["data"]["compose_config"]["fallback_reason"] == f"`docker compose config` refused the configuration: {reason}"


@pytest.mark.parametrize("reader", ["compose", "fallback"])
@pytest.mark.parametrize("text", ["services:\n  server:\n    image: x\n   bad: [\n", "- just\n- a list\n", "\x00\x01binary"])
def test_an_unreadable_compose_file_is_one_finding_not_a_crash_per_check(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, reader: str) -> None:
    # QA of issue 9: 9-14 "[?] the check crashed: ConfigError" lines, and a fix suggesting `authlab init` under --compose
    compose = project(tmp_path, text)
    with compose_reader(reader, monkeypatch, tmp_path):
        code, doc = run("--compose", str(compose))
    checks = {c["id"]: c for c in doc["data"]["checks"]}
    assert code == 1 and not [i for i, c in checks.items() if c["status"] == "error"], checks
    worker = checks["compose.worker"]
    assert worker["status"] == "fail" and worker["summary"].startswith("the compose file cannot be read: "), worker
    assert worker["messages"][0]["fix"] == "correct the file where the message points"
    for cid in ("compose.worker-root", "compose.volume-targets", "compose.release-fit", "runtime.containers"):
        assert (checks[cid]["status"], checks[cid]["summary"]) == ("skip", "the compose file cannot be read (see compose.worker)")
    assert "authlab init" not in json.dumps(doc)


@pytest.mark.parametrize("reader", ["compose", "fallback"])
@pytest.mark.parametrize("extra", ["    environment: 7\n", "    env_file: 5\n", "    profiles: 5\n", "    volumes: 5\n", "    ports: 5\n"])
def test_a_service_field_of_the_wrong_shape_is_one_finding_not_a_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: str, reader: str) -> None:
    # QA re-check of issue 9: `environment: 7` under a service crashed 1-14 checks with TypeError
    worker = f"  worker:\n    image: {IMAGE}\n    command: worker\n{extra}"
    compose = project(tmp_path, "services:\n" + service("server") + worker)
    with compose_reader(reader, monkeypatch, tmp_path):
        code, doc = run("--compose", str(compose))
    checks = {c["id"]: c for c in doc["data"]["checks"]}
    assert code == 1 and not [i for i, c in checks.items() if c["status"] == "error"], checks
    field = extra.split(":")[0].strip()
    assert checks["compose.worker"]["summary"].startswith(f"the compose file cannot be read: {compose}: services.worker.{field} must be ")


@needs_compose
def test_no_fix_promise_when_overrides_are_merged_or_the_port_address_comes_from_dot_env(tmp_path: Path) -> None:
    # QA re-check of issue 9: (a) the base file's `user: root` was patched away but the override's `user: "0:0"` stayed;
    # (b) COMPOSE_PORT_HTTP=0.0.0.0:9000 in .env: --fix wrote 127.0.0.1:${COMPOSE_PORT_HTTP:-9000}:9000, which compose refuses
    compose = project(tmp_path, "services:\n" + service("server") + service("worker", "    user: root\n"),
                      **{"docker-compose.override.yml": 'services:\n  worker:\n    user: "0:0"\n'})
    check = found("--compose", str(compose), "compose.worker-root")["compose.worker-root"]
    override = tmp_path / "p" / "docker-compose.override.yml"
    assert check["status"] == "warn" and check["messages"][-1]["text"] == (
        f"{override} is merged on top of {compose}, and `--fix` patches only {compose}: edit the file that sets it "
        "(`authlab compose patch FILE` works on each)")
    override.unlink()
    ports = project(tmp_path, "services:\n" + service("server", "    ports:\n    - ${COMPOSE_PORT_HTTP:-9000}:9000\n") + service("worker"),
                    env=f"PG_PASS=pw\nAUTHENTIK_SECRET_KEY={KEY}\nCOMPOSE_PORT_HTTP=0.0.0.0:9000\n")
    before = ports.read_text()
    check = found("--compose", str(ports), "compose.public-ports")["compose.public-ports"]
    assert check["status"] == "warn" and check["messages"][-1]["text"] == (
        "the published address comes from COMPOSE_PORT_HTTP in .env: set it to 127.0.0.1:PORT there (`--fix` would put "
        "127.0.0.1 in front of that address and break the file)")
    CliRunner().invoke(cli, ["doctor", "--compose", str(ports), "compose.public-ports", "--fix", "--yes"], obj=App(engine_factory=NothingRunsEngine))
    assert ports.read_text() == before
