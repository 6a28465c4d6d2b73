"""Read a `$GITHUB_ENV` file the way the Actions runner does, for tests of what authlab writes there.

From GitHub's documentation ("Workflow commands for GitHub Actions": "Setting an environment variable" and
"Multiline strings"): each entry is either one line `NAME=value` (everything after the first `=` is the value,
taken literally: no quotes, no escapes, no interpolation) or `NAME<<DELIMITER`, then the value's lines, then a
line that is exactly DELIMITER; the value is the text between those two lines. Entries are separated by `\\n`;
an empty line is skipped; a missing closing delimiter is an error that fails the step.
"""

from __future__ import annotations


def parse_github_env(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last entry
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        eq, heredoc = line.find("="), line.find("<<")
        if eq >= 0 and (heredoc < 0 or eq < heredoc):
            name, value = line.split("=", 1)
        elif heredoc >= 0:
            name, delimiter = line.split("<<", 1)
            if not name or not delimiter:
                raise ValueError(f"invalid format {line!r}: empty name or delimiter")
            body: list[str] = []
            while True:
                if i >= len(lines):
                    raise ValueError(f"matching delimiter {delimiter!r} not found")
                current = lines[i]
                i += 1
                if current == delimiter:
                    break
                body.append(current)
            value = "\n".join(body)
        else:
            raise ValueError(f"invalid format {line!r}")
        out[name] = value
    return out
