"""The lab file on disk and the test users' passwords: from an environment variable or generated once.

Generated passwords live in `<lab dir>/test-users.json` (mode 0600) so every later `apply`, `ci`, `token`
and `login-test` uses the same one and a re-run changes nothing on the server.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Mapping

from authentik_lab.core.labfile import DEFAULT_FILE, LabFile, UserSpec, parse
from authentik_lab.errors import ConfigError

STORE_NAME = "test-users.json"
STORE_MODE = 0o600


def find_labfile(path: Path | None) -> Path:
    return Path(path) if path else Path(DEFAULT_FILE)


def load_labfile(path: Path | None) -> LabFile:
    """Read and fully validate the lab file; ConfigError/LabFileError before anything talks to Authentik."""
    from authentik_lab.core.presets import PRESETS

    target = find_labfile(path)
    if not target.is_file():
        raise ConfigError(
            f"no lab file at {target}",
            hint="create authlab.yaml (see the README's example) or pass -f PATH (AUTHLAB_FILE)",
        )
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {target}: {exc}", hint="check the file") from None
    return parse(text, filename=str(path) if path else DEFAULT_FILE, presets=sorted(PRESETS))


def store_path(lab_dir: Path) -> Path:
    return Path(lab_dir) / STORE_NAME


def read_store(lab_dir: Path) -> dict[str, str]:
    path = store_path(lab_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} is unreadable: {exc}", hint="delete it; apply generates new passwords") from None
    passwords = data.get("passwords") if isinstance(data, dict) else None
    return {str(k): str(v) for k, v in (passwords or {}).items()}


def write_store(lab_dir: Path, passwords: Mapping[str, str]) -> None:
    from authentik_lab.adapters.files import atomic_write

    text = json.dumps({"version": 1, "passwords": dict(sorted(passwords.items()))}, indent=2) + "\n"
    atomic_write(store_path(lab_dir), text, mode=STORE_MODE)


PENDING_NAME = "pending.json"


def pending(lab_dir: Path, kind: str) -> set[str]:
    """Objects of `kind` ("service_account", "provider") this lab folder started creating and has not marked as
    authlab's yet: Authentik takes no marker in the create itself, so an apply stopped between the create and the
    marker leaves an unmarked object the next apply must recognise as its own, not refuse as a conflict."""
    try:
        data = json.loads((Path(lab_dir) / PENDING_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    names = data.get(kind, []) if isinstance(data, dict) else []
    return {str(n) for n in names} if isinstance(names, list) else set()


def note_pending(lab_dir: Path, kind: str, name: str, is_pending: bool) -> None:
    """Add (before the create) or remove (after the marker) one object; the file goes when nothing is pending."""
    from authentik_lab.adapters.files import atomic_write

    kinds = ("service_account", "provider")
    current = {k: pending(lab_dir, k) for k in kinds}
    if (name in current[kind]) == is_pending:
        return
    current[kind] = current[kind] | {name} if is_pending else current[kind] - {name}
    path = Path(lab_dir) / PENDING_NAME
    if any(current.values()):
        atomic_write(path, json.dumps({"version": 1, **{k: sorted(v) for k, v in current.items()}}, indent=2) + "\n", mode=STORE_MODE)
    elif path.exists():
        path.unlink()


def resolve_passwords(lab: LabFile, lab_dir: Path, environ: Mapping[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(username -> password for every user in the file, the generated-store content to keep).

    A missing environment variable is a ConfigError here, before any request.
    """
    environ = os.environ if environ is None else environ
    store = read_store(lab_dir)
    out: dict[str, str] = {}
    missing: list[str] = []
    for i, user in enumerate(lab.users):
        if user.password_env:
            value = environ.get(user.password_env, "")
            if not value:
                key = f"users[{i}].password_env"
                missing.append(f"{lab.where(key)}: {key} ({user.username}): {user.password_env} is not set or empty")
            out[user.username] = value
        else:
            out[user.username] = store.get(user.username) or secrets.token_urlsafe(18)
    if missing:
        err = ConfigError(
            missing[0],
            hint="export the variable (in CI: from a secret) or use `password: generate`; nothing was changed on the server",
        )
        err.evidence = missing[1:]  # type: ignore[attr-defined]
        raise err
    generated = {u.username: out[u.username] for u in lab.users if not u.password_env}
    return out, generated


def password_for(user: UserSpec, lab_dir: Path, environ: Mapping[str, str] | None = None) -> str | None:
    environ = os.environ if environ is None else environ
    if user.password_env:
        return environ.get(user.password_env) or None
    return read_store(lab_dir).get(user.username)


def stored_password(lab_dir: Path, username: str) -> str | None:
    """The password apply generated for `username`, whichever lab file named the user (the store is per lab)."""
    return read_store(lab_dir).get(username) or None
