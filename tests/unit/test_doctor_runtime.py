"""core.doctor.runtime and core.doctor.http: containers, logs, ports, health, token, worker objects, clock."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from authentik_lab.core.doctor import http as dh
from authentik_lab.core.doctor import runtime as dr
from authentik_lab.core.checks import FAIL, OK, WARN, Skip
from authentik_lab.core.dialect import Dialect
from authentik_lab.core.doctor.provider import Fetched
from authentik_lab.core.readiness import ContainerState, worker_objects

RUNNING = [ContainerState("postgresql", "p-1", "running", "healthy"), ContainerState("server", "s-1", "running"),
           ContainerState("worker", "w-1", "running")]


def test_containers_running_pass_crash_loop_and_exit_fail() -> None:
    assert dr.check_containers(RUNNING, ["postgresql", "server", "worker"]).status == OK
    looping = [*RUNNING[:2], ContainerState("worker", "w-1", "running", restart_count=5)]
    assert dr.check_containers(looping, ["worker"]).summary == "worker is restart-looping (5 restarts)"
    exited = [*RUNNING[:2], ContainerState("worker", "w-1", "exited", exit_code=1)]
    assert dr.check_worker(exited).summary == "the worker is exited (exit code 1)"
    assert dr.check_worker(RUNNING[:2]).status == FAIL
    assert dr.check_worker(RUNNING[:2]).messages[0].fix == "add the worker service (`authlab init` writes it) and `authlab up`"
    never = dr.check_worker(RUNNING[:2], ["postgresql", "server", "worker"])
    assert (never.status, never.summary) == (FAIL, "the worker service was never started (it is in the compose file, but no container of it exists)")
    assert never.messages[0].fix == "`authlab up` starts it (`docker compose up -d worker` for a compose file of your own)"
    with pytest.raises(Skip):
        dr.check_containers(None, [])


def test_a_stopped_container_shows_no_stale_health_status() -> None:
    stopped = [ContainerState("postgresql", "p-1", "running", "healthy"), ContainerState("server", "s-1", "running", "unhealthy"),
               ContainerState("worker", "w-1", "exited", "unhealthy", exit_code=0)]
    o = dr.check_containers(stopped, ["postgresql", "server", "worker"])
    assert o.evidence == ("postgresql: running (healthy)", "server: running (unhealthy)", "worker: exited, exit code 0")
    assert [m.text for m in o.messages] == ["server is unhealthy", "worker is exited (exit code 0)"]


def test_logs_name_known_failures_with_evidence() -> None:
    assert dr.check_logs({"worker": ["all fine"]}).status == OK
    o = dr.check_logs({"worker": ["chown: changing ownership of '/data': Permission denied"]})
    assert o.status == FAIL and o.evidence == ("worker| chown: changing ownership of '/data': Permission denied",)


def test_ports_answer_as_authentik_or_not() -> None:
    ak = Fetched("u", 200, {"capabilities": []})
    assert dr.check_ports({9000: ak}).status == OK
    assert dr.check_ports({9000: Fetched("u", 200, "<html>")}).status == FAIL
    assert dr.check_ports({9000: Fetched("u", None, error="refused")}).status == FAIL


def test_health_and_token() -> None:
    assert dh.check_live(Fetched("u", 200)).status == OK
    assert dh.check_ready(Fetched("u", 503)).status == FAIL
    assert dh.check_token(Fetched("u", 200, {"user": {"username": "akadmin", "is_superuser": True}}), "--token").summary == \
        "the token (--token) belongs to akadmin (superuser)"
    rejected = dh.check_token(Fetched("u", 403, {"detail": "Token invalid/expired"}), "bootstrap token")
    assert rejected.status == FAIL and "first start" in (rejected.messages[0].fix or "")


def test_a_first_boot_in_progress_is_a_warning_not_the_wrong_token() -> None:
    """real-boot-2026.2.2: the flows, then the token 7.6 s later, then the worker healthy 5 s after that."""
    refused = Fetched("u", 403, {"detail": "Token invalid/expired"})
    before_flows = dh.check_token(refused, "bootstrap token", flows_applied=False)
    assert before_flows.status == WARN and "not created yet" in before_flows.summary
    in_the_gap = dh.check_token(refused, "bootstrap token", flows_applied=True, worker_starting=True)
    assert in_the_gap.status == WARN and "health: starting" in in_the_gap.summary
    settled = dh.check_token(refused, "bootstrap token", flows_applied=True, worker_starting=False)
    assert settled.status == FAIL and "another AUTHENTIK_BOOTSTRAP_TOKEN" in (settled.messages[0].fix or "")
    # a --token of the user's own is never excused by a first boot
    assert dh.check_token(refused, "--token", flows_applied=False).status == FAIL
    # while migrating, the API answers 503: not ready, not broken
    migrating = dh.check_token(Fetched("u", 503, None), "bootstrap token")
    assert migrating.status == WARN and "still starting" in migrating.summary


def test_worker_objects_missing_names_them() -> None:
    objects = worker_objects(Dialect.for_version("2026.5.6"))
    assert dh.check_worker_objects([], len(objects)).status == OK
    o = dh.check_worker_objects([objects[0]], len(objects))
    assert o.summary == "missing: flows default-provider-authorization-implicit-consent"


@pytest.mark.parametrize(("offset", "status"), [(0, OK), (60, WARN), (-300, FAIL)])
def test_clock_skew_thresholds(offset: int, status: str) -> None:
    now = 1_800_000_000.0
    assert dh.check_clock_skew(formatdate(now + offset, usegmt=True), now - 0.1, now + 0.1).status == status
