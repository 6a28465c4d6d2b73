"""compose.valid: compose's refusal read from its stderr, and the fix each kind of refusal gets."""

from __future__ import annotations

import pytest

from authentik_lab.core.checks import FAIL, OK
from authentik_lab.core.compose_refusal import Refusal, read_refusal
from authentik_lab.core.doctor.compose_valid import check_compose_valid, config_command
from authentik_lab.core.dotenv import parse_with_lines

ENV = "/p/.env"
FILES = ("/p/docker-compose.yml", "/p/docker-compose.override.yml")
CMD = config_command(FILES)


def test_the_reason_is_composes_first_error_line_without_its_log_records() -> None:
    # as compose 2.40 prints it: warning records first, each on its line, then the error
    stderr = ('time="2026-11-30T02:16:52Z" level=warning msg="The \\"UNDEF_X\\" variable is not set. Defaulting to a blank string."\n'
              'time="2026-11-30T02:16:52Z" level=warning msg="The \\"UNDEF_X\\" variable is not set. Defaulting to a blank string."\n'
              "error while interpolating services.server.environment.A: required variable PG_PASS is missing a value: database password required\n")
    got = read_refusal(stderr, 1)
    assert got == Refusal("error while interpolating services.server.environment.A: required variable PG_PASS is missing a value: "
                          "database password required", ('The "UNDEF_X" variable is not set. Defaulting to a blank string.',))
    assert (got.missing_variable, got.unset_variables) == ("PG_PASS", ("UNDEF_X",))
    # a record glued to the error with no line break between them is still taken out
    glued = 'time="2026-11-30T02:16:57Z" level=warning msg="The \\"W\\" variable is not set. Defaulting to a blank string."validating /p/c.yml: x'
    assert read_refusal(glued, 1) == Refusal("validating /p/c.yml: x", ('The "W" variable is not set. Defaulting to a blank string.',))
    # an error logged as a record is the reason; a first line that ends in ":" is completed by the next
    assert read_refusal('time="t" level=fatal msg="no such service: x"\n', 1).reason == "no such service: x"
    assert read_refusal("decoding failed due to the following error(s):\n\n'services[s].mem_limit' invalid size: '<hidden>'\n", 1).reason == (
        "decoding failed due to the following error(s): 'services[s].mem_limit' invalid size: '<hidden>'")
    assert read_refusal("", 15).reason == "it exited with code 15 and gave no reason"


def test_accepted_files_pass_and_name_the_command() -> None:
    assert CMD == "docker compose -f /p/docker-compose.yml -f /p/docker-compose.override.yml config --quiet"
    assert config_command(("/my dir/c.yml",), ("full",), "/my dir/.env") == (
        "docker compose -f '/my dir/c.yml' --env-file '/my dir/.env' --profile full config --quiet")
    o = check_compose_valid(None, FILES, CMD, ENV, {}, {})
    assert (o.status, o.summary, o.evidence) == (OK, "compose accepts docker-compose.yml + docker-compose.override.yml", (f"checked with: {CMD}",))


@pytest.mark.parametrize(("reason", "fix"), [
    ("validating /p/docker-compose.yml: services.server additional properties 'enviroment_typo' not allowed",
     "remove or correct 'enviroment_typo' under services.server: it is not a Compose key (a misspelling of one?); "
     "the Compose specification lists the keys a service takes"),
    ('service "server" refers to undefined volume data: invalid compose project',
     "declare the volume at the top level (`volumes:` with `  data: {}` below it), or write a path (`./data:...`) if a folder "
     "of this machine was meant"),
    ("failed to read /p/.env: line 3: unterminated quoted value <hidden>",
     "close the quote on that line of /p/.env (or remove the opening one): compose reads a quoted value up to its closing quote"),
    ("failed to read /p/.env: Invalid template: <hidden>",
     "a `$` in a value of /p/.env starts a variable that is never closed: write `$$` for a literal `$`, or put the value in single quotes"),
    ("failed to read /p/other.env: line 2: key cannot contain a space", "correct /p/other.env where compose says"),
    ("something new", "correct the configuration where compose says; the `checked with` command repeats compose's full message"),
])
def test_each_kind_of_refusal_fails_with_its_fix(reason: str, fix: str) -> None:
    o = check_compose_valid(Refusal(reason), FILES, CMD, ENV, {}, {})
    assert (o.status, o.summary, o.messages[0].fix, o.evidence) == (
        FAIL, f"compose refuses the configuration: {reason}", fix, (f"checked with: {CMD}",))


MISSING = "error while interpolating services.postgresql.environment.POSTGRES_PASSWORD: required variable {} is missing a value: x"


@pytest.mark.parametrize(("name", "env", "shell", "warnings", "fix"), [
    # what env.required reports already: pointed to, not told twice
    ("PG_PASS", "A=1\n", {}, (), "PG_PASS is missing in /p/.env: the cause env.required reports, whose fix applies here too"),
    ("PG_PASS", "PG_PASS=\n", {}, (), "PG_PASS is empty in /p/.env: the cause env.required reports, whose fix applies here too"),
    # set, but to a variable that is not: compose's warning says which
    ("PG_PASS", "PG_PASS=${UNDEF_X}\n", {}, ('The "UNDEF_X" variable is not set. Defaulting to a blank string.',),
     "PG_PASS on line 1 of /p/.env refers to UNDEF_X, which is not set, so compose reads it as empty: give PG_PASS a value of its "
     "own, or set UNDEF_X"),
    ("OTHER", "A=1\n", {}, (), "add OTHER to /p/.env (or set it in the shell that runs compose)"),
    ("OTHER", "A=1\nOTHER=\n", {}, (), "give OTHER a value on line 2 of /p/.env"),
    ("PG_PASS", None, {}, (), "/p/.env is missing or not a regular file: the cause env.required reports, whose fix applies here too"),
])
def test_a_missing_required_variable_gets_the_fix_that_fits(name: str, env: str | None, shell: dict, warnings: tuple, fix: str) -> None:
    lines = parse_with_lines(env) if env is not None else None
    o = check_compose_valid(Refusal(MISSING.format(name), warnings), FILES, CMD, ENV, lines, shell)
    assert (o.status, o.messages[0].fix) == (FAIL, fix)
    assert o.evidence == (*(f"compose warns: {w}" for w in warnings), f"checked with: {CMD}")


def test_a_compose_without_config_json_is_no_refusal() -> None:
    from authentik_lab.core.compose_refusal import cannot_print_json

    assert cannot_print_json("Usage: config [options]\n\nno such option: --format\n")  # docker-compose 1.29
    assert cannot_print_json("unknown flag: --format\n")
    assert not cannot_print_json("validating /p/c.yml: services.s additional properties 'format' not allowed")
