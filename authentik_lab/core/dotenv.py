"""Read and merge `.env`-style files without disturbing what the user wrote.

A merge replaces the value of keys that exist (in place, keeping comments, blank lines, order and
the line ending style) and appends new keys at the end. Values are quoted only when they need it.
"""

from __future__ import annotations

import re

_LINE = re.compile(r"^(?P<lead>\s*(?:export\s+)?)(?P<key>[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(?P<value>.*?)\s*$")
_SAFE = re.compile(r"^[A-Za-z0-9_./:@%+=,~-]*$")


def _unquote(raw: str) -> str:
    """The value of `raw` as compose reads it: quoted values may be followed by a comment, unquoted ones
    end at ` #`. Double quotes honour backslash escapes (left to right); single quotes are literal."""
    if raw[:1] == "'":
        end = raw.find("'", 1)
        if end > 0:
            return raw[1:end]
    elif raw[:1] == '"':
        out, i = [], 1
        while i < len(raw):
            ch = raw[i]
            if ch == "\\" and i + 1 < len(raw):
                nxt = raw[i + 1]
                out.append({"n": "\n", "t": "\t", "r": "\r"}.get(nxt, nxt))
                i += 2
                continue
            if ch == '"':
                return "".join(out)
            out.append(ch)
            i += 1
        # no closing quote: fall through and treat it as an unquoted value
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


def is_plain(value: str) -> bool:
    """True when `value` is written as is, unquoted (letters, digits and `_./:@%+=,~-` only)."""
    return bool(_SAFE.fullmatch(value))  # not match(): its `$` also matches before a trailing newline


def quote(value: str) -> str:
    """Quote only when needed. A `$` or backslash goes in single quotes, which compose reads literally
    (in double quotes it would interpolate `$VAR`); a value holding a single quote falls back to escaped
    double quotes."""
    if is_plain(value):
        return value
    if "'" not in value and "\n" not in value and ("$" in value or "\\" in value):
        return "'" + value + "'"
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("$", "\\$")
    return '"' + escaped + '"'


def merge(text: str, updates: dict[str, str]) -> str:
    """Return `text` with `updates` applied: existing keys rewritten in place, new keys appended."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines()
    pending = dict(updates)
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            continue
        m = _LINE.match(line)
        if m and m.group("key") in updates:
            # every occurrence: the last one wins when read, so rewriting only the first would change nothing
            key = m.group("key")
            lines[i] = f"{m.group('lead')}{key}={_restyle(m.group('value'), updates[key])}"
            pending.pop(key, None)
    if pending:
        lines.extend(f"{key}={quote(value)}" for key, value in pending.items())
    return newline.join(lines) + newline if lines else ""


def _split_raw(raw: str) -> tuple[str, str]:
    """(quote style: '"', "'" or "", what follows the value: an inline comment with its leading spaces, or "")."""
    if raw[:1] in ("'", '"'):
        q, i = raw[0], 1
        while i < len(raw):
            if q == '"' and raw[i] == "\\":
                i += 2
                continue
            if raw[i] == q:
                return q, raw[i + 1:]
            i += 1
    m = re.search(r"\s+#.*$", raw)
    return "", (m.group(0) if m else "")


def _restyle(raw: str, value: str) -> str:
    """`value` written the way the user wrote the old one: same quotes (when they can hold it), same inline comment."""
    style, tail = _split_raw(raw)
    if style == "'" and "'" not in value and "\n" not in value:
        written = "'" + value + "'"
    elif style == '"':
        written = '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("$", "\\$") + '"'
    else:
        written = quote(value)
        if not written and tail:  # `KEY=  # note` reads as "#": an empty value before a comment needs its quotes
            written = '""'
    return written + tail


def render(values: dict[str, str], header: str | None = None) -> str:
    lines = [f"# {h}" if h else "#" for h in header.splitlines()] if header else []
    lines.extend(f"{k}={quote(v)}" for k, v in values.items())
    return "\n".join(lines) + "\n"
