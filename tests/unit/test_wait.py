"""The readiness strategy with a fake clock: the real API adapter talks to an in-process fake server."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest

from authentik_lab.adapters.authentik_api import AuthentikApi
from authentik_lab.core.readiness import ContainerState, Stage
from authentik_lab.errors import NotReadyError, WaitTimeout
from authentik_lab.services.wait import Backoff, StageEvent, wait_ready

TOKEN = "good-token"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class FakeAuthentik:
    """Answers like Authentik while it boots, on the fake clock: times are seconds after start."""

    clock: FakeClock
    live_at: float = 1.0
    ready_at: float = 2.0
    objects_at: float | None = 5.0
    flows_at: float | None = None  # default-authentication-flow exists (default: with the other objects)
    token_at: float | None = 0.0  # the worker creates the bootstrap token (real first boot: after the flows)
    token: str = TOKEN
    version: str = "2026.5.6"
    missing_mapping: str | None = None
    seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.t0 = self.clock.now

    def handler(self, request: httpx.Request) -> httpx.Response:
        t = self.clock.now - self.t0
        path = request.url.path
        self.seen.append(path)
        if t < self.live_at:
            raise httpx.ConnectError("connection refused", request=request)
        if path == "/-/health/live/":
            return httpx.Response(200)
        if path == "/-/health/ready/":
            return httpx.Response(200 if t >= self.ready_at else 503)
        worker_done = self.objects_at is not None and t >= self.objects_at
        if path.startswith("/if/flow/"):
            return httpx.Response(200 if worker_done else 404, text="<html></html>")
        if path.startswith("/api/v3/flows/executor/"):
            flows_at = self.objects_at if self.flows_at is None else self.flows_at
            return httpx.Response(200 if flows_at is not None and t >= flows_at else 404, json={})
        token_exists = self.token_at is not None and t >= self.token_at
        if not token_exists or request.headers.get("Authorization") != f"Bearer {self.token}":
            return httpx.Response(403, json={"detail": "Token invalid/expired"})
        if path == "/api/v3/admin/version/":
            return httpx.Response(200, json={"version_current": self.version, "version_latest": "0.0.0"})
        managed = request.url.params.get("managed")
        exists = worker_done and not (managed and managed == self.missing_mapping)
        results = [{"pk": "x"}] if exists else []
        return httpx.Response(200, json={"pagination": {"count": len(results), "next": 0}, "results": results})


@dataclass
class FakeEngine:
    states: list[ContainerState]
    log_lines: list[str] = field(default_factory=list)
    log_requests: list[tuple[str, str, int]] = field(default_factory=list)
    logging_services: tuple[str, ...] = ("worker",)

    def containers(self, project: str) -> list[ContainerState]:
        return list(self.states)

    def logs(self, project: str, service: str, tail: int, since: float | None = None) -> list[str]:
        self.log_requests.append((project, service, tail))
        return list(self.log_lines) if service in self.logging_services else []


def _api(server: FakeAuthentik, token: str = TOKEN) -> AuthentikApi:
    return AuthentikApi("http://authentik.test", token, retries=0, transport=httpx.MockTransport(server.handler))


def _running(*services: str) -> list[ContainerState]:
    return [ContainerState(s, f"lab-{s}-1", "running") for s in services]


def test_waits_through_every_stage_and_not_before_the_worker_objects_exist() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, objects_at=5.0)
    events: list[StageEvent] = []
    engine = FakeEngine(_running("postgresql", "server", "worker"))
    result = wait_ready(_api(server), project="lab", engine=engine, timeout=60, clock=clock, sleep=clock.sleep,
                        rng=lambda: 0.0, on_event=events.append)
    assert 5.0 <= result.elapsed <= 5.5  # noticed within one capped backoff step
    assert result.version == "2026.5.6"
    assert [(t.stage, t.state) for t in result.stages] == [
        (Stage.CONTAINERS, "done"), (Stage.LIVE, "done"), (Stage.READY, "done"), (Stage.TOKEN, "done"), (Stage.WORKER_OBJECTS, "done"),
    ]
    assert result.stages[-1].detail == "8 objects present"
    assert max(clock.sleeps) <= 0.5
    done = [e.stage for e in events if e.state == "done"]
    assert done == list(Stage)
    waiting = [e.detail for e in events if e.stage is Stage.WORKER_OBJECTS and e.state == "active"]
    assert waiting == [
        "missing flows default-provider-authorization-implicit-consent, default-provider-invalidation-flow, "
        "default-authentication-flow; scope mappings scope-openid, scope-email, scope-profile, scope-offline_access; "
        "certificate authentik Self-signed Certificate"
    ]
    assert engine.log_requests == []


def test_an_already_ready_server_takes_one_round_without_sleeping() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, live_at=0, ready_at=0, objects_at=0)
    result = wait_ready(_api(server), timeout=60, clock=clock, sleep=clock.sleep)
    assert (result.polls, clock.sleeps, result.elapsed) == (1, [], 0.0)
    assert result.stages[0].state == "skipped"  # no compose project: no containers to watch


def test_backoff_is_capped_and_jittered_downwards() -> None:
    b = Backoff(initial=0.05, factor=2, cap=0.5, jitter=0.3)
    assert [round(b.delay(n, lambda: 0.0), 3) for n in range(6)] == [0.05, 0.1, 0.2, 0.4, 0.5, 0.5]
    assert b.delay(10, lambda: 1.0) == pytest.approx(0.35)


def test_timeout_names_the_missing_objects_and_what_to_do() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, objects_at=None)
    with pytest.raises(WaitTimeout) as info:
        wait_ready(_api(server), timeout=30, clock=clock, sleep=clock.sleep, rng=lambda: 0.5)
    err = info.value
    assert err.target == "the worker to create the default flows, scope mappings and certificate"
    assert err.last_seen.startswith("missing flows default-provider-authorization-implicit-consent, ")
    assert "scope-offline_access" in err.last_seen and "authentik Self-signed Certificate" in err.last_seen
    assert err.message.startswith("timed out after 30s waiting for the worker to create")
    assert "authlab logs worker" in (err.hint or "")
    assert 30.0 <= err.waited <= 30.01


def test_timeout_while_the_server_never_answers() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, live_at=1e9)
    with pytest.raises(WaitTimeout) as info:
        wait_ready(_api(server), timeout=10, clock=clock, sleep=clock.sleep)
    assert info.value.target == "the server to answer /-/health/live/"
    assert info.value.last_seen == "GET /-/health/live/ -> no answer (connection refused or reset)"


def test_an_exited_worker_fails_fast_with_the_matching_log_lines() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, objects_at=None)
    engine = FakeEngine(
        [*_running("postgresql", "server"), ContainerState("worker", "lab-worker-1", "exited", exit_code=1)],
        log_lines=[
            '{"event": "Fixing permissions of /data /certs", "level": "info", "logger": "bootstrap"}',
            "chown: changing ownership of '/data': Operation not permitted",
            "chown: changing ownership of '/certs': Operation not permitted",
        ],
    )
    with pytest.raises(NotReadyError) as info:
        wait_ready(_api(server), project="lab", engine=engine, timeout=300, clock=clock, sleep=clock.sleep)
    err = info.value
    assert err.message.startswith("the worker container exited (exited, exit code 1): the worker runs as root")
    assert err.evidence == [
        "chown: changing ownership of '/data': Operation not permitted",
        "chown: changing ownership of '/certs': Operation not permitted",
    ]
    assert "authlab compose patch" in (err.hint or "")
    assert engine.log_requests == [("lab", "worker", 80)]
    assert clock.now == 1000.0  # first round, no waiting


def test_a_crash_loop_seen_as_running_fails_once_the_restart_count_grows() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, objects_at=None)
    engine = FakeEngine(_running("server", "worker"), log_lines=["Traceback (most recent call last):", "boom"])

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if clock.now - 1000.0 > 3:
            engine.states = [engine.states[0], ContainerState("worker", "lab-worker-1", "running", restart_count=1)]

    with pytest.raises(NotReadyError) as info:
        wait_ready(_api(server), project="lab", engine=engine, timeout=300, clock=clock, sleep=sleep)
    assert info.value.message == "the worker container keeps restarting (running, restarted 1x)"
    assert info.value.evidence == ["Traceback (most recent call last):", "boom"]  # nothing known: the last lines
    assert "authlab logs worker" in (info.value.hint or "")
    assert clock.now - 1000.0 < 4


def test_a_rejected_token_fails_once_the_flows_exist_on_a_database_that_existed() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, objects_at=3.0)
    with pytest.raises(NotReadyError) as info:
        wait_ready(_api(server, token="another-token"), timeout=300, clock=clock, sleep=clock.sleep, db_booted=True)
    err = info.value
    assert err.message == "Authentik rejects the bootstrap token from .env (403 'Token invalid/expired')"
    assert err.evidence == ["GET /api/v3/admin/version/ -> HTTP 403 'Token invalid/expired'",
                            "this database finished its first boot before, and its worker's objects exist"]
    assert "initialised with another AUTHENTIK_BOOTSTRAP_TOKEN" in (err.hint or "")
    assert "authlab down --volumes" in (err.hint or "")
    assert 3.0 <= clock.now - 1000.0 <= 3.6


def test_with_an_unknown_database_a_refusal_is_final_a_grace_after_the_flows() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, objects_at=3.0)
    with pytest.raises(NotReadyError) as info:
        wait_ready(_api(server, token="another-token"), timeout=300, token_grace=10, clock=clock, sleep=clock.sleep,
                   rng=lambda: 0.0)
    assert info.value.evidence[1] == "still refused 10s after the worker's flows appeared"
    assert 13.0 <= clock.now - 1000.0 <= 13.6


def test_without_the_flows_a_refusal_is_never_final() -> None:
    """No flows, no bootstrap: the worker has not run its pass, whatever the database's age."""
    for db_booted in (True, None, False):
        clock = FakeClock()
        server = FakeAuthentik(clock, objects_at=None)
        with pytest.raises(WaitTimeout) as info:
            wait_ready(_api(server, token="another-token"), timeout=120, token_grace=10, clock=clock, sleep=clock.sleep,
                       db_booted=db_booted)
        assert info.value.target == "the worker to apply its first blueprints (the default flows, then the bootstrap token)"
        assert info.value.last_seen.startswith("worker has not applied the default flows yet")


