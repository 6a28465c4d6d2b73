"""Each known failure, recognised from the real wording of the tool that prints it."""

from __future__ import annotations

import pytest

from authentik_lab.core.log_patterns import MAX_EVIDENCE, PATTERNS, diagnose, diagnose_all

# (pattern id, a real line as the tool prints it)
REAL_LINES = [
    # shadow-utils as the real `ak worker` runs them as root with the docker socket mounted, under a rootless-like
    # engine (real-boot-2026.2.2/README.md)
    ("socket-group-denied", "groupadd: failure while writing changes to /etc/gshadow"),
    ("socket-group-denied", "usermod: failure while writing changes to /etc/group"),
    ("socket-group-denied", "groupadd: cannot lock /etc/group; try again later."),
    # the real `ak worker`'s chown of the Prometheus directory (TMPDIR=/dev/shm/)
    ("chown-denied", "chown: changing ownership of '/dev/shm//authentik_prometheus_tmp': Operation not permitted"),
    # coreutils chown without CAP_CHOWN over the files (rootless engine, dropped capabilities)
    ("chown-denied", "chown: changing ownership of '/media': Operation not permitted"),
    # coreutils chown on NFS with root_squash
    ("chown-denied", "chown: changing ownership of '/data/media/public': Permission denied"),
    # CPython, Authentik running as uid 1000 on a root-owned host folder (issue #11041)
    ("storage-not-writable", "PermissionError: [Errno 13] Permission denied: '/media/public'"),
    # PostgreSQL, seen through psycopg in Authentik's log and in the postgres container's own log
    ("pg-password", 'psycopg.OperationalError: connection failed: FATAL:  password authentication failed for user "authentik"'),
    ("pg-password", '2026-11-28 18:00:01.123 UTC [42] FATAL:  password authentication failed for user "authentik"'),
    # the same inside a JSON log record, where the quotes arrive escaped
    ("pg-password", '{"event": "PostgreSQL connection failed, retrying...", "error": "connection to server at \\"postgresql\\" (172.18.0.2), port 5432 failed: FATAL:  password authentication failed for user \\"authentik\\"\\n"}'),
    # Docker, another container holds the port
    ("port-in-use", "Error response from daemon: driver failed programming external connectivity on endpoint lab-server-1 (ab12): Bind for 127.0.0.1:9000 failed: port is already allocated"),
    # Docker, a host process holds the port
    ("port-in-use", "Error response from daemon: Ports are not available: exposing port TCP 127.0.0.1:9000 -> 0.0.0.0:0: listen tcp4 127.0.0.1:9000: bind: address already in use"),
    # Docker, an image without that user in /etc/passwd
    ("unknown-user", "Error response from daemon: unable to find user root: no matching entries in passwd file"),
    # Compose v2 interpolation of the official file without .env
    ("missing-env", "error while interpolating services.postgresql.environment.POSTGRES_PASSWORD: required variable PG_PASS is missing a value: database password required"),
    ("missing-env", "error while interpolating services.server.environment.AUTHENTIK_SECRET_KEY: required variable AUTHENTIK_SECRET_KEY is missing a value: secret key required"),
    # Compose v1 wording of the same
    ("missing-env", 'ERROR: Missing mandatory value for "environment" option interpolating {\'POSTGRES_PASSWORD\': \'${PG_PASS:?database password required}\'} in service "postgresql": database password required'),
]


@pytest.mark.parametrize(("pattern_id", "line"), REAL_LINES)
def test_each_real_message_is_recognised(pattern_id: str, line: str) -> None:
    found = diagnose(["some unrelated line", line, "another line"])
    assert found is not None
    assert found.id == pattern_id
    assert found.lines == (line,)
    assert found.diagnosis and found.fix


def test_every_pattern_has_a_real_sample() -> None:
    assert {p.id for p in PATTERNS} == {pid for pid, _ in REAL_LINES}


