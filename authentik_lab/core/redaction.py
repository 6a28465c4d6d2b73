"""Hide secret values in text authlab did not write itself, e.g. compose's error messages, before it is shown.

compose echoes values in its errors: `failed to read .env: line 3: unterminated quoted value "<the password>`,
`Invalid template: "<the value>"`, or a value interpolated into a field it then rejects. So every such text is
passed through `redact_text` with the values of the .env files involved (`env_values`), and the value compose
quotes after its own phrases is hidden whatever it is. (core.app_env.redact shortens one known secret for display;
this hides every occurrence of many in free text.)
"""

from __future__ import annotations

import re
from typing import Iterable

HIDDEN = "<hidden>"
MIN_LENGTH = 4  # shorter values ("1", "yes") would hide ordinary words, and guess nothing worth hiding

# compose's phrases followed by the value it read (to the end of the line: the value may hold quotes itself)
_ECHOES = re.compile(
    r"(?P<lead>unterminated quoted value |Invalid template: |invalid interpolation format for [^\n]*\n"
    r"You may need to escape any \$ with another \$\.?\n)(?P<value>[^\n]+)", re.IGNORECASE)


_REFERENCE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")  # `$name`; `${NAME}` is written as a reference on purpose


def env_values(text: str) -> set[str]:
    """Every value an env file's text may hold, read leniently so that a file compose refuses (an unterminated
    quote, a broken `${`) still gives its values: the text after `=` as written, and without its quotes. A line
    without `=` that is no comment (a multi-line value's continuation) counts as a value too."""
    out: set[str] = set()
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export "):].lstrip()
        name, sep, value = line.partition("=")
        value = value.strip() if sep else line
        out.add(value)
        out.add(value.strip("\"'"))
        if sep and " #" in value and not value.startswith(("'", '"')):
            out.add(value.split(" #", 1)[0].rstrip())  # an unquoted value ends before an inline comment
    # a bare `$` inside a value makes compose read what follows as a variable name and echo it ("The "tail9x" variable
    # is not set"): a fragment of a password that contains `$`. A name the file defines itself, or one written
    # `${NAME}`, is a reference meant as one and stays readable in the fix that names it.
    defined = {line.strip().removeprefix("export ").lstrip().partition("=")[0].strip() for line in text.splitlines()}
    out |= {name for v in list(out) for name in _REFERENCE.findall(v) if name not in defined}
    return {v for v in out if len(v) >= MIN_LENGTH}


def redact_text(text: str, values: Iterable[str], keep: Iterable[str] = ()) -> str:
    """`text` with every value (of at least MIN_LENGTH characters) and the value after compose's echoing phrases
    replaced by HIDDEN. Occurrences inside a `keep` string (the paths doctor names anyway) are left alone, so a
    value that happens to be a folder's name does not mangle the file names in the message."""
    text = _ECHOES.sub(lambda m: m.group("lead") + HIDDEN, text)
    secrets = sorted({v for v in values if len(v) >= MIN_LENGTH}, key=len, reverse=True)
    if not secrets:
        return text
    kept = sorted({k for k in keep if k}, key=len, reverse=True)
    # kept strings come first in the alternation, so at any position a path wins over a value inside it
    pattern = re.compile("|".join(re.escape(s) for s in (*kept, *secrets)))
    protected = set(kept)
    return pattern.sub(lambda m: m.group(0) if m.group(0) in protected else HIDDEN, text)
