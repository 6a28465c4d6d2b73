"""compose.volume-targets: volumes mounted where they hide what the image ships, or where nothing is kept.

- A host folder at `/blueprints` replaces the blueprints Authentik's image ships (default flows, scope mappings,
  the bootstrap): the worker then creates none of them. Custom blueprints belong in `/blueprints/custom`
  (Authentik docs, "Blueprints": "mount them to /blueprints/custom").
- The database's volume must cover the PostgreSQL image's data directory for that tag (core.postgres_images);
  otherwise the data lives in the anonymous volume the image declares, and `down` + `up` starts from an empty database.
- A named volume at `/data` keeps no uploaded files: before 2025.12 Authentik writes them to /media, and from 2025.12
  to /data/media, which the image ships as a symlink to /media, so the volume only receives a copy of that symlink and
  the files land in the container's own /media, lost when it is re-created. Server and worker creating the fresh
  volume at once can also fail with "failed to create symlink ... file exists" (real-boot-2026.2.2/README.md, Layout;
  reproduced by tests/integration/docker/test_doctor_docker.py). A bind mount at /data (the official file) hides the
  symlink instead, and a volume at /media keeps the files on every release (compose/current.yml.tmpl does that).
  So this needs no release number.
"""

from __future__ import annotations

from typing import Any, Mapping

from authentik_lab.core.checks import FAIL, WARN, Message, Outcome, from_messages
from authentik_lab.core.doctor.compose import DATA, MEDIA, Mount, Service, _require_services, interpolate, mounts, under
from authentik_lab.core.postgres_images import is_official_postgres, layout, split_image

BLUEPRINTS = "/blueprints"



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
    covering = [m for m in user if under(pgdata, m.target)]
    # the deepest mount holding PGDATA wins; the image's own VOLUME is an anonymous one unless a mount sits exactly there
    best = max(covering, key=lambda m: len(m.target.rstrip("/")), default=None)
    anonymous_wins = best is None or (len(best.target.rstrip("/")) < len(lay.volume) and under(pgdata, lay.volume))
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


def storage_verdict(services: list[Service], env: Mapping[str, str], file: str) -> tuple[list[Message], list[str]]:
    """Named volumes at /data (see the module docstring): files not kept without a volume at /media, and the symlink
    copy-up race when two services share the fresh volume."""
    messages: list[Message] = []
    evidence: list[str] = []
    at_data: dict[str, list[str]] = {}  # volume name -> the services mounting it at /data
    for svc in services:
        found = mounts(svc, env)
        named = [m for m in found if not m.bind and m.target.rstrip("/") == DATA]
        if not named:
            continue
        vol = named[0].source or "anonymous"
        at_data.setdefault(vol, []).append(svc.name)
        evidence.append(f"{file}: services.{svc.name}.volumes {named[0].source or '(anonymous)'}:{named[0].target}")
        if not any(under(MEDIA, m.target) for m in found):
            messages.append(Message(WARN, f"{svc.name} keeps no uploaded files: the volume at /data ({vol}) only gets a copy of the "
                                          "image's /data/media, a symlink to /media (2025.12+; older releases write /media), so "
                                          "icons and other uploads land in the container's own /media and are lost when it is re-created",
                                    f"mount the volume at /media instead (`{vol}:/media`), or bind-mount a host folder at /data "
                                    "as the official file does (`./data:/data`)"))
    for vol, names in at_data.items():
        if len(names) > 1 and vol != "anonymous":
            messages.append(Message(WARN, f"{' and '.join(names)} share the named volume {vol} at /data: the first start over a fresh "
                                          "volume copies the image's /data into it from both containers at once and can fail with "
                                          "`failed to create symlink ... file exists` (2025.12+ images)",
                                    "run `docker compose up -d` again if it happened; to avoid it, mount the volume at /media or "
                                    "bind-mount a host folder at /data"))
    return messages, evidence


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
    msgs, ev = storage_verdict(services, env, file)
    messages += msgs
    evidence += ev
    authentik = {s.name for s in services}
    for name, spec in (doc.get("services") or {}).items():
        if name in authentik or not isinstance(spec, Mapping):
            continue
        msgs, ev = database_verdict(str(name), spec, env, envs.get(str(name)) or {}, file)
        messages += msgs
        evidence += ev
    return from_messages(messages, "volumes sit where Authentik and PostgreSQL keep their files", evidence)
