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
    """Hold the lab folder's lock for the body; the folder is created when missing (the command is about to write
    into it anyway). Busy: with `wait`, tell `on_wait` once and block until the other run ends; without, raise
    LabBusy. Yields the lock file's path."""
    from filelock import FileLock, Timeout

    path = lock_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), preserve_lock_file=True)
    try:
        lock.acquire(blocking=False)
    except Timeout:
        if not wait:
            raise LabBusy(
                f"another authlab run is changing the lab in {folder} right now (it holds {path}); nothing was changed",
                hint="wait for it to finish and run this again, or drop --no-wait to queue behind it",
            ) from None
        if on_wait is not None:
            on_wait(f"waiting for another authlab run in {folder} to finish (it holds {path}; --no-wait fails instead)")
        lock.acquire()
    try:
        yield path
    finally:
        # the lock file stays (empty): removing it while another run waits on it would let a third run lock a
        # new file of the same name at the same time
        lock.release()
