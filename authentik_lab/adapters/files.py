"""Filesystem reads that keep every byte, and writes that never leave a half-written file behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from authentik_lab.errors import ConfigError


def read_text(path: Path) -> str:
    """The file as UTF-8 text with its line endings untouched (Path.read_text would turn CRLF into LF, and a
    rewrite would then silently change every line of a Windows-edited file)."""
    try:
        return Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", hint="save the file as UTF-8",
                          location=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", hint="check the file's permissions", location=str(path)) from None


def next_backup_path(path: Path, numbered: bool) -> Path:
    """Where the next backup of `path` goes: `<name>.bak`, or with `numbered` the first free `.bak.N` so that an
    existing `.bak` (the user's original) is never replaced."""
    candidate, n = path.with_name(path.name + ".bak"), 0
    while numbered and candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.bak.{n}")
    return candidate


def atomic_write(path: Path, text: str | bytes, mode: int | None = None, backup: bool = False,
                 numbered_backups: bool = False) -> Path | None:
    """Write via a temp file in the same folder and rename over the target.

    Keeps the target's permission bits unless `mode` is given. With `backup`, the previous content is
    kept as `<name>.bak` (returned). With `numbered_backups`, an existing `<name>.bak` is never replaced: the
    first backup holds the user's original, later ones go to `<name>.bak.1`, `.bak.2`, ...
    Line endings are written exactly as given (newline='').
    """
    path = Path(path)
    if path.is_symlink():
        # write through the link: replacing the link itself with a file would silently detach it
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    backup_path: Path | None = None
    if backup and path.exists():
        backup_path = next_backup_path(path, numbered_backups)
        shutil.copy2(path, backup_path)
    if mode is None:
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        data = text.encode() if isinstance(text, str) else text
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return backup_path


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable; not every platform lets a directory be opened, which is fine."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
