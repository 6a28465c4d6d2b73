"""Doctor checks over a compose file: pure functions of its parsed YAML (plus host-folder facts).

The traps (FACTS.md §2, §4): `user: root` makes the worker chown its mounts, which crashes on rootless
Docker, Podman and NFS; the docker socket hands the container the host; a port without a host IP is
published on every interface; without root, host folders must already belong to uid 1000; mounting
/etc/localtime breaks OAuth because Authentik assumes UTC; `latest` drifts and a server/worker on
different releases fight over migrations.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any, Mapping

from authentik_lab.core.checks import FAIL, WARN, FixAction, Message, Outcome, from_messages, ok, problem

SOCKET = "/var/run/docker.sock"
TIME_FILES = ("/etc/localtime", "/etc/timezone")
# Authentik writes to its storage mount (media before 2025.12, data after); the others it only reads
DATA, MEDIA = "/data", "/media"
WRITABLE_TARGETS = (DATA, MEDIA)
AUTHENTIK_UID = 1000

_VAR = re.compile(r"\$(?:\$|\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Compose's variable syntax: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, $$."""

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "$$":
            return "$"
        expr = m.group("braced") if m.group("braced") is not None else m.group("bare")
        for op in (":-", "-", ":?", "?", ":+", "+"):
            if op in expr:
                name, _, alt = expr.partition(op)
                val = env.get(name)
                if op == ":-":
                    return val if val else alt
                if op == "-":
                    return val if val is not None else alt
                if op in (":+", "+"):
                    return alt if (val if op == ":+" else val is not None) else ""
                return val or ""
        return env.get(expr, "")

    return _VAR.sub(sub, value)


@dataclass(frozen=True)
class Service:
    name: str
    role: str  # server | worker | other
    spec: Mapping[str, Any]


def authentik_services(doc: Mapping[str, Any]) -> list[Service]:
    """Authentik's server and worker: the goauthentik image, or a custom image run with `server`/`worker` that
    mentions authentik (same rule as core.compose_patch, so doctor flags what --fix can patch)."""
    found = []
    for name, spec in (doc.get("services") or {}).items():
        spec = spec or {}
        image = str(spec.get("image") or "").lower()
        command = spec.get("command")
        first = (str(command[0]) if command else "") if isinstance(command, list) else str(command or "")
        first = (first.split() or [""])[0]
        env = spec.get("environment") or {}
        names = list(env) if isinstance(env, dict) else [str(e).split("=", 1)[0] for e in env]
        is_ak = "goauthentik" in image or "beryju/authentik" in image or (
            first in ("server", "worker") and ("authentik" in image or any(n.startswith("AUTHENTIK_") for n in names))
        )
        if not is_ak:
            continue
        role = first if first in ("server", "worker") else ("worker" if "worker" in str(name) else "server")
        found.append(Service(str(name), role, spec))
    return found


def _require_services(doc: Mapping[str, Any]) -> list[Service]:
    from authentik_lab.core.checks import Skip

    services = authentik_services(doc)
    if not services:
        raise Skip("no Authentik service (image ghcr.io/goauthentik/server) in the compose file")
    return services


def _patch(file: str, what: str) -> FixAction:
    return FixAction("compose-patch", file, f"patch {file}: {what}", params={"file": file})


# --- compose.image-pinned -----------------------------------------------------------------------


def image_tag(image: str) -> str | None:
    last = image.rsplit("/", 1)[-1]
    if "@" in last:
        return last.split("@", 1)[1]
    return last.split(":", 1)[1] if ":" in last else None


def check_image_pinned(doc: Mapping[str, Any], env: Mapping[str, str]) -> Outcome:
    services = _require_services(doc)
    tags: dict[str, str | None] = {}
    evidence = []
    for svc in services:
        image = interpolate(str(svc.spec.get("image") or ""), env)
        tags[svc.name] = image_tag(image)
        evidence.append(f"{svc.name}: image {image}")
    messages = []
    for name, tag in tags.items():
        if tag in (None, "", "latest"):
            messages.append(Message(
                "warn", f"{name} uses {'no tag' if not tag else 'the `latest` tag'}: the next pull can upgrade Authentik under you",
                "pin a release, e.g. AUTHENTIK_TAG=2026.5.6 in .env (upgrades then happen when you choose)"))
    if len({t for t in tags.values()}) > 1:
        messages.append(Message(
            "fail", "server and worker run different Authentik releases: " + ", ".join(f"{n}={t}" for n, t in tags.items()),
            "use one tag for both (AUTHENTIK_TAG in .env); they share one database and its migrations"))
    return from_messages(messages, f"pinned to {next(iter(tags.values()))}", evidence)


# --- compose.worker-root ------------------------------------------------------------------------


def runs_as_root(spec: Mapping[str, Any]) -> bool:
    from authentik_lab.core.compose_patch import is_root_user

    return is_root_user(str(spec.get("user", "")))


