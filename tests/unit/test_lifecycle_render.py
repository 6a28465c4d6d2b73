"""The live stage view: an active stage shows how long it has been running (compose can take 30 s)."""

from __future__ import annotations

import io
import time

from rich.console import Console

from authentik_lab.app import App
from authentik_lab.cli.lifecycle_render import Progress
from authentik_lab.core.readiness import Stage
from authentik_lab.services.wait import StageEvent


def _text(renderable: object) -> str:
    buf = io.StringIO()
    Console(file=buf, width=120, no_color=True).print(renderable)
    return buf.getvalue()


def _seconds(row: str) -> float:
    import re

    return float(re.search(r"(\d+\.\d)s", row).group(1))  # type: ignore[union-attr]


def test_the_active_row_shows_elapsed_time_that_keeps_counting() -> None:
    progress = Progress(App())
    progress.app._err = Console(file=io.StringIO())  # plain mode output goes nowhere here
    progress.update(StageEvent(Stage.CONTAINERS, "active", "docker compose up -d", 2.0))
    first = _text(progress._table()).splitlines()[0]
    assert "containers running" in first and 2.0 <= _seconds(first) < 4.0  # generous: a loaded runner may pause
    time.sleep(0.3)
    later = _text(progress._table()).splitlines()[0]
    assert _seconds(later) >= _seconds(first) + 0.2  # rebuilt on every refresh: the clock ticks while compose runs
    progress.update(StageEvent(Stage.CONTAINERS, "done", "3 containers running", 31.5))
    assert "31.5s" in _text(progress._table()).splitlines()[0]
