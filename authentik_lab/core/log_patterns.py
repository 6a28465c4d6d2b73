"""Known ways an Authentik lab fails to start, recognised in log lines or compose's stderr.

Pure: text in, diagnoses out. `up` uses it on the last log lines of a failing container and on the
stderr of a failed `docker compose` call, so the user sees one cause and one fix instead of a wall of logs.
The wording of each regex follows the real message (coreutils, CPython, PostgreSQL, Docker, Compose).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable


# A crash loop repeats the same lines; a few distinct ones are enough evidence.
MAX_EVIDENCE = 5


@dataclass(frozen=True)
class LogPattern:
    id: str
    regex: re.Pattern[str]
    diagnosis: str  # may use the regex's named groups, e.g. {path}
    fix: str


@dataclass(frozen=True)
class Diagnosis:
    id: str
    diagnosis: str
    fix: str
    lines: tuple[str, ...]  # the log lines that matched: the evidence shown to the user


def _p(id: str, pattern: str, diagnosis: str, fix: str) -> LogPattern:
    return LogPattern(id, re.compile(pattern, re.IGNORECASE), diagnosis, fix)


# Order matters: the first pattern that matches anything is the headline diagnosis.
PATTERNS: tuple[LogPattern, ...] = (
    _p(
        "socket-group-denied",
        # The real `ak worker` as root with /var/run/docker.sock mounted first creates a group with the socket's gid
        # and adds authentik to it, before any chown (real-boot-2026.2.2/README.md). shadow-utils then prints e.g.
        # "groupadd: failure while writing changes to /etc/gshadow" (no CAP_CHOWN for the new file's group),
        # "usermod: failure while writing changes to /etc/group", "groupadd: cannot lock /etc/group; try again later."
        r"(?P<tool>groupadd|usermod): (?:failure while writing changes to|cannot lock|cannot open|unable to lock) "
        r"(?P<file>/etc/\w+)",
        "the worker runs as root (`user: root`) with the docker socket mounted, so it first adds itself to the "
        "socket's group ({tool}), but root in the container cannot write {file} (rootless Docker, Podman or "
        "dropped capabilities); the chown of /data and /certs that would follow fails for the same reason",
        "remove `user: root` and the /var/run/docker.sock mount from the worker: `authlab compose patch FILE` "
        "does both (a lab made by `authlab init` sets neither)",
    ),
    _p(
        "chown-denied",
        # coreutils: "chown: changing ownership of '/media': Operation not permitted" (no CAP_CHOWN over
        # the files: rootless engine, Podman, dropped capabilities) or "... Permission denied" (NFS root_squash).
        # The real `ak worker` chowns /data (/media before 2025.12), /certs and its Prometheus directory
        # (/dev/shm//authentik_prometheus_tmp) in that order: the first line names the mount that matters.
        r"chown: changing ownership of (?P<path>.+?): (?:Permission denied|Operation not permitted)",
        "the worker runs as root (`user: root`) to chown {path}, but root in the container cannot change "
        "ownership on this filesystem (rootless Docker, Podman, NFS or dropped capabilities)",
        "remove `user: root` from the worker: `authlab compose patch FILE` does it (a lab made by "
        "`authlab init` never sets it and uses named volumes that uid 1000 owns)",
    ),
    _p(
        "storage-not-writable",
        # CPython: "PermissionError: [Errno 13] Permission denied: '/media/public'"
        r"PermissionError: \[Errno 13\] Permission denied: '?(?P<path>/(?:data|media|certs|templates)[^'\s]*)",
        "Authentik (uid 1000) cannot write {path}: the host folder mounted there is not owned by uid 1000",
        "run `sudo chown -R 1000:1000` on the host folder mounted there, or use named volumes as "
        "`authlab init` does",
    ),
    _p(
        "pg-password",
        # PostgreSQL: 'FATAL:  password authentication failed for user "authentik"'
        # (in a JSON log record the quotes arrive escaped: for user \"authentik\")
        r"password authentication failed for user \\?\"?(?P<user>[^\"\\\s]+)",
        "PostgreSQL rejects the password of user {user}: PG_PASS changed after the database volume was "
        "created (the password is set only when the volume is first initialised)",
        "put the old PG_PASS back into .env, or delete the database with `authlab down --volumes` "
        "(this deletes all lab data) and run `authlab up` again",
    ),
    _p(
        "port-in-use",
        # Docker: "Bind for 127.0.0.1:9000 failed: port is already allocated" and
        # "listen tcp4 127.0.0.1:9000: bind: address already in use"
        r"(?:Bind for (?P<addr>\S+?):? failed: port is already allocated"
        r"|(?:listen tcp[46]? (?P<addr2>\S+?):? )?bind: address already in use"
        r"|port is already allocated)",
        "another process already uses the port Authentik should publish{at}",
        "stop that process (`ss -ltnp` shows it), or give the lab another port: `authlab init --port N`",
    ),
    _p(
        "unknown-user",
        # Docker: "unable to find user root: no matching entries in passwd file"
        r"unable to find user (?P<user>[^:\s]+)",
        "the image has no user {user}, which the compose file asks for with `user: {user}`",
        "remove the `user:` line from that service (`authlab compose patch FILE` drops `user: root`), "
        "or check AUTHENTIK_IMAGE / AUTHENTIK_TAG point at the real Authentik image",
    ),
    _p(
        "missing-env",
        # Compose v2: "required variable PG_PASS is missing a value: database password required"
        # Compose v1: 'Missing mandatory value for "environment" option ... : database password required'
        r"(?:required variable (?P<var>\w+) is missing a value"
        r"|Missing mandatory value for .*?(?:database password|secret key) required"
        r"|database password required|secret key required)",
        "the .env next to the compose file lacks a required value{var_text}",
        "run `authlab init` (it fills the missing secrets and never changes existing ones), or add the "
        "value to .env by hand",
    ),
)


def _fill(template: str, groups: dict[str, str | None]) -> str:
    addr = groups.get("addr") or groups.get("addr2")
    values = {k: (v or "?") for k, v in groups.items()}
    values["at"] = f" ({addr})" if addr else ""
    values["var_text"] = f" ({groups['var']})" if groups.get("var") else ""
    return template.format(**values)


def diagnose_all(lines: Iterable[str], patterns: Iterable[LogPattern] = PATTERNS) -> list[Diagnosis]:
    """Every known pattern that matches, in priority order, each with all its matching lines."""
    lines = [line.rstrip("\r\n") for line in lines]
    found: list[Diagnosis] = []
    for pattern in patterns:
        hits: list[str] = []
        first: re.Match[str] | None = None
        for line in lines:
            m = pattern.regex.search(line)
            if m:
                first = first or m
                if line.strip() not in hits and len(hits) < MAX_EVIDENCE:
                    hits.append(line.strip())
        if first is not None:
            groups = {k: (v.strip("'\"") if v else v) for k, v in first.groupdict().items()}
            found.append(Diagnosis(pattern.id, _fill(pattern.diagnosis, groups), _fill(pattern.fix, groups), tuple(hits)))
    return found


def diagnose(text: str | Iterable[str]) -> Diagnosis | None:
    """The headline diagnosis for a log excerpt or a stderr blob, or None when nothing known matches."""
    lines = text.splitlines() if isinstance(text, str) else text
    found = diagnose_all(lines)
    return found[0] if found else None
