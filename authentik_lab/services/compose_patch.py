"""`authlab compose patch FILE`: read the user's compose file, patch it in memory, show and maybe write it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from authentik_lab.core.compose_patch import Change, ComposeSyntaxError, NotACompose, PatchOptions, patch_compose_text
from authentik_lab.core.rootless import UserMapping
from authentik_lab.errors import ConfigError


@dataclass(frozen=True)
class PatchFileResult:
    file: Path
    status: str  # "patched" | "needs_patch" (dry run or check) | "already_patched"
    changes: tuple[Change, ...]
    diff: str  # unified diff with "\n" line ends, "" when nothing changes
    written: bool
    backup: Path | None
    services: tuple[str, ...]  # services recognised as Authentik's
    notes: tuple[str, ...]
    # without `user: root` the worker runs as uid 1000 and these bind-mounted host folders must belong to it
    folders_to_own: tuple[str, ...] = ()  # ...and do not yet (missing, or another owner)
    permissions_command: str | None = None  # the command that prepares them, when some remain to do
    permissions_fixed: tuple[str, ...] = ()  # created and/or chowned by --fix-permissions
    owners: tuple[str, ...] = ()  # "uid:gid" each folder of folders_to_own / permissions_fixed must belong to, in order
    engine: str = "Docker"  # the engine the command is for ("rootless Podman", ...), from core.rootless.EngineKind.label
    problems: tuple[str, ...] = ()  # what no patch can fix (e.g. no worker service): compose patch then exits 1


def doc_and_env(path: Path) -> tuple[dict, dict[str, str]]:
    """The compose file parsed, and the variables compose interpolates it with (the shell wins over .env)."""
    import os

    import yaml

    from authentik_lab.core import dotenv

    from authentik_lab.adapters.files import read_text

    doc = yaml.safe_load(read_text(Path(path))) or {}
    env_file = Path(path).parent / ".env"
    values = dotenv.parse(read_text(env_file)) if env_file.is_file() else {}
    return (doc if isinstance(doc, dict) else {}), {**values, **os.environ}


def folder_owners(path: Path, text: str | None = None) -> dict[str, tuple[int, int, str]]:
    """Host folders Authentik must own (./data or ./media, ./certs, ./custom-templates) -> (uid, gid, image) of the
    service that writes them, for the file as it reads now (or as `text`, e.g. after a patch)."""
    import yaml

    from authentik_lab.core.bind_mounts import folder_owners as owners_of

    doc, env = doc_and_env(path)
    if text is not None:
        doc = yaml.safe_load(text) or {}
    return owners_of(doc, env, str(Path(path).absolute().parent))


def folders_needing_owner(path: Path, text: str | None = None, mapping: UserMapping | None = None) -> list[str]:
    """The folders of `folder_owners` that are missing or that the service's user cannot own yet: owned by another host
    uid (on a rootless engine, the host uid its container uid maps to; unknown there unless anyone may write)."""
    owners = folder_owners(path, text)
    return [f for f, (uid, _, _) in owners.items() if not _owned(f, uid, mapping or UserMapping())]


def _owned(folder: str, uid: int, mapping: UserMapping) -> bool:
    import os

    try:
        st = os.stat(folder)
    except OSError:
        return False  # missing: Docker would create it owned by root
    host = mapping.host_uid(uid)
    return st.st_uid == host if host is not None else bool(st.st_mode & 0o002)


def fix_permissions(folders: list[str], owners: dict[str, tuple[int, int, str]] | None = None,
                    mapping: UserMapping | None = None) -> tuple[list[str], list[str]]:
    """Create the missing folders and, as root on a rootful engine, hand each to its service's uid:gid. On a rootless
    engine a host chown would give them to the wrong user, so only the printed command can. Returns (done, still to do)."""
    import os

    from authentik_lab.core.doctor.compose import AUTHENTIK_UID

    mapping = mapping or UserMapping()
    owners = owners or {}
    done = []
    for folder in folders:
        created = not os.path.isdir(folder)
        os.makedirs(folder, exist_ok=True)
        uid, gid, _ = owners.get(folder, (AUTHENTIK_UID, AUTHENTIK_UID, ""))
        if os.geteuid() == 0 and not mapping.kind.rootless:
            for root, dirs, files in os.walk(folder):
                os.chown(root, uid, gid)
                for name in dirs + files:
                    os.lchown(os.path.join(root, name), uid, gid)
            done.append(folder)
        elif created:
            done.append(folder)
    remaining = [f for f in folders if not _owned(f, owners.get(f, (AUTHENTIK_UID,))[0], mapping)]
    return done, remaining


def patch_compose_file(path: Path, options: PatchOptions, *, write: bool = True, backup: bool = True,
                       fix_folders: bool = False, mapping: Callable[[], UserMapping] | None = None) -> PatchFileResult:
    """Patch `path` in place (atomically, with `<file>.bak`; a later patch keeps that original and writes `.bak.1`,
    `.bak.2`, ...) unless `write` is False. Nothing is written on error. When the worker will run without root, the
    result names the host folders uid 1000 must own; `fix_folders` creates them (and chowns them when root)."""
    path = Path(path)
    text = _read(path)
    try:
        result = patch_compose_text(text, options)
    except ComposeSyntaxError as exc:
        location = f"{path}:{exc.line}:{exc.column}" if exc.line else str(path)
        raise ConfigError(f"invalid YAML: {exc}", hint="fix the YAML first; the file was not changed", location=location) from None
    except NotACompose as exc:
        raise ConfigError(str(exc), hint="pass a docker compose file (the one with `services:`)", location=str(path)) from None
    problems = _problems(path, result.text)
    if not result.changed:
        base = PatchFileResult(path, "already_patched", (), "", False, None, result.services, result.notes, problems=problems)
        return _with_folders(base, path, None, fix_folders and write, mapping) if fix_folders else base
    diff = "".join(
        line.replace("\r\n", "\n")
        for line in difflib.unified_diff(
            text.splitlines(keepends=True), result.text.splitlines(keepends=True), fromfile=str(path), tofile=f"{path} (patched)"
        )
    )
    if not diff.endswith("\n"):
        diff += "\n"  # a last line without a newline
    saved = None
    if write:
        from authentik_lab.adapters.files import atomic_write

        # through a symlink to the real file, so the link stays a link
        saved = atomic_write(path.resolve(), result.text, backup=backup, numbered_backups=True)
    status = "patched" if write else "needs_patch"
    out = PatchFileResult(path, status, result.changes, diff, write, saved, result.services, result.notes, problems=problems)
    if fix_folders or any(c.kind == "user" for c in result.changes):
        out = _with_folders(out, path, result.text, fix_folders and write, mapping)
    return out


def _problems(path: Path, text: str) -> tuple[str, ...]:
    """What the patched file still lacks and no patch can add: a worker (core.doctor.services), or any Authentik
    service at all (a database-only file, `services: {}`: "already patched" would be a false all-clear)."""
    import yaml

    from authentik_lab.core.checks import Skip
    from authentik_lab.core.doctor.services import check_worker_present

    try:
        outcome = check_worker_present(yaml.safe_load(text) or {}, str(path))
    except Skip as skip:
        return (f"{skip.reason}; fix: pass the compose file that runs Authentik's server and worker",)
    except yaml.YAMLError:
        return ()
    return tuple(f"{m.text}; fix: {m.fix}" for m in outcome.messages if m.level == "fail")


def _with_folders(result: PatchFileResult, path: Path, text: str | None, fix: bool,
                  mapping: Callable[[], UserMapping] | None) -> PatchFileResult:
    import dataclasses

    from authentik_lab.core.bind_mounts import prepare_command

    try:
        owners = folder_owners(path, text)
    except Exception:  # noqa: BLE001 - the patch itself succeeded; folder advice must not turn it into an error
        return result
    if not owners:
        return result
    # the engine is asked only now, when there are folders to judge: how its uids map decides who must own them
    engine = mapping() if mapping else UserMapping()
    need = [f for f, (uid, _, _) in owners.items() if not _owned(f, uid, engine)]
    done: list[str] = []
    if fix and need:
        done, need = fix_permissions(need, owners, engine)
    command = prepare_command({f: owners[f] for f in need}, engine) if need else None
    listed = list(dict.fromkeys([*done, *need]))
    return dataclasses.replace(result, folders_to_own=tuple(need), permissions_command=command, permissions_fixed=tuple(done),
                               owners=tuple(f"{owners[f][0]}:{owners[f][1]}" for f in listed), engine=engine.kind.label)


def _read(path: Path) -> str:
    if path.is_dir():
        inside = [p.name for p in sorted(path.glob("*compose*.y*ml"))]
        hint = f"pass the file inside it, e.g. {path / inside[0]}" if inside else "pass the compose file, not its folder"
        raise ConfigError(f"{path} is a directory", hint=hint)
    if not path.exists():
        raise ConfigError(f"{path}: no such file", hint="pass the path of your compose file, e.g. docker-compose.yml")
    from authentik_lab.adapters.files import read_text

    return read_text(path)
