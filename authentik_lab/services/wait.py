"""Wait until an Authentik lab is really usable: a readiness strategy, not a sleep loop.

Each round walks the stages (containers -> live -> ready -> token -> worker objects) as far as they pass, so a
server that is already up is reported ready in one round. Between rounds: capped exponential backoff with jitter
(the cap stays near 0.5 s so `up` notices readiness quickly). Definitive states end the wait at once: a container
that exited or restarts (with the matching log lines and a fix), or a rejected bootstrap token once Authentik has
finished its first start. An unhealthy container is final only with a known failure in its log, or after
UNHEALTHY_GRACE seconds without any stage passing: a slow first migration can fail a health check and still finish.
The clock, sleep and randomness are injectable so tests run instantly.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from authentik_lab.core.readiness import (
    STAGE_TARGETS,
    STAGE_TIMEOUT_HINTS,
    STAGES,
    TOKEN_GRACE,
    UNHEALTHY_GRACE,
    WORKER_FIRST_PASS,
    Stage,
)
from authentik_lab.errors import WaitTimeout

# the waiter's reports, importable from here as before
from authentik_lab.services.wait_stages import ReadyResult, StageEvent, StageTiming, StageWaiter

if TYPE_CHECKING:
    from authentik_lab.adapters.authentik_api import AuthentikApi


@dataclass(frozen=True)
class Backoff:
    initial: float = 0.05
    factor: float = 1.6
    cap: float = 0.5
    jitter: float = 0.3  # fraction taken off at random, so parallel waiters do not poll in lockstep

    def delay(self, attempt: int, rng: Callable[[], float]) -> float:
        return min(self.cap, self.initial * self.factor**attempt) * (1.0 - self.jitter * rng())


def wait_ready(
    api: "AuthentikApi",
    *,
    project: str | None = None,
    engine: Any = None,
    has_token: bool = True,
    fallback_version: str | None = None,
    timeout: float = 300.0,
    token_grace: float = TOKEN_GRACE,
    db_booted: bool | None = None,
    unhealthy_grace: float = UNHEALTHY_GRACE,
    logs_since: float | None = None,
    backoff: Backoff = Backoff(),
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
    on_event: Callable[[StageEvent], None] | None = None,
    started_at: float | None = None,
) -> ReadyResult:
    """Block until every stage passed; raise NotReadyError (definitive failure) or WaitTimeout.

    `engine` (with `.containers(project)` and `.logs(project, service, tail, since=)`, like adapters.engine.Engine) is
    watched only when `project` is given; a plain server process has no containers.
    `db_booted`: True when an earlier run saw this database through a complete first boot, False when this start
    creates it, None when unknown; with a fresh database a refused bootstrap token is never final (the worker
    creates it), see core.readiness.judge_token_refusal.
    `started_at` (a `clock()` reading) backdates the wait, e.g. to when `docker compose up -d` began: stage times and
    `timeout` then count from there, so the time compose spent is neither hidden nor free.
    """
    waiter = StageWaiter(api, project, engine if project else None, has_token, fallback_version, token_grace, logs_since,
                     clock, on_event, unhealthy_grace, started_at, db_booted)
    start = waiter.start
    attempt = 0
    try:
        while True:
            before = waiter.state.stage_index
            if waiter.round():
                return waiter.result()
            if waiter.state.stage_index > before:
                attempt = 0  # the next stage usually follows quickly: poll it fast again
            waited = clock() - start
            if waited >= timeout:
                stage = STAGES[waiter.state.stage_index]
                target = STAGE_TARGETS[stage]
                if stage is Stage.TOKEN and waiter.state.flows_seen_at is None:
                    target = WORKER_FIRST_PASS  # not even the flows: the worker never got going
                raise WaitTimeout(target, waited, waiter.state.last_seen, hint=STAGE_TIMEOUT_HINTS[stage])
            sleep(min(backoff.delay(attempt, rng), max(0.0, timeout - waited)))
            attempt += 1
    finally:
        waiter.close()


__all__ = ["Backoff", "ReadyResult", "StageEvent", "StageTiming", "wait_ready"]
