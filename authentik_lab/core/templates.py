"""Which of authlab's compose templates covers which Authentik release, and where the templates live.

Two layouts exist upstream: the Redis era (up to 2025.8) and the current one (2025.10 on, Redis gone).
Inside the current layout the official storage mount moved from /media to /data in 2025.12 (authlab keeps a
volume at /media, see layout_for), and the official file switched its PostgreSQL image from 12 to 16 in 2024.6.
Those release facts (with their sources) live in core/release_facts.py; this module maps them to a template;
`compose_render` turns a layout plus the lab's settings into a compose file.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from authentik_lab.core.dialect import Dialect, parse_version

# The newest release the templates were checked against; `authlab init` uses it when no version is given.
DEFAULT_VERSION = "2026.5.6"
# Releases older than this predate the compose files authlab was written against.
OLDEST_COVERED = (2023, 5, 0)
# The newest release series checked; newer ones get the current layout and a warning.
NEWEST_SERIES = (2026, 5)

ADMIN_USER = "akadmin"


@dataclass(frozen=True)
class Layout:
    template: str  # file name under compose/
    redis: bool
    storage_volume: str  # named volume holding uploaded files
    storage_mount: str  # where the image expects them
    postgres_tag: str  # the official file's PostgreSQL image tag for that era


class VersionNotCovered(ValueError):
    """The release is older than any template (newer ones are accepted with a warning instead)."""


def layout_for(version: str) -> Layout:
    """The layout the official compose file of `version` has; raises ValueError for a bad or too old release."""
    v = parse_version(version)
    if v < OLDEST_COVERED:
        oldest = ".".join(map(str, OLDEST_COVERED[:2]))
        raise VersionNotCovered(f"Authentik {version} is older than the oldest release authlab's templates cover ({oldest})")
    d = Dialect(v)
    # Uploaded files live in /media for every release: before 2025.12 Authentik writes there, and from 2025.12 on
    # it writes to /data/media, which the image ships as a symlink to /media (real-boot-2026.2.2/README.md). A named
    # volume at /data would copy that symlink in (two containers doing so at once can fail: "failed to create
    # symlink ... file exists") and the files would still land in the container's own /media, lost on re-create.
    # So the lab keeps /media although the official file (release fact storage_mount) says /data from 2025.12.
    template = "redis.yml.tmpl" if d.has_redis else "current.yml.tmpl"
    return Layout(template, d.has_redis, "media", "/media", d.postgres_tag)


def is_newer_than_covered(version: str) -> bool:
    return parse_version(version)[:2] > NEWEST_SERIES


def template_dir() -> Path:
    """The installed wheel carries the templates as `authentik_lab/_compose`; an editable install uses the repo's."""
    packaged = resources.files("authentik_lab") / "_compose"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "compose"


def load_template(name: str) -> str:
    path = template_dir() / name
    return path.read_text(encoding="utf-8")
