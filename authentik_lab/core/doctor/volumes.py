"""compose.volume-targets: volumes mounted where they hide what the image ships, or where nothing is kept.

- A host folder at `/blueprints` replaces the blueprints Authentik's image ships (default flows, scope mappings,
  the bootstrap): the worker then creates none of them. Custom blueprints belong in `/blueprints/custom`
  (Authentik docs, "Blueprints": "mount them to /blueprints/custom").
- The database's volume must cover the PostgreSQL image's data directory for that tag (core.postgres_images);
  otherwise the data lives in the anonymous volume the image declares, and `down` + `up` starts from an empty database.
The storage mount is not judged by release: from 2025.12 the image's /data/media is a symlink to /media, so a volume
at /media keeps the files on every release (see compose/current.yml.tmpl).
"""

from __future__ import annotations

from typing import Any, Mapping

from authentik_lab.core.checks import FAIL, WARN, Message, Outcome, from_messages
from authentik_lab.core.doctor.compose import Mount, Service, _require_services, interpolate, mounts
from authentik_lab.core.postgres_images import is_official_postgres, layout, split_image

BLUEPRINTS = "/blueprints"


def _under(path: str, target: str) -> bool:
    target = target.rstrip("/") or "/"
    return path == target or path.startswith(target + "/")


def database_verdict(name: str, spec: Mapping[str, Any], env: Mapping[str, str], service_env: Mapping[str, str | None],
                     file: str) -> tuple[list[Message], list[str]]:
    image = interpolate(str(spec.get("image") or ""), env)
    lay = layout(image)
    if lay is None:
        if is_official_postgres(image):
            return [Message("info", f"{name}: {image} names no PostgreSQL major version, so its data path is not known here; "
                                    "pin a tag such as 16-alpine")], []
        return [], []
    pgdata = (service_env.get("PGDATA") or "").strip() or lay.pgdata
    user = [m for m in mounts(Service(name, "other", spec), env) if m.target]
    covering = [m for m in user if _under(pgdata, m.target)]
    # the deepest mount holding PGDATA wins; the image's own VOLUME is an anonymous one unless a mount sits exactly there
    best = max(covering, key=lambda m: len(m.target.rstrip("/")), default=None)
    anonymous_wins = best is None or (len(best.target.rstrip("/")) < len(lay.volume) and _under(pgdata, lay.volume))
    tag = split_image(image)[1]
    evidence = [f"{file}: services.{name}: image {image} keeps its data in {pgdata} (image VOLUME {lay.volume}; {lay.source})",
                f"{file}: services.{name}.volumes: " + (", ".join(f"{m.source or '(anonymous)'}:{m.target}" for m in user) or "none")]
    if not anonymous_wins:
        return [], evidence
    right = lay.volume if lay.major >= 18 else lay.pgdata
    got = ", ".join(m.target for m in user) or "no volume"
    return [Message(FAIL, f"{name}: the database is not kept: postgres:{tag} writes {pgdata}, but the volume is at {got}, so "
                          "the data lands in an anonymous volume and `down` + `up` starts with an empty database",
                    f"mount the database volume at {right} (e.g. `database:{right}`); copy existing data over first "
                    f"(`docker compose cp {name}:{pgdata} ./pgdata-backup`)")], evidence


def check_volume_targets(doc: Mapping[str, Any], file: str, env: Mapping[str, str],
                         envs: Mapping[str, Mapping[str, str | None]]) -> Outcome:
    services = _require_services(doc)
    messages: list[Message] = []
    evidence: list[str] = []
    for svc in services:
        found: list[Mount] = mounts(svc, env)
        for m in found:
            if m.target.rstrip("/") != BLUEPRINTS:
                continue
            if m.bind:
                messages.append(Message(FAIL, f"{m.source} is mounted at /blueprints in {svc.name}: it hides the blueprints the "
                                              "image ships, so no default flows, no scope mappings and no bootstrap",
                                        f"mount it at /blueprints/custom instead: `{m.source}:/blueprints/custom`"))
            else:
                messages.append(Message(WARN, f"a volume ({m.source or 'anonymous'}) is mounted at /blueprints in {svc.name}: it keeps "
                                              "the blueprints of the release that first filled it and hides every later release's",
                                        "mount custom blueprints at /blueprints/custom instead"))
            evidence.append(f"{file}: services.{svc.name}.volumes {m.source}:{m.target}")
    authentik = {s.name for s in services}
    for name, spec in (doc.get("services") or {}).items():
        if name in authentik or not isinstance(spec, Mapping):
            continue
        msgs, ev = database_verdict(str(name), spec, env, envs.get(str(name)) or {}, file)
        messages += msgs
        evidence += ev
    return from_messages(messages, "volumes sit where Authentik and PostgreSQL keep their files", evidence)
