"""Read and merge `.env`-style files without disturbing what the user wrote.

Reading follows docker compose (core.dotenv_read: `KEY: value` lines, a byte order mark, quoted values over several
lines, interpolation), so authlab never misses, and then adds again, a key compose sees. A merge replaces the value of
keys that exist (in place, keeping comments, blank lines, order and the line ending style) and appends new keys at
the end. Values are quoted only when they need it.
"""

from __future__ import annotations

import re
from typing import Mapping

from authentik_lab.core.dotenv_read import BOM, Entry, scan

_SAFE = re.compile(r"^[A-Za-z0-9_./:@%+=,~-]*$")


def parse(text: str, environ: Mapping[str, str] | None = None, interpolate: bool = True) -> dict[str, str]:
    """key -> value as docker compose reads the file (core.dotenv_read); the last occurrence of a key wins.
    `environ`: the environment interpolation and keys written alone look in first (none by default). An app's env
    file, which compose never reads, is read with `interpolate=False`: its `$` stays as written."""
    return {e.key: e.value for e in scan(text, environ, interpolate)}


def parse_with_lines(text: str, environ: Mapping[str, str] | None = None, interpolate: bool = True) -> dict[str, tuple[int, str]]:
    """key -> (1-based line number, value); for errors and doctor evidence that point at a line."""
    return {e.key: (e.line, e.value) for e in scan(text, environ, interpolate)}


def unterminated(text: str) -> dict[str, int]:
    """key -> 1-based line of each statement whose quote never closes (`PG_PASS="abc`). Compose refuses such a file
    whole; the key is there all the same, so nothing may add a second one (the last line would win once the quote is
    closed, replacing the user's secret: found by QA of issue 9)."""
    found: list[tuple[str, int]] = []
    scan(text, unterminated=found)
    return dict(found)


def is_plain(value: str) -> bool:
    """True when `value` is written as is, unquoted (letters, digits and `_./:@%+=,~-` only)."""
    return bool(_SAFE.fullmatch(value))  # not match(): its `$` also matches before a trailing newline


def quote(value: str) -> str:
    """Quote only when needed. A `$` or backslash goes in single quotes, which compose reads literally
    (in double quotes it would interpolate `$VAR`); a value holding a single quote, or ending in a backslash
    (`\\'` would escape the closing quote), falls back to escaped double quotes."""
    if is_plain(value):
        return value
    if "'" not in value and "\n" not in value and ("$" in value or "\\" in value) and not value.endswith("\\"):
        return "'" + value + "'"
    return '"' + _double(value) + '"'


def _double(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("$", "\\$")


def merge(text: str, updates: dict[str, str]) -> str:
    """Return `text` with `updates` applied: existing keys rewritten in place (`KEY=value` or `KEY: value`, after
    `export` or not, quoted or not, spanning lines or not: only the value changes), new keys appended at the end in
    the file's line ending style. A byte order mark stays where it is."""
    bom = BOM if text.startswith(BOM) else ""
    body = text[len(bom):]
    newline = "\r\n" if "\r\n" in body else "\n"
    pending = dict(updates)
    # every occurrence: the last one wins when read, so rewriting only the first would change nothing. From the
    # end backwards, so the spans still to rewrite keep their offsets.
    for entry in reversed(scan(body, interpolate=False)):
        if entry.key in updates and entry.span is not None:
            start, end = entry.span
            body = body[:start] + _restyle(body, entry, updates[entry.key]) + body[end:]
            pending.pop(entry.key, None)
    if pending:
        if body and not body.endswith("\n"):
            body += newline
        body += "".join(f"{key}={quote(value)}{newline}" for key, value in pending.items())
    return bom + body


def _restyle(body: str, entry: Entry, value: str) -> str:
    """`value` written the way the user wrote the old one: same quotes (when they can hold it); an inline comment
    after it is outside the span and stays."""
    start, end = entry.span or (0, 0)
    if entry.quote == "'" and "'" not in value and "\n" not in value and not value.endswith("\\"):
        return "'" + value + "'"
    if entry.quote == '"':
        return '"' + _double(value) + '"'
    written = quote(value)
    rest = body[end:].split("\n", 1)[0]
    if not written and rest.strip().startswith("#"):
        written = '""'  # `KEY=  # note` reads as "# note": an empty value before a comment needs its quotes
    if written and start == end and body[start - 1:start] == ":":
        written = " " + written  # `KEY:` was empty: `KEY: value`, as YAML-style lines are written
    return written


def render(values: dict[str, str], header: str | None = None) -> str:
    lines = [f"# {h}" if h else "#" for h in header.splitlines()] if header else []
    lines.extend(f"{k}={quote(v)}" for k, v in values.items())
    return "\n".join(lines) + "\n"
