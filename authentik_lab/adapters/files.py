"""Filesystem writes that never leave a half-written file behind."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


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
        backup_path = path.with_name(path.name + ".bak")
        n = 0
        while numbered_backups and backup_path.exists():
            n += 1
            backup_path = path.with_name(f"{path.name}.bak.{n}")
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
