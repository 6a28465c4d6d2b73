"""Host folders a compose file bind-mounts: which ones Authentik needs owned by uid 1000, which ones `down
--volumes` leaves behind, and the one shell command that prepares them.

Why it matters (FACTS §4): the official file runs the worker as root so it can chown ./data (./media before
2025.12), ./certs and ./custom-templates itself. Once `user: root` is gone, those host folders must already
belong to uid 1000, or the worker hits `PermissionError` and crash-loops with every flow missing.
"""

from __future__ import annotations

import shlex
from typing import Any, Mapping

from authentik_lab.core.doctor.compose import AUTHENTIK_UID, authentik_services, host_path, mounts

# where Authentik keeps what it must own: storage (data or media), certificates, custom templates
OWNED_TARGETS = ("/data", "/media", "/certs", "/templates")
# host files mounted for their content (time zone, the docker socket) are not folders a user cleans up
_NOT_FOLDERS = ("/etc/", "/var/run/docker.sock", "/run/docker.sock")


def owned_folders(doc: Mapping[str, Any], env: Mapping[str, str], compose_dir: str) -> list[str]:
    """Absolute host folders bind-mounted into Authentik's services at the paths Authentik writes, in file order."""
    out: list[str] = []
    for svc in authentik_services(doc):
        for m in mounts(svc, env):
            if m.bind and m.target.rstrip("/") in OWNED_TARGETS:
                path = host_path(m.source, compose_dir)
                if path not in out:
                    out.append(path)
    return out


def folder_owners(doc: Mapping[str, Any], env: Mapping[str, str], compose_dir: str) -> dict[str, tuple[int, int, str]]:
    """owned_folders -> (uid, gid, image) of the service that writes each one: its effective `user:` (a root service as
    it runs once `user: root` is dropped: the image's uid 1000). Folders of a service whose user is a name the image
    alone can resolve are left out: no command could name the right owner."""
    from authentik_lab.core.doctor.compose import interpolate
    from authentik_lab.core.doctor.mounts import effective_user

    out: dict[str, tuple[int, int, str]] = {}
    for svc in authentik_services(doc):
        user = effective_user(svc.spec, env)
        uid, gid = (AUTHENTIK_UID, AUTHENTIK_UID) if user.root else (user.uid, user.gid)
        if uid is None:
            continue
        for m in mounts(svc, env):
            if m.bind and m.target.rstrip("/") in OWNED_TARGETS:
                out.setdefault(host_path(m.source, compose_dir), (uid, gid if gid is not None else uid,
                                                                  interpolate(str(svc.spec.get("image") or ""), env)))
    return out


def prepare_command(owners: Mapping[str, tuple[int, int, str]], mapping: Any = None) -> str:
    """`mkdir -p A B && <chown>` for folders and their (uid, gid, image), one chown per owner, fitted to the engine
    (core.rootless: sudo chown on a rootful engine; `podman unshare` or a throwaway container on a rootless one)."""
    from authentik_lab.core.rootless import UserMapping
    from authentik_lab.core.rootless import chown_command as engine_chown

    mapping = mapping or UserMapping()
    folders = list(owners)
    groups: dict[tuple[int, int, str], list[str]] = {}
    for folder, (uid, gid, image) in owners.items():
        groups.setdefault((uid, gid, image if mapping.kind.rootless else ""), []).append(folder)
    chowns = [engine_chown(fs, uid, gid, mapping.kind, image or None) for (uid, gid, image), fs in groups.items()]
    return f"mkdir -p {' '.join(shlex.quote(f) for f in folders)} && " + " && ".join(chowns)


def folder_for(container_path: str, doc: Mapping[str, Any], env: Mapping[str, str], compose_dir: str) -> tuple[str, str] | None:
    """(host folder, mount point) bind-mounted where `container_path` lives: /data/media/public -> (/srv/auth/data, /data)."""
    best: tuple[str, str] | None = None
    for svc in authentik_services(doc):
        for m in mounts(svc, env):
            target = m.target.rstrip("/") or "/"
            if m.bind and (container_path == target or container_path.startswith(target + "/")):
                if best is None or len(target) > len(best[1]):
                    best = (host_path(m.source, compose_dir), target)
    return best


def all_bind_folders(doc: Mapping[str, Any], env: Mapping[str, str], compose_dir: str) -> list[str]:
    """Every host folder any service bind-mounts (what `docker compose down --volumes` never deletes)."""
    out: list[str] = []
    services = doc.get("services") if isinstance(doc, Mapping) else None
    for name, spec in (services or {}).items():
        if not isinstance(spec, Mapping):
            continue
        from authentik_lab.core.doctor.compose import Service

        for m in mounts(Service(str(name), "other", spec), env):
            if not m.bind or m.source.startswith(_NOT_FOLDERS) or m.source in _NOT_FOLDERS:
                continue
            path = host_path(m.source, compose_dir)
            if path not in out:
                out.append(path)
    return out


def chown_command(folders: list[str], uid: int = AUTHENTIK_UID) -> str:
    """`mkdir -p A B && sudo chown -R 1000:1000 A B`: create what is missing, then hand all of it to Authentik."""
    quoted = " ".join(shlex.quote(f) for f in folders)
    return f"mkdir -p {quoted} && sudo chown -R {uid}:{uid} {quoted}"


def permission_hint(evidence: list[str], doc: Mapping[str, Any], env: Mapping[str, str], compose_dir: str) -> str | None:
    """For a `PermissionError ... '/data/media'` in the logs: the fix naming the host folder mounted there."""
    from authentik_lab.core.log_patterns import PATTERNS

    pattern = next(p for p in PATTERNS if p.id == "storage-not-writable")
    for line in evidence:
        m = pattern.regex.search(line)
        if not m:
            continue
        inside = m.group("path").strip("'\"")
        found = folder_for(inside, doc, env, compose_dir)
        if found is None:
            return None  # a named volume: nothing on the host to chown
        folder, target = found
        return f"the host folder {folder} is mounted at {target}: run {chown_command([folder])} (or use named volumes as `authlab init` does)"
    return None
