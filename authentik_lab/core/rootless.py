"""Rootless engines (rootless Docker, Podman): who a container's uid is on the host, and how to hand a folder to it.

Under a rootless engine the container's uid 0 is the user running the engine, and uid N (N >= 1) is the
subordinate uid `start + N - 1` from /etc/subuid (user namespaces, subuid(5)). So a host folder owned by host
uid 1000 is NOT writable by uid 1000 in the container, and `sudo chown 1000:1000` is the wrong fix: the
chown must happen inside the engine's user namespace (`podman unshare chown`, or a throwaway container).

Detection (any one is enough): Docker's `docker info` SecurityOptions holds `name=rootless` (Podman's
Docker-compatible API says so too); the engine's version names "Podman Engine"; DOCKER_HOST points at a
per-user socket (`/run/user/UID/docker.sock`, `/run/user/UID/podman/podman.sock`, $XDG_RUNTIME_DIR).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

_USER_SOCKET = re.compile(r"^unix://(?P<path>/run/user/\d+/.+|.*/\.docker/run/docker\.sock|.*/\.local/share/containers/.+)$")


@dataclass(frozen=True)
class EngineKind:
    """flavour: "docker" | "podman"; rootless: True/False, None when unknown; why: how it was told."""

    flavour: str = "docker"
    rootless: bool | None = False
    why: str = ""

    @property
    def label(self) -> str:
        name = "Podman" if self.flavour == "podman" else "Docker"
        return f"rootless {name}" if self.rootless else name


def from_docker_host(docker_host: str) -> EngineKind | None:
    """What DOCKER_HOST alone says: a per-user socket means a rootless engine (Podman when the path says podman)."""
    m = _USER_SOCKET.match(docker_host.strip())
    if not m:
        return None
    flavour = "podman" if "podman" in m.group("path") else "docker"
    return EngineKind(flavour, True, f"DOCKER_HOST={docker_host.strip()} is a per-user socket")


def kind_of(rootless: bool | None, flavour: str | None, docker_host: str) -> EngineKind:
    """Combine the engine's own answer (None when it could not be asked) with DOCKER_HOST."""
    hinted = from_docker_host(docker_host)
    if rootless is None:
        return hinted or EngineKind("docker", None, "the engine could not be asked")
    flavour = flavour or (hinted.flavour if hinted else "docker")
    if rootless:
        return EngineKind(flavour, True, "the engine reports rootless (SecurityOptions name=rootless)")
    if hinted:  # the engine says rootful, but the socket is a user's: trust the engine, it answered
        return EngineKind(flavour, False, f"the engine reports rootful although {hinted.why}")
    return EngineKind(flavour, False, "the engine reports rootful")


def parse_subuid(text: str, user: str, uid: int) -> int | None:
    """The first subordinate uid of `user` (or of `uid`) from /etc/subuid lines `name:start:count`."""
    for line in text.splitlines():
        parts = line.strip().split(":")
        if len(parts) == 3 and parts[0] in (user, str(uid)) and parts[1].isdigit():
            return int(parts[1])
    return None


def host_uid(container_uid: int, engine_uid: int, subuid_start: int | None) -> int | None:
    """The host uid a rootless container's uid maps to (None when /etc/subuid does not say)."""
    if container_uid == 0:
        return engine_uid
    return None if subuid_start is None else subuid_start + container_uid - 1


def chown_command(folders: list[str], uid: int, gid: int, kind: EngineKind, image: str | None = None) -> str:
    """The command that makes `folders` writable by uid:gid IN THE CONTAINER: sudo chown on a rootful engine; inside the
    user namespace on a rootless one (a plain chown to 1000 would give them to a host user the container is not).

    The rootless Docker form runs the image as uid 0 (`-u 0`): the Authentik image declares `USER 1000`
    (real-boot-2026.2.2/README.md, Layout), whose chown of a folder it does not own fails with "Operation not permitted",
    while container root is the engine's user on the host, who owns the folder (found by a QA run of issue 9)."""
    quoted = " ".join(shlex.quote(f) for f in folders)
    if not kind.rootless:
        return f"sudo chown -R {uid}:{gid} {quoted}"
    if kind.flavour == "podman":
        return f"podman unshare chown -R {uid}:{gid} {quoted}"
    image = image or "ghcr.io/goauthentik/server"
    return " && ".join(f"docker run --rm -u 0 -v {shlex.quote(f)}:/d --entrypoint chown {shlex.quote(image)} -R {uid}:{gid} /d"
                       for f in folders)


@dataclass(frozen=True)
class UserMapping:
    """How container uids map to host uids: the engine kind, and for a rootless one the first subordinate uid of the
    engine's user and that user's own uid (None when unknown)."""

    kind: EngineKind = EngineKind()
    subuid_start: int | None = None
    engine_uid: int | None = None

    def host_uid(self, container_uid: int) -> int | None:
        """The host uid that must own a folder for `container_uid` to own it in the container (None: unknown)."""
        if not self.kind.rootless:
            return container_uid
        if container_uid == 0:
            return self.engine_uid
        return host_uid(container_uid, -1, self.subuid_start)
