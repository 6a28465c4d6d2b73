"""Read a `.env` file the way docker compose does, statement by statement, keeping where each value is written.

Compose reads `.env` with compose-go's dotenv parser (a port of joho/godotenv; compose v2.40 bundles compose-go
v2.9). What it accepts, and this reader with it:

- a UTF-8 byte order mark before the first key is skipped;
- `KEY=value` and the YAML-like `KEY: value`, each optionally after `export `; blanks around the key and the
  separator are ignored; key names are letters, digits, `_`, `.`, `-`, `[` and `]`;
- a `#` that starts a statement comments out the rest of its line; an unquoted value ends at the end of its line or
  at the first ` #` (space, hash), and loses trailing blanks (so `\\r` of CRLF files too);
- a single-quoted value is literal (only `\\'` drops its backslash); a double-quoted one also honours `\\n`, `\\t`,
  `\\"`, `\\\\`, `\\$` and friends; quoted values may span lines, and what follows the closing quote on that line
  is read as the next statement;
- unquoted and double-quoted values interpolate `$VAR`, `${VAR}`, `${VAR:-default}` (and `-`, `:?`, `?`, `:+`,
  `+`), looking in the environment first, then in the keys above; `$$` is a literal `$`;
- a line holding a key alone takes the value from the environment, if set there.

Where compose gives up on the whole file (a key with a space in it, an unterminated quote, `${}`), this reader skips
the statement and goes on: the file is the user's to fix, and doctor reports compose's own error separately.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Mapping

BOM = "\ufeff"
_EXPORT = re.compile(r"export[\t\n\f\r ]+")
_NAME = re.compile(r"[_A-Za-z][_A-Za-z0-9]*")
# \a \b \f \n \r \t \v \" \\ \$ and octal \0NNN, as compose-go's expandEscapes (then strconv.UnquoteChar)
_ESCAPE = re.compile(r"\\(?:[abcfnrtv$\"\\]|0\d{0,3})")
_ESCAPED = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", '"': '"', "\\": "\\"}
_BLANK = "\t\v\f\r \x85\xa0"  # compose-go's isSpace: a blank that is not a line break


@dataclass(frozen=True)
class Entry:
    """One `KEY=value` statement: the value as compose reads it, the 1-based line of the key, and where the value is
    written in the text without its BOM (`span`: start, end; quotes included, an inline comment not; None for a key
    alone on its line, whose value comes from the environment)."""

    key: str
    value: str
    line: int
    span: tuple[int, int] | None
    quote: str = ""  # '"', "'" or "" (unquoted)


def _is_space(ch: str) -> bool:
    """Go's unicode.IsSpace (Python's str.isspace also counts the ASCII separators \\x1c-\\x1f)."""
    return ch.isspace() and ch not in "\x1c\x1d\x1e\x1f"


def _key_rune(ch: str) -> bool:
    return ch in "_.-[]" or unicodedata.category(ch)[0] in "LN"


def strip_bom(text: str) -> str:
    return text[1:] if text.startswith(BOM) else text


def scan(text: str, environ: Mapping[str, str] | None = None, interpolate: bool = True,
         unterminated: list[tuple[str, int]] | None = None) -> list[Entry]:
    """Every statement of `text` in file order (duplicates included: the last one wins when read). Without
    `interpolate`, `$` stays as written: for env files that compose does not read (an app's), where each framework
    has its own rule and a value read wrongly must never be written back. `unterminated` collects (key, line) of the
    statements whose quote never closes: compose refuses the whole file, and no entry is made for them."""
    text = strip_bom(text)
    env = environ or {}
    breaks = [i for i, ch in enumerate(text) if ch == "\n"]
    seen: dict[str, str] = {}
    out: list[Entry] = []
    n, pos = len(text), 0

    def line_of(offset: int) -> int:
        return bisect.bisect_left(breaks, offset) + 1

    def line_end(offset: int) -> int:
        end = text.find("\n", offset)
        return n if end < 0 else end

    def lookup(name: str) -> str | None:
        return env[name] if name in env else seen.get(name)

    while True:
        while pos < n and _is_space(text[pos]):
            pos += 1
        if pos >= n:
            break
        if text[pos] == "#":
            pos = line_end(pos)
            continue
        start = pos
        if _EXPORT.match(text, pos):
            pos += len("export")
            while pos < n and text[pos] in _BLANK:
                pos += 1
        end = pos
        while end < n and (text[end] in _BLANK or _key_rune(text[end])):
            end += 1
        if end >= n or text[end] not in "=:\n":
            pos = line_end(start)  # a character no key may hold, or a key without `=` on the last line
            continue
        key = text[pos:end].rstrip(_BLANK)
        if not key or " " in key:
            pos = line_end(start)
            continue
        if text[end] == "\n":  # a key alone: inherited from the environment
            if key in env:
                seen[key] = env[key]
                out.append(Entry(key, env[key], line_of(start), None))
            pos = end + 1
            continue
        found = _value(text, end + 1, lookup, interpolate)
        if found is None:  # an unterminated quote: compose refuses the file
            if unterminated is not None:
                unterminated.append((key, line_of(start)))
            pos = line_end(start)
            continue
        value, span, quote, pos = found
        seen[key] = value
        out.append(Entry(key, value, line_of(start), span, quote))
    return out


def _value(text: str, after: int, lookup: Callable[[str], str | None],
           interpolate: bool) -> tuple[str, tuple[int, int], str, int] | None:
    """The value that starts after the separator at `after - 1`: (value, span, quote, where the next statement may
    start), or None when its quote never closes."""
    n, pos = len(text), after
    while pos < n and text[pos] in _BLANK:
        pos += 1
    if pos < n and text[pos] in "'\"":
        quote = text[pos]
        found = _quoted(text, pos, quote)
        if found is None:
            return None
        raw, close = found
        value = raw
        if quote == '"':
            # `\$` is `$$` for the interpolation that follows (as in compose-go), a plain `$` without one
            value = expand(_unescape(raw, "$$"), lookup) if interpolate else _unescape(raw, "$")
        return value, (pos, close + 1), quote, close + 1
    stop = text.find("\n", pos)
    stop = n if stop < 0 else stop
    raw = text[pos:stop].split(" #", 1)[0]
    while raw and _is_space(raw[-1]):
        raw = raw[:-1]
    at = pos if raw else after  # an empty value is written right after the separator (not after a CRLF's `\r`)
    return (expand(raw, lookup) if interpolate else raw), (at, at + len(raw)), "", stop


def _quoted(text: str, start: int, quote: str) -> tuple[str, int] | None:
    """(the value between the quotes, an escaped quote unescaped and any other backslash kept; index of the closing
    quote), or None when the quote never closes."""
    chars: list[str] = []
    i, escaped = start + 1, False
    while i < len(text):
        ch = text[i]
        if escaped:
            escaped = False
            if ch != quote:
                chars.append("\\")
            chars.append(ch)
        elif ch == "\\":
            escaped = True
        elif ch == quote:
            return "".join(chars), i
        else:
            chars.append(ch)
        i += 1
    return None


def _unescape(raw: str, dollar: str) -> str:
    def one(m: re.Match[str]) -> str:
        seq = m.group(0)
        if seq.startswith("\\0"):
            digits = seq[2:]
            # Go's UnquoteChar takes exactly three octal digits; anything else is left as written
            if len(digits) == 3 and all(d in "01234567" for d in digits) and int(digits, 8) <= 0o377:
                return chr(int(digits, 8))
            return seq
        return dollar if seq[1] == "$" else _ESCAPED[seq[1]]

    return _ESCAPE.sub(one, raw)


def expand(value: str, lookup: Callable[[str], str | None]) -> str:
    """Compose's interpolation of a .env value: `$$`, `$NAME`, `${NAME}` and `${NAME<op>word}` (nested allowed).
    An unset name is empty; a `$` that starts no name stays as written."""
    out: list[str] = []
    i, n = 0, len(value)
    while i < n:
        ch = value[i]
        if ch != "$" or i + 1 >= n:
            out.append(ch)
            i += 1
            continue
        nxt = value[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
        elif nxt == "{":
            close = _closing_brace(value, i)
            if close < 0:
                out.append(value[i:])
                break
            out.append(_braced(value[i + 2:close], lookup))
            i = close + 1
        else:
            m = _NAME.match(value, i + 1)
            if m:
                out.append(lookup(m.group(0)) or "")
                i = m.end()
            else:
                out.append("$")
                i += 1
    return "".join(out)


def _closing_brace(value: str, start: int) -> int:
    depth, i = 0, start
    while i < len(value):
        if value.startswith("${", i):
            depth += 1
            i += 2
            continue
        if value[i] == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _braced(expr: str, lookup: Callable[[str], str | None]) -> str:
    m = _NAME.match(expr)
    if not m:
        return "${" + expr + "}"  # compose: "Invalid template"
    name, rest = m.group(0), expr[m.end():]
    if not rest:
        return lookup(name) or ""
    for op in (":-", "-", ":?", "?", ":+", "+"):
        if rest.startswith(op):
            word = rest[len(op):]
            val = lookup(name)
            if op == ":-":
                return val if val else expand(word, lookup)
            if op == "-":
                return val if val is not None else expand(word, lookup)
            if op == ":+":
                return expand(word, lookup) if val else ""
            if op == "+":
                return expand(word, lookup) if val is not None else ""
            return val or ""  # :? and ?: compose refuses when unset; the value is empty either way
    return "${" + expr + "}"