def test_diagnosis_names_what_was_captured() -> None:
    chown = diagnose("chown: changing ownership of '/media': Operation not permitted")
    assert chown is not None
    assert "/media" in chown.diagnosis and "`user: root`" in chown.diagnosis
    assert "authlab compose patch" in chown.fix

    pg = diagnose('FATAL:  password authentication failed for user "authentik"')
    assert pg is not None
    assert pg.diagnosis.startswith("PostgreSQL rejects the password of user authentik: PG_PASS changed")
    escaped = diagnose('"error": "... failed for user \\"authentik\\"\\n"'.replace("...", "FATAL:  password authentication"))
    assert escaped is not None and escaped.diagnosis == pg.diagnosis
    assert "authlab down --volumes" in pg.fix

    port = diagnose("Bind for 127.0.0.1:9100 failed: port is already allocated")
    assert port is not None
    assert port.diagnosis == "another process already uses the port Authentik should publish (127.0.0.1:9100)"
    assert "authlab init --port N" in port.fix

    env = diagnose("required variable PG_PASS is missing a value: database password required")
    assert env is not None
    assert env.diagnosis == "the .env next to the compose file lacks a required value (PG_PASS)"
    assert "authlab init" in env.fix

    user = diagnose("unable to find user root: no matching entries in passwd file")
    assert user is not None
    assert "user: root" in user.diagnosis


def test_unrelated_logs_give_nothing() -> None:
    lines = [
        '{"event": "Starting authentik server", "level": "info"}',
        "PostgreSQL init process complete; ready for start up.",
        "chown: cannot access '/nope': No such file or directory",
        "Permission denied (publickey).",
    ]
    assert diagnose(lines) is None
    assert diagnose("") is None


def test_first_pattern_wins_and_all_are_listed() -> None:
    lines = [
        'FATAL:  password authentication failed for user "authentik"',
        "chown: changing ownership of '/certs': Operation not permitted",
    ]
    found = diagnose_all(lines)
    assert [d.id for d in found] == ["chown-denied", "pg-password"]
    assert diagnose(lines).id == "chown-denied"  # type: ignore[union-attr]


def test_a_crash_loop_gives_few_distinct_evidence_lines() -> None:
    line = "chown: changing ownership of '/data': Operation not permitted"
    many = [line] * 30 + [f"chown: changing ownership of '/data/f{i}': Operation not permitted" for i in range(10)]
    found = diagnose(many)
    assert found is not None
    assert found.lines[0] == line
    assert len(found.lines) == MAX_EVIDENCE
    assert len(set(found.lines)) == MAX_EVIDENCE


def test_windows_line_endings_are_stripped() -> None:
    found = diagnose("x\r\nunable to find user authentik: no matching entries in passwd file\r\n")
    assert found is not None
    assert found.lines == ("unable to find user authentik: no matching entries in passwd file",)


def test_the_real_ak_sequence_is_diagnosed_from_the_line_that_names_the_cause() -> None:
    """A crash-looping root worker under a rootless-like engine: groupadd fails first, amid noise, not last."""
    log = [
        '{"event": "Loaded config", "level": "debug", "logger": "authentik.lib.config"}',
        "Traceback (most recent call last):",
        'django.db.utils.ProgrammingError: relation "authentik_tenants_tenant" does not exist',
        "groupadd: failure while writing changes to /etc/gshadow",
        '{"event": "Loaded config", "level": "debug", "logger": "authentik.lib.config"}',
        'django.db.utils.ProgrammingError: relation "authentik_tenants_tenant" does not exist',
    ]
    found = diagnose(log)
    assert found is not None and found.id == "socket-group-denied"
    assert found.lines == ("groupadd: failure while writing changes to /etc/gshadow",)
    assert "groupadd" in found.diagnosis and "/etc/gshadow" in found.diagnosis
    assert "docker.sock" in found.fix and "compose patch" in found.fix
    # with the socket's group already present, the chown of /data comes first and names the mount
    log = [
        "chown: changing ownership of '/data': Operation not permitted",
        "chown: changing ownership of '/certs': Operation not permitted",
        "chown: changing ownership of '/dev/shm//authentik_prometheus_tmp': Operation not permitted",
    ]
    found = diagnose(log)
    assert found is not None and found.id == "chown-denied" and "to chown /data" in found.diagnosis
    # the failed early bootstrap of a first boot is normal and diagnoses nothing
    assert diagnose(['django.db.utils.ProgrammingError: relation "authentik_tenants_tenant" does not exist']) is None
