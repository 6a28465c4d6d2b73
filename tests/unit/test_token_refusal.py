"""When a refused bootstrap token is the wrong token, and when the worker has simply not created it yet.

Source of the order: ../shared/authentik/real-boot-2026.2.2 (ready, then the flows, then the token ~25 s later)."""

from __future__ import annotations

import pytest

from authentik_lab.core.database_storage import DatabaseStorage, database_storage
from authentik_lab.core.readiness import judge_token_refusal


@pytest.mark.parametrize("db_booted", [True, False, None])
def test_before_the_flows_a_refusal_is_never_final(db_booted: bool | None) -> None:
    verdict = judge_token_refusal(db_booted, flows_applied=False, refused_since_flows=999)
    assert not verdict.final
    assert verdict.detail == "worker has not applied the default flows yet: bootstrap token not created yet"


def test_after_the_flows_it_depends_on_what_is_known_of_the_database() -> None:
    assert judge_token_refusal(True, True, 0).final  # seen fully booted before: the token would exist
    assert not judge_token_refusal(False, True, 10_000).final  # a new database: the token is this boot's to make
    assert not judge_token_refusal(None, True, 59).final  # unknown: a grace after the flows
    late = judge_token_refusal(None, True, 60)
    assert late.final and late.detail == "still refused 60s after the worker's flows appeared"


def test_database_storage_follows_compose_naming() -> None:
    doc = {"services": {"postgresql": {"image": "docker.io/library/postgres:16-alpine",
                                       "volumes": ["database:/var/lib/postgresql/data"]}},
           "volumes": {"database": {"driver": "local"}}}
    assert database_storage(doc, {}, "lab-1", "/srv") == DatabaseStorage("volume", "lab-1_database")
    doc["volumes"]["database"] = {"name": "shared-db"}
    assert database_storage(doc, {}, "lab-1", "/srv") == DatabaseStorage("volume", "shared-db")
    doc["services"]["postgresql"]["volumes"] = [{"type": "bind", "source": "./pg", "target": "/var/lib/postgresql/data"}]
    assert database_storage(doc, {}, "lab-1", "/srv") == DatabaseStorage("bind", "/srv/pg")
    doc["services"]["postgresql"]["volumes"] = []  # an anonymous volume: nothing to find
    assert database_storage(doc, {}, "lab-1", "/srv") is None
    assert database_storage({"services": {"db": {"image": "mysql:8"}}}, {}, "p", "/") is None
