"""Races converge: four authlab processes started together against one stand-in. Creates that lose a race re-read
by natural key and continue (exactly one object each, every process exits 0); runs in the same lab folder are
serialised by its lock (the others wait and say so, or fail fast with --no-wait)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import textwrap
from pathlib import Path

from typer.testing import CliRunner

from authentik_lab.adapters.lab_lock import hold
from authentik_lab.cli.main import cli
from tests.faults.census import lost_or_duplicated
from tests.faults.proxy import FaultProxy

RUNS = 4


def _start(args: list[str], tmp_path: Path, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    full = {**os.environ, "AUTHLAB_CACHE_DIR": str(tmp_path / "cache"), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "authentik_lab", *args], cwd=cwd, env=full, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _collect(stream) -> tuple[list[str], threading.Thread]:  # noqa: ANN001
    """Read a process's stderr as it comes (lines gathered in the returned list) so a test can wait for a line."""
    lines: list[str] = []

    def read() -> None:
        for line in iter(stream.readline, ""):
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return lines, reader


def _finish(procs: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    return [(p.returncode, *p.communicate(timeout=120)) for p in procs]


def _together(parties: int, method: str, path: str):  # noqa: ANN202
    """An `on_request` that holds each run's `method path` until all `parties` have sent theirs: the creates reach
    the server together however unevenly a loaded machine started the processes (30 s at most)."""
    barrier = threading.Barrier(parties, timeout=30)

    def hook(n: int, m: str, p: str) -> None:
        if (m, p) == (method, path):
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass

    return hook


def test_four_provider_creates_make_one_provider_and_all_succeed(server, tally, tmp_path: Path) -> None:  # noqa: ANN001
    with FaultProxy(server.url, on_request=_together(RUNS, "POST", "/api/v3/providers/oauth2/")) as proxy:
        args = ["provider", "create", "web", "--preset", "nextauth", "--url", proxy.url, "--token", server.bootstrap_token, "--json"]
        procs = [_start(args, tmp_path, tmp_path) for _ in range(RUNS)]
        results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    tally.add("commands run", RUNS)
    tally.faults(proxy.injected)
    assert [code for code, _, _ in results] == [0] * RUNS, [err for _, _, err in results]
    actions = sorted(json.loads(out)["data"]["action"] for _, out, _ in results)
    assert actions.count("created") >= 1 and set(actions) <= {"created", "unchanged", "updated"}, actions
    posts = [(m, p) for _, m, p, _ in proxy.log if m == "POST" and p == "/api/v3/providers/oauth2/"]
    assert len(posts) == RUNS  # the race really happened: every run tried to create, at the same moment
    assert actions.count("created") == 1
    problems = lost_or_duplicated(server, {"provider": ["web"], "application": ["web"]})
    tally.add("objects lost or duplicated", len(problems))
    assert problems == []
    client_ids = {json.loads(out)["data"]["provider"]["client_id"] for _, out, _ in results}
    assert len(client_ids) == 1  # every run reports the one provider that exists


LAB = """
    groups: [{name: testers}]
    users:
      - {username: alice, email: alice@example.com, groups: [testers], password_env: ALICE_PASSWORD}
    service_accounts: [{name: ci-bot}]
    providers:
      - {name: web, preset: nextauth, app_url: "http://localhost:3000"}
    """
EXPECTED = {"group": ["testers"], "user": ["alice", "ci-bot"], "provider": ["web"], "application": ["web"]}


def test_four_applies_from_four_folders_converge_on_one_set_of_objects(server, tally, tmp_path: Path) -> None:  # noqa: ANN001
    """Four pipelines, one shared Authentik: no lock between them, so the server's uniqueness decides and the
    losers converge on what the winner made."""
    # the four hold their first create (the group) until all have sent it: every later create races too
    with FaultProxy(server.url, on_request=_together(RUNS, "POST", "/api/v3/core/groups/")) as proxy:
        procs = []
        for i in range(RUNS):
            folder = tmp_path / f"pipeline-{i}"
            folder.mkdir()
            (folder / "authlab.yaml").write_text(textwrap.dedent(LAB))
            procs.append(_start(["apply", "--json"], tmp_path, folder, {"AUTHENTIK_URL": proxy.url, "AUTHENTIK_TOKEN": server.bootstrap_token,
                                                                       "ALICE_PASSWORD": "alice-Secret-1", "AUTHLAB_DIR": str(folder / ".authlab")}))
        results = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    tally.add("commands run", RUNS)
    tally.faults(proxy.injected)
    assert [code for code, _, _ in results] == [0] * RUNS, [err for _, _, err in results]
    problems = lost_or_duplicated(server, EXPECTED)
    tally.add("objects lost or duplicated", len(problems))
    assert problems == []
    # and nothing is left half-done: a fifth apply has nothing to write
    again = _start(["apply", "--json"], tmp_path, tmp_path / "pipeline-0", {"AUTHENTIK_URL": server.url, "AUTHENTIK_TOKEN": server.bootstrap_token,
                                                                             "ALICE_PASSWORD": "alice-Secret-1", "AUTHLAB_DIR": str(tmp_path / "pipeline-0" / ".authlab")})
    code, out, err = again.wait(timeout=120), *again.communicate()
    tally.add("commands run")
    assert code == 0, err
    assert json.loads(out)["data"]["writes"] == 0


SMALL_LAB = """
    groups: [{name: testers}]
    users: [{username: alice, email: alice@example.com, groups: [testers], password_env: ALICE_PASSWORD}]
    """


def test_four_applies_in_one_lab_folder_take_turns(server, tally, tmp_path: Path) -> None:  # noqa: ANN001
    (tmp_path / "authlab.yaml").write_text(textwrap.dedent(SMALL_LAB))
    env = {"AUTHENTIK_URL": server.url, "AUTHENTIK_TOKEN": server.bootstrap_token, "ALICE_PASSWORD": "alice-Secret-1",
           "AUTHLAB_DIR": str(tmp_path / ".authlab")}
    with hold(tmp_path / ".authlab"):  # a first run holds the lab: the four queue behind it
        procs = [_start(["apply", "--json"], tmp_path, tmp_path, env) for _ in range(RUNS)]
        errs = [_collect(p.stderr) for p in procs]
        busy = _start(["apply", "--no-wait", "--json"], tmp_path, tmp_path, env)
        busy_code, busy_out, busy_err = busy.wait(timeout=60), *busy.communicate()
        # released only once all four say they wait: a loaded machine may start one after `busy` is done
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all("waiting for another authlab run in" in "".join(e[0]) for e in errs):
            time.sleep(0.05)
        assert all(p.poll() is None for p in procs)  # still waiting
    codes = [p.wait(timeout=120) for p in procs]
    for _, reader in errs:
        reader.join(timeout=10)
    results = [(code, p.stdout.read(), "".join(lines)) for code, p, (lines, _) in zip(codes, procs, errs)]
    tally.add("commands run", RUNS + 1)
    assert (busy_code, json.loads(busy_out)["error"]["type"]) == (2, "LabBusy"), busy_err
    assert "another authlab run is changing the lab" in json.loads(busy_out)["error"]["message"]
    assert [code for code, _, _ in results] == [0] * RUNS, [err for _, _, err in results]
    for _, _, err in results:
        assert "waiting for another authlab run in" in err
    writes = sorted(json.loads(out)["data"]["writes"] for _, out, _ in results)
    assert writes[:RUNS - 1] == [0] * (RUNS - 1) and writes[-1] > 0  # one did the work, the others found it done
    problems = lost_or_duplicated(server, {"group": ["testers"], "user": ["alice"]})
    tally.add("objects lost or duplicated", len(problems))
    assert problems == []


def test_up_fails_fast_with_no_wait_while_the_lab_is_locked(tmp_path: Path, tally) -> None:  # noqa: ANN001
    lab = tmp_path / "lab"
    with hold(lab):
        result = CliRunner().invoke(cli, ["--dir", str(lab), "up", "--no-apply", "--no-wait"])
    tally.add("commands run")
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"error: another authlab run is changing the lab in {lab} right now")
    assert not (lab / ".env").exists()  # nothing was done
