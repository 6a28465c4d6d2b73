"""The containers' side of the readiness wait: what ends it early, and with which evidence.

A container that exited or restart-loops ends the wait at once. An unhealthy one only with a known failure in its
log, or once it has stayed unhealthy for the grace period while no readiness stage passed (a slow first migration
can fail Authentik's health check and still finish). While a stage is stuck, the logs of every service are read
now and then for a known failure (a wrong PG_PASS exits nothing: the server retries forever and only says so in
its log). Log lines older than `logs_since` belong to earlier runs and are not read for patterns.
"""

from __future__ import annotations

from typing import Any, Callable

from authentik_lab.core import log_patterns
from authentik_lab.core.readiness import UNHEALTHY_GRACE, ContainerState, ContainerVerdict, judge_containers, unhealthy_is_final
from authentik_lab.errors import NotReadyError

# Stuck this long on one stage (or unhealthy this long since the last look), the logs are read for a known failure.
STUCK_AFTER = 5.0


class ContainerWatch:
    def __init__(self, engine: Any, project: str, clock: Callable[[], float], logs_since: float | None,
                 unhealthy_grace: float = UNHEALTHY_GRACE) -> None:
        self.engine, self.project, self.clock, self.logs_since = engine, project, clock, logs_since
        self.unhealthy_grace = unhealthy_grace
        self.baseline: dict[str, int] | None = None  # restart counts at the first look
        self.services: list[str] = []
        self.scanned_at = clock()
        self.unhealthy_since: dict[str, float] = {}  # container name -> when it was first seen unhealthy
        self.unhealthy_scanned: dict[str, float] = {}  # container name -> when its log was last read

    def check(self, progress_at: float) -> ContainerVerdict:
        """Look at the containers; raise NotReadyError on a definitive failure. `progress_at` is when a readiness
        stage last passed."""
        states = self.engine.containers(self.project)
        self.services = sorted({c.service for c in states})
        if self.baseline is None and states:
            self.baseline = {c.name: c.restart_count for c in states}
        verdict = judge_containers(states, self.baseline)
        if verdict.status == "failed":
            raise self.failure(verdict.failing, verdict.reason)  # type: ignore[arg-type]
        self._watch_unhealthy(verdict.unhealthy, progress_at)
        return verdict

    def _watch_unhealthy(self, sick: tuple[ContainerState, ...], progress_at: float) -> None:
        now = self.clock()
        names = {c.name for c in sick}
        for name in [n for n in self.unhealthy_since if n not in names]:  # healthy again: its clock starts over
            del self.unhealthy_since[name]
            self.unhealthy_scanned.pop(name, None)
        for c in sick:
            since = self.unhealthy_since.setdefault(c.name, now)
            if c.name not in self.unhealthy_scanned or now - self.unhealthy_scanned[c.name] >= STUCK_AFTER:
                self.unhealthy_scanned[c.name] = now
                found = log_patterns.diagnose(self.engine.logs(self.project, c.service, 80, since=self.logs_since))
                if found is not None:
                    raise NotReadyError(f"the {c.service} container is unhealthy ({c.summary}): {found.diagnosis}",
                                        hint=found.fix, evidence=list(found.lines))
            if unhealthy_is_final(since, progress_at, now, self.unhealthy_grace):
                reason = f"the {c.service} container is unhealthy and no readiness stage passed for {self.unhealthy_grace:.0f}s"
                raise self.failure(c, reason)

    def failure(self, failing: ContainerState, reason: str) -> NotReadyError:
        lines = self.engine.logs(self.project, failing.service, 80)
        found = log_patterns.diagnose(lines)
        if found is not None:
            return NotReadyError(f"{reason} ({failing.summary}): {found.diagnosis}", hint=found.fix, evidence=list(found.lines))
        tail = [line for line in lines if line.strip()][-8:]
        return NotReadyError(
            f"{reason} ({failing.summary})",
            hint=f"its last log lines are above; `authlab logs {failing.service}` shows more",
            evidence=tail,
        )

    def scan_if_stuck(self, stage_title: str, progress_at: float) -> None:
        """Every STUCK_AFTER s while no stage passes: a known failure in any service's recent log ends the wait."""
        now = self.clock()
        if now - progress_at < STUCK_AFTER or now - self.scanned_at < STUCK_AFTER:
            return
        self.scanned_at = now
        for service in self.services:
            found = log_patterns.diagnose(self.engine.logs(self.project, service, 60, since=self.logs_since))
            if found is not None:
                raise NotReadyError(f"stuck at \"{stage_title}\": {found.diagnosis} (seen in the {service} log)",
                                    hint=found.fix, evidence=list(found.lines))
