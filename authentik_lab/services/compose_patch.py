"""`authlab compose patch FILE`: read the user's compose file, patch it in memory, show and maybe write it."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from authentik_lab.core.compose_patch import Change, ComposeSyntaxError, NotACompose, PatchOptions, patch_compose_text
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


def folders_needing_owner(path: Path, text: str | None = None) -> list[str]:
    """Host folders Authentik must own (./data or ./media, ./certs, ./custom-templates) that are missing or owned by
    someone other than uid 1000, for the file as it reads now (or as `text`, e.g. after a patch)."""
    import os

    import yaml

    from authentik_lab.core.bind_mounts import owned_folders
    from authentik_lab.core.doctor_compose import AUTHENTIK_UID

    doc, env = doc_and_env(path)
    if text is not None:
        doc = yaml.safe_load(text) or {}
    out = []
    for folder in owned_folders(doc, env, str(Path(path).absolute().parent)):
        try:
            if os.stat(folder).st_uid == AUTHENTIK_UID:
                continue
        except OSError:
            pass  # missing: Docker would create it owned by root
        out.append(folder)
    return out


def fix_permissions(folders: list[str]) -> tuple[list[str], list[str]]:
    """Create the missing folders and, as root, hand them to uid 1000. Returns (done, still to do)."""
    import os

    from authentik_lab.core.doctor_compose import AUTHENTIK_UID

    done = []
    for folder in folders:
        created = not os.path.isdir(folder)
        os.makedirs(folder, exist_ok=True)
        if os.geteuid() == 0:
            for root, dirs, files in os.walk(folder):
                os.chown(root, AUTHENTIK_UID, AUTHENTIK_UID)
                for name in dirs + files:
                    os.lchown(os.path.join(root, name), AUTHENTIK_UID, AUTHENTIK_UID)
            done.append(folder)
        elif created:
            done.append(folder)
    remaining = [f for f in folders if os.stat(f).st_uid != AUTHENTIK_UID]
    return done, remaining


def patch_compose_file(path: Path, options: PatchOptions, *, write: bool = True, backup: bool = True,
                       fix_folders: bool = False) -> PatchFileResult:
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
    if not result.changed:
        base = PatchFileResult(path, "already_patched", (), "", False, None, result.services, result.notes)
        return _with_folders(base, path, None, fix_folders and write) if fix_folders else base
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
    out = PatchFileResult(path, status, result.changes, diff, write, saved, result.services, result.notes)
    if fix_folders or any(c.kind == "user" for c in result.changes):
        out = _with_folders(out, path, result.text, fix_folders and write)
    return out


def _with_folders(result: PatchFileResult, path: Path, text: str | None, fix: bool) -> PatchFileResult:
    import dataclasses

    from authentik_lab.core.bind_mounts import chown_command

    try:
        need = folders_needing_owner(path, text)
    except Exception:  # noqa: BLE001 - the patch itself succeeded; folder advice must not turn it into an error
        return result
    done: list[str] = []
    if fix and need:
        done, need = fix_permissions(need)
    return dataclasses.replace(result, folders_to_own=tuple(need), permissions_command=chown_command(need) if need else None,
                               permissions_fixed=tuple(done))


def _read(path: Path) -> str:
    if path.is_dir():
        inside = [p.name for p in sorted(path.glob("*compose*.y*ml"))]
        hint = f"pass the file inside it, e.g. {path / inside[0]}" if inside else "pass the compose file, not its folder"
        raise ConfigError(f"{path} is a directory", hint=hint)
    if not path.exists():
        raise ConfigError(f"{path}: no such file", hint="pass the path of your compose file, e.g. docker-compose.yml")
    from authentik_lab.adapters.files import read_text

    return read_text(path)
