"""Doctor's data model: a check is an id, a title and a function; its result is plain data.

Checks never print and never raise on purpose: a pure function turns observed facts into an
`Outcome`; `run_check` names it and turns a crash into an `error` result, so one broken check can
never hide the others. Selection (`doctor ID...`), the tally and the exit decision live here too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

OK, WARN, FAIL, SKIP, ERROR = "ok", "warn", "fail", "skip", "error"
STATUSES = (OK, WARN, FAIL, SKIP, ERROR)
# a result is as bad as its worst part; used when one check folds several findings into one status
_SEVERITY = {SKIP: 0, OK: 1, WARN: 2, FAIL: 3, ERROR: 4}


@dataclass(frozen=True)
class Message:
    level: str  # "info" | "warn" | "fail"
    text: str
    fix: str | None = None


@dataclass(frozen=True)
class FixAction:
    """A safe automatic fix `--fix` can apply. `changes` is the preview shown before asking."""

    kind: str  # compose-patch | attach-scopes | set-signing-key | app-env-issuer | chmod
    target: str  # a file path or a provider name
    description: str
    changes: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "description": self.description, "changes": list(self.changes)}


@dataclass(frozen=True)
class Outcome:
    """What a check function returns; `run_check` adds the id and title."""

    status: str
    summary: str
    evidence: tuple[str, ...] = ()
    messages: tuple[Message, ...] = ()
    fixable: FixAction | None = None


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    status: str
    summary: str
    evidence: tuple[str, ...] = ()
    messages: tuple[Message, ...] = ()
    fixable: FixAction | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "summary": self.summary,
            "evidence": list(self.evidence),
            "messages": [{"level": m.level, "text": m.text, "fix": m.fix} for m in self.messages],
            "fixable": self.fixable.to_dict() if self.fixable else None,
        }


class Skip(Exception):
    """Raised by a check (or a fact it needs) when its input is absent: the result is `skip` with the reason."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    group: str
    needs: tuple[str, ...]
    run: Callable[[Any], Outcome]


# --- small constructors keep check functions short ------------------------------------------------


def ok(summary: str, evidence: Iterable[str] = ()) -> Outcome:
    return Outcome(OK, summary, tuple(evidence))


def skip(reason: str) -> Outcome:
    return Outcome(SKIP, reason)


def problem(
    status: str, summary: str, fix: str | None = None, evidence: Iterable[str] = (), fixable: FixAction | None = None,
    more: Iterable[Message] = (),
) -> Outcome:
    level = "fail" if status == FAIL else "warn"
    return Outcome(status, summary, tuple(evidence), (Message(level, summary, fix), *more), fixable)


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=_SEVERITY.__getitem__, default=OK)


def from_messages(
    messages: Sequence[Message], ok_summary: str, evidence: Iterable[str] = (), fixable: FixAction | None = None
) -> Outcome:
    """Fold several findings into one outcome: the worst level wins, the first finding of that level is the summary."""
    problems = [m for m in messages if m.level in ("warn", "fail")]
    if not problems:
        return Outcome(OK, ok_summary, tuple(evidence), tuple(messages))
    status = FAIL if any(m.level == "fail" for m in problems) else WARN
    head = next(m for m in problems if m.level == ("fail" if status == FAIL else "warn"))
    summary = head.text if len(problems) == 1 else f"{head.text} (+{len(problems) - 1} more)"
    return Outcome(status, summary, tuple(evidence), tuple(messages), fixable)


# --- running, selecting, counting -----------------------------------------------------------------


def run_check(check: Check, ctx: Any, missing: Callable[[str], str | None] = lambda need: None) -> CheckResult:
    """Run one check; absent inputs give `skip`, any exception gives `error` with its text."""

    def named(o: Outcome) -> CheckResult:
        return CheckResult(check.id, check.title, o.status, o.summary, o.evidence, o.messages, o.fixable)

    for need in check.needs:
        reason = missing(need)
        if reason:
            return named(skip(reason))
    try:
        outcome = check.run(ctx)
    except Skip as exc:
        return named(skip(exc.reason))
    except Exception as exc:  # noqa: BLE001 - a crashing check must not hide the others
        text = f"{type(exc).__name__}: {exc}"
        hint = getattr(exc, "hint", None)
        return named(Outcome(ERROR, f"the check crashed: {text}", (), (Message("fail", text, hint),)))
    return named(outcome)


def select(checks: Sequence[Check], wanted: Sequence[str]) -> tuple[list[Check], list[str]]:
    """Checks named by id or by group (`provider`, `provider.`); returns (selected in catalogue order, unknown names)."""
    if not wanted:
        return list(checks), []
    chosen: set[str] = set()
    unknown: list[str] = []
    for name in wanted:
        key = name.strip().rstrip(".")
        hits = [c.id for c in checks if c.id == key or c.group == key]
        if hits:
            chosen.update(hits)
        else:
            unknown.append(name)
    return [c for c in checks if c.id in chosen], unknown


@dataclass(frozen=True)
class Tally:
    passed: int = 0
    warnings: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, results: Iterable[CheckResult]) -> "Tally":
        counts = {s: 0 for s in STATUSES}
        for r in results:
            counts[r.status] += 1
        return cls(counts[OK], counts[WARN], counts[FAIL], counts[ERROR], counts[SKIP])

    @property
    def ok(self) -> bool:
        """Doctor exits non-zero only when something failed or crashed; warnings are advice."""
        return self.failed == 0 and self.errors == 0

    def text(self) -> str:
        parts = [f"{self.passed} passed"]
        if self.warnings:
            parts.append(f"{self.warnings} warning{'s' if self.warnings != 1 else ''}")
        if self.failed:
            parts.append(f"{self.failed} failed")
        if self.errors:
            parts.append(f"{self.errors} error{'s' if self.errors != 1 else ''}")
        if self.skipped:
            parts.append(f"{self.skipped} skipped")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "warnings": self.warnings, "failed": self.failed, "errors": self.errors,
                "skipped": self.skipped, "ok": self.ok}
