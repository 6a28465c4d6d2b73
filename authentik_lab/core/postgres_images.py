"""Where the official PostgreSQL image (docker.io/library/postgres) keeps its database, per image tag.

A volume mounted anywhere else does not hold the data: the image declares its own `VOLUME`, so Docker puts the
data in an anonymous volume that `docker compose down` + `up` replaces with an empty one.

| image tag (major) | PGDATA (data directory) | declared VOLUME | source |
|---|---|---|---|
| 9.x to 17 (incl. `12-alpine`, `16-alpine` that Authentik's official files name) | /var/lib/postgresql/data | /var/lib/postgresql/data | docker-library/postgres Dockerfile template (`ENV PGDATA /var/lib/postgresql/data`, `VOLUME /var/lib/postgresql/data`) |
| 18 and later | /var/lib/postgresql/MAJOR/docker | /var/lib/postgresql | docker-library/postgres PR #1259 "Change PGDATA in 18+ to /var/lib/postgresql/MAJOR/docker" |

This is a fact about PostgreSQL's image, not about Authentik's release, so it lives here and not in the release table.
`latest`, `alpine` or no tag follow whatever major is newest when pulled: unknown here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OFFICIAL_REPOS = ("postgres", "library/postgres", "docker.io/library/postgres", "docker.io/postgres", "index.docker.io/library/postgres")
_MAJOR = re.compile(r"^(\d+)(?!\d)")


@dataclass(frozen=True)
class PostgresLayout:
    major: int
    pgdata: str  # where the server writes its cluster, unless PGDATA is set in the service's environment
    volume: str  # the image's declared VOLUME: an anonymous volume lands here when nothing else is mounted
    source: str


def split_image(image: str) -> tuple[str, str | None]:
    """`docker.io/library/postgres:16-alpine` -> (`docker.io/library/postgres`, `16-alpine`); digests drop the tag."""
    name = image.split("@", 1)[0]
    repo, _, tag = name.rpartition(":") if ":" in name.rsplit("/", 1)[-1] else (name, "", "")
    return repo, (tag or None)


def is_official_postgres(image: str) -> bool:
    return split_image(image)[0].lower() in OFFICIAL_REPOS


def layout(image: str) -> PostgresLayout | None:
    """The data layout of an official PostgreSQL image tag, or None (not that image, or a tag without a major)."""
    if not is_official_postgres(image):
        return None
    tag = split_image(image)[1]
    m = _MAJOR.match(tag or "")
    if not m:
        return None
    major = int(m.group(1))
    if major >= 18:
        return PostgresLayout(major, f"/var/lib/postgresql/{major}/docker", "/var/lib/postgresql",
                              "docker-library/postgres PR #1259 (PGDATA /var/lib/postgresql/MAJOR/docker from 18)")
    return PostgresLayout(major, "/var/lib/postgresql/data", "/var/lib/postgresql/data",
                          "docker-library/postgres Dockerfile (PGDATA and VOLUME /var/lib/postgresql/data up to 17)")
