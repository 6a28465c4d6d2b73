"""One run at a time per lab folder: `up`, `apply` and `ci` hold `<lab dir>/.authlab.lock` while they change the
lab, so two runs in the same folder (two terminals, a CI job retried while the first still runs) are serialised,
never interleaved. Another folder, or another lab, is not affected.

The lock is an OS file lock (flock on POSIX, via the `filelock` library): it is released when the process ends,
however it ends, so a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, Iterator

from authentik_lab.errors import UsageError

LOCK_NAME = ".authlab.lock"


class LabBusy(UsageError):
    """Another authlab run holds the lab's lock and the caller asked not to wait (exit 2: nothing was changed)."""


def lock_path(folder: Path) -> Path:
    return Path(folder) / LOCK_NAME


@contextlib.contextmanager
def hold(folder: Path, *, wait: bool = True, on_wait: Callable[[str], None] | None = None) -> Iterator[Path]:
    """Hold the lab folder's lock for the body. A missing folder is created for the lock and removed again when the
    command leaves it empty (refused before writing anything). Busy: with `wait`, tell `on_wait` once and block
    until the other run ends; without, raise LabBusy. Yields the lock file's path."""
    from filelock import FileLock, Timeout

    path = lock_path(folder)
    made_folder = not path.parent.exists()
    lock = FileLock(str(path))
    try:
        _acquire(lock, path, blocking=False)
    except Timeout:
        if not wait:
            raise LabBusy(
                f"another authlab run is changing the lab in {folder} right now (it holds {path}); nothing was changed",
                hint="wait for it to finish and run this again, or drop --no-wait to queue behind it",
            ) from None
        if on_wait is not None:
            on_wait(f"waiting for another authlab run in {folder} to finish (it holds {path}; --no-wait fails instead)")
        _acquire(lock, path, blocking=True)
    try:
        yield path
    finally:
        if made_folder and [p.name for p in path.parent.iterdir()] == [LOCK_NAME]:
            # a command refused before writing anything leaves no folder behind. The file goes while still locked: a
            # run waiting for it then locks a new file, and our rmdir below fails harmlessly once that file exists
            with contextlib.suppress(OSError):
                path.unlink()
        lock.release()
        if made_folder:
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # only when empty: never anything the command or another run wrote


def _acquire(lock: "object", path: Path, blocking: bool) -> None:
    while True:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            lock.acquire(blocking=blocking)  # type: ignore[attr-defined]
            return
        except FileNotFoundError:  # the folder went with the run that made it (refused before writing): again
            continue
