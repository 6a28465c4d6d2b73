"""`python -m standin worker` (DB mode only): applies "blueprints" by writing a marker row after a delay."""

from __future__ import annotations

import os
import pathlib
import signal
import sys
import time

from .db import DbBackend
from .util import log, log_raw, set_logger, vtuple

HEARTBEAT = "/tmp/authentik-worker-heartbeat"


def _touch() -> None:
    try:
        pathlib.Path(HEARTBEAT).touch()
    except OSError as exc:
        log("Failed to write heartbeat", level="warning", error=str(exc))


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
    delay = float(env.get("STANDIN_WORKER_DELAY") or 3.0)
    log("Applying blueprints", delay=delay)
    deadline = time.monotonic() + delay
    applied = False
    while not stopping["flag"]:
        now = time.monotonic()
        if not applied and now >= deadline:
            try:
                if not db.connected:
                    db.connect()
                db.set_marker()
                applied = True
                log("Blueprints applied")
            except Exception as exc:
                db.mark_down(exc)
        if now - last_beat >= 5:
            _touch()
            last_beat = now
        time.sleep(0.25)
    log("Worker stopping")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run(dict(os.environ)))
