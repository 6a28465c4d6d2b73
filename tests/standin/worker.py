"""`python -m standin worker` (DB mode only): applies "blueprints" by writing a marker row after a delay."""

from __future__ import annotations

import os
import pathlib
import signal
import sys
import time

from .db import DbBackend
from . import boot
from .util import log, log_raw, set_logger, vtuple

HEARTBEAT = "/tmp/authentik-worker-heartbeat"


def _touch() -> None:
    try:
        pathlib.Path(HEARTBEAT).touch()
    except OSError as exc:
        log("Failed to write heartbeat", level="warning", error=str(exc))


def _ts() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def bootstrap_env(env: dict) -> dict:
    """What system/bootstrap.yaml reads (`!Env`): the worker's own environment, not the server's."""
    return {k: env[k] for k in ("AUTHENTIK_BOOTSTRAP_PASSWORD", "AUTHENTIK_BOOTSTRAP_TOKEN", "AUTHENTIK_BOOTSTRAP_EMAIL") if env.get(k)}


def apply_bootstrap(env: dict) -> int:
    """`manage apply_blueprint system/bootstrap.yaml`, which `ak worker` runs first and whose failure it ignores.

    On an empty database the server has not migrated yet, so it fails as the real one does
    (real-boot-2026.2.2/first-boot-1-worker.log); on a migrated one it applies the bootstrap at once.
    """
    set_logger("authentik.blueprints")
    db = DbBackend(env)
    if not db.connect():
        return 1
    if not db.migrated():
        for line in (
            "Traceback (most recent call last):",
            '  File "/authentik/blueprints/management/commands/apply_blueprint.py", line 21, in handle',
            "    for tenant in Tenant.objects.filter(ready=True):",
            'psycopg.errors.UndefinedTable: relation "authentik_tenants_tenant" does not exist',
            'django.db.utils.ProgrammingError: relation "authentik_tenants_tenant" does not exist',
        ):
            log_raw(line)
        return 1
    db.report_phase("bootstrap", bootstrap_env(env))
    return 0


def run(env: dict) -> int:
    set_logger("authentik.standin.worker")
    # Like the real worker: create the media folder first, so an unwritable mount fails for real.
    # 2025.12+ keeps files under /data (/data/media); older releases under /media (/media/public).
    media = "/data/media" if vtuple(env.get("AUTHENTIK_TAG") or "2026.5.6") >= (2025, 12, 0) or not os.path.isdir("/media") else "/media/public"
    if os.path.isdir(os.path.dirname(media)):
        try:
            os.makedirs(media, exist_ok=True)
        except PermissionError as exc:
            log_raw(f"{exc.__class__.__name__}: {exc}")
            log("Failed to create media directory", level="error", error=f"{exc.__class__.__name__}: {exc}")
            return 1
    # under the image's `ak` script the permission message was already logged (STANDIN_UNDER_AK=1)
    if hasattr(os, "geteuid") and os.geteuid() != 0 and not env.get("STANDIN_UNDER_AK"):
        log("Not running as root, disabling permission fixes")
    if not env.get("AUTHENTIK_SECRET_KEY"):
        log("Secret key missing, set AUTHENTIK_SECRET_KEY (https://goauthentik.io/docs/installation/)", level="error")
        return 1
    if not env.get("AUTHENTIK_POSTGRESQL__HOST"):
        log("The stand-in worker needs DB mode (AUTHENTIK_POSTGRESQL__HOST); nothing to do", level="error")
        return 1
    stopping = {"flag": False}

    def stop(signum, frame):  # noqa: ARG001
        stopping["flag"] = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _touch()
    log("Starting authentik stand-in worker")
    db = DbBackend(env)
    last_beat = time.monotonic()
    while not db.connect():
        if stopping["flag"]:
            return 0
        time.sleep(1.0)
        if time.monotonic() - last_beat >= 5:
            _touch()
            last_beat = time.monotonic()
    # Like the real worker: wait while the server migrates (it holds the migration lock), then the first
    # blueprint pass, step by step (boot.PHASES), each reported to the server through the database.
    log_raw(f"{_ts()} [info     ] waiting to acquire database lock")
    while not stopping["flag"]:
        try:
            if not db.connected:
                db.connect()
            if db.connected and db.migrated():
                break
        except Exception as exc:
            db.mark_down(exc)
        if time.monotonic() - last_beat >= 5:
            _touch()
            last_beat = time.monotonic()
        time.sleep(0.25)
    log("authentik Core Worker finished starting", logger="authentik.root.signals")
    try:
        reported = db.phases()
    except Exception as exc:
        db.mark_down(exc)
        reported = {}
    plan = boot.plan(boot.scale_from(env), float(env.get("STANDIN_WORKER_DELAY") or 3.0), warm=False)
    started = time.monotonic()
    pending = [(name, at) for name, at in plan.phase_at if name not in reported]
    while not stopping["flag"]:
        now = time.monotonic()
        while pending and now >= started + pending[0][1]:
            name = pending[0][0]
            try:
                if not db.connected:
                    db.connect()
                db.report_phase(name, bootstrap_env(env) if name == "bootstrap" else {})
                log("Applied blueprint step", logger="authentik.blueprints.v1.tasks", step=name)
                pending.pop(0)
            except Exception as exc:
                db.mark_down(exc)
                break
        if now - last_beat >= 5:
            _touch()
            last_beat = now
        time.sleep(0.1)
    log("Worker stopping")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(dict(os.environ)))