def test_on_a_fresh_database_a_late_token_is_waited_for() -> None:
    """real-boot-2026.2.2 in proportion: ready at 2, the flows at 4, the token at 9 (past any short grace), all at 12."""
    for db_booted in (False, None):
        clock = FakeClock()
        server = FakeAuthentik(clock, flows_at=4.0, token_at=9.0, objects_at=12.0)
        events: list[StageEvent] = []
        result = wait_ready(_api(server), timeout=300, token_grace=60, clock=clock, sleep=clock.sleep,
                            db_booted=db_booted, on_event=events.append)
        token = next(t for t in result.stages if t.stage is Stage.TOKEN)
        assert 9.0 <= token.at <= 9.6
        assert 12.0 <= result.elapsed <= 12.6
        waiting = [e.detail for e in events if e.stage is Stage.TOKEN and e.state == "active"]
        assert waiting[0].startswith("worker has not applied the default flows yet: bootstrap token not created yet")
        assert waiting[-1].startswith("worker is applying blueprints: bootstrap token not created yet")


def test_on_a_fresh_database_even_a_wrong_token_only_times_out() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, objects_at=3.0)
    with pytest.raises(WaitTimeout) as info:
        wait_ready(_api(server, token="another-token"), timeout=100, token_grace=5, clock=clock, sleep=clock.sleep,
                   db_booted=False)
    assert info.value.target == "Authentik to accept the bootstrap token"
    assert "is the worker running and does it get AUTHENTIK_BOOTSTRAP_TOKEN" in (info.value.hint or "")


