"""Database snapshots against a real engine: a cold first boot saves one, the next empty lab is restored from it.

The stand-in image boots in the real proportions (tests/standin/boot.py): an empty database migrates for 92 s x
scale, a populated one 9 s x scale, and the worker's first pass follows. So a restored lab is ready much sooner,
and its bootstrap token must be the snapshot's (the restored database was made with it).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.core import dotenv

pytestmark = pytest.mark.docker


def authlab(*args: str) -> tuple[int, dict[str, Any] | None, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    doc = json.loads(result.stdout) if "--json" in args and result.stdout.strip() else None
    return result.exit_code, doc, result.stderr


def _token_works(port: int, token: str) -> bool:
    r = httpx.get(f"http://127.0.0.1:{port}/api/v3/admin/version/", headers={"Authorization": f"Bearer {token}"})
    return r.status_code == 200


def test_cold_boot_saves_a_snapshot_and_an_empty_lab_is_restored_from_it(lab_dir) -> None:  # noqa: ANN001
    lab = lab_dir("snap")
    d = str(lab.path / "authlab")
    code, _, err = authlab("--dir", d, "init", "--port", str(lab.http_port), "--https-port", str(lab.https_port))
    assert code == 0, err
    env_file = Path(d) / ".env"
    lab.track(dotenv.parse(env_file.read_text())["COMPOSE_PROJECT_NAME"])

    # 1. cold: a new database; a snapshot is saved after the first boot
    t0 = time.monotonic()
    code, doc, err = authlab("--dir", d, "up", "--timeout", "240", "--json")
    cold = time.monotonic() - t0
    assert code == 0, err
    assert doc["data"]["boot"] == "cold"  # type: ignore[index]
    key = doc["data"]["snapshot"]  # type: ignore[index]
    assert key and key.startswith("2026.5.6-")
    code, listed, err = authlab("snapshot", "list", "--json")
    assert code == 0 and [s["key"] for s in listed["data"]] == [key], err  # type: ignore[index]
    snap_dir = Path(listed["data"][0]["path"])  # type: ignore[index]
    assert oct(snap_dir.stat().st_mode & 0o777) == "0o700"
    assert all(oct(f.stat().st_mode & 0o777) == "0o600" for f in snap_dir.iterdir())
    first_token = dotenv.parse(env_file.read_text())["AUTHENTIK_BOOTSTRAP_TOKEN"]
    assert first_token in (snap_dir / "meta.json").read_text()  # the database's token travels with it, mode 0600

    # 2. an empty lab again: its .env gets new secrets, then up restores the snapshot and takes its secrets
    code, _, err = authlab("--dir", d, "down", "--volumes", "--yes")
    assert code == 0, err
    env = dotenv.parse(env_file.read_text())
    env_file.write_text(env_file.read_text().replace(env["AUTHENTIK_BOOTSTRAP_TOKEN"], "a-new-token-from-init-0123456789"))
    t0 = time.monotonic()
    code, doc, err = authlab("--dir", d, "up", "--timeout", "240", "--json")
    restored = time.monotonic() - t0
    assert code == 0, err
    assert (doc["data"]["boot"], doc["data"]["snapshot"]) == ("snapshot", key)  # type: ignore[index]
    assert any(n.startswith(f"restored the database from snapshot {key}") for n in doc["data"]["notes"])  # type: ignore[index]
    assert any("took AUTHENTIK_BOOTSTRAP_TOKEN" in n for n in doc["data"]["notes"])  # type: ignore[index]
    assert dotenv.parse(env_file.read_text())["AUTHENTIK_BOOTSTRAP_TOKEN"] == first_token  # the database's token
    assert _token_works(lab.http_port, first_token)
    headers = {"Authorization": f"Bearer {first_token}"}
    base = f"http://127.0.0.1:{lab.http_port}/api/v3"
    assert httpx.get(f"{base}/flows/instances/", params={"slug": "default-provider-authorization-implicit-consent"},
                     headers=headers).json()["pagination"]["count"] == 1
    assert httpx.get(f"{base}/propertymappings/provider/scope/", params={"managed": "goauthentik.io/providers/oauth2/scope-offline_access"},
                     headers=headers).json()["pagination"]["count"] == 1
    assert restored < cold, (restored, cold)

    # 3. a provider and a real login on the restored lab
    code, _, err = authlab("--dir", d, "provider", "create", "web", "--preset", "nextauth")
    assert code == 0, err
    code, _, err = authlab("--dir", d, "login-test", "--provider", "web")
    assert code == 0, err

    # 4. a corrupt snapshot: a warning, the snapshot is deleted, the lab boots cold and works
    code, _, err = authlab("--dir", d, "down", "--volumes", "--yes")
    assert code == 0, err
    (snap_dir / "database.dump").write_bytes(b"PGDMP this is not a dump")
    code, doc, err = authlab("--dir", d, "up", "--timeout", "240", "--json")
    assert code == 0, err
    assert doc["data"]["boot"] == "cold"  # type: ignore[index]
    assert any(n.startswith(f"warning: snapshot {key} failed to restore") for n in doc["data"]["notes"]), doc  # type: ignore[index]
    assert _token_works(lab.http_port, first_token)  # .env was put back: the cold boot used its own values

    # 5. --fresh ignores the (re-saved) snapshot; --no-snapshot saves none
    code, _, err = authlab("--dir", d, "down", "--volumes", "--yes")
    assert code == 0, err
    code, doc, err = authlab("--dir", d, "up", "--timeout", "240", "--fresh", "--no-snapshot", "--json")
    assert code == 0, err
    assert (doc["data"]["boot"], doc["data"]["snapshot"]) == ("cold", None)  # type: ignore[index]
    code, _, err = authlab("--dir", d, "down", "--volumes", "--yes")
    assert code == 0, err


def test_a_snapshot_of_another_release_is_never_used(lab_dir, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    lab = lab_dir("snaprel")
    d = str(lab.path / "authlab")
    code, _, err = authlab("--dir", d, "init", "--version", "2026.2.2", "--port", str(lab.http_port), "--https-port", str(lab.https_port))
    assert code == 0, err
    lab.track(dotenv.parse((Path(d) / ".env").read_text())["COMPOSE_PROJECT_NAME"])
    code, doc, err = authlab("--dir", d, "up", "--timeout", "240", "--json")
    assert code == 0 and doc["data"]["boot"] == "cold", err  # type: ignore[index]
    key = doc["data"]["snapshot"]  # type: ignore[index]
    assert key.startswith("2026.2.2-")
    code, _, err = authlab("--dir", d, "down", "--volumes", "--yes")
    assert code == 0, err
    # the same lab on another release: its key differs (release and image id), so the 2026.2.2 snapshot stays unused
    code, doc, err = authlab("--dir", d, "up", "--version", "2025.10.1", "--timeout", "240", "--no-snapshot", "--json")
    assert code == 0, err
    assert doc["data"]["boot"] == "cold" and doc["data"]["version"] == "2025.10.1", doc  # type: ignore[index]
    code, _, err = authlab("--dir", d, "down", "--volumes", "--yes")
    assert code == 0, err
    # AUTHLAB_SNAPSHOTS=0: no restore even where one matches
    code, _, err = authlab("--dir", d, "init", "--version", "2026.2.2")
    monkeypatch.setenv("AUTHLAB_SNAPSHOTS", "0")
    code, doc, err = authlab("--dir", d, "up", "--timeout", "240", "--json")
    assert code == 0 and doc["data"]["boot"] == "cold" and doc["data"]["snapshot"] is None, err  # type: ignore[index]
    code, _, err = authlab("--dir", d, "down", "--volumes", "--yes")
    assert code == 0, err
