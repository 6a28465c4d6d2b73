"""core.doctor.env: the lab .env's required values, key length, bootstrap values and file mode."""

from __future__ import annotations

import pytest

from authentik_lab.core.doctor import env as de
from authentik_lab.core.checks import FAIL, OK, WARN, Skip
from authentik_lab.core.dotenv import parse_with_lines

GOOD = "PG_PASS=pw\nAUTHENTIK_SECRET_KEY=" + "k" * 60 + "\nAUTHENTIK_BOOTSTRAP_TOKEN=t\nAUTHENTIK_BOOTSTRAP_PASSWORD=p\n"


def test_a_complete_env_passes() -> None:
    lines = parse_with_lines(GOOD)
    assert de.check_required(".env", lines).status == OK
    assert de.check_secret_key_length(".env", lines).summary == "AUTHENTIK_SECRET_KEY has 60 characters"
    assert de.check_bootstrap(".env", lines, token_needed=True).status == OK


def test_missing_and_empty_required_values_fail_and_name_the_line() -> None:
    o = de.check_required(".env", parse_with_lines("# c\nPG_PASS=\n"))
    assert o.status == FAIL
    assert o.evidence == (".env:2: PG_PASS", ".env: AUTHENTIK_SECRET_KEY (absent)")
    assert [m.text for m in o.messages] == [
        "PG_PASS is empty in .env: compose refuses to start",
        "AUTHENTIK_SECRET_KEY is missing in .env: compose refuses to start",
    ]


def test_a_short_key_warns_and_values_are_never_shown() -> None:
    o = de.check_secret_key_length(".env", parse_with_lines("AUTHENTIK_SECRET_KEY=s3cr3t\n"))
    assert o.status == WARN
    assert "s3cr3t" not in repr(o)
    with pytest.raises(Skip):
        de.check_secret_key_length(".env", parse_with_lines("PG_PASS=x\n"))


def test_bootstrap_values_matter_only_when_authlab_needs_the_token() -> None:
    lines = parse_with_lines("PG_PASS=x\n")
    assert de.check_bootstrap(".env", lines, token_needed=True).status == FAIL
    assert de.check_bootstrap(".env", lines, token_needed=False).status == OK
    # nothing talks to the API (e.g. `doctor --compose official.yml` with nothing running): not a failure
    with pytest.raises(Skip) as idle:
        de.check_bootstrap(".env", lines, token_needed=True, idle="not running: no container of project auth")
    assert idle.value.reason == ("AUTHENTIK_BOOTSTRAP_TOKEN, AUTHENTIK_BOOTSTRAP_PASSWORD not set in .env; not needed now, as no check "
                                 "talks to the API (not running: no container of project auth); once it runs, pass --token to check the API")


def test_file_mode() -> None:
    assert de.check_file_mode(".env", 0o100600).status == OK
    assert de.check_file_mode(".env", 0o100640).status == OK
    o = de.check_file_mode(".env", 0o100644)
    assert o.status == WARN and o.fixable is not None and o.fixable.params == {"file": ".env", "mode": 0o600}


# --- --compose with no .env beside the file (QA M3) --------------------------------------------------------------

REFS = {"PG_PASS": "${PG_PASS:?database password required}", "AUTHENTIK_SECRET_KEY": "${AUTHENTIK_SECRET_KEY:?secret key required}"}


def test_no_env_fails_naming_what_the_compose_file_needs_and_the_command_that_makes_it() -> None:
    o = de.check_required_no_file("/my auth/.env", "does not exist", True, REFS, {}, "/my auth/docker-compose.yml")
    text = ("/my auth/.env does not exist, and /my auth/docker-compose.yml needs PG_PASS (${PG_PASS:?database password required}) "
            "and AUTHENTIK_SECRET_KEY (${AUTHENTIK_SECRET_KEY:?secret key required}) from it: compose refuses to start")
    assert (o.status, o.summary, o.evidence) == (FAIL, text, ("/my auth/.env: does not exist",))
    assert o.messages[0].fix == (
        "create it: (umask 077 && echo \"PG_PASS=$(openssl rand -base64 36 | tr -d '\\n')\" >> '/my auth/.env' && "
        "echo \"AUTHENTIK_SECRET_KEY=$(openssl rand -base64 60 | tr -d '\\n')\" >> '/my auth/.env')  "
        "(or `authlab doctor --compose '/my auth/docker-compose.yml' --fix`)")
    assert o.fixable is not None and (o.fixable.kind, dict(o.fixable.params)) == (
        "env-create", {"file": "/my auth/.env", "keys": ["PG_PASS", "AUTHENTIK_SECRET_KEY"], "like": "/my auth/docker-compose.yml"})


