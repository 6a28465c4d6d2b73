"""authlab benchmarks: prints figures, asserts nothing.  Run from the repo root: `python benchmarks/run.py`.

1. `authlab --help` cold start, as a ratio to a bare typer app with the same command tree (same interpreter,
   interleaved runs, median). It is the floor for a typer CLI; heavy imports on the start-up path show up
   here. Target <= 1.25. The slowest imports of authlab's start-up path are listed to find the culprit.
2. Readiness detection on the stand-in's real-order first boot (tests/standin/boot.py: migrations, ready,
   the flows, the bootstrap token late, then the scope mappings; STANDIN_BOOT_SCALE with a random jitter);
   the wait service polls it as `up` does on a fresh database; latency = (time the wait reported ready) -
   (time the stand-in applied the last step authlab waits for, its scope mappings). Target median <= 0.5 s.

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


def _bare_app_source(tree: list, annotated: bool) -> str:
    """A typer app with the same commands and options, but no imports beyond typer: the floor.

    `annotated` writes options the way typer documents them (`Annotated[..., typer.Option()]`), as authlab
    does; otherwise as plain defaults (`= typer.Option(...)`), which typer builds a little faster.
    """

    def opt(i: int, name: str) -> str:
        if annotated:
            return f"o{i}: Annotated[Optional[str], typer.Option({name!r}, help='h')] = None"
        return f"o{i}: Optional[str] = typer.Option(None, {name!r}, help='h')"

    root_opts = ", ".join(opt(i, o) for i, o in enumerate(("--dir", "--debug", "--version")))
    lines = [
        "import typer",
        "from typing import Annotated, Optional",
        "cli = typer.Typer(no_args_is_help=True, rich_markup_mode=None)",
        "@cli.callback()",
        f"def root({root_opts}) -> None:",
        '    """A bare typer app shaped like authlab."""',
    ]

    def command(owner: str, name: str, opts: list[str], idx: str) -> None:
        params = ", ".join(opt(i, o) for i, o in enumerate(opts))
        lines.append(f"@{owner}.command({name!r})")
        lines.append(f"def c{idx}({params}) -> None:")
        lines.append(f'    """The {name} command."""')

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
    n_cmds = sum(1 + len(s) for _, _, s in tree)
    with tempfile.TemporaryDirectory() as tmp:
        sides = {"authlab --help": [sys.executable, "-c", "from authentik_lab.cli.entry import run; run()", "--help"]}
        for label, annotated in (("bare typer, Annotated", True), ("bare typer, plain", False)):
            path = Path(tmp) / f"bare_{int(annotated)}.py"
            path.write_text(_bare_app_source(tree, annotated))
            sides[label] = [sys.executable, str(path), "--help"]
        for argv in sides.values():  # warm the OS file cache and write the .pyc files once
            _time(argv)
        times: dict[str, list[float]] = {k: [] for k in sides}
        for _ in range(runs):  # interleaved, so load from other processes hits every side alike
            for label, argv in sides.items():
                times[label].append(_time(argv))
    med = {k: statistics.median(v) for k, v in times.items()}
    low = {k: min(v) for k, v in times.items()}
    print(f"[help] {runs} interleaved runs each; the bare apps have authlab's tree: {n_cmds} commands/groups")
    for label in sides:
        print(f"[help] {label:22s} median {med[label] * 1000:7.1f} ms   min {low[label] * 1000:7.1f} ms")
    main = "authlab --help"
    for label in list(sides)[1:]:
        print(f"[help] ratio vs {label:22s} {med[main] / med[label]:.2f} (medians)  {low[main] / low[label]:.2f} (mins)  target <= 1.25")
    _slowest_imports()


_PROBE = """
import importlib, sys, time
import typer, authentik_lab.cli.common
before = set(sys.modules)
for name in ("init", "lifecycle", "compose", "provider", "doctor", "labfile", "ci"):
    t = time.perf_counter()
    try:
        importlib.import_module("authentik_lab.cli." + name)
    except ImportError:
        continue
    new = sorted(m for m in set(sys.modules) - before if not m.startswith("authentik_lab"))
    before = set(sys.modules)
    print(f"{(time.perf_counter() - t) * 1000:.1f}\\tauthentik_lab.cli.{name}\\t{' '.join(new[:6])}")
"""


def _slowest_imports() -> None:
    """What each command module costs at start-up, and which non-authlab modules it drags in."""
    proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True)
    print("[help] import time per command module (after typer), and the new third-party/stdlib modules it loads:")
    for line in proc.stdout.splitlines():
        ms, name, extra = (line.split("\t") + [""])[:3]
        print(f"[help]   {float(ms):6.1f} ms  {name:28s} {extra}")



# --- 2. readiness detection --------------------------------------------------------------------------


def _applied_at(log_text: str, step: str = "scope_mappings") -> float | None:
    for line in log_text.splitlines():
        if line.startswith("{") and '"Blueprint step applied"' in line and f'"step": "{step}"' in line:
            return dt.datetime.fromisoformat(json.loads(line)["timestamp"]).timestamp()
    return None


def bench_ready(runs: int) -> None:
    from authentik_lab.adapters.authentik_api import AuthentikApi
    from authentik_lab.services.wait import wait_ready
    from tests.standin.harness import run_standin

    latencies, polls, token_gaps = [], [], []
    for _ in range(runs):
        scale = 0.04 + 0.03 * random.random()  # a random phase against the poll schedule
        with run_standin(version="2026.5.6", env={"STANDIN_BOOT_SCALE": f"{scale:.4f}"}) as s:
            with AuthentikApi(s.url, s.bootstrap_token, retries=0, timeout=5.0) as api:
                result = wait_ready(api, timeout=60, db_booted=False)
                reported = time.time()
            time.sleep(0.1)  # let the log line reach the file
            applied = _applied_at(s.logs())
        if applied is None:
            print("[ready] the stand-in logged no scope-mapping step; skipped a run")
            continue
        latencies.append(reported - applied)
        polls.append(result.polls)
        at = {t.stage.value: t.at for t in result.stages}
        token_gaps.append((at["token"] - at["ready"]) / scale)
    if not latencies:
        return
    latencies.sort()
    p90 = latencies[min(len(latencies) - 1, int(round(0.9 * (len(latencies) - 1))))]
    print(f"[ready] detection latency over {len(latencies)} real-order first boots: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"p90 {p90 * 1000:.0f} ms, min {latencies[0] * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms (target median <= 500 ms)")
    print(f"[ready] polling rounds per wait: median {statistics.median(polls):.0f}; the token was waited for "
          f"{statistics.median(token_gaps):.1f} unscaled s after ready (real-boot-2026.2.2: 24.8 s)")


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
