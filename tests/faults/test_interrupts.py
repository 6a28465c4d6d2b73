"""Interrupts are clean: SIGINT or SIGTERM at every step boundary of `provider create --env-out`, `apply` and
`ci` (up + apply + export) ends with exit 130/143 and one line saying what was done and what was not, no
traceback; every file is the old or the new version; a re-run converges to exactly one of each object.

The API flows run in-process against the stand-in through the fault proxy, which signals this process while the
client waits for request k (the request still reaches the server: the answer is what is lost). `ci`'s boundaries
are the journal steps fed by the readiness events `up` emits (compose and the engine are fakes at the App
boundary). One subprocess run per signal proves the real process exit code and stderr.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from authentik_lab.app import App
from authentik_lab.cli.main import cli
from authentik_lab.core import dotenv
from tests.faults.census import half_written, lost_or_duplicated
from tests.faults.proxy import FaultProxy
from tests.integration.test_ci_against_standin import NoCompose, RunningEngine  # the App-boundary fakes `ci` tests use
from tests.standin.harness import run_standin

NEXTAUTH_KEYS = {"AUTHENTIK_ID", "AUTHENTIK_SECRET", "AUTHENTIK_ISSUER", "NEXTAUTH_SECRET"}
MINE = "# my settings\nPORT=3000\nAUTHENTIK_ID=old-id  # from last week\n"
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


def signal_at(k: int, signum: int, writes_only: bool = False):  # noqa: ANN201
    """An `on_request` for the proxy: signal this process while it waits for its k-th request (or k-th write)."""
    seen = [0]

    def hook(n: int, method: str, path: str) -> None:
        if writes_only and method in ("GET", "HEAD", "OPTIONS"):
            return
        seen[0] += 1
        if seen[0] == k:
            hook.fired = True  # type: ignore[attr-defined]
            os.kill(os.getpid(), signum)
            time.sleep(0.05)

    hook.fired = False  # type: ignore[attr-defined]
    return hook


def assert_clean_interrupt(result, signum: int) -> str:  # noqa: ANN001
    assert result.exit_code == CODES[signum], (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("interrupted by")]
    assert len(lines) == 1, result.stderr
    name = "SIGINT" if signum == signal.SIGINT else "SIGTERM"
    assert lines[0].startswith(f"interrupted by {name}: done: ") and ". Not done: " in lines[0], lines[0]
    return lines[0]


def env_file_ok(text: str) -> bool:
    """The env file is the user's old version, or the whole new one with the user's lines kept."""
    if text == MINE:
        return True
    values = dotenv.parse(text)
    return text.startswith("# my settings\nPORT=3000\nAUTHENTIK_ID=") and NEXTAUTH_KEYS <= set(values) and values["AUTHENTIK_ID"] != "old-id"


def test_provider_create_interrupted_at_every_request(server, tally, tmp_path: Path) -> None:  # noqa: ANN001
    args = ["--preset", "nextauth", "--token", server.bootstrap_token]
    with FaultProxy(server.url) as probe:  # warm the id cache, as most runs find it
        assert CliRunner().invoke(cli, ["provider", "create", "probe", *args, "--url", probe.url]).exit_code == 0
    tally.add("commands run")
    k = 0
    while True:  # request 1, 2, ... until a run finishes before its k-th request
        k += 1
        signum = signal.SIGINT if k % 2 else signal.SIGTERM
        name, env_file = f"web-{k}", tmp_path / f"web-{k}.env"
        env_file.write_text(MINE)
        hook = signal_at(k, signum)
        with FaultProxy(server.url, on_request=hook) as proxy:
            cmd = ["provider", "create", name, *args, "--url", proxy.url, "--env-out", str(env_file)]
            result = CliRunner().invoke(cli, cmd)
            tally.add("commands run")
            if not hook.fired:
                assert result.exit_code == 0, result.stderr
                break
            line = assert_clean_interrupt(result, signum)
            tally.faults({"SIGINT" if signum == signal.SIGINT else "SIGTERM": 1})
            ok = env_file_ok(env_file.read_text())
            again = CliRunner().invoke(cli, cmd)
        tally.add("commands run")
        tally.add("files half-written", 0 if ok else 1)
        assert ok, (k, env_file.read_text())
        assert again.exit_code == 0, (k, line, again.stderr)
        assert env_file_ok(env_file.read_text()) and env_file.read_text() != MINE
        problems = lost_or_duplicated(server, {"provider": [name], "application": [name]})
        tally.add("objects lost or duplicated", len(problems))
        assert problems == [], (k, line)
    assert k >= 8  # lookups, create provider, create application, setup URLs, discovery, JWKS: each was a boundary
    leftovers = half_written(tmp_path)
    tally.add("files half-written", len(leftovers))
    assert leftovers == []


LAB = """
    groups: [{{name: team-{k}}}]
    users: [{{username: alice-{k}, email: alice@example.com, groups: [team-{k}]}}]
    service_accounts: [{{name: bot-{k}}}]
    providers: [{{name: app-{k}, preset: generic, redirect_uris: ["http://localhost:8080/cb"]}}]
    """
APPLY_WRITES = 9  # group, user, set_password, password fingerprint, service account + mark, provider, application, mark


def _password_recorded_only_when_set(server, username: str) -> bool:  # noqa: ANN001
    """A user whose fingerprint says "password set" must really have had set_password (a later change date)."""
    [user] = [u for u in server.api("GET", f"/api/v3/core/users/?username={username}")[1]["results"] if u["username"] == username]
    recorded = "authlab.password" in (user.get("attributes") or {})
    return not recorded or user["password_change_date"] != user["date_joined"]


def test_apply_interrupted_at_every_write(server, tally, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("AUTHENTIK_TOKEN", server.bootstrap_token)
    for k in range(1, APPLY_WRITES + 1):
        signum = signal.SIGINT if k % 2 else signal.SIGTERM
        folder = tmp_path / f"run-{k}"
        folder.mkdir()
        monkeypatch.chdir(folder)
        Path("authlab.yaml").write_text(textwrap.dedent(LAB.format(k=k)))
        with FaultProxy(server.url, on_request=signal_at(k, signum, writes_only=True)) as proxy:
            monkeypatch.setenv("AUTHENTIK_URL", proxy.url)
            result = CliRunner().invoke(cli, ["apply"])
            line = assert_clean_interrupt(result, signum)
            tally.faults({"SIGINT" if signum == signal.SIGINT else "SIGTERM": 1})
            again = CliRunner().invoke(cli, ["apply", "--json"])
        tally.add("commands run", 2)
        assert again.exit_code == 0, (k, line, again.stdout, again.stderr)
        problems = lost_or_duplicated(server, {"group": [f"team-{k}"], "user": [f"alice-{k}", f"bot-{k}"],
                                               "provider": [f"app-{k}"], "application": [f"app-{k}"]})
        if not _password_recorded_only_when_set(server, f"alice-{k}"):
            problems.append(f"user alice-{k}: password fingerprint without the password")
        tally.add("objects lost or duplicated", len(problems))
        assert problems == [], (k, line)
        leftovers = half_written(folder)
        tally.add("files half-written", len(leftovers))
        assert leftovers == []
    monkeypatch.setenv("AUTHENTIK_URL", server.url)
    final = CliRunner().invoke(cli, ["apply", "--json"])
    assert final.exit_code == 0 and '"writes": 0' in final.stdout, final.stdout


CI_LAB = """\
providers:
  - {{name: web-{k}, preset: nextauth, app_url: "http://localhost:3000"}}
