"""Which databases authlab has seen through a complete first boot, so a later `up` can judge a refused token.

Why: a database that merely exists proves nothing. A first `up` interrupted (Ctrl-C, a short --timeout) leaves a
database whose worker has not created the bootstrap token yet, and the next `up` must wait for it, not call the
token wrong. Only a database that an earlier run saw fully ready would have the token by now.

A database is known by where compose keeps it (a named volume or a bind-mounted folder) and by PostgreSQL's own
*database system identifier*, which initdb draws at random once per cluster (`pg_control_system()`): a volume
deleted and made again holds another cluster, so an old record never vouches for a new database. (A volume's
`CreatedAt` is no identity: Docker 20.10's local driver reports the folder's modification time, which changes on
every start.) The records live in the cache directory (AUTHLAB_CACHE_DIR, else $XDG_CACHE_HOME/authlab, else
~/.cache/authlab) as `booted.json`; writing is best effort.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authentik_lab.services.provider_cache import cache_root, read_cache_json

if TYPE_CHECKING:
    from authentik_lab.core.database_storage import DatabaseStorage
    from authentik_lab.services.target import Target

VERSION = 2
MAX_RECORDS = 200  # labs come and go; keep the newest
# Run inside the postgres container with its own settings (the official image's POSTGRES_USER/POSTGRES_DB).
SYSTEM_ID_SQL = "SELECT system_identifier FROM pg_control_system()"
SYSTEM_ID_ARGV = ["sh", "-c", f'psql -U "${{POSTGRES_USER:-postgres}}" -d "${{POSTGRES_DB:-postgres}}" -tAc "{SYSTEM_ID_SQL}"']


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


def exists(engine: Any, where: "DatabaseStorage") -> bool | None:
    """Does the database storage exist (before compose creates it)? None when the engine cannot be asked."""
    from authentik_lab.errors import EngineError

    if where.kind == "volume":
        try:
            return engine.volume_created(where.ref) is not None
        except EngineError:
            return None
    folder = Path(where.ref)
    try:
        return (folder / "PG_VERSION").exists() or any(folder.iterdir())
    except PermissionError:
        return True  # initdb makes the folder 0700 for the postgres user: it holds a cluster
    except OSError:
        return False


def system_identifier(runner: Any, where: "DatabaseStorage") -> str | None:
    """PostgreSQL's database system identifier, asked in the running database container; None when it cannot be."""
    from authentik_lab.errors import AuthlabError

    try:
        out = runner.run("exec", "-T", where.service, *SYSTEM_ID_ARGV, timeout=30).stdout.strip()
    except AuthlabError:
        return None
    return out if out.isdigit() else None


def _key(where: "DatabaseStorage") -> str:
    return f"{where.kind}:{where.ref}"


def _read() -> dict[str, str]:
    booted = read_cache_json(record_file(), VERSION).get("booted")
    return {str(k): str(v) for k, v in booted.items()} if isinstance(booted, dict) else {}


def judge(engine: Any, target: "Target") -> tuple[bool | None, "DatabaseStorage | None"]:
    """Before `docker compose up`: (False when there is no database yet, else None, and where it is kept).
    `booted_before` turns the None into True once the database runs."""
    where = database_of(target)
    if where is None:
        return None, None
    found = exists(engine, where)
    return (False if found is False else None), where


def booted_before(runner: Any, where: "DatabaseStorage | None") -> bool | None:
    """With the database running: True when this very cluster was seen fully booted by an earlier run, else None."""
    if where is None:
        return None
    ident = system_identifier(runner, where)
    return True if ident is not None and _read().get(_key(where)) == ident else None


def remember(runner: Any, where: "DatabaseStorage | None") -> None:
    """After a complete boot: this cluster has its bootstrap objects. Best effort (a read-only home is fine)."""
    if where is None:
        return
    ident = system_identifier(runner, where)
    if ident is None:
        return
    from authentik_lab.adapters.files import atomic_write

    records = _read()
    records.pop(_key(where), None)
    records[_key(where)] = ident
    newest = dict(list(records.items())[-MAX_RECORDS:])
    try:
        atomic_write(record_file(), json.dumps({"version": VERSION, "booted": newest}, indent=1) + "\n", mode=0o600)
    except OSError:
        pass
