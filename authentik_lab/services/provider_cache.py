"""Remembered pks of the built-in objects a provider refers to (flows, scope mappings, certificate).

Why: re-running `provider create` with unchanged options should cost a handful of requests. The cache is
only ever used to *confirm* that nothing changed: any difference between what it says and what the server
holds makes the reconcile look everything up again, so a stale entry costs a lookup, never a wrong write.
Writing it is best effort; a read-only home directory just means more requests.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from authentik_lab import envnames

VERSION = 1


def cache_root() -> Path:
    """AUTHLAB_CACHE_DIR, else $XDG_CACHE_HOME/authlab, else ~/.cache/authlab."""
    root = os.environ.get(envnames.CACHE_DIR)
    if not root:
        xdg = os.environ.get(envnames.XDG_CACHE_HOME) or str(Path.home() / ".cache")
        root = str(Path(xdg) / "authlab")
    return Path(root)


def cache_file() -> Path:
    return cache_root() / "objects.json"


def _key(url: str, version: str) -> str:
    return f"{url}|{version}"


def read_cache_json(path: Path, version: int) -> dict[str, Any]:
    """A cache file written by this authlab's format `version`, or {} (missing, unreadable, another format):
    a cache that cannot be read only costs a lookup."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) and data.get("version") == version else {}


def _read_all() -> dict[str, Any]:
    return read_cache_json(cache_file(), VERSION)


def load(url: str, version: str) -> dict[str, Any] | None:
    """{"flows": {slug: pk}, "mappings": {scope: pk}, "signing_key": pk} or None."""
    entry = _read_all().get("servers", {}).get(_key(url, version))
    return entry if isinstance(entry, dict) else None


def save(url: str, version: str, flows: dict[str, str], mappings: dict[str, str], signing_key: str) -> None:
    from authentik_lab.adapters.files import atomic_write

    data = _read_all() or {"version": VERSION, "servers": {}}
    data.setdefault("servers", {})[_key(url, version)] = {"flows": flows, "mappings": mappings, "signing_key": signing_key}
    try:
        atomic_write(cache_file(), json.dumps(data, indent=1, sort_keys=True) + "\n", mode=0o600)
    except OSError:
        pass  # best effort, see the module docstring


def forget(url: str, version: str) -> None:
    from authentik_lab.adapters.files import atomic_write

    data = _read_all()
    if data.get("servers", {}).pop(_key(url, version), None) is not None:
        try:
            atomic_write(cache_file(), json.dumps(data, indent=1, sort_keys=True) + "\n", mode=0o600)
        except OSError:
            pass
