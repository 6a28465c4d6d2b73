"""compose.release-fit: the compose file has what the release its image names needs (issue 9 §3, found by QA).

The official 2026.5.6 file run with `AUTHENTIK_TAG=2024.12.3` in .env: compose computes image 2024.12.3, a release
that still needs Redis and writes uploads to /media, while the file has no Redis and mounts ./data:/data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SHARED_AUTHENTIK
from tests.integration.test_doctor_effective_cli import KEY, found, needs_compose, project, run, service

pytestmark = needs_compose

OFFICIAL = SHARED_AUTHENTIK / "docker-compose-2026.5.6.yml"


def _check(compose: Path) -> dict:
    return found("--compose", str(compose), "compose.release-fit")["compose.release-fit"]


def test_an_older_release_under_the_new_file_lacks_redis_and_loses_uploads(tmp_path: Path) -> None:
    if not OFFICIAL.is_file():
        pytest.skip(f"reference data not found at {SHARED_AUTHENTIK}")
    compose = project(tmp_path, OFFICIAL.read_text(), env=f"PG_PASS=pw\nAUTHENTIK_SECRET_KEY={KEY}\nAUTHENTIK_TAG=2024.12.3\n")
    check = _check(compose)
    assert check["status"] == "fail"
    assert [(m["level"], m["text"], m["fix"]) for m in check["messages"]] == [
        ("fail", "Authentik 2024.12.3 needs Redis, and the file has no redis service (nor AUTHENTIK_REDIS__HOST): server and "
                 "worker cannot start",
         "add the redis service of the official 2024.12.3 file (image docker.io/library/redis:alpine, AUTHENTIK_REDIS__HOST: "
         "redis in server and worker), or run a release from 2025.10 on, which needs no Redis"),
        *[("warn", f"{name} keeps no uploaded files: Authentik 2024.12.3 writes them to /media, and the file mounts only /data "
                   "(the layout of 2025.12 on), so they are lost when the container is re-created",
           f"mount a volume or folder at /media in {name} (the official 2024.12.3 file: `./media:/media`)")
          for name in ("server", "worker")],
    ]
    assert any(e.startswith("release fact redis: ") for e in check["evidence"])
    # the same file on its own release fits
    (compose.parent / ".env").write_text(f"PG_PASS=pw\nAUTHENTIK_SECRET_KEY={KEY}\nAUTHENTIK_TAG=2026.5.6\n")
    assert (_check(compose)["status"], _check(compose)["summary"]) == (
        "ok", "the file fits Authentik 2026.5.6 (Redis not needed, uploads kept)")


@pytest.mark.parametrize(("tag", "server_extra", "status"), [
    # an external Redis (the line continues service()'s environment mapping)
    ("2024.12.3", "      AUTHENTIK_REDIS__HOST: redis.example.internal\n    volumes:\n    - ./media:/media\n", "ok"),
    ("2026.5.6", "", "warn"),  # one more of the kind: no upload folder at all
    ("2026.5.6", "    volumes:\n    - media:/media\n", "ok"),  # authlab's layout: the symlink's target
    ("latest", "", "skip"),  # no release to fit: compose.image-pinned's finding
])
def test_what_each_release_needs(tmp_path: Path, tag: str, server_extra: str, status: str) -> None:
    def svc(name: str, extra: str) -> str:
        return service(name).replace("2026.5.6", tag) + extra

    worker_vols = "    volumes:\n    - ./media:/media\n"
    compose = project(tmp_path, "services:\n" + svc("server", server_extra) + svc("worker", worker_vols)
                      + "volumes:\n  media: {}\n")
    code, doc = run("--compose", str(compose), "compose.release-fit")
    assert doc["data"]["compose_config"]["fallback_reason"] is None, doc["data"]["compose_config"]  # not the fallback reader
    check = doc["data"]["checks"][0]
    assert check["status"] == status, check
    if status == "warn":
        assert check["summary"] == ("server keeps no uploaded files: Authentik 2026.5.6 writes them to /data/media, and the "
                                    "file mounts neither /data nor /media, so they are lost when the container is re-created")


def test_a_lab_made_by_init_fits_its_release(tmp_path: Path) -> None:
    from authentik_lab.services.lab import init_lab

    for version in ("2024.12.3", "2026.5.6"):
        lab = tmp_path / version
        init_lab(lab, version=version)
        check = _check(lab / "compose.yml")
        assert check["status"] == "ok", (version, check)
