"""Read and merge `.env`-style files without disturbing what the user wrote.

A merge replaces the value of keys that exist (in place, keeping comments, blank lines, order and
the line ending style) and appends new keys at the end. Values that need it are double-quoted.
"""

from __future__ import annotations

import re

_LINE = re.compile(r"^(?P<lead>\s*(?:export\s+)?)(?P<key>[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(?P<value>.*?)\s*$")
_SAFE = re.compile(r"^[A-Za-z0-9_./:@%+=,~-]*$")


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        inner = raw[1:-1]
        return inner.replace('\\"', '"').replace("\\\\", "\\") if raw[0] == '"' else inner
    # an unquoted value ends at an inline comment
    return re.split(r"\s+#", raw, maxsplit=1)[0]


def parse(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        m = _LINE.match(line)
        if m:
            values[m.group("key")] = _unquote(m.group("value"))
    return values


def parse_with_lines(text: str) -> dict[str, tuple[int, str]]:
    """key -> (1-based line number, value); for errors and doctor evidence that point at a line."""
    out: dict[str, tuple[int, str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        m = _LINE.match(line)
        if m:
            out[m.group("key")] = (number, _unquote(m.group("value")))
    return out


def quote(value: str) -> str:
    if _SAFE.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def merge(text: str, updates: dict[str, str]) -> str:
    """Return `text` with `updates` applied: existing keys rewritten in place, new keys appended."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines()
    pending = dict(updates)
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            continue
        m = _LINE.match(line)
        if m and m.group("key") in pending:
            key = m.group("key")
            lines[i] = f"{m.group('lead')}{key}={quote(pending.pop(key))}"
    if pending:
        if lines and lines[-1].strip():
            pass
        lines.extend(f"{key}={quote(value)}" for key, value in pending.items())
    return newline.join(lines) + newline if lines else ""


def render(values: dict[str, str], header: str | None = None) -> str:
    lines = [f"# {h}" if h else "#" for h in header.splitlines()] if header else []
    lines.extend(f"{k}={quote(v)}" for k, v in values.items())
    return "\n".join(lines) + "\n"
