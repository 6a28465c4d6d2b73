"""Snapshots of a freshly booted lab's database: saved after a cold first boot, restored into the next empty one.

A snapshot is a directory under `<cache>/snapshots/<key>/` (AUTHLAB_CACHE_DIR, else $XDG_CACHE_HOME/authlab, else
~/.cache/authlab): `database.dump` (`pg_dump --format=custom`, run inside the lab's own postgresql service, so a
consistent dump without stopping anything), `certs.tar.gz` when the certs volume holds files, and `meta.json`
(the identity of core.snapshot, the secrets the database depends on). Everything is mode 0600 in a 0700 folder.
Only labs made by `authlab init` are snapshotted: their compose file is authlab's own template, so the key can
name it. AUTHLAB_SNAPSHOTS=0 turns the feature off.
"""

from __future__ import annotations

import datetime as _dt
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authentik_lab import envnames
from authentik_lab.core import snapshot as core
from authentik_lab.errors import AuthlabError, UsageError

if TYPE_CHECKING:
    from authentik_lab.services.target import Target

DUMP_TIMEOUT = 600.0  # seconds for pg_dump / pg_restore of a lab database (a few MB)
PG_READY_TIMEOUT = 90.0  # seconds for a fresh PostgreSQL to accept connections before a restore


@dataclass(frozen=True)
class SnapshotInfo:
    key: str
    release: str
    created: str
    size: int  # bytes on disk
    path: Path
    server_image: str
    problem: str | None = None  # why it cannot be used (unreadable meta), else None


@dataclass(frozen=True)
class Restored:
    boot: str  # "snapshot" | "cold" | "warm" | "unknown": how this start's database came to be
    db_booted: bool | None
    notes: tuple[str, ...] = ()
    snapshot: str | None = None  # the key restored


def enabled() -> bool:
    return os.environ.get(envnames.SNAPSHOTS, "1").strip().lower() not in ("0", "false", "no", "off")


def snapshot_root() -> Path:
    from authentik_lab.services.provider_cache import cache_root

    return cache_root() / "snapshots"


def _pg(target: "Target") -> tuple[str, str]:
    from authentik_lab.core import dotenv
    from authentik_lab.adapters.files import read_text

    env = dotenv.parse(read_text(target.env_file)) if target.env_file.is_file() else {}
    return env.get("PG_USER") or "authentik", env.get("PG_DB") or "authentik"


def identify(engine: Any, target: "Target") -> core.Identity | None:
    """The identity a snapshot of this lab has, or None: not a lab made by `authlab init`, or an image is not
    present locally yet (before the first pull nothing can match, and nothing is lost: the boot is cold)."""
    if target.own_file or not target.version:
        return None
    from authentik_lab.core.doctor.compose import interpolate
    from authentik_lab.core.templates import layout_for, load_template
    from authentik_lab.errors import EngineError
    from authentik_lab.services.compose_patch import doc_and_env

    try:
        doc, env = doc_and_env(target.compose_file)
        services = doc["services"]
        server = interpolate(str(services["server"]["image"]), env)
        database = interpolate(str(services["postgresql"]["image"]), env)
        template = core.template_digest(load_template(layout_for(target.version).template))
        server_id, database_id = engine.image_id(server), engine.image_id(database)
    except (KeyError, TypeError, ValueError, OSError, EngineError):
        return None
    if not server_id or not database_id:
        return None
    return core.Identity(target.version, server, server_id, database, database_id, template)


def _info(path: Path) -> SnapshotInfo:
    try:
        size = sum(f.stat().st_size for f in path.iterdir() if f.is_file())
    except OSError as exc:  # a dangling link, a file that went away, no permission: unusable, not a crash
        return SnapshotInfo(path.name, "?", "?", 0, path, "?", problem=f"cannot read the folder: {exc}")
    try:
        meta = core.parse_meta((path / core.META_FILE).read_text(encoding="utf-8"))
    except (OSError, core.BadSnapshot) as exc:
        return SnapshotInfo(path.name, "?", "?", size, path, "?", problem=str(exc))
    problem = None if (path / core.DUMP_FILE).is_file() else f"{core.DUMP_FILE} is missing"
    return SnapshotInfo(meta.identity.key, meta.identity.release, meta.created, size, path,
                        meta.identity.server_image, problem)


