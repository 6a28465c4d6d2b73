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
