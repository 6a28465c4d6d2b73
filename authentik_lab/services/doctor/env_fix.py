"""`doctor --fix` for the .env beside a `--compose` file: add the required secrets compose does not see yet.

Both fixes re-read the disk when they run, not when they were planned: a value or a file that appeared in the
meantime is kept, never replaced. Generated values are never printed.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Sequence


def _generated(keys: Sequence[str], newline: str = "\n") -> str:
    from authentik_lab.core.doctor.env import GENERATE

    # the length of the official recipe's `openssl rand -base64 N`; URL-safe so no quoting is needed in .env
    return "".join(f"{k}={secrets.token_urlsafe(GENERATE.get(k, 36))}{newline}" for k in keys)


def append_generated(path: Path, keys: Sequence[str]) -> list[str]:
    """Append a fresh random value for each key compose does not read from the .env at `path` (re-read now, with the
    same reader as compose: `KEY: value` lines and a byte order mark count). Returns the keys appended."""
    from authentik_lab.adapters.files import atomic_write, read_text
    from authentik_lab.core import dotenv

    text = read_text(path)
    present = dotenv.parse_with_lines(text, os.environ)
    broken = dotenv.unterminated(text)  # there, only unreadable: a second one would replace it once fixed
    added = [k for k in keys if k not in present and k not in broken]
    if not added:
        return []
    newline = "\r\n" if "\r\n" in text else "\n"
    if text and not text.endswith(("\n", "\r")):
        text += newline
    atomic_write(path, text + _generated(added, newline))
    return added


def create_generated(path: Path, keys: Sequence[str], like: Path | None = None) -> list[str]:
    """Create the missing .env at `path` with a fresh value for each key: mode 600, whole or not at all, and only if
    nothing is there now (a file that appeared meanwhile is left alone: FileExistsError). It gets the owner of
    `like` (the compose file) when this process may give it, so a `--fix` run as root leaves the user a file they
    can read."""
    from authentik_lab.adapters.files import create_new

    owner = None
    if like is not None:
        st = like.stat()
        owner = (st.st_uid, st.st_gid)
    try:
        create_new(path, _generated(keys), 0o600, owner)
    except FileExistsError:
        raise FileExistsError(f"{path} appeared meanwhile; nothing was written (run doctor again to check it)") from None
    return list(keys)