def list_snapshots() -> list[SnapshotInfo]:
    root = snapshot_root()
    if not root.is_dir():
        return []
    return sorted((_info(p) for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda s: (s.release, s.created))


def prune(engine: Any, everything: bool = False) -> list[SnapshotInfo]:
    """Delete unusable snapshots (unreadable, or whose server or database image is no longer here); all with
    `everything`. Returns what was deleted."""
    removed = []
    root = snapshot_root()
    # a save killed mid-way (SIGKILL skips the cleanup) leaves its `.new-*` folder: older than an hour, it is dead
    for leftover in (root.glob(".new-*") if root.is_dir() else []):
        try:
            if time.time() - leftover.stat().st_mtime > 3600:
                shutil.rmtree(leftover, ignore_errors=True)
                removed.append(SnapshotInfo(leftover.name, "?", "?", 0, leftover, "?", problem="left by an interrupted save"))
        except OSError:
            continue
    for snap in list_snapshots():
        if everything or snap.problem is not None or _images_gone(engine, snap):
            shutil.rmtree(snap.path, ignore_errors=True)
            removed.append(snap)
    return removed


def _images_gone(engine: Any, snap: SnapshotInfo) -> bool:
    try:
        ident = core.parse_meta((snap.path / core.META_FILE).read_text(encoding="utf-8")).identity
    except (OSError, core.BadSnapshot):
        return True
    return engine.image_id(ident.server_image) != ident.server_image_id or \
        engine.image_id(ident.database_image) != ident.database_image_id


def save(engine: Any, target: "Target", runner: Any) -> SnapshotInfo:
    """Dump the running lab's database (and certs) into a new snapshot, replacing one with the same key.

    Raises UsageError when the lab cannot be snapshotted (a --compose file, images unknown) and ComposeError when
    pg_dump fails; a half-written snapshot never stays behind (it is written aside, then renamed)."""
    ident = identify(engine, target)
    if ident is None:
        raise UsageError("only a running lab made by `authlab init` can be snapshotted (its compose file is authlab's "
                         "own template; the images must be present)", hint="`authlab up` starts the lab")
    from authentik_lab.core import dotenv
    from authentik_lab.adapters.files import atomic_write, read_text

    user, db = _pg(target)
    root = snapshot_root()
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = Path(tempfile.mkdtemp(prefix=".new-", dir=root))
    try:
        os.chmod(tmp, 0o700)
        dump = tmp / core.DUMP_FILE
        runner.exec_binary("postgresql", ["pg_dump", "-U", user, "-d", db, "--format=custom"], stdout_path=dump,
                           timeout=DUMP_TIMEOUT)
        os.chmod(dump, 0o600)
        files = {core.DUMP_FILE: dump.stat().st_size}
        certs = tmp / core.CERTS_FILE
        listing = runner.run("exec", "-T", "worker", "ls", "-A", "/certs", timeout=60).stdout.split()
        if listing:
            runner.exec_binary("worker", ["tar", "-C", "/certs", "-czf", "-", "."], stdout_path=certs, timeout=120)
            os.chmod(certs, 0o600)
            files[core.CERTS_FILE] = certs.stat().st_size
        env = dotenv.parse(read_text(target.env_file))
        created = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        meta = core.Meta(ident, created, user, db, core.wanted_secrets(env), files)
        atomic_write(tmp / core.META_FILE, meta.to_json(), mode=0o600)
        final = root / ident.key
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _info(final)


def _load(key: str) -> tuple[core.Meta, Path] | None:
    path = snapshot_root() / key
    if not path.is_dir():
        return None
    meta = core.parse_meta((path / core.META_FILE).read_text(encoding="utf-8"))
    if not (path / core.DUMP_FILE).is_file():
        raise core.BadSnapshot(f"{core.DUMP_FILE} is missing")
    return meta, path


def restore_before_start(engine: Any, target: "Target", runner: Any, db_booted: bool | None, *, fresh: bool,
                         database_ref: str | None) -> Restored:
    """Before `docker compose up`: restore a matching snapshot into the lab's database when it does not exist yet.

    Steps: take the snapshot's secrets into .env (said, by name), start PostgreSQL alone, pg_restore, then the
    caller starts the rest. A snapshot that fails to restore is deleted with a warning, the lab's new database
    volume removed and .env put back, and the boot goes on cold: never a broken lab."""
    if db_booted is not False:
        return Restored("warm" if db_booted else "unknown", db_booted)
    if fresh or not enabled():
        return Restored("cold", False)
    ident = identify(engine, target)
    if ident is None:
        return Restored("cold", False)
    try:
        found = _load(ident.key)
    except (OSError, core.BadSnapshot) as exc:
        shutil.rmtree(snapshot_root() / ident.key, ignore_errors=True)
        return Restored("cold", False, (f"warning: discarded snapshot {ident.key}: {exc}; booting cold",))
    if found is None:
        return Restored("cold", False)
    meta, path = found
    reason = core.restorable(meta, ident, database_exists=False)
    if reason:
        return Restored("cold", False, (f"snapshot {ident.key} not used: {reason}",))
    from authentik_lab.core import dotenv
    from authentik_lab.adapters.files import atomic_write, read_text

    env_text = read_text(target.env_file)
    updates = core.env_updates(meta, dotenv.parse(env_text))
    if updates:
        atomic_write(target.env_file, dotenv.merge(env_text, updates), mode=0o600)
    try:
        _restore(runner, meta, path)
    except (AuthlabError, OSError) as exc:
        atomic_write(target.env_file, env_text, mode=0o600)
        _drop_database(engine, runner, database_ref)
        shutil.rmtree(path, ignore_errors=True)
        return Restored("cold", False, (f"warning: snapshot {ident.key} failed to restore ({_first_line(exc)}); "
                                        "it was deleted and the lab boots cold",))
    notes = [f"restored the database from snapshot {ident.key} (made {meta.created}); `up --fresh` boots cold"]
    if updates:
        notes.append(f"took {', '.join(sorted(updates))} into {target.env_file} from the snapshot: the restored "
                     "database was made with them")
    return Restored("snapshot", True, tuple(notes), ident.key)


def _restore(runner: Any, meta: core.Meta, path: Path) -> None:
    runner.up_services("postgresql", timeout=PG_READY_TIMEOUT)
    deadline = time.monotonic() + PG_READY_TIMEOUT
    while True:
        try:
            runner.exec_binary("postgresql", ["pg_isready", "-U", meta.pg_user, "-d", meta.pg_db], timeout=15)
            break
        except AuthlabError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    runner.exec_binary("postgresql", ["pg_restore", "-U", meta.pg_user, "-d", meta.pg_db, "--no-owner",
                                      "--exit-on-error"], stdin_path=path / core.DUMP_FILE, timeout=DUMP_TIMEOUT)
    # the certs go in once the worker's volume exists: restore_certs after the lab started


def restore_certs(runner: Any, key: str | None) -> None:
    if not key:
        return
    certs = snapshot_root() / key / core.CERTS_FILE
    if certs.is_file():
        runner.exec_binary("worker", ["tar", "-C", "/certs", "-xzf", "-"], stdin_path=certs, timeout=120)


def _drop_database(engine: Any, runner: Any, database_ref: str | None) -> None:
    try:
        runner.run("rm", "--stop", "--force", "postgresql", timeout=120)
        if database_ref:
            engine.remove_volume(database_ref)
    except AuthlabError:
        pass


def _first_line(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return text.strip().splitlines()[0] if text.strip() else type(exc).__name__
