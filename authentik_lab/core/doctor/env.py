"""Doctor checks over the lab's `.env` (the file compose reads next to the compose file).

Values are never shown: evidence names the key and its line, not the secret.
"""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from authentik_lab.core.checks import FAIL, WARN, FixAction, Message, Outcome, Skip, from_messages, ok, problem

REQUIRED = ("PG_PASS", "AUTHENTIK_SECRET_KEY")
BOOTSTRAP = ("AUTHENTIK_BOOTSTRAP_TOKEN", "AUTHENTIK_BOOTSTRAP_PASSWORD")
MIN_SECRET_KEY = 50  # the official recipe makes 80 base64 chars; Django wants long, random keys
MAX_PG_PASS = 99  # PostgreSQL rejects longer passwords (noted in Authentik's install docs)


def _at(file: str, lines: Mapping[str, tuple[int, str]], key: str) -> str:
    return f"{file}:{lines[key][0]}: {key}" if key in lines else f"{file}: {key} (absent)"


def _unterminated(file: str, key: str, line: int) -> Message:
    return Message("fail", f"{key} on line {line} of {file} opens a quote that never closes: compose refuses the whole file",
                   f"close the quote on line {line} (`--fix` adds no second {key}: the last line would win and replace your value)")


def check_required(file: str, lines: Mapping[str, tuple[int, str]], broken: Mapping[str, int] | None = None) -> Outcome:
    """`broken`: key -> line of a value whose quote never closes (core.dotenv.unterminated)."""
    messages, evidence = [], []
    for key in REQUIRED:
        if key in (broken or {}):
            evidence.append(f"{file}:{broken[key]}: {key}")  # type: ignore[index]
            messages.append(_unterminated(file, key, broken[key]))  # type: ignore[index]
            continue
        if not (lines.get(key, (0, ""))[1]).strip():
            evidence.append(_at(file, lines, key))
            messages.append(Message("fail", f"{key} is {'empty' if key in lines else 'missing'} in {file}: compose refuses to start",
                                    "`authlab init` fills missing secrets without touching existing ones"))
    pg = lines.get("PG_PASS", (0, ""))[1]
    if len(pg) > MAX_PG_PASS:
        messages.append(Message("fail", f"PG_PASS is {len(pg)} characters; PostgreSQL accepts at most {MAX_PG_PASS}",
                                "use a shorter password (before the database volume is first created)"))
    return from_messages(messages, "PG_PASS and AUTHENTIK_SECRET_KEY are set", evidence)


# how the official install makes each value (Authentik docs, Docker Compose installation); base64 of N random bytes
GENERATE = {"PG_PASS": 36, "AUTHENTIK_SECRET_KEY": 60}


def append_line(file: str, key: str) -> str:
    """The exact line that adds a fresh value for `key` to `file` (the secret is made by the shell, never shown)."""
    return f"echo \"{key}=$(openssl rand -base64 {GENERATE.get(key, 36)} | tr -d '\\n')\" >> {shlex.quote(file)}"


def create_lines(file: str, keys: Sequence[str]) -> str:
    """The exact command that creates `file` with a fresh value for each key, readable by its owner only (the subshell's
    umask makes the new file 600 and leaves the user's shell alone)."""
    return "(umask 077 && " + " && ".join(append_line(file, k) for k in keys) + ")"


def _fix_hint(compose_file: str) -> str:
    return f"`authlab doctor --compose {shlex.quote(compose_file)} --fix`"


