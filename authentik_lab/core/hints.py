"""Hints that name the next command, made to fit a compose file of the user's own (`--compose FILE`).

Hints are written for the lab made by `authlab init` (`authlab logs worker`, `authlab down --volumes`). After
`authlab up --compose FILE` those commands only find the same project with the same option, and
`authlab compose patch FILE` means that very file; so every hint goes through `for_compose_file` once, where
it is shown (the CLI boundary for errors, the renderers for results).
"""

from __future__ import annotations

import re
import shlex

# a command in backticks: `authlab logs worker`, `authlab down --volumes`, `authlab up`
_LIFECYCLE = re.compile(r"`authlab (up|down|status|logs)((?: [^`]*)?)`")


def for_compose_file(text: str | None, compose_file: str | None) -> str | None:
    """`text` with each `authlab up|down|status|logs ...` given `--compose FILE`, and `authlab compose patch FILE`
    naming the file; unchanged without a compose file. A command that already names `--compose FILE` gets the path.

    >>> for_compose_file("see `authlab logs worker`", "my dir/compose.yml")
    "see `authlab logs worker --compose 'my dir/compose.yml'`"
    """
    if not text or not compose_file:
        return text
    quoted = shlex.quote(compose_file)

    def add(m: re.Match[str]) -> str:
        rest = m.group(2)
        if "--compose FILE" in rest:
            return f"`authlab {m.group(1)}{rest.replace('--compose FILE', f'--compose {quoted}')}`"
        if "--compose" in rest:
            return m.group(0)
        return f"`authlab {m.group(1)}{rest} --compose {quoted}`"

    text = _LIFECYCLE.sub(add, text)
    return text.replace("`authlab compose patch FILE`", f"`authlab compose patch {quoted}`")