def test_no_env_is_fine_when_the_shell_gives_the_values_and_no_service_reads_the_file() -> None:
    shell = {"PG_PASS": "p", "AUTHENTIK_SECRET_KEY": "k"}
    assert de.check_required_no_file(".env", "does not exist", True, REFS, shell, "c.yml").summary == (
        ".env does not exist; PG_PASS, AUTHENTIK_SECRET_KEY set in the shell")
    assert de.check_required_no_file(".env", "does not exist", True, {}, {}, "c.yml").summary == (
        ".env does not exist, and c.yml takes no required value from it")


def test_a_required_env_file_needs_the_file_even_when_the_shell_has_the_values() -> None:
    use = de.EnvFileUse(("postgresql", "server"), True, (), ())
    o = de.check_required_no_file(".env", "does not exist", True, REFS, {"PG_PASS": "p", "AUTHENTIK_SECRET_KEY": "k"}, "c.yml", use)
    assert (o.status, o.summary) == (FAIL, ".env does not exist, and c.yml reads it (`env_file` of postgresql, server): compose refuses to start")
    assert o.messages[0].fix == "create it: (umask 077 && touch .env)  (or `authlab doctor --compose c.yml --fix`)"
    assert o.fixable is not None and o.fixable.changes == (".env: an empty file",) and o.fixable.params["keys"] == []


def test_a_folder_in_the_way_is_not_fixable() -> None:
    o = de.check_required_no_file(".env", "is a directory (compose skips it)", False, REFS, {}, "c.yml")
    assert o.status == FAIL and o.fixable is None
    assert o.messages[0].fix.startswith("remove or rename what is there (`--fix` never writes over or through it), then create "
                                        "the file: (umask 077 && ")
    assert o.messages[0].fix.endswith("(or, once it is gone, `authlab doctor --compose c.yml --fix`)")


def test_env_file_use_finds_the_entries_naming_this_env_and_the_keys_only_it_gives() -> None:
    doc = {"services": {
        "postgresql": {"image": "postgres:16", "env_file": [".env"]},
        "server": {"image": "ghcr.io/goauthentik/server:2024.2.1", "command": "server", "env_file": "./.env",
                   "environment": {"AUTHENTIK_POSTGRESQL__PASSWORD": "${PG_PASS}"}},
        "worker": {"image": "ghcr.io/goauthentik/server:2024.2.1", "command": "worker",
                   "env_file": [{"path": "${DIR:-.}/.env", "required": False}, "other.env"],
                   "environment": ["AUTHENTIK_SECRET_KEY=x", "PG_PASS"]},
        "nginx": {"image": "nginx", "env_file": "../elsewhere/.env"}}}
    assert de.env_file_use(doc, {}, "/srv/auth", "/srv/auth/.env") == de.EnvFileUse(
        ("postgresql", "server", "worker"), True, ("AUTHENTIK_SECRET_KEY",), ("server",))
    # only optional entries: compose starts without the file
    doc["services"] = {"worker": doc["services"]["worker"]}
    assert de.env_file_use(doc, {}, "/srv/auth", "/srv/auth/.env") == de.EnvFileUse(("worker",), False, (), ())


def test_file_mode_fix_quotes_the_path() -> None:
    o = de.check_file_mode("/my auth/$x/.env", 0o100644)
    assert o.messages[0].fix == "chmod 600 '/my auth/$x/.env'"
