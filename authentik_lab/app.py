"""The one object every command receives: settings, output mode, consoles and lazily built clients.

Built once in the root typer callback. Commands never construct clients themselves, so tests can swap
any factory here (or point the settings at a stand-in server) without patching modules.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from authentik_lab import envnames
from authentik_lab.journal import Journal

if TYPE_CHECKING:  # heavy imports stay off the start-up path
    from rich.console import Console

    from authentik_lab.adapters.authentik_api import AuthentikApi
    from authentik_lab.adapters.compose import ComposeRunner
    from authentik_lab.adapters.engine import Engine


def default_lab_dir() -> Path:
    return Path(os.environ.get(envnames.LAB_DIR) or ".authlab")


@dataclass
class App:
    lab_dir: Path = field(default_factory=default_lab_dir)
    debug: bool = False
    json: bool = False
    # factories: tests replace these; production builds real clients on first use
    api_factory: Callable[..., "AuthentikApi"] | None = None
    compose_factory: Callable[..., "ComposeRunner"] | None = None
    engine_factory: Callable[[], "Engine"] | None = None
    journal: Journal = field(default_factory=Journal)  # what the command has done, for an interrupt's report
    _out: Any = None
    _err: Any = None

    @property
    def ci(self) -> bool:
        return os.environ.get(envnames.CI, "").lower() in {"1", "true", "yes"}

    @property
    def interactive(self) -> bool:
        """Spinners, live views and prompts only for a person at a terminal."""
        return not self.json and not self.ci and sys.stderr.isatty() and sys.stdin.isatty()

    @property
    def out(self) -> "Console":
        """Data goes to stdout."""
        if self._out is None:
            self._out = _console(stderr=False)
        return self._out

    @property
    def err(self) -> "Console":
        """Progress, warnings and errors go to stderr, so `--json` stdout stays parseable."""
        if self._err is None:
            self._err = _console(stderr=True)
        return self._err

    def api(self, base_url: str, token: str | None, **kw: Any) -> "AuthentikApi":
        if self.api_factory is not None:
            return self.api_factory(base_url, token, **kw)
        from authentik_lab.adapters.authentik_api import AuthentikApi

        return AuthentikApi(base_url, token, **kw)

    def compose(self, **kw: Any) -> "ComposeRunner":
        if self.compose_factory is not None:
            return self.compose_factory(**kw)
        from authentik_lab.adapters.compose import ComposeRunner

        return ComposeRunner(**kw)

    def engine(self) -> "Engine":
        """Read-only Docker engine facts (container states, logs); the SDK is imported on first use."""
        if self.engine_factory is not None:
            return self.engine_factory()
        from authentik_lab.adapters.engine import Engine

        return Engine()


def _console(stderr: bool) -> "Console":
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich's own answer is exit 1, indistinguishable from a failure; the CLI boundary stops quietly instead
            self.quiet = True
            raise BrokenPipeError(32, "the reader of this stream went away")

    no_color = bool(os.environ.get(envnames.NO_COLOR))
    return _Console(stderr=stderr, no_color=no_color, highlight=False, soft_wrap=True)
