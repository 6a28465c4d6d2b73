"""core.email_claims: which email claim a provider gives, and when an app that needs verified emails is stuck."""

from __future__ import annotations

import pytest

from authentik_lab.core.checks import FAIL, OK, Skip
from authentik_lab.core.email_claims import DEFAULT_EMAIL_KEY, MAPPING_NAME, UnverifiedEmailApp, check_unverified_email, email_mode

MAPPINGS = {"d": {"managed": DEFAULT_EMAIL_KEY, "scope_name": "email"}, "v": {"managed": None, "name": MAPPING_NAME, "scope_name": "email"},
            "o": {"managed": None, "name": "mine", "scope_name": "email"}, "p": {"managed": "x", "scope_name": "profile"}}
FLAG = "OAUTH2_PROXY_INSECURE_OIDC_ALLOW_UNVERIFIED_EMAIL"


@pytest.mark.parametrize(("attached", "mode"), [(["d", "p"], "default"), (["v", "p"], "verified"), (["o"], "other"), (["p"], "none"), ([], "none")])
def test_email_mode(attached: list[str], mode: str) -> None:
    assert email_mode({"property_mappings": attached}, MAPPINGS) == mode


def _app(flag: str | None = None, mode: str = "default") -> UnverifiedEmailApp:
    return UnverifiedEmailApp(".env", FLAG, flag, "proxy", mode)


def test_the_2025_10_default_without_the_flag_fails_and_either_way_out_passes() -> None:
    o = check_unverified_email([_app()], "2025.10.1", False)
    assert o.status == FAIL
    assert o.evidence == (f".env: {FLAG}=(unset); provider proxy email mapping: default",)
    assert check_unverified_email([_app("true")], "2025.10.1", False).status == OK
    assert check_unverified_email([_app("TRUE ")], "2025.10.1", False).status == OK
    assert check_unverified_email([_app(mode="verified")], "2025.10.1", False).status == OK
    assert check_unverified_email([_app("false")], "2025.10.1", False).status == FAIL


def test_before_2025_10_the_default_mapping_says_true() -> None:
    assert check_unverified_email([_app()], "2025.8.4", True).status == OK
    # a provider without any email mapping never asserts it, whatever the release
    assert check_unverified_email([_app(mode="none")], "2025.8.4", True).status == FAIL


def test_nothing_to_judge_is_a_skip() -> None:
    with pytest.raises(Skip):
        check_unverified_email([], "2025.10.1", False)
    with pytest.raises(Skip):
        check_unverified_email([_app()], None, None)
