"""`up`'s readiness events (services.wait's StageEvent) as journal steps, so an interrupted `up` or `ci` says which
stages had passed. Fed by the same events the live view shows: `up` itself needs no extra calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from authentik_lab.journal import Journal

COMPOSE_UP = "docker compose up -d"
COMPOSE_UP_DONE = "docker compose up -d (the containers keep running; `authlab down` stops them)"


def journaled(journal: "Journal", on_event: Callable[[Any], None] | None = None) -> Callable[[Any], None]:
    """An `on_event` for services.up that records each event in `journal`, then passes it on."""

    def handle(event: Any) -> None:
        record(journal, event)
        if on_event is not None:
            on_event(event)

    return handle


def record(journal: "Journal", event: Any) -> None:
    from authentik_lab.core.readiness import STAGE_TITLES, Stage

    if not hasattr(event, "stage"):
        # up.Prepared: the lab folder is ready (the first readiness event records that step too)
        return
    title = STAGE_TITLES.get(event.stage, str(getattr(event.stage, "value", event.stage)))
    if event.stage is Stage.CONTAINERS and event.state == "active" and journal.current is None and not journal.steps:
        # up's first event comes once the lab folder is ready, just before `docker compose up -d`
        journal.done("lab folder ready (compose file, .env)")
        journal.doing(COMPOSE_UP)
        return
    if journal.current == COMPOSE_UP:  # the wait has begun, so `docker compose up -d` has returned
        journal.done(COMPOSE_UP_DONE)
    if event.state in ("done", "skipped"):
        journal.done(title if event.state == "done" else f"{title} (skipped)")
    elif event.state == "active":
        journal.doing(f"waiting for: {title}")
