"""Filesystem reads that keep every byte, and writes that never leave a half-written file behind."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from typing import Iterator

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

    Keeps the target's permission bits unless `mode` is given, and its owner and group (so `--fix` run as root leaves
    a user's file theirs; without the right to chown, the file gets the writer's, as any new file would). With
    `backup`, the previous content is kept as `<name>.bak` (returned), with the same owner. With `numbered_backups`,
    an existing `<name>.bak` is never replaced: the first backup holds the user's original, later ones go to
    `<name>.bak.1`, `.bak.2`, ...
    Line endings are written exactly as given (newline='').
    """
    path = Path(path)
    if path.is_symlink():
        # write through the link: replacing the link itself with a file would silently detach it
        path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    with signals_deferred():
        backup_path: Path | None = None
        old = path.stat() if path.exists() else None
        owner = (old.st_uid, old.st_gid) if old else None
        if backup and old:
            backup_path = next_backup_path(path, numbered_backups)
            _replace_with(backup_path, path.read_bytes(), old.st_mode & 0o777, like=path, owner=owner)
        if mode is None:
            mode = old.st_mode & 0o777 if old else 0o644
        _replace_with(path, text.encode() if isinstance(text, str) else text, mode, owner=owner)
    return backup_path


def create_new(path: Path, text: str, mode: int, owner: tuple[int, int] | None = None) -> None:
    """Create `path` holding `text`, only if nothing is there, and whole or not at all: the content goes to a temp file
    beside it, which is then hard-linked to `path` (a link never replaces anything: FileExistsError when a file, a
    folder or even a dangling symlink appeared there meanwhile). `owner`: (uid, gid) to give it when allowed."""
    path = Path(path)
    data = text.encode()
    with signals_deferred():
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            _fill(fd, data, mode, owner)
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS):
                    raise
                # a file system without hard links: not atomic then, but still never over anything
                _fill(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode), data, mode, owner)
            _fsync_dir(path.parent)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def _fill(fd: int, data: bytes, mode: int, owner: tuple[int, int] | None) -> None:
    """Give the open file `owner` (see _chown) and then `mode` (a chown by root may clear set-id bits), write `data`,
    flush it to disk, close it."""
    with os.fdopen(fd, "wb") as fh:
        if owner is not None:
            _chown(fh.fileno(), owner)
        os.fchmod(fh.fileno(), mode)
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _chown(fd: int, owner: tuple[int, int]) -> None:
    """Give the open file `owner` (uid, gid) when this process may: root may; a user may keep their own uid and pick
    one of their groups. Not being allowed (EPERM), a uid the file system or user namespace cannot hold (EINVAL) and a
    file system without owners leave the file as created."""
    st = os.fstat(fd)
    if (st.st_uid, st.st_gid) == owner:
        return
    try:
        os.fchown(fd, *owner)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
            raise


def append_text(path: Path, text: str) -> None:
    """Append in one write with interrupts held off, so a file another program reads afterwards (GitHub's
    $GITHUB_ENV) never ends in half a line."""
    with signals_deferred(), open(path, "a", encoding="utf-8") as fh:
        fh.write(text)


def _replace_with(path: Path, data: bytes, mode: int, like: Path | None = None, owner: tuple[int, int] | None = None) -> None:
    """Write `data` to a temp file beside `path` (with `mode`, and `owner` when allowed) and rename it over `path`
    (atomic on POSIX)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        _fill(fd, data, mode, owner)
        if like is not None:
            shutil.copystat(like, tmp)  # a backup keeps the original's times, as copy2 did
        os.replace(tmp, path)
        _fsync_dir(path.parent)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


@contextlib.contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM while a file (and its backup) is replaced, then deliver the first one: an interrupt
    lands before or after the write, never inside it, so there is no backup without its new file and no temp file
    left behind. Only the main thread can handle signals; elsewhere this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        current = signal.getsignal(sig)
        if current is not None:  # None: a handler installed outside Python, which we could not put back
            previous[sig] = signal.signal(sig, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if pending:
            signal.raise_signal(pending[0])


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
