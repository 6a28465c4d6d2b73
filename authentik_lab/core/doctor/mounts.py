"""compose.bind-mount-owner: can each Authentik service write its bind-mounted storage folder, as the user it really
runs as, on the engine it really runs on?

The user is the service's effective `user:` (numeric, `uid:gid`, or a name); only when none is set is it the
image's own `authentik` user, uid 1000 (FACTS.md §4: the image drops to `authentik`; the compose comment asks
for "1000:1000 by default"). A root service chowns its folders itself, so it is judged as it will run once
`user: root` is dropped. On a rootless engine the container's uid maps to a subordinate uid on the host
(core.rootless), which changes both the verdict and the fix.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any, Mapping

from authentik_lab.core.checks import FAIL, WARN, Message, Outcome, from_messages, ok
from authentik_lab.core.compose_patch import is_root_user
from authentik_lab.core.doctor.compose import (
    AUTHENTIK_UID, PathFacts, _require_services, host_path, interpolate, storage_mounts,
)
from authentik_lab.core.rootless import UserMapping, chown_command

IMAGE_USER = "authentik"  # the user Authentik's image switches to; uid and gid 1000


@dataclass(frozen=True)
class RunAs:
    """Who a service's processes are: uid/gid (None: unknown), how that was decided, and root or not."""

    uid: int | None
    gid: int | None
    written: str | None  # the `user:` value, None when the image default applies
    root: bool = False

    @property
    def who(self) -> str:
        if self.written is None:
            return f"uid {AUTHENTIK_UID}"
        return f"uid {self.uid}" + (f" (user: {self.written})" if self.written != str(self.uid) else "")


def effective_user(spec: Mapping[str, Any], env: Mapping[str, str] | None = None) -> RunAs:
    raw = spec.get("user")
    if raw is None or str(raw).strip() == "":
        return RunAs(AUTHENTIK_UID, AUTHENTIK_UID, None)
    written = interpolate(str(raw), env or {}).strip().strip("'\"")
    if is_root_user(written):
        group = written.partition(":")[2].strip()
        return RunAs(0, int(group) if group.isdigit() else 0, written, root=True)
    name, _, group = written.partition(":")

    def number(part: str) -> int | None:
        if part.isdigit():
            return int(part)
        return AUTHENTIK_UID if part == IMAGE_USER else None

    uid = number(name)
    # a uid alone takes its group from the image's /etc/passwd: known for the image's own user only
    gid = number(group) if group else (AUTHENTIK_UID if uid == AUTHENTIK_UID else None)
    return RunAs(uid, gid, written)


def writable(facts: PathFacts, uid: int | None, gid: int | None) -> bool:
    if uid is not None and facts.uid == uid:
        return bool(facts.mode & 0o200)
    if gid is not None and facts.gid == gid:
        return bool(facts.mode & 0o020)
    return bool(facts.mode & 0o002)


def check_bind_mount_owner(doc: Mapping[str, Any], file: str, env: Mapping[str, str], compose_dir: str,
                           stats: Mapping[str, PathFacts], mapping: UserMapping = UserMapping()) -> Outcome:
    """`stats`: host path -> owner/mode; `mapping`: the engine and, when rootless, how its uids map to the host's."""
    kind = mapping.kind
    services = _require_services(doc)
    binds = storage_mounts(doc, env)
    if not binds:
        return ok("no bind-mounted storage folders (named volumes get the image's ownership)")
    by_service = {s.name: s for s in services}
    # While the worker is root it chowns the shared folders itself at every start; judge the file as it should run,
    # without root (compose.worker-root asks to drop it): a problem is then a warning about the patched file.
    worker_root = any(s.role == "worker" and effective_user(s.spec, env).root for s in services)
    level = WARN if worker_root else FAIL
    later = f" once `user: root` is removed (the worker then runs as uid {AUTHENTIK_UID})" if worker_root else ""
    messages: list[Message] = []
    evidence: list[str] = []
    seen: set[tuple[str, int | None, int | None]] = set()
    for m in binds:
        svc = by_service[m.service]
        user = effective_user(svc.spec, env)
        if user.root:
            user = RunAs(AUTHENTIK_UID, AUTHENTIK_UID, None)  # how it runs after the patch
        path = host_path(m.source, compose_dir)
        if (path, user.uid, user.gid) in seen:  # server and worker usually share the folder
            continue
        seen.add((path, user.uid, user.gid))
        image = interpolate(str(svc.spec.get("image") or ""), env) or None
        if user.uid is None:
            messages.append(Message(WARN, f"{m.service} runs as `user: {user.written}`, a name whose uid only the image knows: "
                                          f"authlab cannot tell whether it can write {path}",
                                    f"give services.{m.service}.user as uid:gid (e.g. {AUTHENTIK_UID}:{AUTHENTIK_UID}) so the folder's owner can match"))
            continue
        uid, gid = user.uid, user.gid if user.gid is not None else user.uid
        facts = stats.get(path) or PathFacts(False)
        fix = chown_command([path], uid, gid, kind, image)
        if kind.rootless:
            mapped = mapping.host_uid(uid)
            where = f"host uid {mapped}" if mapped is not None else "a subordinate uid on the host (/etc/subuid)"
            rootless_note = f" on this {kind.label} engine, where uid {uid} in the container is {where}"
            ok_now = facts.exists and (writable(facts, mapped, None) if mapped is not None else bool(facts.mode & 0o002))
        else:
            rootless_note = ""
            ok_now = facts.exists and writable(facts, user.uid, user.gid)
        if not facts.exists:
            creator = "the engine creates it owned by root in the container" if kind.rootless else "Docker creates it owned by root"
            messages.append(Message(level, f"{path} does not exist: {creator}, and {user.who} cannot write it"
                                           f"{rootless_note}{later}", f"mkdir -p {shlex.quote(path)} && {fix}"))
        elif not ok_now:
            evidence.append(f"{path}: owner {facts.uid}:{facts.gid} mode {facts.mode & 0o777:o}")
            messages.append(Message(level, f"{path} ({m.service}:{m.target}) is not writable by {user.who}{rootless_note}{later}", fix))
    users = sorted({effective_user(by_service[m.service].spec, env).who for m in binds if not effective_user(by_service[m.service].spec, env).root}
                   or {f"uid {AUTHENTIK_UID}"})
    good = f"storage folders are writable by {', '.join(users)}" + (" (ready for a worker without root)" if worker_root else "")
    return from_messages(messages, good, evidence)