def test_old_release_uses_its_own_paths_from_admin_version() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, live_at=0, ready_at=0, objects_at=0, version="2024.2.1")
    result = wait_ready(_api(server), timeout=5, clock=clock, sleep=clock.sleep, fallback_version="2026.5.6")
    assert result.version == "2024.2.1"
    assert "/api/v3/propertymappings/scope/" in server.seen
    assert "/api/v3/propertymappings/provider/scope/" not in server.seen
    assert result.stages[-1].detail == "7 objects present"  # no invalidation flow before 2024.10


def test_without_a_token_the_flows_are_checked_through_their_pages() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, objects_at=4.0)
    result = wait_ready(_api(server, token=""), has_token=False, timeout=60, clock=clock, sleep=clock.sleep, rng=lambda: 0)
    assert [(t.stage, t.state) for t in result.stages][3:] == [(Stage.TOKEN, "skipped"), (Stage.WORKER_OBJECTS, "done")]
    assert result.stages[-1].detail == "3 objects present"
    assert 4.0 <= result.elapsed <= 4.5


def test_stuck_while_a_running_service_logs_a_known_failure_names_it() -> None:
    """A wrong PG_PASS: nothing exits, the server just stays at 503 and logs why; the wait reads the logs."""
    clock = FakeClock()
    server = FakeAuthentik(clock, ready_at=1e9)
    engine = FakeEngine(
        _running("postgresql", "server", "worker"),
        log_lines=['{"event": "PostgreSQL connection failed, retrying...", "error": "FATAL:  password authentication failed for user \\"authentik\\""}'],
        logging_services=("server",),
    )
    with pytest.raises(NotReadyError) as info:
        wait_ready(_api(server), project="lab", engine=engine, timeout=300, clock=clock, sleep=clock.sleep, rng=lambda: 0.0)
    err = info.value
    assert err.message.startswith('stuck at "server ready (/-/health/ready/)": PostgreSQL rejects the password of user authentik')
    assert err.message.endswith("(seen in the server log)")
    assert "authlab down --volumes" in (err.hint or "")
    assert len(err.evidence) == 1
    # alive at 1 s (seen within one capped step), then no progress: the logs are read STUCK_AFTER (5 s) later,
    # long before the timeout
    assert 6.0 <= clock.now - 1000.0 <= 7.0
    assert [r[1] for r in engine.log_requests] == ["postgresql", "server"]


