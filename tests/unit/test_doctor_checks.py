"""core.checks: running a check (skip, crash), selecting by id or group, the tally."""

from __future__ import annotations

from authentik_lab.core.checks import (
    ERROR,
    FAIL,
    OK,
    SKIP,
    WARN,
    Check,
    CheckResult,
    Message,
    Skip,
    Tally,
    from_messages,
    ok,
    run_check,
    select,
)


def _check(id: str, run, needs: tuple[str, ...] = ()) -> Check:
    return Check(id, f"title of {id}", id.split(".")[0], needs, run)


def test_a_passing_check_is_named_with_its_id_and_title() -> None:
    result = run_check(_check("a.one", lambda ctx: ok("fine", ["e1"])), None)
    assert result == CheckResult("a.one", "title of a.one", OK, "fine", ("e1",))


def test_a_crashing_check_becomes_an_error_result_with_the_exception_text() -> None:
    def boom(ctx: object) -> None:
        raise KeyError("pk")

    result = run_check(_check("a.boom", boom), None)
    assert result.status == ERROR
    assert result.summary == "the check crashed: KeyError: 'pk'"
    assert result.messages == (Message("fail", "KeyError: 'pk'", None),)


def test_a_missing_input_or_a_skip_raised_inside_gives_skip_with_the_reason() -> None:
    def never(ctx: object) -> None:
        raise AssertionError("must not run")

    missing = run_check(_check("a.x", never, ("api",)), None, lambda need: f"no {need}")
    assert (missing.status, missing.summary) == (SKIP, "no api")

    def skipper(ctx: object) -> None:
        raise Skip("nothing to look at")

    assert run_check(_check("a.y", skipper), None).summary == "nothing to look at"


def test_select_by_id_by_group_and_reports_unknown_names() -> None:
    checks = [_check(i, lambda c: ok("")) for i in ("engine.reachable", "provider.scopes", "provider.discovery", "app.jwks-url")]
    chosen, unknown = select(checks, ["provider", "engine.reachable", "nope"])
    assert [c.id for c in chosen] == ["engine.reachable", "provider.scopes", "provider.discovery"]
    assert unknown == ["nope"]
    assert [c.id for c in select(checks, [])[0]] == [c.id for c in checks]


def test_the_worst_message_decides_and_the_summary_counts_the_rest() -> None:
    outcome = from_messages([Message("warn", "w1"), Message("fail", "f1"), Message("fail", "f2")], "all good")
    assert (outcome.status, outcome.summary) == (FAIL, "f1 (+2 more)")
    assert from_messages([Message("warn", "w1")], "all good").status == WARN
    assert from_messages([Message("info", "note")], "all good").summary == "all good"


def test_tally_text_and_exit_decision() -> None:
    def r(status: str) -> CheckResult:
        return CheckResult("x.y", "t", status, "s")

    tally = Tally.of([r(OK)] * 3 + [r(WARN)] + [r(FAIL)] + [r(SKIP)] * 4)
    assert tally.text() == "3 passed, 1 warning, 1 failed, 4 skipped"
    assert tally.ok is False
    assert Tally.of([r(OK), r(WARN), r(WARN)]).ok is True
    assert Tally.of([r(OK), r(WARN), r(WARN)]).text() == "1 passed, 2 warnings"
    assert Tally.of([r(ERROR)]).ok is False
