"""Transient faults are absorbed: authlab's commands, talking to the stand-in through a proxy that resets
connections, answers 502/503/504, adds latency and cuts bodies off, still finish with every object exactly once.
A lost answer to a create is re-read by natural key before the create is sent again (AuthentikApi.request)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.core import dotenv
from tests.faults.census import half_written, lost_or_duplicated
from tests.faults.proxy import FAULTS, FaultProxy, every

NEXTAUTH_KEYS = {"AUTHENTIK_ID", "AUTHENTIK_SECRET", "AUTHENTIK_ISSUER", "NEXTAUTH_SECRET"}


def invoke(*args: str):  # noqa: ANN201
    return CliRunner().invoke(cli, list(args))


def test_provider_create_absorbs_a_fault_at_every_third_request(server, tally, tmp_path: Path) -> None:  # noqa: ANN001
    # every kind in turn, shifted three times: each request of the flow meets a fault, each kind several requests
    for offset in range(3):
        name = f"web-{offset}"
        env_file = tmp_path / f"{name}.env"
        env_file.write_text("# mine\nKEEP=1\n")
        with FaultProxy(server.url, every(3, FAULTS[offset:] + FAULTS[:offset], offset)) as proxy:
            result = invoke("provider", "create", name, "--preset", "nextauth", "--url", proxy.url, "--token", server.bootstrap_token,
                            "--env-out", str(env_file), "--json")
        tally.add("commands run")
        tally.faults(proxy.injected)
        assert proxy.faults >= 2, proxy.log
        assert result.exit_code == 0, (offset, result.stdout, result.stderr, proxy.log)
        assert json.loads(result.stdout)["data"]["action"] == "created"
        problems = lost_or_duplicated(server, {"provider": [name], "application": [name]})
        tally.add("objects lost or duplicated", len(problems))
        assert problems == []
        text = env_file.read_text()
        assert text.startswith("# mine\nKEEP=1\n") and NEXTAUTH_KEYS <= set(dotenv.parse(text))
    leftovers = half_written(tmp_path)
    tally.add("files half-written", len(leftovers))
    assert leftovers == []


LAB = """
    groups: [{{name: testers-{n}}}]
    users:
      - {{username: alice-{n}, email: alice@example.com, groups: [testers-{n}]}}
      - {{username: bob-{n}, password_env: BOB_PASSWORD}}
    service_accounts: [{{name: bot-{n}}}]
    providers:
      - {{name: app-{n}, preset: generic, redirect_uris: ["http://localhost:8080/cb"]}}
    """


def _expected(n: int, prune: bool = False) -> dict[str, list[str]]:
    groups = [] if prune else [f"testers-{n}"]
    return {"group": groups, "user": [f"alice-{n}", f"bob-{n}", f"bot-{n}"], "provider": [f"app-{n}"], "application": [f"app-{n}"]}


@pytest.mark.parametrize("offset", (0, 2))
def test_apply_and_prune_absorb_faults_and_a_second_apply_changes_nothing(server, tally, tmp_path: Path, monkeypatch, offset: int) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOB_PASSWORD", "bob-Secret-123")
    monkeypatch.setenv("AUTHENTIK_TOKEN", server.bootstrap_token)
    Path("authlab.yaml").write_text(textwrap.dedent(LAB.format(n=offset)))
    with FaultProxy(server.url, every(4, FAULTS, offset)) as proxy:
        monkeypatch.setenv("AUTHENTIK_URL", proxy.url)
        first = invoke("apply", "--json")
        # the group goes from the file: --prune deletes it, also when the DELETE's answer is lost
        Path("authlab.yaml").write_text(textwrap.dedent(LAB.format(n=offset)).replace(f"groups: [{{name: testers-{offset}}}]\n", "")
                                        .replace(f", groups: [testers-{offset}]", ""))
        pruned = invoke("apply", "--prune", "--yes", "--json")
    tally.add("commands run", 3)
    tally.faults(proxy.injected)
    assert proxy.faults >= 5, proxy.log
    assert first.exit_code == 0, (first.stdout, first.stderr, proxy.log)
    assert pruned.exit_code == 0, (pruned.stdout, pruned.stderr, proxy.log)
    assert [(i["kind"], i["action"]) for i in json.loads(pruned.stdout)["data"]["items"] if i["action"] != "unchanged"] == [
        ("group", "delete"), ("user", "update")]
    problems = lost_or_duplicated(server, _expected(offset, prune=True))
    problems += [f"group testers-{offset} not deleted"] if f"testers-{offset}" in str(server.api("GET", "/api/v3/core/groups/")[1]) else []
    tally.add("objects lost or duplicated", len(problems))
    assert problems == []
    # nothing half-done: a clean re-run has nothing left to do
    monkeypatch.setenv("AUTHENTIK_URL", server.url)
    again = invoke("apply", "--json")
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["data"]["writes"] == 0
