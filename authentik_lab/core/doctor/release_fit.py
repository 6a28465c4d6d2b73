"""compose.release-fit: the compose file has what the Authentik release its image names needs.

The release comes from the server's image tag in the effective configuration (`AUTHENTIK_TAG=2024.12.3` in .env
under the 2026.5.6 file's `${AUTHENTIK_TAG:-2026.5.6}` is 2024.12.3). What each release needs is read from the
release-facts table through `core.dialect.Dialect`, never compared here:

- `redis` (Dialect.has_redis): before 2025.10 Authentik needs a Redis service; a newer file has none.
- `storage_mount` (Dialect.data_mount): where the release writes uploaded files. Before 2025.12 that is /media, so a
  file that only mounts /data (the 2025.12+ layout) keeps nothing. From 2025.12 it is /data/media, a symlink to /media
  in the image, so a volume at /media or a bind mount at /data keeps the files (core.doctor.volumes judges named
  volumes at /data).
An image without a release tag (`latest`, a digest) is compose.image-pinned's finding; this check then skips.
"""

from __future__ import annotations

from typing import Any, Mapping

from authentik_lab.core.checks import FAIL, WARN, Message, Outcome, Skip, from_messages
from authentik_lab.core.dialect import Dialect
from authentik_lab.core.doctor.compose import DATA, MEDIA, Service, _require_services, image_tag, interpolate, mounts, under

def _release(services: list[Service], env: Mapping[str, str]) -> tuple[Dialect, str]:
    for svc in sorted(services, key=lambda s: s.role != "server"):
        image = interpolate(str(svc.spec.get("image") or ""), env)
        tag = image_tag(image) or ""
        try:
            return Dialect.for_version(tag), image
        except ValueError:
            continue
    raise Skip("the Authentik image names no release (see compose.image-pinned), so there is no release to fit")


def _has_redis(doc: Mapping[str, Any], envs: Mapping[str, Mapping[str, str | None]], services: list[Service]) -> bool:
    for name, spec in (doc.get("services") or {}).items():
        if isinstance(spec, Mapping) and "redis" in str(spec.get("image") or "").lower():
            return True
    return any((envs.get(s.name) or {}).get("AUTHENTIK_REDIS__HOST") for s in services)  # an external Redis


def check_release_fit(doc: Mapping[str, Any], file: str, env: Mapping[str, str],
                      envs: Mapping[str, Mapping[str, str | None]]) -> Outcome:
    services = _require_services(doc)
    dialect, image = _release(services, env)
    ver = dialect.label
    messages: list[Message] = []
    evidence = [f"{file}: Authentik {ver} (image {image})"]
    if dialect.has_redis and not _has_redis(doc, envs, services):
        messages.append(Message(FAIL, f"Authentik {ver} needs Redis, and the file has no redis service (nor "
                                      "AUTHENTIK_REDIS__HOST): server and worker cannot start",
                                f"add the redis service of the official {ver} file (image docker.io/library/redis:alpine, "
                                "AUTHENTIK_REDIS__HOST: redis in server and worker), or run a release from 2025.10 on, "
                                "which needs no Redis"))
        evidence.append(f"release fact redis: {dialect.source('redis')}")
    for svc in services:
        targets = [m.target for m in mounts(svc, env) if m.target]
        if dialect.data_mount == MEDIA and not any(under(MEDIA, t) for t in targets):
            where = "only /data (the layout of 2025.12 on)" if any(under(DATA, t) for t in targets) else "no folder for them"
            messages.append(Message(WARN, f"{svc.name} keeps no uploaded files: Authentik {ver} writes them to /media, and the "
                                          f"file mounts {where}, so they are lost when the container is re-created",
                                    f"mount a volume or folder at /media in {svc.name} (the official {ver} file: `./media:/media`)"))
        elif dialect.data_mount == DATA and not any(under(MEDIA, t) or under(DATA, t) for t in targets):
            messages.append(Message(WARN, f"{svc.name} keeps no uploaded files: Authentik {ver} writes them to /data/media, and "
                                          "the file mounts neither /data nor /media, so they are lost when the container is re-created",
                                    f"mount a volume at /media (`media:/media`) or a host folder at /data (`./data:/data`) in {svc.name}"))
    if any(m.level == WARN for m in messages):
        evidence.append(f"release fact storage_mount: {dialect.source('storage_mount')}")
    return from_messages(messages, f"the file fits Authentik {ver} (Redis {'present' if dialect.has_redis else 'not needed'}, "
                                   "uploads kept)", evidence)
