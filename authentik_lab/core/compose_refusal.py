"""compose's refusal of a project, read from its stderr: the reason it gives and the warnings around it.

compose (v2, logrus) prints its warnings as `time="..." level=warning msg="..."` lines before the error, e.g.
`The "UNDEF_X" variable is not set. Defaulting to a blank string.`; the error itself is the first other line, e.g.
`validating /p/docker-compose.yml: services.server additional properties 'enviroment_typo' not allowed`,
`service "server" refers to undefined volume data: invalid compose project`,
`error while interpolating services.server.environment.A: required variable PG_PASS is missing a value: ...`,
`failed to read /p/.env: line 3: unterminated quoted value "...`, or a first line that ends in `:` and names the
error on the next (`decoding failed due to the following error(s):`) (samples: `docker compose config` 2.40).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# one logrus record, as a whole line or glued in front of the next text; msg is a Go-quoted string
_RECORD = re.compile(r'time="[^"]*"\s+level=(?P<level>\w+)\s+msg="(?P<msg>(?:[^"\\]|\\.)*)"\s*')
_REQUIRED = re.compile(r"required variable (?P<name>[A-Za-z_][A-Za-z0-9_]*) is missing a value")
_UNDEFINED = re.compile(r'The "(?P<name>[A-Za-z_][A-Za-z0-9_]*)" variable is not set')
# a compose that does not know `config --format json` (v1: "no such option", early v2: "unknown flag") says nothing
# about the files: it cannot be asked, which is not a refusal
_NO_JSON = re.compile(r"no such option: --format|unknown (?:shorthand )?flag:? .*format", re.IGNORECASE)


def cannot_print_json(stderr: str) -> bool:
    """True when compose failed because it has no `config --format json`, not because of the files."""
    return bool(_NO_JSON.search(stderr))


@dataclass(frozen=True)
class Refusal:
    """Why compose refused: `reason` is its first error line, `warnings` its distinct warnings (in order)."""

    reason: str
    warnings: tuple[str, ...] = ()

    @property
    def missing_variable(self) -> str | None:
        """The variable of `required variable X is missing a value`, when that is the reason."""
        m = _REQUIRED.search(self.reason)
        return m.group("name") if m else None

    @property
    def unset_variables(self) -> tuple[str, ...]:
        """Variables compose warned were not set (and replaced by an empty string)."""
        return tuple(dict.fromkeys(m.group("name") for w in self.warnings for m in [_UNDEFINED.search(w)] if m))


def read_refusal(stderr: str, code: int | None = None) -> Refusal:
    """The reason and warnings in compose's stderr; the noise of its log records is taken out of the reason."""
    warnings: list[str] = []

    def take(m: re.Match[str]) -> str:
        text = m.group("msg").replace('\\"', '"').replace("\\\\", "\\")
        if m.group("level").lower() in ("error", "fatal", "panic"):
            return f"\n{text}\n"  # an error logged as a record is the reason itself
        if m.group("level").lower() in ("warning", "warn") and text not in warnings:
            warnings.append(text)
        return "\n"  # a record glued to the error's text still ends where the error starts

    rest = _RECORD.sub(take, stderr)
    lines = [line.strip() for line in rest.splitlines() if line.strip()]
    if not lines:
        return Refusal(f"it exited with code {code} and gave no reason" if code is not None else "it gave no reason", tuple(warnings))
    reason = lines[0]
    if reason.endswith(":") and len(lines) > 1:  # "decoding failed due to the following error(s):" names them below
        reason += " " + lines[1]
    return Refusal(reason, tuple(warnings))
