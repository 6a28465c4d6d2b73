"""Doctor checks over the lab's `.env` (the file compose reads next to the compose file).

Values are never shown: evidence names the key and its line, not the secret.
"""

from __future__ import annotations

from typing import Mapping

from authentik_lab.core.checks import FAIL, WARN, FixAction, Message, Outcome, Skip, from_messages, ok, problem

REQUIRED = ("PG_PASS", "AUTHENTIK_SECRET_KEY")
BOOTSTRAP = ("AUTHENTIK_BOOTSTRAP_TOKEN", "AUTHENTIK_BOOTSTRAP_PASSWORD")
MIN_SECRET_KEY = 50  # the official recipe makes 80 base64 chars; Django wants long, random keys
MAX_PG_PASS = 99  # PostgreSQL rejects longer passwords (noted in Authentik's install docs)


def _at(file: str, lines: Mapping[str, tuple[int, str]], key: str) -> str:
    return f"{file}:{lines[key][0]}: {key}" if key in lines else f"{file}: {key} (absent)"


def check_required(file: str, lines: Mapping[str, tuple[int, str]]) -> Outcome:
    messages, evidence = [], []
    for key in REQUIRED:
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
    return f"echo \"{key}=$(openssl rand -base64 {GENERATE.get(key, 36)} | tr -d '\\n')\" >> {file}"


def check_required_compose(file: str, lines: Mapping[str, tuple[int, str]], refs: Mapping[str, str],
                           shell: Mapping[str, str], compose_file: str) -> Outcome:
    """For a user's compose file (`--compose`): the required values its text takes from .env (`refs`: name -> how it is
    written, from core.compose_effective.required_references), set in `file` or the shell. A value written straight
    into the compose file is judged per service by compose.service-env instead. `--fix` may append a generated value
    for a variable that is absent from `file`; it never replaces one."""
    messages, evidence, absent = [], [], []
    for key in REQUIRED:
        if key not in refs:
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
            fix = f"add it: {append_line(file, key)}  (or `authlab doctor --compose {compose_file} --fix`)"
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
                   f"chmod 600 {file}", (), FixAction("chmod", file, f"chmod 600 {file}", (f"{file}: mode {mode & 0o777:o} -> 600",),
                                                       {"file": file, "mode": 0o600}))