def check_required_compose(file: str, lines: Mapping[str, tuple[int, str]], refs: Mapping[str, str],
                           shell: Mapping[str, str], compose_file: str, broken: Mapping[str, int] | None = None) -> Outcome:
    """For a user's compose file (`--compose`): the required values its text takes from .env (`refs`: name -> how it is
    written, from core.compose_effective.required_references), set in `file` or the shell. A value written straight
    into the compose file is judged per service by compose.service-env instead. `--fix` may append a generated value
    for a variable that is absent from `file`; it never replaces one."""
    messages, evidence, absent = [], [], []
    for key in REQUIRED:
        if key not in refs:
            continue
        if key in (broken or {}):
            evidence.append(f"{file}:{broken[key]}: {key}")  # type: ignore[index]
            messages.append(_unterminated(file, key, broken[key]))  # type: ignore[index]
            continue
        if (lines.get(key, (0, ""))[1]).strip() or (shell.get(key) or "").strip():
            continue
        evidence.append(_at(file, lines, key))
        refuses = ":?" in refs[key] or "?" in refs[key].split(key, 1)[1][:2]
        effect = "compose refuses to start" if refuses else "compose substitutes an empty value"
        if key in lines:
            fix = f"set a value on line {lines[key][0]} of {file} (the line is there but empty; `--fix` never replaces a line)"
        else:
            absent.append(key)
            fix = f"add it: {append_line(file, key)}  (or {_fix_hint(compose_file)})"
        messages.append(Message("fail", f"{key} is {'empty' if key in lines else 'missing'} in {file}, and {compose_file} uses "
                                        f"{refs[key]}: {effect}", fix))
    pg = lines.get("PG_PASS", (0, ""))[1]
    if len(pg) > MAX_PG_PASS:
        messages.append(Message("fail", f"PG_PASS is {len(pg)} characters; PostgreSQL accepts at most {MAX_PG_PASS}",
                                "use a shorter password (before the database volume is first created)"))
    fixable = None
    if absent:
        fixable = FixAction("env-append", file, f"append generated {', '.join(absent)} to {file}",
                            tuple(f"{file}: append {k}=<generated: URL-safe base64 of {GENERATE[k]} random bytes>" for k in absent),
                            {"file": file, "keys": absent})
    used = [k for k in REQUIRED if k in refs]
    good = f"{', '.join(used)} set for {compose_file}" if used else f"{compose_file} takes no required value from {file}"
    return from_messages(messages, good, evidence, fixable)


@dataclass(frozen=True)
class EnvFileUse:
    """How a compose file's services read one .env through `env_file:` (besides interpolation): who reads it, whether
    compose refuses to start while it is missing (an entry without `required: false`), and the required values an
    Authentik service can only get from it (not set under its own `environment:`), with those services."""

    services: tuple[str, ...] = ()
    required: bool = False
    keys: tuple[str, ...] = ()
    authentik: tuple[str, ...] = ()


def env_file_use(doc: Mapping[str, Any], env: Mapping[str, str], compose_dir: str, env_file: str) -> EnvFileUse:
    """The `env_file:` entries of `doc` that name `env_file` (relative paths from `compose_dir`, as compose does)."""
    from authentik_lab.core.compose_effective import env_file_entries
    from authentik_lab.core.doctor.compose import authentik_services

    target = posixpath.normpath(env_file)
    authentik = {s.name for s in authentik_services(doc)}
    services: list[str] = []
    required, keys, readers = False, [], []
    for name, spec in (doc.get("services") or {}).items():
        spec = spec if isinstance(spec, Mapping) else {}
        hits = [req for path, req in env_file_entries(spec, env) if posixpath.normpath(posixpath.join(compose_dir, path)) == target]
        if not hits:
            continue
        services.append(str(name))
        required = required or any(hits)
        raw = spec.get("environment") or {}
        own = {str(k) for k in raw} if isinstance(raw, Mapping) else {str(e).split("=", 1)[0] for e in raw}
        # Authentik reads AUTHENTIK_SECRET_KEY by that name; PG_PASS only matters through interpolation (`refs`)
        lacking = [k for k in ("AUTHENTIK_SECRET_KEY",) if k not in own]
        if name in authentik and lacking:
            keys.extend(lacking)
            readers.append(str(name))
    return EnvFileUse(tuple(services), required, tuple(k for k in REQUIRED if k in keys), tuple(readers))


