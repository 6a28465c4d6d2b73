"""compose.valid: compose itself accepts the project (`docker compose config` exits 0).

When compose refuses the files, `docker compose up` refuses too, whatever the other checks (which then judge
authlab's own reading of the files) say. The reason is compose's own first error line (see core.compose_refusal),
already redacted; the fix depends on the kind of refusal. A required variable that env.required reports is the
same cause: this check then points to env.required's fix instead of giving a second one.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from typing import Mapping, Sequence

from authentik_lab.core.checks import FAIL, Outcome, ok, problem
from authentik_lab.core.compose_refusal import Refusal
from authentik_lab.core.doctor.env import REQUIRED

_UNREADABLE = re.compile(r"failed to read (?P<path>[^:]+):")
_UNKNOWN_KEY = re.compile(r"(?P<where>[\w.-]+) additional propert(?:y|ies) (?P<keys>.+?) (?:(?:is|are) )?not allowed")
_UNDEFINED_VOLUME = re.compile(r"refers to undefined volume (?P<name>[^\s:]+)")


def config_command(files: Sequence[str], profiles: Sequence[str] = (), env_file: str | None = None) -> str:
    """The `docker compose ... config --quiet` that asks compose the same question doctor asked."""
    parts = ["docker", "compose", *(a for f in files for a in ("-f", f))]
    parts += ["--env-file", env_file] if env_file else []
    parts += [a for p in profiles for a in ("--profile", p)]
    return " ".join(shlex.quote(p) for p in (*parts, "config", "--quiet"))


def check_compose_valid(refusal: Refusal | None, files: Sequence[str], command: str, env_file: str,
                        env_lines: Mapping[str, tuple[int, str]] | None, shell: Mapping[str, str]) -> Outcome:
    """`refusal`: None when compose accepted the files. `env_lines`: the .env as name -> (line, value), None when
    there is no .env; `shell`: the environment compose also reads variables from."""
    names = " + ".join(posixpath.basename(f) for f in files)
    if refusal is None:
        return ok(f"compose accepts {names}", [f"checked with: {command}"])
    evidence = [*(f"compose warns: {w}" for w in refusal.warnings), f"checked with: {command}"]
    return problem(FAIL, f"compose refuses the configuration: {refusal.reason}",
                   _fix(refusal, env_file, env_lines, shell), evidence)


def _fix(refusal: Refusal, env_file: str, env_lines: Mapping[str, tuple[int, str]] | None, shell: Mapping[str, str]) -> str:
    reason = refusal.reason
    name = refusal.missing_variable
    if name:
        return _missing_fix(name, refusal.unset_variables, env_file, env_lines, shell)
    m = _UNREADABLE.search(reason)
    if m:
        path = m.group("path")
        if "unterminated quoted value" in reason:
            return f"close the quote on that line of {path} (or remove the opening one): compose reads a quoted value up to its closing quote"
        if "invalid template" in reason.lower():
            return (f"a `$` in a value of {path} starts a variable that is never closed: write `$$` for a literal `$`, "
                    "or put the value in single quotes")
        return f"correct {path} where compose says"
    m = _UNKNOWN_KEY.search(reason)
    if m:
        return (f"remove or correct {m.group('keys')} under {m.group('where')}: it is not a Compose key (a misspelling of one?); "
                "the Compose specification lists the keys a service takes")
    m = _UNDEFINED_VOLUME.search(reason)
    if m:
        vol = m.group("name")
        return (f"declare the volume at the top level (`volumes:` with `  {vol}: {{}}` below it), or write a path "
                f"(`./{vol}:...`) if a folder of this machine was meant")
    return "correct the configuration where compose says; the `checked with` command repeats compose's full message"


def _missing_fix(name: str, unset: Sequence[str], env_file: str, env_lines: Mapping[str, tuple[int, str]] | None,
                 shell: Mapping[str, str]) -> str:
    if env_lines is None:  # env.required reports the missing file with every line it needs, and --fix creates it
        return f"{env_file} is missing or not a regular file: the cause env.required reports, whose fix applies here too"
    line, value = env_lines.get(name, (0, ""))
    if name in env_lines and unset:  # before the empty case: the value is empty because of what it refers to
        them = ", ".join(unset)
        return (f"{name} on line {line} of {env_file} refers to {them}, which {'is' if len(unset) == 1 else 'are'} not set, so "
                f"compose reads it as empty: give {name} a value of its own, or set {them}")
    if name in REQUIRED and not value.strip() and not (shell.get(name) or "").strip():
        return (f"{name} is {'empty' if name in env_lines else 'missing'} in {env_file}: the cause env.required reports, "
                "whose fix applies here too")
    if name in env_lines:
        return f"give {name} a value on line {line} of {env_file}"
    return f"add {name} to {env_file} (or set it in the shell that runs compose)"
