"""Which engine runs the containers (rootless or not, Docker or Podman) and how its uids map to the host's.

Asked of the engine adapter when it answers, else told from DOCKER_HOST (core.rootless); the subordinate uid
range comes from /etc/subuid for the user running authlab (who runs a rootless engine).
"""

from __future__ import annotations

import os
from typing import Any

from authentik_lab.core.rootless import UserMapping, kind_of, parse_subuid


def mapping_for(info: Any) -> UserMapping:
    """`info`: core.readiness.EngineInfo, or None when the engine could not be asked."""
    from authentik_lab import envnames

    kind = kind_of(None if info is None else info.rootless, None if info is None else getattr(info, "flavour", None),
                   os.environ.get(envnames.DOCKER_HOST, ""))
    if not kind.rootless:
        return UserMapping(kind)
    import getpass

    uid = os.getuid()
    try:
        with open("/etc/subuid", encoding="utf-8") as fh:
            start = parse_subuid(fh.read(), getpass.getuser(), uid)
    except OSError:
        start = None
    return UserMapping(kind, start, uid)


def probe(app: Any) -> UserMapping:
    """Ask the App's engine (a fake in tests); an unreachable engine leaves DOCKER_HOST to tell."""
    try:
        engine = app.engine()
        engine.require()
        info = engine.info()
    except Exception:  # noqa: BLE001 - any failure means "could not ask"
        info = None
    return mapping_for(info)