def test_stuck_with_nothing_known_in_the_logs_waits_until_the_timeout() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, ready_at=1e9)
    engine = FakeEngine(_running("postgresql", "server"), log_lines=["just starting"], logging_services=("server",))
    with pytest.raises(WaitTimeout):
        wait_ready(_api(server), project="lab", engine=engine, timeout=20, clock=clock, sleep=clock.sleep)
    scans = len(engine.log_requests) // 2  # each scan reads both services
    assert 2 <= scans <= 4  # every 5 s once stuck, not every round


# --- unhealthy: final only with a known failure in the log, or after the grace period without progress -------------


def _sick_server(clock: FakeClock, healthy_at: float | None = None) -> FakeEngine:
    """postgresql healthy, worker running, the server's health check failing (until `healthy_at`, if given)."""
    engine = FakeEngine([], log_lines=["Applying authentik_core.0042_slow_migration... OK"], logging_services=("server",))
    t0 = clock.now

    def containers(project: str) -> list[ContainerState]:
        health = "healthy" if healthy_at is not None and clock.now - t0 >= healthy_at else "unhealthy"
        return [ContainerState("postgresql", "lab-postgresql-1", "running", "healthy"),
                ContainerState("server", "lab-server-1", "running", health), ContainerState("worker", "lab-worker-1", "running")]

    engine.containers = containers  # type: ignore[method-assign]
    return engine