def check_required_no_file(file: str, why: str, creatable: bool, refs: Mapping[str, str], shell: Mapping[str, str],
                           compose_file: str, use: EnvFileUse = EnvFileUse()) -> Outcome:
    """For `--compose` when `file` (the .env beside the compose file) cannot be read: `why` says what is there instead
    ("does not exist", "is a directory", ...). Compose then reads no .env for interpolation, and refuses to start when
    a service needs it through `env_file:` (`use`). Fails when the compose file needs a required value (`refs`, as in
    check_required_compose, or `use.keys`) that the shell does not give either, or needs the file itself; `--fix` may
    create the file (`creatable`: nothing is there), never replace what is there."""
    needed = [k for k in REQUIRED if (k in refs or k in use.keys) and not (shell.get(k) or "").strip()]
    readers = f"`env_file` of {', '.join(use.services)}"
    if not needed and not use.required:
        used = [k for k in REQUIRED if k in refs]
        return ok(f"{file} {why}; {', '.join(used)} set in the shell" if used else
                  f"{file} {why}, and {compose_file} takes no required value from it")
    refuses = use.required or any(k in refs and (":?" in refs[k] or "?" in refs[k].split(k, 1)[1][:2]) for k in needed)
    effect = "compose refuses to start" if refuses else "compose substitutes empty values"
    uses = " and ".join(f"{k} ({refs[k]})" if k in refs else f"{k} ({', '.join(use.authentik)} read it through `env_file`)"
                        for k in needed)
    text = f"{file} {why}, and {compose_file} " + (f"needs {uses} from it" if needed else f"reads it ({readers})") + f": {effect}"
    command = create_lines(file, needed) if needed else f"(umask 077 && touch {shlex.quote(file)})"
    if creatable:
        fix = f"create it: {command}  (or {_fix_hint(compose_file)})"
        values = tuple(f"{file}: {k}=<generated: URL-safe base64 of {GENERATE[k]} random bytes>" for k in needed)
        fixable = FixAction("env-create", file, f"create {file} (mode 600)" + (f" with generated {', '.join(needed)}" if needed else ""),
                            values or (f"{file}: an empty file",), {"file": file, "keys": needed, "like": compose_file})
    else:
        fix = (f"remove or rename what is there (`--fix` never writes over or through it), then create the file: "
               f"{command}  (or, once it is gone, {_fix_hint(compose_file)})")
        fixable = None
    return Outcome(FAIL, text, (f"{file}: {why}",), (Message("fail", text, fix),), fixable)


def check_secret_key_length(file: str, lines: Mapping[str, tuple[int, str]]) -> Outcome:
    key = lines.get("AUTHENTIK_SECRET_KEY", (0, ""))[1]
    if not key:
        raise Skip("AUTHENTIK_SECRET_KEY is not set (see env.required)")
    if len(key) >= MIN_SECRET_KEY:
        return ok(f"AUTHENTIK_SECRET_KEY has {len(key)} characters")
    return problem(WARN, f"AUTHENTIK_SECRET_KEY has only {len(key)} characters (at least {MIN_SECRET_KEY} expected)",
                   "use a long random key, e.g. `openssl rand -base64 60`, but only for a new lab: changing it later "
                   "breaks sessions and encrypted data", [_at(file, lines, "AUTHENTIK_SECRET_KEY")])


def check_bootstrap(file: str, lines: Mapping[str, tuple[int, str]], token_needed: bool, idle: str | None = None) -> Outcome:
    """`token_needed`: no --token was given; `idle`: why no check that uses the API runs now (e.g. the project is
    not running). The official install does without these values (its initial-setup flow replaces them), so
    they only matter when authlab itself must talk to the API."""
    missing = [k for k in BOOTSTRAP if not lines.get(k, (0, ""))[1].strip()]
    if not missing:
        return ok("bootstrap token and password are set (Authentik reads them on its first start only)")
    if not token_needed:
        return ok(f"{', '.join(missing)} not set; not needed because a token was given")
    if idle:
        raise Skip(f"{', '.join(missing)} not set in {file}; not needed now, as no check talks to the API ({idle}); "
                   "once it runs, pass --token to check the API")
    return problem(FAIL, f"{', '.join(missing)} missing in {file}: authlab has no API token for this lab",
                   "add them before the first start (`authlab init` does); on an existing database they are ignored, "
                   "so pass --token, or start over with `authlab down --volumes` and `authlab up`", [_at(file, lines, k) for k in missing])


def check_file_mode(file: str, mode: int | None) -> Outcome:
    if mode is None:
        raise Skip(f"cannot stat {file}")
    if not mode & 0o004:
        return ok(f"{file} is not readable by other users (mode {mode & 0o777:o})")
    return problem(WARN, f"{file} holds secrets and is readable by every user of this machine (mode {mode & 0o777:o})",
                   f"chmod 600 {shlex.quote(file)}", (), FixAction("chmod", file, f"chmod 600 {shlex.quote(file)}", (f"{file}: mode {mode & 0o777:o} -> 600",),
                                                       {"file": file, "mode": 0o600}))
