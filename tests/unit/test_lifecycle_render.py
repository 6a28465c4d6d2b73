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


def test_notes_print_once_when_they_happen_and_later_ones_at_the_end(tmp_path) -> None:  # noqa: ANN001
    from pathlib import Path

    from authentik_lab.cli.lifecycle_render import render_up
    from authentik_lab.services.up import Prepared, UpResult

    app = App()
    err, out = io.StringIO(), io.StringIO()
    app._err, app._out = Console(file=err, width=200, no_color=True), Console(file=out, width=200, no_color=True)
    progress = Progress(app)
    lab = Path(tmp_path)
    progress.update(Prepared("created", lab, lab / ".env", (), ("--port 9100 overrides `port: 9000` in authlab.yaml",)))
    progress.update(StageEvent(Stage.CONTAINERS, "active", "docker compose up -d", 0.0))
    result = UpResult(url="http://localhost:9100", admin_user="akadmin", version="2026.5.6", project_name="p", lab_dir=lab,
                      compose_file=lab / "compose.yml", env_file=lab / ".env", password_key="AUTHENTIK_BOOTSTRAP_PASSWORD",
                      token_key="AUTHENTIK_BOOTSTRAP_TOKEN", initialised="created", elapsed=1.0, waited=1.0, stages=(),
                      notes=("--port 9100 overrides `port: 9000` in authlab.yaml", "saved database snapshot k"))
    render_up(app, result, progress.notes_shown)
    assert err.getvalue().splitlines() == [
        f"created the lab in {lab} (settings and new secrets in .env)",
        "note: --port 9100 overrides `port: 9000` in authlab.yaml",
        "waiting: containers running (docker compose up -d)",
        "note: saved database snapshot k",  # came after the stages began: printed with the result
    ]
