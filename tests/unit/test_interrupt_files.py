"""A signal during a file write is held until the write (and its backup) is complete: the file is the old or the
new version, never half of one, and no temp file is left. The interrupt line says what was done and what not."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from authentik_lab.adapters import files
from authentik_lab.errors import Terminated
from authentik_lab.journal import Journal


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_in_the_middle_of_an_atomic_write_lands_after_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signum: int) -> None:
    target = tmp_path / "docker-compose.yml"
    target.write_text("old\n")
    real_fsync, sent = os.fsync, []

    def fsync(fd: int) -> None:
        if not sent:  # the first fsync is the backup's temp file: the middle of the operation
            sent.append(signum)
            os.kill(os.getpid(), signum)
        real_fsync(fd)

    def terminated(signum: int, frame: object) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, terminated)
    monkeypatch.setattr(os, "fsync", fsync)
    try:
        with pytest.raises(KeyboardInterrupt) as info:
            files.atomic_write(target, "new\n", backup=True, numbered_backups=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert isinstance(info.value, Terminated) == (signum == signal.SIGTERM)
    assert sent == [signum]
    assert (target.read_text(), (tmp_path / "docker-compose.yml.bak").read_text()) == ("new\n", "old\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docker-compose.yml", "docker-compose.yml.bak"]


def test_the_interrupt_line_names_what_was_done_and_what_was_not() -> None:
    journal = Journal()
    assert journal.interrupted_line("SIGINT") == (
        "interrupted by SIGINT: done: nothing. Not done: everything. To finish, run the same command again: it continues from the current state")
    journal.doing("creating provider web")
    journal.done("created provider web")
    journal.doing("creating application web")
    assert journal.interrupted_line("SIGTERM", rerun="run the same `authlab provider create` command again") == (
        "interrupted by SIGTERM: done: created provider web. Not done: creating application web (may or may not have taken effect) "
        "and everything after it. To finish, run the same `authlab provider create` command again: it continues from the current state")
