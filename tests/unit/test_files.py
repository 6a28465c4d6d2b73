"""adapters/files.atomic_write: all or nothing, modes, backups, exact bytes, symlinks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from authentik_lab.adapters import files
from authentik_lab.adapters.files import atomic_write


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_creates_parents_and_writes_exact_bytes(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "f.yml"
    assert atomic_write(target, "x: 1\r\ny: 2\n") is None
    assert target.read_bytes() == b"x: 1\r\ny: 2\n"
    assert _mode(target) == 0o644


def test_bytes_and_explicit_mode(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    atomic_write(target, b"S=1\n", mode=0o600)
    assert target.read_bytes() == b"S=1\n"
    assert _mode(target) == 0o600


def test_keeps_existing_mode_when_none_given(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert _mode(target) == 0o640


def test_backup_keeps_previous_content(tmp_path: Path) -> None:
    target = tmp_path / "compose.yml"
    target.write_text("old\n")
    backup = atomic_write(target, "new\n", backup=True)
    assert backup == tmp_path / "compose.yml.bak"
    assert backup.read_text() == "old\n"
    assert target.read_text() == "new\n"


def test_numbered_backups_never_replace_the_first_backup(tmp_path: Path) -> None:
    target = tmp_path / "compose.yml"
    target.write_text("original\n")
    assert atomic_write(target, "second\n", backup=True, numbered_backups=True) == tmp_path / "compose.yml.bak"
    assert atomic_write(target, "third\n", backup=True, numbered_backups=True) == tmp_path / "compose.yml.bak.1"
    assert atomic_write(target, "fourth\n", backup=True, numbered_backups=True) == tmp_path / "compose.yml.bak.2"
    assert [(tmp_path / n).read_text() for n in ("compose.yml.bak", "compose.yml.bak.1", "compose.yml.bak.2", "compose.yml")] == [
        "original\n", "second\n", "third\n", "fourth\n"]
    # without the option the single .bak is replaced, as the lab's own re-rendered compose file wants
    assert atomic_write(target, "fifth\n", backup=True) == tmp_path / "compose.yml.bak"
    assert (tmp_path / "compose.yml.bak").read_text() == "fourth\n"


def test_backup_of_a_new_file_is_none(tmp_path: Path) -> None:
    assert atomic_write(tmp_path / "new", "x", backup=True) is None
    assert not (tmp_path / "new.bak").exists()


def test_failure_leaves_target_and_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f"
    target.write_text("original")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, "new")
    assert target.read_text() == "original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.yml"
    real.write_text("old")
    link = tmp_path / "link.yml"
    link.symlink_to(real)
    atomic_write(link, "new")
    assert link.is_symlink()
    assert real.read_text() == "new"


def test_no_temp_files_left_after_success(tmp_path: Path) -> None:
    atomic_write(tmp_path / "f", "x")
    atomic_write(tmp_path / "f", "y")
    assert os.listdir(tmp_path) == ["f"]


def test_read_text_keeps_crlf_and_reports_bad_bytes_with_the_file(tmp_path: Path) -> None:
    from authentik_lab.adapters.files import read_text
    from authentik_lab.errors import ConfigError

    good = tmp_path / "a.env"
    good.write_bytes(b"A=1\r\nB=2\r\n")
    assert read_text(good) == "A=1\r\nB=2\r\n"
    bad = tmp_path / "b.env"
    bad.write_bytes(b"A=\xff\n")
    with pytest.raises(ConfigError) as err:
        read_text(bad)
    assert err.value.message == f"{bad}: not UTF-8 text (invalid start byte at byte 2)"


def test_next_backup_path_never_replaces_the_original_backup(tmp_path: Path) -> None:
    from authentik_lab.adapters.files import next_backup_path

    target = tmp_path / "compose.yml"
    assert next_backup_path(target, numbered=True) == tmp_path / "compose.yml.bak"
    (tmp_path / "compose.yml.bak").write_text("original")
    assert next_backup_path(target, numbered=True) == tmp_path / "compose.yml.bak.1"
    assert next_backup_path(target, numbered=False) == tmp_path / "compose.yml.bak"


# --- owners: `--fix` run as root must leave a user's files theirs (QA M6) ----------------------------------------

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root can hand a file to another user")


def _owner(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)


@needs_root
def test_replacing_a_file_keeps_its_owner_group_and_mode(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    target.write_text("A=1\n")
    os.chown(target, 1000, 1000)
    os.chmod(target, 0o640)
    atomic_write(target, "A=2\n")
    assert (_owner(target), target.read_text()) == ((1000, 1000, 0o640), "A=2\n")
    # an explicit mode wins, the owner stays; the backup keeps the owner too
    backup = atomic_write(target, "A=3\n", mode=0o600, backup=True)
    assert _owner(target) == (1000, 1000, 0o600)
    assert backup is not None and _owner(backup) == (1000, 1000, 0o640) and backup.read_text() == "A=2\n"


@needs_root
def test_a_link_target_keeps_its_owner(tmp_path: Path) -> None:
    real = tmp_path / "real.yml"
    real.write_text("old")
    os.chown(real, 1000, 1001)
    (tmp_path / "link.yml").symlink_to(real)
    atomic_write(tmp_path / "link.yml", "new")
    assert _owner(real)[:2] == (1000, 1001)


def test_not_being_allowed_to_chown_still_writes_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # as a user: the file cannot be handed to its old owner (EPERM), so it is written as the user's own
    import errno

    target = tmp_path / "f"
    target.write_text("old")
    calls = []

    def refused(fd: int, uid: int, gid: int) -> None:
        calls.append((uid, gid))
        raise PermissionError(errno.EPERM, "Operation not permitted")

    real_fstat = os.fstat
    monkeypatch.setattr(files.os, "fchown", refused)
    monkeypatch.setattr(files.os, "fstat", lambda fd: os.stat_result((*real_fstat(fd)[:4], 4242, *real_fstat(fd)[5:])))
    atomic_write(target, "new")
    assert target.read_text() == "new" and calls == [(os.getuid(), os.getgid())]


def test_create_new_writes_a_whole_file_with_its_mode_and_never_replaces_anything(tmp_path: Path) -> None:
    target = tmp_path / ".env"
    files.create_new(target, "A=1\n", 0o600)
    assert (target.read_text(), _mode(target), sorted(os.listdir(tmp_path))) == ("A=1\n", 0o600, [".env"])
    with pytest.raises(FileExistsError):
        files.create_new(target, "A=2\n", 0o600)
    assert target.read_text() == "A=1\n"
    # nor through a dangling symlink, nor over a folder
    (tmp_path / "link").symlink_to(tmp_path / "nowhere")
    (tmp_path / "dir").mkdir()
    for there in ("link", "dir"):
        with pytest.raises(FileExistsError):
            files.create_new(tmp_path / there, "A=3\n", 0o600)
    assert not (tmp_path / "nowhere").exists()
    assert sorted(os.listdir(tmp_path)) == [".env", "dir", "link"]


def test_create_new_without_hard_links_still_refuses_to_replace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def no_links(src: str, dst: str) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(files.os, "link", no_links)
    files.create_new(tmp_path / "new", "x\n", 0o600)
    assert ((tmp_path / "new").read_text(), _mode(tmp_path / "new"), sorted(os.listdir(tmp_path))) == ("x\n", 0o600, ["new"])
    with pytest.raises(FileExistsError):
        files.create_new(tmp_path / "new", "y\n", 0o600)
    assert (tmp_path / "new").read_text() == "x\n" and sorted(os.listdir(tmp_path)) == ["new"]


@needs_root
def test_create_new_gives_the_file_the_owner_asked_for(tmp_path: Path) -> None:
    files.create_new(tmp_path / ".env", "A=1\n", 0o600, owner=(1000, 1000))
    assert _owner(tmp_path / ".env") == (1000, 1000, 0o600)