def test_an_unhealthy_server_during_a_slow_first_start_is_waited_for_while_stages_pass() -> None:
    clock = FakeClock()
    # every stage passes less than 60 s after the one before, the last one 110 s in; healthy again at 100 s
    server = FakeAuthentik(clock, live_at=50.0, ready_at=80.0, objects_at=110.0)
    engine = _sick_server(clock, healthy_at=100.0)
    result = wait_ready(_api(server), project="lab", engine=engine, timeout=300, clock=clock, sleep=clock.sleep, rng=lambda: 0.0)
    assert 110.0 <= result.elapsed <= 110.5
    assert [t.state for t in result.stages] == ["done"] * 5
    assert result.stages[0].detail == "postgresql running (healthy), server running (unhealthy), worker running"
    # the server's log was read for a known failure when it turned unhealthy, then every 5 s until healthy again
    scans = [r for r in engine.log_requests if r == ("lab", "server", 80)]
    assert 19 <= len(scans) <= 21


def test_an_unhealthy_server_with_no_progress_fails_after_the_grace_period() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, live_at=1e9)
    with pytest.raises(NotReadyError) as info:
        wait_ready(_api(server), project="lab", engine=_sick_server(clock), timeout=300, clock=clock, sleep=clock.sleep)
    err = info.value
    assert err.message == "the server container is unhealthy and no readiness stage passed for 60s (running (unhealthy))"
    assert err.evidence == ["Applying authentik_core.0042_slow_migration... OK"]  # nothing known: its last lines
    assert "authlab logs server" in (err.hint or "")
    assert 60.0 <= clock.now - 1000.0 <= 60.5  # the containers stage passed at once: 60 s from there


def test_a_stage_passing_restarts_the_grace_period() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, live_at=40.0, ready_at=1e9)
    with pytest.raises(NotReadyError) as info:
        wait_ready(_api(server), project="lab", engine=_sick_server(clock), timeout=300, clock=clock, sleep=clock.sleep,
                   rng=lambda: 0.0)
    assert info.value.message == "the server container is unhealthy and no readiness stage passed for 60s (running (unhealthy))"
    # live passed at 40 s (seen within one 0.5 s step): 60 s from there, not from when it turned unhealthy
    assert 100.0 <= clock.now - 1000.0 <= 101.0


def test_an_unhealthy_server_with_a_known_failure_in_its_log_fails_at_once() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, live_at=1e9)
    engine = _sick_server(clock)
    engine.log_lines = ['{"event": "PostgreSQL connection failed, retrying...", "error": "FATAL:  password authentication failed for user \\"authentik\\""}']
    with pytest.raises(NotReadyError) as info:
        wait_ready(_api(server), project="lab", engine=engine, timeout=300, clock=clock, sleep=clock.sleep)
    err = info.value
    assert err.message.startswith("the server container is unhealthy (running (unhealthy)): PostgreSQL rejects the password of user authentik")
    assert "authlab down --volumes" in (err.hint or "")
    assert clock.now == 1000.0  # the first round: no grace period for a known failure


def test_an_exit_stays_fail_fast_next_to_an_unhealthy_container() -> None:
    clock = FakeClock()
    server = FakeAuthentik(clock, objects_at=None)
    engine = FakeEngine([ContainerState("server", "lab-server-1", "running", "unhealthy"),
                         ContainerState("worker", "lab-worker-1", "exited", exit_code=1)], log_lines=["boom"])
    with pytest.raises(NotReadyError) as info:
        wait_ready(_api(server), project="lab", engine=engine, timeout=300, clock=clock, sleep=clock.sleep)
    assert info.value.message == "the worker container exited (exited, exit code 1)"
    assert clock.now == 1000.0
