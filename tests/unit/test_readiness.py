"""What `up` waits for, per release, and how container states are judged."""

from __future__ import annotations

from authentik_lab.core.dialect import Dialect
from authentik_lab.core.readiness import (
    REQUIRED_FLOWS,
    REQUIRED_SCOPE_MAPPINGS,
    SELF_SIGNED_CERTIFICATE,
    UNHEALTHY_GRACE,
    ContainerState,
    judge_containers,
    missing_summary,
    token_rejected,
    unhealthy_is_final,
    worker_objects,
)


def _queries(version: str) -> list[tuple[str, str, dict[str, str]]]:
    return [(o.kind, o.path, o.params) for o in worker_objects(Dialect.for_version(version))]


def test_current_release_waits_for_three_flows_four_mappings_and_the_certificate() -> None:
    assert _queries("2026.5.6") == [
        ("flow", "flows/instances/", {"slug": "default-provider-authorization-implicit-consent"}),
        ("flow", "flows/instances/", {"slug": "default-provider-invalidation-flow"}),
        ("flow", "flows/instances/", {"slug": "default-authentication-flow"}),
        ("scope_mapping", "propertymappings/provider/scope/", {"managed": "goauthentik.io/providers/oauth2/scope-openid"}),
        ("scope_mapping", "propertymappings/provider/scope/", {"managed": "goauthentik.io/providers/oauth2/scope-email"}),
        ("scope_mapping", "propertymappings/provider/scope/", {"managed": "goauthentik.io/providers/oauth2/scope-profile"}),
        ("scope_mapping", "propertymappings/provider/scope/", {"managed": "goauthentik.io/providers/oauth2/scope-offline_access"}),
        ("certificate", "crypto/certificatekeypairs/", {"name": "authentik Self-signed Certificate"}),
    ]


def test_before_2024_10_there_is_no_invalidation_flow_and_before_2024_8_mappings_live_elsewhere() -> None:
    old = _queries("2024.2.1")
    assert [q[2]["slug"] for q in old if q[0] == "flow"] == [
        "default-provider-authorization-implicit-consent",
        "default-authentication-flow",
    ]
    assert {q[1] for q in old if q[0] == "scope_mapping"} == {"propertymappings/scope/"}
    mid = _queries("2024.10.0")
    assert "default-provider-invalidation-flow" in [q[2].get("slug") for q in mid]


def test_plain_data_is_importable_for_doctor() -> None:
    assert REQUIRED_FLOWS[1] == "default-provider-invalidation-flow"
    assert REQUIRED_SCOPE_MAPPINGS[-1] == "goauthentik.io/providers/oauth2/scope-offline_access"
    assert SELF_SIGNED_CERTIFICATE == "authentik Self-signed Certificate"


def test_missing_summary_groups_by_kind_with_short_names() -> None:
    objs = worker_objects(Dialect.for_version("2026.5.6"))
    assert missing_summary([objs[1], objs[2], objs[6], objs[7]]) == (
        "flows default-provider-invalidation-flow, default-authentication-flow; "
        "scope mappings scope-offline_access; certificate authentik Self-signed Certificate"
    )


def _c(service: str, state: str = "running", **kw: object) -> ContainerState:
    return ContainerState(service=service, name=f"lab-{service}-1", state=state, **kw)  # type: ignore[arg-type]


def test_all_running_is_ok_even_while_health_is_starting() -> None:
    verdict = judge_containers([_c("server", health="starting"), _c("postgresql", health="healthy"), _c("worker")])
    assert verdict.status == "ok"
    assert verdict.summary == "postgresql running (healthy), server running (starting), worker running"


def test_created_is_still_waiting_and_nothing_is_waiting() -> None:
    assert judge_containers([_c("server", "created"), _c("worker")]).status == "waiting"
    assert judge_containers([]).status == "waiting"


def test_exited_and_restarting_are_definitive_unhealthy_is_only_listed() -> None:
    exited = judge_containers([_c("server"), _c("worker", "exited", exit_code=1)])
    assert (exited.status, exited.reason, exited.summary) == ("failed", "the worker container exited", "worker: exited, exit code 1")
    assert exited.failing is not None and exited.failing.service == "worker"
    restarting = judge_containers([_c("worker", "restarting", restart_count=3)])
    assert (restarting.status, restarting.reason) == ("failed", "the worker container keeps restarting")
    # a slow first migration can fail a health check: listed for the waiter to time, not a failure by itself
    sick = _c("server", health="unhealthy")
    unhealthy = judge_containers([_c("postgresql", health="healthy"), sick])
    assert (unhealthy.status, unhealthy.failing, unhealthy.unhealthy) == ("ok", None, (sick,))
    assert unhealthy.summary == "postgresql running (healthy), server running (unhealthy)"
    # an exit elsewhere still wins, whatever comes first in the list
    both = judge_containers([sick, _c("worker", "exited", exit_code=1)])
    assert (both.status, both.reason) == ("failed", "the worker container exited")


def test_unhealthy_is_final_after_the_grace_period_without_progress() -> None:
    assert UNHEALTHY_GRACE == 60.0
    # unhealthy since t=100, last stage passed at t=90
    assert not unhealthy_is_final(100.0, 90.0, 159.9)
    assert unhealthy_is_final(100.0, 90.0, 160.0)
    # a stage that passed while it was unhealthy restarts the grace period from then
    assert not unhealthy_is_final(100.0, 130.0, 160.0)
    assert unhealthy_is_final(100.0, 130.0, 190.0)
    assert unhealthy_is_final(0.0, 0.0, 5.0, grace=5.0)


def test_a_restart_count_that_grew_since_the_first_look_is_a_crash_loop() -> None:
    baseline = {"lab-worker-1": 2}
    assert judge_containers([_c("worker", restart_count=2)], baseline).status == "ok"
    grown = judge_containers([_c("worker", restart_count=3)], baseline)
    assert grown.status == "failed" and grown.summary == "worker: running, restarted 3x"


def test_token_rejection_matches_authentiks_answer() -> None:
    # 2026.2.2 capture 008: 403 {"detail": "Token invalid/expired"}
    assert token_rejected(403, {"detail": "Token invalid/expired"})
    assert token_rejected(401, {"detail": "Authentication credentials were not provided."})
    assert not token_rejected(403, {"detail": "You do not have permission to perform this action."})
    assert not token_rejected(200, {})
