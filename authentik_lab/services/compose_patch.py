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


def patch_compose_file(path: Path, options: PatchOptions, *, write: bool = True, backup: bool = True) -> PatchFileResult:
    """Patch `path` in place (atomically, with `<file>.bak`) unless `write` is False. Nothing is written on error."""
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
        return PatchFileResult(path, "already_patched", (), "", False, None, result.services, result.notes)
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
        saved = atomic_write(path.resolve(), result.text, backup=backup)
    status = "patched" if write else "needs_patch"
    return PatchFileResult(path, status, result.changes, diff, write, saved, result.services, result.notes)


def _read(path: Path) -> str:
    if path.is_dir():
        inside = [p.name for p in sorted(path.glob("*compose*.y*ml"))]
        hint = f"pass the file inside it, e.g. {path / inside[0]}" if inside else "pass the compose file, not its folder"
        raise ConfigError(f"{path} is a directory", hint=hint)
    if not path.exists():
        raise ConfigError(f"{path}: no such file", hint="pass the path of your compose file, e.g. docker-compose.yml")
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start})", hint="save the file as UTF-8") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}", hint="check the file's permissions") from None
