"""Which databases authlab has seen through a complete first boot, so a later `up` can judge a refused token.

Why: a database that merely exists proves nothing. A first `up` interrupted (Ctrl-C, a short --timeout) leaves a
database whose worker has not created the bootstrap token yet, and the next `up` must wait for it, not call the
token wrong. Only a database that an earlier run saw fully ready would have the token by now.

A database is known by where compose keeps it and when that was created: a named volume's `CreatedAt`, or the
mtime of PG_VERSION in a bind-mounted folder (initdb writes it once). A volume deleted and made again has another
birth, so an old record never vouches for a new database. The records live in the cache directory
(AUTHLAB_CACHE_DIR, else $XDG_CACHE_HOME/authlab, else ~/.cache/authlab) as `booted.json`; writing is best effort.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authentik_lab.services.provider_cache import cache_root, read_cache_json

if TYPE_CHECKING:
    from authentik_lab.core.database_storage import DatabaseStorage
    from authentik_lab.services.target import Target

VERSION = 1
MAX_RECORDS = 200  # labs come and go; keep the newest


def record_file() -> Path:
    return cache_root() / "booted.json"


def database_of(target: "Target") -> "DatabaseStorage | None":
    from authentik_lab.core.database_storage import database_storage
    from authentik_lab.services.compose_patch import doc_and_env

    try:
        doc, env = doc_and_env(target.compose_file)
    except Exception:  # noqa: BLE001 - an unreadable file is compose's to report
        return None
    return database_storage(doc, env, target.project_name, str(target.compose_file.parent))


def birth_of(engine: Any, where: "DatabaseStorage") -> str | None:
    """When the database storage was created (an opaque string), or None when it does not exist (yet)."""
    from authentik_lab.errors import EngineError

    if where.kind == "volume":
        try:
            return engine.volume_created(where.ref)
        except EngineError:
            return None
    try:
        return str((Path(where.ref) / "PG_VERSION").stat().st_mtime_ns)
    except PermissionError:
        return "unreadable"  # initdb makes the folder 0700 for the postgres user: it exists, its age is unknown
    except OSError:
        return None


def _key(where: "DatabaseStorage") -> str:
    return f"{where.kind}:{where.ref}"


def _read() -> dict[str, str]:
    booted = read_cache_json(record_file(), VERSION).get("booted")
    return {str(k): str(v) for k, v in booted.items()} if isinstance(booted, dict) else {}


def judge(engine: Any, target: "Target") -> tuple[bool | None, "DatabaseStorage | None"]:
    """Before `docker compose up`: (db_booted for services.wait, where the database is kept).

    False: no database yet (this start creates it); True: this very database was seen fully booted before;
    None: it exists but authlab never saw it ready, or authlab cannot tell where or when it was made."""
    where = database_of(target)
    if where is None:
        return None, None
    birth = birth_of(engine, where)
    if birth is None:
        return False, where
    if birth == "unreadable":
        return None, where
    return (_read().get(_key(where)) == birth) or None, where


def remember(engine: Any, where: "DatabaseStorage | None") -> None:
    """After a complete boot: this database has its bootstrap objects. Best effort (a read-only home is fine)."""
    if where is None:
        return
    birth = birth_of(engine, where)
    if birth is None or birth == "unreadable":
        return
    from authentik_lab.adapters.files import atomic_write

    records = _read()
    records.pop(_key(where), None)
    records[_key(where)] = birth
    newest = dict(list(records.items())[-MAX_RECORDS:])
    try:
        atomic_write(record_file(), json.dumps({"version": VERSION, "booted": newest}, indent=1) + "\n", mode=0o600)
    except OSError:
        pass
