"""Where a compose file keeps Authentik's PostgreSQL data, so `up` can tell a first boot from a restart.

Why it matters: on a first boot the bootstrap token is created by the worker tens of seconds after the server is
ready (real-boot-2026.2.2), so a refused token means "not yet" on a fresh database and "another token" only on a
database that existed before this start (core.readiness.judge_token_refusal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from authentik_lab.core.doctor.compose import Service, host_path, mounts

# The data directory of the official postgres images that Authentik's compose files use (12-alpine, 16-alpine).
PGDATA_TARGETS = ("/var/lib/postgresql/data", "/var/lib/postgresql")


@dataclass(frozen=True)
class DatabaseStorage:
    kind: str  # "volume" (a named volume, by its engine name) | "bind" (an absolute host folder)
    ref: str
    service: str = "postgresql"  # the compose service that runs PostgreSQL on it


def database_storage(doc: Mapping[str, Any], env: Mapping[str, str], project: str, compose_dir: str) -> DatabaseStorage | None:
    """The storage mounted at the data directory of the file's postgres service; None when there is none (the data
    then lives in an anonymous volume, new on every re-create) or the file names no postgres image.

    A named volume's engine name is its top-level `name:` when set, else `<project>_<key>` (compose's rule)."""
    services = doc.get("services") if isinstance(doc, Mapping) else None
    top = doc.get("volumes") if isinstance(doc, Mapping) else None
    for name, spec in (services or {}).items():
        if not isinstance(spec, Mapping) or "postgres" not in str(spec.get("image") or "").lower():
            continue
        for m in mounts(Service(str(name), "other", spec), env):
            if m.target.rstrip("/") not in PGDATA_TARGETS or not m.source:
                continue
            if m.bind:
                return DatabaseStorage("bind", host_path(m.source, compose_dir), str(name))
            declared = (top or {}).get(m.source) if isinstance(top, Mapping) else None
            explicit = declared.get("name") if isinstance(declared, Mapping) else None
            return DatabaseStorage("volume", str(explicit) if explicit else f"{project}_{m.source}", str(name))
    return None