users:
  - {{username: alice-{k}, email: alice@example.com}}
"""


def _ci(lab: Path, out: Path, listener=None):  # noqa: ANN001, ANN202
    app = App(compose_factory=NoCompose, engine_factory=RunningEngine)
    if listener is not None:
        app.journal.listeners.append(listener)
    return CliRunner().invoke(cli, ["--dir", str(lab), "ci", "--env-out", str(out)], obj=app)


def test_ci_interrupted_at_every_step_of_up_apply_and_export(tally, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    lab = tmp_path / "lab"
    assert CliRunner().invoke(cli, ["--dir", str(lab), "init"]).exit_code == 0
    token = dotenv.parse((lab / ".env").read_text())["AUTHENTIK_BOOTSTRAP_TOKEN"]
    with run_standin(worker_delay=0, env={"AUTHENTIK_BOOTSTRAP_TOKEN": token}) as s:
        s.wait_worker()
        assert CliRunner().invoke(cli, ["--dir", str(lab), "init", "--port", str(s.port), "--https-port", str(s.port + 1)]).exit_code == 0
        steps: list[str] = []
        (tmp_path / "authlab.yaml").write_text(CI_LAB.format(k=0))
        first = _ci(lab, tmp_path / "out-0.env", lambda kind, what: steps.append(f"{kind} {what}"))
        tally.add("commands run")
        assert first.exit_code == 0, first.stderr
        assert steps[:3] == ["done lab folder ready (compose file, .env)", "doing docker compose up -d",
                             "done docker compose up -d (the containers keep running; `authlab down` stops them)"]
        assert steps[-2:] == [f"doing writing {tmp_path / 'out-0.env'}", f"done wrote {tmp_path / 'out-0.env'}"]
        keys = set(dotenv.parse((tmp_path / "out-0.env").read_text()))
        # every step of up and of the export; of apply's own steps (each write: test_apply_interrupted_at_every_write)
        # the first and the last
        inside = [i for i, step in enumerate(steps, 1) if steps.index("doing applying authlab.yaml") + 1 < i < steps.index("done applied authlab.yaml") + 1]
        chosen = [k for k in range(1, len(steps) + 1) if k not in inside[1:-1]]
        for k in chosen:
            signum = signal.SIGINT if k % 3 else signal.SIGTERM
            (tmp_path / "authlab.yaml").write_text(CI_LAB.format(k=k))  # new objects: each run creates, as the first did
            out = tmp_path / f"out-{k}.env"
            killer = _kill_at(k, signum)
            result = _ci(lab, out, killer)
            tally.add("commands run")
            assert killer.fired, (k, steps)
            line = assert_clean_interrupt(result, signum)
            tally.faults({"SIGINT" if signum == signal.SIGINT else "SIGTERM": 1})
            assert '"type": "Interrupted"' in result.stdout  # the JSON document on stdout says so too
            renamed = {key.replace("_WEB_0_", f"_WEB_{k}_").replace("_ALICE_0_", f"_ALICE_{k}_") for key in keys}
            whole = not out.exists() or set(dotenv.parse(out.read_text())) == renamed
            tally.add("files half-written", 0 if whole else 1)
            assert whole, (k, out.read_text())
            again = _ci(lab, out)
            tally.add("commands run")
            assert again.exit_code == 0, (k, line, again.stderr)
            assert set(dotenv.parse(out.read_text())) == renamed
            problems = lost_or_duplicated(s, {"provider": [f"web-{k}"], "application": [f"web-{k}"], "user": [f"alice-{k}"]})
            tally.add("objects lost or duplicated", len(problems))
            assert problems == [], (k, line)
        assert len(chosen) >= 14
    leftovers = half_written(tmp_path)
    tally.add("files half-written", len(leftovers))
    assert leftovers == []


def _kill_at(k: int, signum: int):  # noqa: ANN202
    seen = [0]

    def listener(kind: str, what: str) -> None:
        seen[0] += 1
        if seen[0] == k:
            listener.fired = True  # type: ignore[attr-defined]
            os.kill(os.getpid(), signum)
            time.sleep(0.05)  # delivered here, at the step boundary

    listener.fired = False  # type: ignore[attr-defined]
    return listener


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_real_process_exits_128_plus_the_signal_with_one_line(server, tally, tmp_path: Path, signum: int) -> None:  # noqa: ANN001
    """The whole chain in a real process: the proxy signals `authlab provider create` (its pid) at the first write."""
    env_file = tmp_path / "app.env"
    env_file.write_text(MINE)
    box: dict[str, subprocess.Popen] = {}

    def hook(n: int, method: str, path: str) -> None:
        if method == "POST" and "signalled" not in box:
            box["signalled"] = box["proc"]
            box["proc"].send_signal(signum)
            time.sleep(0.2)

    with FaultProxy(server.url, on_request=hook) as proxy:
        cmd = [sys.executable, "-m", "authentik_lab", "provider", "create", "web", "--preset", "nextauth", "--url", proxy.url,
               "--token", server.bootstrap_token, "--env-out", str(env_file)]
        env = {**os.environ, "AUTHLAB_CACHE_DIR": str(tmp_path / "cache")}
        box["proc"] = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        out, err = box["proc"].communicate(timeout=60)
    tally.add("commands run")
    tally.faults({"SIGINT" if signum == signal.SIGINT else "SIGTERM": 1})
    assert box["proc"].returncode == CODES[signum], err
    assert "Traceback" not in err and out == ""
    assert err.count("\n") == 1 and err.startswith(f"interrupted by {signal.Signals(signum).name}: done: nothing. Not done: creating provider web"), err
    assert env_file.read_text() == MINE
