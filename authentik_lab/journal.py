"""What a command has done so far, so that an interrupt (Ctrl-C, SIGTERM) can say in one line what was done and
what was not. Services record steps as they go; the CLI boundary reads it when a signal stops the command.

Pure bookkeeping (stdlib only): recording a step costs a list append.
"""

from __future__ import annotations

from typing import Callable

# observers get ("doing" | "done", what); the fault-injection tests use one to interrupt at every step boundary
Listener = Callable[[str, str], None]


class Journal:
    def __init__(self) -> None:
        self.steps: list[str] = []  # finished steps, in order
        self.current: str | None = None  # the step under way (its effect may or may not have happened)
        self.listeners: list[Listener] = []

    def doing(self, what: str) -> None:
        self.current = what
        self._tell("doing", what)

    def done(self, what: str) -> None:
        self.steps.append(what)
        self.current = None
        self._tell("done", what)

    def _tell(self, kind: str, what: str) -> None:
        for listener in list(self.listeners):
            listener(kind, what)

    def interrupted_line(self, signal_name: str, rerun: str = "run the same command again") -> str:
        """One line: which signal, what was done, what was not, and how to finish."""
        done = "; ".join(self.steps) if self.steps else "nothing"
        if self.current:
            not_done = f"{self.current} (may or may not have taken effect) and everything after it"
        elif self.steps:
            not_done = "everything after that"
        else:
            not_done = "everything"
        return f"interrupted by {signal_name}: done: {done}. Not done: {not_done}. To finish, {rerun}: it continues from the current state"
