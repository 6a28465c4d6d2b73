"""`authlab up/status/down/logs` against a real Docker engine and the locally built stand-in images.

Every `up` costs seconds (compose waits for PostgreSQL's healthcheck), so one lab is shared by the
steps of its life: up from nothing, status, down, up again on the same data, down --volumes.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.core import dotenv
from authentik_lab.errors import ExitCode

pytestmark = pytest.mark.docker

OFFICIAL = Path(__file__).resolve().parents[3].parent / "shared" / "authentik" / "docker-compose-2026.5.6.yml"


def authlab(*args: str) -> tuple[int, dict[str, Any] | None, str]:
    """Run the CLI in-process; returns (exit code, the JSON document when --json, stderr)."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    doc = json.loads(result.stdout) if "--json" in args and result.stdout.strip() else None
    return result.exit_code, doc, result.stderr


def project_volumes(project: str) -> list[str]:
    out = subprocess.run(["docker", "volume", "ls", "-q", "--filter", f"label=com.docker.compose.project={project}"],
                         capture_output=True, text=True, check=True).stdout
    return sorted(out.split())


def test_lab_life_up_status_down_up_again_down_volumes(lab_dir, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001 - fixture factory
    lab = lab_dir("life")
    monkeypatch.chdir(lab.path)  # `up` reads ./authlab.yaml: none at first (zero-config), one from step 5 on
    d = str(lab.path / "authlab")
    code, doc, err = authlab("--dir", d, "init", "--port", str(lab.http_port), "--https-port", str(lab.https_port), "--json")
    assert code == 0, err
    env_file = Path(d) / ".env"
    env_before = env_file.read_text()
    project = lab.track(dotenv.parse(env_before)["COMPOSE_PROJECT_NAME"])
    token = dotenv.parse(env_before)["AUTHENTIK_BOOTSTRAP_TOKEN"]

    # 1. up from nothing to ready
    code, doc, err = authlab("--dir", d, "up", "--timeout", "240", "--json")
    assert code == 0, err
    assert doc is not None and doc["ok"] is True
    data = doc["data"]
    assert data["url"] == f"http://localhost:{lab.http_port}"
    assert (data["admin_user"], data["version"], data["project_name"]) == ("akadmin", "2026.5.6", project)
    assert (data["password_key"], data["token_key"], data["env_file"]) == ("AUTHENTIK_BOOTSTRAP_PASSWORD", "AUTHENTIK_BOOTSTRAP_TOKEN", str(env_file))
    assert data["secrets"] is None and token not in json.dumps(doc)
    assert data["apply"] is None  # no authlab.yaml here
    assert [(s["stage"], s["state"]) for s in data["stages"]] == [
        ("containers", "done"), ("live", "done"), ("ready", "done"), ("token", "done"), ("worker_objects", "done"),
    ]
    assert "done: worker created flows, scope mappings, certificate" in err  # plain progress on stderr
    base = f"http://127.0.0.1:{lab.http_port}"
    headers = {"Authorization": f"Bearer {token}"}
    flows = httpx.get(f"{base}/api/v3/flows/instances/", params={"slug": "default-provider-invalidation-flow"}, headers=headers)
    assert flows.status_code == 200 and flows.json()["pagination"]["count"] == 1
    app = httpx.post(f"{base}/api/v3/core/applications/", json={"name": "kept", "slug": "kept-across-up"}, headers=headers)
    assert app.status_code == 201, app.text

    # 2. status
    code, doc, err = authlab("--dir", d, "status", "--json")
    assert code == 0, err
    st = doc["data"]  # type: ignore[index]
    assert (st["running"], st["api"], st["version"], st["version_source"], st["problems"]) == (True, "ok", "2026.5.6", "api", [])
    assert [(s["service"], s["state"]) for s in st["services"]] == [("postgresql", "running"), ("server", "running"), ("worker", "running")]
    server = next(s for s in st["services"] if s["service"] == "server")
    assert server["ports"] == [f"127.0.0.1:{lab.http_port}->9000", f"127.0.0.1:{lab.https_port}->9443"]

    # 3. logs of one service; an unknown one is refused with the list
    code, doc, err = authlab("--dir", d, "logs", "server", "--tail", "5", "--json")
    assert code == 0 and doc is not None and 0 < len(doc["data"]["lines"]) <= 5
    assert all(line.startswith("server-1") for line in doc["data"]["lines"])
    code, doc, err = authlab("--dir", d, "logs", "nope")
    assert code == ExitCode.USAGE and "no service 'nope'" in err and "postgresql, server, worker" in err

    # 4. down keeps the data; --volumes without --yes is refused when nobody can be asked
    volumes = project_volumes(project)
    assert volumes
    code, doc, err = authlab("--dir", d, "down", "--json")
    assert code == 0 and doc["data"]["volumes_removed"] is False  # type: ignore[index]
    # down says what was there: the running containers it stopped and the volumes it kept (issue 11.2)
    assert doc["data"]["stopped"] is True and len(doc["data"]["running"]) >= 3  # type: ignore[index]
    assert doc["data"]["volumes"] == volumes  # type: ignore[index]
    code, doc, err = authlab("--dir", d, "down", "--json")
    assert (doc["data"]["stopped"], doc["data"]["containers"]) == (False, [])  # type: ignore[index]  # a second down: nothing ran
    code, doc, err = authlab("--dir", d, "status", "--json")
    assert doc["data"]["services"] == [] and doc["data"]["running"] is False  # type: ignore[index]
    assert project_volumes(project) == volumes
    code, _, err = authlab("--dir", d, "down", "--volumes")
    assert code == ExitCode.USAGE and "--yes" in err
    assert project_volumes(project) == volumes

    # 5. up again in a folder holding authlab.yaml: same secrets, same database (the token still works, the
    #    application is still there), and the file's provider is created once the lab is ready
    (lab.path / "authlab.yaml").write_text(
        "providers:\n  - name: web\n    preset: nextauth\n    app_url: http://localhost:3000\n")
    code, doc, err = authlab("--dir", d, "up", "--timeout", "240", "--json", "--show-secrets")
    assert code == 0, err
    applied = doc["data"]["apply"]  # type: ignore[index]
    assert [(i["kind"], i["name"], i["action"]) for i in applied["items"]] == [("provider", "web", "create")]
    providers = httpx.get(f"{base}/api/v3/providers/oauth2/", headers=headers).json()["results"]
    assert [(p["name"], p["assigned_application_slug"]) for p in providers] == [("web", "web")]
    assert doc["data"]["secrets"]["AUTHENTIK_BOOTSTRAP_TOKEN"] == token  # type: ignore[index]
    assert env_file.read_text() == env_before
    kept = httpx.get(f"{base}/api/v3/core/applications/", params={"slug": "kept-across-up"}, headers=headers)
    assert kept.status_code == 200 and kept.json()["pagination"]["count"] == 1

    # 6. a PG_PASS changed after the database exists fails for real (PostgreSQL keeps the first one), and says why
    assert authlab("--dir", d, "down")[0] == 0
    pg_pass = dotenv.parse(env_before)["PG_PASS"]
    env_file.write_text(env_before.replace(f"PG_PASS={pg_pass}", f"PG_PASS=changed-{pg_pass}"))
    code, doc, err = authlab("--dir", d, "up", "--timeout", "120", "--json")
    env_file.write_text(env_before)
    assert code == ExitCode.NOT_READY, err
    error = doc["error"]  # type: ignore[index]
    assert "PostgreSQL rejects the password of user authentik: PG_PASS changed after the database volume was created" in error["message"]
    assert error["evidence"] and all("password authentication failed for user" in line for line in error["evidence"])
    assert "authlab down --volumes" in error["hint"]

    # 7. down --volumes --yes deletes the data
    code, doc, err = authlab("--dir", d, "down", "--volumes", "--yes", "--json")
    assert code == 0 and doc["data"]["volumes_removed"] is True  # type: ignore[index]
    assert doc["data"]["volumes"] == volumes  # type: ignore[index]  # the ones it deleted, by name
    assert project_volumes(project) == []


def _official_lab(lab, port: int | None = None) -> Path:  # noqa: ANN001
    if not OFFICIAL.is_file():
        pytest.skip(f"official compose file not found at {OFFICIAL}")
    compose = lab.path / "docker-compose.yml"
    shutil.copyfile(OFFICIAL, compose)
    (lab.path / ".env").write_text(
        "PG_PASS=pg-" + os.urandom(8).hex() + "\n"
        "AUTHENTIK_SECRET_KEY=" + os.urandom(32).hex() + "\n"
        "AUTHENTIK_BOOTSTRAP_PASSWORD=pw-" + os.urandom(8).hex() + "\n"
        "AUTHENTIK_BOOTSTRAP_TOKEN=tok-" + os.urandom(16).hex() + "\n"
        f"COMPOSE_PORT_HTTP={port or lab.http_port}\nCOMPOSE_PORT_HTTPS={lab.https_port}\n"
        f"COMPOSE_PROJECT_NAME={lab.project}\n"
    )
    # Simulates a rootless engine (or Podman, or NFS with root_squash): root inside the container has no
    # power over the mounted host folders, so the official worker's `user: root` chown fails for real.
    # The socket mounted at /var/run/docker.sock stands for the host's, with a group the image does not know
    # (as on most hosts): the real ak then runs groupadd/usermod first. Its own file keeps the gid fixed.
    sock = lab.path / "docker.sock"
    sock.write_text("")
    os.chown(sock, 0, 4242)
    (lab.path / "compose.override.yml").write_text(
        "# like a rootless Docker engine: container root cannot chown the bind-mounted folders\n"
        "services:\n  worker:\n    cap_drop: [CHOWN, DAC_OVERRIDE, FOWNER]\n"
        "    volumes: [./docker.sock:/var/run/docker.sock]\n"
    )
    return compose


def test_official_file_on_a_rootless_like_engine_fails_with_the_chown_fix_then_patched_starts(lab_dir) -> None:  # noqa: ANN001
    lab = lab_dir("official")
    compose = _official_lab(lab)

    code, doc, err = authlab("up", "--compose", str(compose), "--timeout", "240", "--json")
    assert code == ExitCode.NOT_READY, err
    error = doc["error"]  # type: ignore[index]
    assert error["type"] == "NotReadyError"
    assert error["message"].startswith("the worker container ")
    # the real ak's first root-only step with the docker socket mounted: join the socket's group, which root
    # without CAP_CHOWN cannot write (real-boot-2026.2.2/README.md); named from its line, not the last one
    assert "adds itself to the socket's group (groupadd)" in error["message"], error
    assert "docker.sock" in error["hint"] and "authlab compose patch" in error["hint"]
    assert error["evidence"] == ["groupadd: failure while writing changes to /etc/gshadow"], error

    code, _, err = authlab("compose", "patch", str(compose))
    assert code == 0, err
    assert "user: root" not in compose.read_text()
    # Without root the worker cannot fix the folders' owner itself: the official file's own advice is to
    # give them uid 1000 (docker created them as root on the first run).
    for name in ("data", "certs", "custom-templates"):
        (lab.path / name).mkdir(exist_ok=True)
        os.chown(lab.path / name, 1000, 1000)

    code, doc, err = authlab("up", "--compose", str(compose), "--timeout", "240", "--json")
    assert code == 0, err
    assert doc["data"]["version"] == "2026.5.6"  # type: ignore[index]
    code, doc, err = authlab("down", "--compose", str(compose), "--volumes", "--yes", "--json")
    assert code == 0, err


def test_a_busy_port_is_named_with_the_fix(lab_dir) -> None:  # noqa: ANN001
    lab = lab_dir("busy")
    d = str(lab.path / "authlab")
    code, _, err = authlab("--dir", d, "init", "--port", str(lab.http_port), "--https-port", str(lab.https_port))
    assert code == 0, err
    lab.track(dotenv.parse((Path(d) / ".env").read_text())["COMPOSE_PROJECT_NAME"])
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", lab.http_port))
        holder.listen()
        code, doc, err = authlab("--dir", d, "up", "--timeout", "120", "--json")
    # refused by the pre-flight bind test, before compose starts anything (no half-started lab to clean up)
    assert code == ExitCode.USAGE, err
    error = doc["error"]  # type: ignore[index]
    assert error["message"] == (f"port {lab.http_port} on 127.0.0.1 is already in use by another process, so the lab "
                                "cannot publish it (nothing was started)")
    assert "authlab up --port N" in error["hint"]
    project = dotenv.parse((Path(d) / ".env").read_text())["COMPOSE_PROJECT_NAME"]
    started = subprocess.run(["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"],
                             capture_output=True, text=True, check=True).stdout.split()
    assert started == []


def test_init_lab_survives_down_up_cycles_and_keeps_uploaded_files(lab_dir) -> None:  # noqa: ANN001
    """The real image ships /data/media as a symlink to /media. A volume at /data copied that symlink in (and two
    containers creating a fresh volume at once could fail on it: "failed to create symlink ... file exists"),
    and files written through /data/media landed in the container's /media: gone on re-create. The lab keeps a
    volume at /media instead: fresh starts and down/up cycles work, and an uploaded file survives them."""
    lab = lab_dir("cycles")
    d = str(lab.path / "authlab")
    code, _, err = authlab("--dir", d, "init", "--port", str(lab.http_port), "--https-port", str(lab.https_port))
    assert code == 0, err
    project = lab.track(dotenv.parse((Path(d) / ".env").read_text())["COMPOSE_PROJECT_NAME"])

    def worker_sh(script: str) -> subprocess.CompletedProcess:
        return subprocess.run(["docker", "compose", "-p", project, "-f", f"{d}/compose.yml", "exec", "-T", "worker",
                               "sh", "-c", script], capture_output=True, text=True, cwd=d)

    for cycle in range(3):
        code, doc, err = authlab("--dir", d, "up", "--timeout", "240", "--json")
        assert code == 0, f"cycle {cycle}: {err}"
        if cycle == 0:
            # what Authentik 2025.12+ does with an upload: write below /data/media (the image's symlink to /media)
            put = worker_sh("echo kept > /data/media/upload.txt && readlink /data/media")
            assert put.returncode == 0 and put.stdout.strip() == "/media", put.stderr
        seen = worker_sh("cat /media/upload.txt")
        assert (seen.returncode, seen.stdout.strip()) == (0, "kept"), f"cycle {cycle}: {seen.stderr}"
        code, _, err = authlab("--dir", d, "down")
        assert code == 0, err
    assert f"{project}_media" in project_volumes(project)
    assert f"{project}_data" not in project_volumes(project)
    code, _, err = authlab("--dir", d, "down", "--volumes", "--yes")
    assert code == 0, err
    assert project_volumes(project) == []
