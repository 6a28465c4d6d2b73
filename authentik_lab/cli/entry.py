"""The console script's first code: a short-lived process's garbage-collector settings, then the CLI.

Why: every `authlab` run imports about 700 modules (typer with pydantic, rich, httpx, the docker SDK, yaml) and
then exits. CPython's cyclic collector rescans that whole heap as it grows and once more while the interpreter
shuts down, which cost a third of a second of CPU per `authlab doctor` on this project's 2-core machine
(`benchmarks/doctor.py`; measured with `gc.callbacks` and against `gc.disable()`). So, after the documented
`gc.freeze()` recipe (https://docs.python.org/3/library/gc.html#gc.freeze):

- the collector is off while the CLI's own modules load, then everything loaded so far is frozen (never rescanned)
  and the collector is on again for the command itself, so long runs (`up`'s wait, `logs --follow`) still
  reclaim their cycles;
- the last exit handler freezes the heap again, so the shutdown collection skips objects the process is about to
  drop anyway. Files are closed by their `with` blocks and stdout is flushed by `cli.main.run` before that.

`python -m authentik_lab` goes through here too. Tests that call `cli.main` in-process keep Python's defaults.
"""

from __future__ import annotations

import atexit
import gc
from typing import NoReturn


def run() -> None:
    """`authlab` (see module docstring). Exits like `cli.main.run`: 0, an `ExitCode`, 130/143 on signals, 141 on a
    closed stdout. Ctrl-C while the CLI still loads, or before a command's own handler runs (typer building the
    commands), is one line and 130, not a traceback: nothing was done yet."""
    gc.disable()
    atexit.register(gc.freeze)  # registered first, so it runs last
    try:
        from authentik_lab.cli.main import run as main
    except KeyboardInterrupt:
        _interrupted("while authlab was starting")
    finally:
        gc.freeze()
        gc.enable()
    try:
        main()
    except KeyboardInterrupt:
        _interrupted("before the command started")


def _interrupted(when: str) -> NoReturn:
    import sys

    print(f"interrupted (SIGINT) {when}: nothing was done", file=sys.stderr)
    raise SystemExit(130) from None
