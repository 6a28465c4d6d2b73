"""authlab benchmarks: prints figures, asserts nothing.  Run from the repo root: `python benchmarks/run.py`.

1. `authlab --help` cold start, as a ratio to a bare typer app with the same command tree (same interpreter,
   interleaved runs, median). It is the floor for a typer CLI; heavy imports on the start-up path show up
   here. Target <= 1.25. The slowest imports of authlab's start-up path are listed to find the culprit.
2. Readiness detection: a stand-in server whose worker creates its objects after a delay; the wait service
   polls it; latency = (time `up`'s wait reported ready) - (time the stand-in logged "Blueprints applied").
   Target median <= 0.5 s.

Options: --runs N (cold-start runs per side, default 21), --ready-runs N (default 10), --only help|ready.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


# --- 1. cold start ---------------------------------------------------------------------------------


def _tree() -> list[tuple[str, list[str], list[tuple[str, list[str]]]]]:
    """authlab's command tree: (name, option names, subcommands) for the root's commands and groups."""
    import typer.main

    from authentik_lab.cli.main import cli

    root = typer.main.get_command(cli)
    out = []
    for name, cmd in root.commands.items():  # type: ignore[attr-defined]
        opts = [p.opts[0] for p in cmd.params if getattr(p, "opts", None) and p.opts[0].startswith("--")]
        subs = [(n, [p.opts[0] for p in c.params if getattr(p, "opts", None) and p.opts[0].startswith("--")])
                for n, c in getattr(cmd, "commands", {}).items()]
        out.append((name, opts, subs))
    return out


def _bare_app_source(tree: list) -> str:
    """A typer app with the same commands and options, but no imports beyond typer: the floor."""
    lines = ["import typer", "from typing import Optional", "cli = typer.Typer(no_args_is_help=True, rich_markup_mode=None)",
             "@cli.callback()", "def root(dir: Optional[str] = typer.Option(None, '--dir', envvar='X_DIR', help='dir'),"
             " debug: bool = typer.Option(False, '--debug'), version: bool = typer.Option(False, '--version')) -> None:",
             "    '''A bare typer app shaped like authlab.'''"]

    def command(owner: str, name: str, opts: list[str], idx: str) -> None:
        params = ", ".join(f"o{i}: Optional[str] = typer.Option(None, {o!r}, help='h')" for i, o in enumerate(opts))
        lines.append(f"@{owner}.command({name!r})")
        lines.append(f"def c{idx}({params}) -> None:\n    '''The {name} command.'''")

    for i, (name, opts, subs) in enumerate(tree):
        if subs:
            lines.append(f"g{i} = typer.Typer(help='group {name}')")
            lines.append(f"cli.add_typer(g{i}, name={name!r})")
            for j, (sub, sub_opts) in enumerate(subs):
                command(f"g{i}", sub, sub_opts, f"{i}_{j}")
        else:
            command("cli", name, opts, str(i))
    lines.append("cli()")
    return "\n".join(lines) + "\n"


def _time(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def bench_help(runs: int) -> None:
    tree = _tree()
    with tempfile.TemporaryDirectory() as tmp:
        bare = Path(tmp) / "bare_cli.py"
        bare.write_text(_bare_app_source(tree))
        authlab = [sys.executable, "-c", "from authentik_lab.cli.main import run; run()", "--help"]
        baseline = [sys.executable, str(bare), "--help"]
        for argv in (authlab, baseline):  # warm the OS file cache and the .pyc files once
            _time(argv)
        a, b = [], []
        for _ in range(runs):
            a.append(_time(authlab))
            b.append(_time(baseline))
    ma, mb = statistics.median(a), statistics.median(b)
    n_cmds = sum(1 + len(s) for _, _, s in tree)
    print(f"[help] authlab --help   median {ma * 1000:7.1f} ms  (min {min(a) * 1000:.1f}, {runs} runs)")
    print(f"[help] bare typer app   median {mb * 1000:7.1f} ms  (min {min(b) * 1000:.1f}, same tree: {n_cmds} commands/groups)")
    print(f"[help] ratio            {ma / mb:.2f}  (target <= 1.25)")
    _slowest_imports()


def _slowest_imports(top: int = 8) -> None:
    """authlab's own imports and what they pull in beyond typer, by cumulative time (one run of -X importtime)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import authentik_lab.cli.main"],
                          capture_output=True, text=True, check=True)
    typer_proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import typer"], capture_output=True, text=True, check=True)
    in_typer = {line.split("|")[-1].strip() for line in typer_proc.stderr.splitlines() if "|" in line}
    rows = []
    for line in proc.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            name = parts[2].strip()
            if name not in in_typer:
                rows.append((int(parts[1]), name))
    rows.sort(reverse=True)
    print("[help] imports beyond typer, cumulative:")
    for us, name in rows[:top]:
        print(f"[help]   {us / 1000:6.1f} ms  {name}")


# --- 2. readiness detection --------------------------------------------------------------------------


def _applied_at(log_text: str) -> float | None:
    for line in log_text.splitlines():
        if line.startswith("{") and "Blueprints applied" in line:
            return dt.datetime.fromisoformat(json.loads(line)["timestamp"]).timestamp()
    return None


def bench_ready(runs: int) -> None:
    from authentik_lab.adapters.authentik_api import AuthentikApi
    from authentik_lab.services.wait import wait_ready
    from tests.standin.harness import run_standin

    latencies, polls = [], []
    for _ in range(runs):
        delay = 1.5 + random.random()  # a random phase against the poll schedule
        with run_standin(version="2026.5.6", worker_delay=delay) as s:
            with AuthentikApi(s.url, s.bootstrap_token, retries=0, timeout=5.0) as api:
                result = wait_ready(api, timeout=30)
                reported = time.time()
            time.sleep(0.1)  # let the log line reach the file
            applied = _applied_at(s.logs())
        if applied is None:
            print("[ready] the stand-in logged no 'Blueprints applied' line; skipped a run")
            continue
        latencies.append(reported - applied)
        polls.append(result.polls)
    if not latencies:
        return
    latencies.sort()
    p90 = latencies[min(len(latencies) - 1, int(round(0.9 * (len(latencies) - 1))))]
    print(f"[ready] detection latency over {len(latencies)} runs: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p90 {p90 * 1000:.0f} ms, min {latencies[0] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms (target median <= 500 ms)")
    print(f"[ready] polling rounds per wait: median {statistics.median(polls):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--ready-runs", type=int, default=10)
    parser.add_argument("--only", choices=("help", "ready"))
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]} at {sys.executable}")
    if args.only in (None, "help"):
        bench_help(args.runs)
    if args.only in (None, "ready"):
        bench_ready(args.ready_runs)


if __name__ == "__main__":
    main()
