"""One readiness round of services.wait: walk the stages (containers -> live -> ready -> token -> worker objects)
as far as they pass now, and record what was seen. services.wait decides how long to keep asking.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

from authentik_lab.adapters.authentik_api import NO_ANSWER
from authentik_lab.core.dialect import Dialect
from authentik_lab.core.readiness import (
    AUTH_FLOW_EXECUTOR,
    LIVE_PATH,
    READY_PATH,
    STAGE_TITLES,
    STAGES,
    TOKEN_REJECTED_HINT,
    UNHEALTHY_GRACE,
    VERSION_PATH,
    Stage,
    WorkerObject,
    judge_token_refusal,
    missing_summary,
    required_flows,
    token_rejected,
    worker_objects,
)
from authentik_lab.core.templates import DEFAULT_VERSION  # assumed when neither server nor lab names a release
from authentik_lab.errors import NotReadyError
from authentik_lab.services.wait_containers import ContainerWatch

# Errors that mean "not up yet", never "broken": the port is not open, the router restarts, a slow answer.
TRANSIENT = NO_ANSWER


@dataclass(frozen=True)
class StageEvent:
    stage: Stage
    state: str  # "active" | "done" | "skipped"
    detail: str
    elapsed: float


@dataclass(frozen=True)
class StageTiming:
    stage: Stage
    state: str  # "done" | "skipped"
    at: float  # seconds since the wait began
    detail: str


@dataclass(frozen=True)
class ReadyResult:
    url: str
    version: str | None
    elapsed: float
    polls: int
    stages: tuple[StageTiming, ...]


@dataclass
class _State:
    stage_index: int = 0
    last_seen: str = "nothing yet"
    version: str | None = None
    ready_at: float | None = None
    flows_seen_at: float | None = None  # when the flow executor first found default-authentication-flow
    timings: list[StageTiming] = field(default_factory=list)
    details: dict[Stage, str] = field(default_factory=dict)


class StageWaiter:
    def __init__(self, api: Any, project: str | None, engine: Any, has_token: bool, fallback_version: str | None,
                 token_grace: float, logs_since: float | None, clock: Callable[[], float],
                 on_event: Callable[[StageEvent], None] | None, unhealthy_grace: float = UNHEALTHY_GRACE,
                 started_at: float | None = None, db_booted: bool | None = None) -> None:
        self.api, self.has_token = api, has_token
        self.fallback_version, self.token_grace, self.clock, self.on_event = fallback_version, token_grace, clock, on_event
        self.db_booted = db_booted
        self.state = _State()
        self.start = clock() if started_at is None else started_at
        self.polls = 0
        self.progress_at = self.start  # when a stage last passed
        # logs_since is wall-clock time: older log lines belong to earlier runs
        self.watch = ContainerWatch(engine, project, clock, logs_since, unhealthy_grace) if engine is not None else None
        self._pool: ThreadPoolExecutor | None = None

    # --- one round -------------------------------------------------------------------------------

    def round(self) -> bool:
        """Advance through as many stages as pass now; True when all passed."""
        self.polls += 1
        if self.watch is not None:
            verdict = self.watch.check(self.progress_at)
            if self.state.stage_index == 0:
                if verdict.status == "ok":
                    self._done(Stage.CONTAINERS, "done", verdict.summary)
                else:
                    self._seen(Stage.CONTAINERS, verdict.summary)
        elif self.state.stage_index == 0:
            self._done(Stage.CONTAINERS, "skipped", "not watched (no compose project)")
        checks = {Stage.LIVE: self._health(LIVE_PATH), Stage.READY: self._health(READY_PATH)}
        while self.state.stage_index < len(STAGES):
            stage = STAGES[self.state.stage_index]
            if stage is Stage.CONTAINERS:
                return False  # the container watch above advances it
            passed = checks[stage]() if stage in checks else (self._token() if stage is Stage.TOKEN else self._objects())
            if not passed:
                if self.watch is not None:
                    self.watch.scan_if_stuck(STAGE_TITLES[stage], self.progress_at)
                return False
        return True

    def _health(self, path: str) -> Callable[[], bool]:
        stage = Stage.LIVE if path == LIVE_PATH else Stage.READY

        def check() -> bool:
            status, _ = self._get(path)
            if status is not None and 200 <= status < 300:
                self._done(stage, "done", f"HTTP {status}")
                return True
            self._seen(stage, f"GET {path} -> {_describe(status)}")
            return False

        return check

    def _token(self) -> bool:
        if not self.has_token:
            self._done(Stage.TOKEN, "skipped", "no AUTHENTIK_BOOTSTRAP_TOKEN in .env")
            return True
        if self.state.ready_at is None:
            self.state.ready_at = self.clock()
        status, body = self._get(f"/api/v3/{VERSION_PATH}")
        if status == 200 and isinstance(body, dict):
            self.state.version = body.get("version_current")
            self._done(Stage.TOKEN, "done", f"Authentik {self.state.version}")
            return True
        seen = f"GET /api/v3/{VERSION_PATH} -> {_describe(status)}{_detail(body)}"
        if status is not None and token_rejected(status, body):
            # Right after ready the worker may not have created the token yet (real first boot: tens of seconds
            # later, after the default flows): only a refusal that outlasts the worker's pass is the wrong token.
            if self.state.flows_seen_at is None and self._get(AUTH_FLOW_EXECUTOR, anonymous=True)[0] == 200:
                self.state.flows_seen_at = self.clock()
            flows = self.state.flows_seen_at is not None
            verdict = judge_token_refusal(self.db_booted, flows, self.clock() - (self.state.flows_seen_at or self.clock()),
                                          self.token_grace)
            if verdict.final:
                raise NotReadyError(
                    f"Authentik rejects the bootstrap token from .env ({status}{_detail(body)})",
                    hint=TOKEN_REJECTED_HINT,
                    evidence=[seen, verdict.detail],
                )
            seen = f"{verdict.detail} ({seen})"
        self._seen(Stage.TOKEN, seen)
        return False

    def _objects(self) -> bool:
        dialect = Dialect.for_version(_usable_version(self.state.version, self.fallback_version))
        if self.has_token:
            wanted = worker_objects(dialect)
            found = self._map(self._object_exists, wanted)
        else:  # without a token only the flows can be seen, through their public pages
            wanted = tuple(WorkerObject("flow", slug, "", "slug") for slug in required_flows(dialect))
            found = self._map(lambda o: self._page_exists(f"/if/flow/{o.key}/"), wanted)
        missing = [o for o, ok in zip(wanted, found) if not ok]
        if not missing:
            self._done(Stage.WORKER_OBJECTS, "done", f"{len(wanted)} objects present")
            return True
        self._seen(Stage.WORKER_OBJECTS, f"missing {missing_summary(missing)}")
        return False

    def _object_exists(self, obj: WorkerObject) -> bool:
        status, body = self._get(f"/api/v3/{obj.path}", params=obj.params)
        return status == 200 and isinstance(body, dict) and bool(body.get("results"))

    # --- plumbing --------------------------------------------------------------------------------

    def _get(self, path: str, params: dict | None = None, anonymous: bool = False) -> tuple[int | None, Any]:
        try:
            response = self.api.raw("GET", path, params=params, anonymous=anonymous)
        except TRANSIENT as exc:
            return None, type(exc).__name__
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = None
        return response.status_code, body

    def _page_exists(self, path: str) -> bool:
        return self._get(path)[0] == 200

    def _map(self, fn: Callable[[Any], bool], items: tuple) -> list[bool]:
        # a handful of GETs in parallel keeps one round well under the backoff cap
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="authlab-wait")
        return list(self._pool.map(fn, items))

    def _seen(self, stage: Stage, detail: str) -> None:
        self.state.last_seen = detail
        if self.state.details.get(stage) != detail:
            self.state.details[stage] = detail
            self._emit(StageEvent(stage, "active", detail, self.clock() - self.start))

    def _done(self, stage: Stage, state: str, detail: str) -> None:
        self.progress_at = self.clock()
        at = self.clock() - self.start
        self.state.timings.append(StageTiming(stage, state, at, detail))
        self.state.stage_index += 1
        self._emit(StageEvent(stage, state, detail, at))

    def _emit(self, event: StageEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def result(self) -> ReadyResult:
        return ReadyResult(self.api.base_url, self.state.version or self.fallback_version, self.clock() - self.start,
                           self.polls, tuple(self.state.timings))

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


def _describe(status: int | None) -> str:
    return "no answer (connection refused or reset)" if status is None else f"HTTP {status}"


def _detail(body: Any) -> str:
    return f" {body['detail']!r}" if isinstance(body, dict) and body.get("detail") else ""


def _usable_version(*candidates: str | None) -> str:
    for text in candidates:
        try:
            if text:
                Dialect.for_version(text)
                return text
        except ValueError:
            continue
    return DEFAULT_VERSION