def check_worker_root(doc: Mapping[str, Any], file: str, rootless: bool | None = None) -> Outcome:
    services = _require_services(doc)
    rooted = [s for s in services if runs_as_root(s.spec)]
    if not rooted:
        return ok("no Authentik service runs as root")
    names = ", ".join(s.name for s in rooted)
    why = ("root in the container chowns the mounted folders at start, which fails on rootless Docker, Podman and "
           "NFS (`chown: ... Permission denied`, then a crash loop and every flow missing)")
    # on a rootless engine the chown cannot succeed: not a risk but a certain crash loop
    status = FAIL if rootless else WARN
    summary = f"{names} runs as root (`user: {rooted[0].spec.get('user')}`)" + (
        " on a rootless engine: its chown of the mounted folders fails and it will crash-loop" if rootless else "")
    return problem(status, summary, "drop `user: root` (and the docker socket) and let uid 1000 own the folders",
                   [f"{file}: services.{s.name}.user" for s in rooted],
                   _patch(file, f"drop `user: root` from {names}"), more=[Message("info", why)])


# --- volumes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mount:
    service: str
    source: str
    target: str
    bind: bool


def mounts(svc: Service, env: Mapping[str, str]) -> list[Mount]:
    out = []
    for entry in svc.spec.get("volumes") or []:
        if isinstance(entry, dict):
            source = interpolate(str(entry.get("source", "")), env)
            target = str(entry.get("target", ""))
            bind = entry.get("type") == "bind"
        else:
            parts = interpolate(str(entry), env).split(":")
            source, target = (parts[0], parts[1]) if len(parts) > 1 else ("", parts[0])
            bind = source.startswith((".", "/", "~"))
        out.append(Mount(svc.name, source, target, bind))
    return out


def under(path: str, target: str) -> bool:
    """Whether a mount at `target` holds `path` (the target itself or a folder below it)."""
    target = target.rstrip("/") or "/"
    return path == target or path.startswith(target + "/")


def check_docker_socket(doc: Mapping[str, Any], file: str, env: Mapping[str, str]) -> Outcome:
    hits = [m for s in _require_services(doc) for m in mounts(s, env) if SOCKET in (m.source, m.target)]
    if not hits:
        return ok("the docker socket is not mounted")
    return problem(WARN, f"the docker socket is mounted into {', '.join(m.service for m in hits)}",
                   "remove the mount: it gives the container control of the host, and only outpost auto-deployment "
                   "needs it, which a local lab does not use", [f"{file}: services.{m.service}.volumes {m.source}" for m in hits],
                   _patch(file, "remove the docker socket mount"))


def check_localtime(doc: Mapping[str, Any], file: str, env: Mapping[str, str]) -> Outcome:
    hits = [m for s in _require_services(doc) for m in mounts(s, env) if m.target in TIME_FILES or m.source in TIME_FILES]
    if not hits:
        return ok("/etc/localtime and /etc/timezone are not mounted")
    return problem(FAIL, f"{', '.join(sorted({m.target for m in hits}))} mounted into {', '.join(sorted({m.service for m in hits}))}",
                   "remove the mount: Authentik assumes UTC and a host time zone shifts token times, breaking OAuth and SAML",
                   [f"{file}: services.{m.service}.volumes {m.source}:{m.target}" for m in hits],
                   _patch(file, "remove the /etc/localtime and /etc/timezone mounts"))


@dataclass(frozen=True)
class PathFacts:
    exists: bool
    uid: int = 0
    gid: int = 0
    mode: int = 0


def host_path(source: str, compose_dir: str) -> str:
    return posixpath.normpath(source if source.startswith("/") else posixpath.join(compose_dir, source))


def storage_mounts(doc: Mapping[str, Any], env: Mapping[str, str]) -> list[Mount]:
    """Bind mounts Authentik must write to: what `check_bind_mount_owner` needs host facts for."""
    return [m for s in authentik_services(doc) for m in mounts(s, env) if m.bind and m.target in WRITABLE_TARGETS]


# --- compose.public-ports -----------------------------------------------------------------------


def _published_all_interfaces(entry: Any, env: Mapping[str, str]) -> str | None:
    if isinstance(entry, dict):
        if entry.get("published") is None:
            return None
        ip = str(entry.get("host_ip") or "")
        return None if ip and ip not in ("0.0.0.0", "::") else f"{entry.get('published')}:{entry.get('target')}"
    text = interpolate(str(entry), env)
    parts = text.split(":")
    if len(parts) < 2:
        return None  # a container-only port is not published to the host at all
    if len(parts) >= 3 and parts[0] not in ("", "0.0.0.0", "[::]"):
        return None
    return text


def check_public_ports(doc: Mapping[str, Any], file: str, env: Mapping[str, str]) -> Outcome:
    hits = []
    for name, spec in (doc.get("services") or {}).items():
        for entry in (spec or {}).get("ports") or []:
            published = _published_all_interfaces(entry, env)
            if published:
                hits.append(f"{file}: services.{name}.ports {published}")
    if not hits:
        return ok("no port is published on all interfaces")
    return problem(WARN, f"{len(hits)} port(s) published on all interfaces: anyone on your network reaches the lab",
                   "bind to this machine only, e.g. `127.0.0.1:9000:9000`", hits, _patch(file, "bind published ports to 127.0.0.1"))
