"""The console script's entry: the collector is off while the CLI loads, back on (with the start-up heap frozen)
before any command runs, and the heap is frozen again at exit. A command that waits for minutes must still collect."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json, sys
from authentik_lab.cli import entry
import authentik_lab.cli.main as main

seen = {"enabled_at_import": gc.isenabled(), "handlers_before": __import__("atexit")._ncallbacks()}

def command():
    seen["enabled_in_command"] = gc.isenabled()
    seen["frozen_in_command"] = gc.get_freeze_count()
    seen["exit_handlers"] = __import__("atexit")._ncallbacks()

main.run = command
entry.run()
print(json.dumps(seen))
"""


def test_the_command_runs_with_the_collector_on_and_the_start_up_heap_frozen() -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout)
    assert seen["enabled_at_import"] is True  # importing the entry module changes nothing
    assert seen["enabled_in_command"] is True
    assert seen["frozen_in_command"] > 10_000  # typer, rich and the CLI's modules: never rescanned
    assert seen["exit_handlers"] == seen["handlers_before"] + 1  # the freeze at exit


def test_authlab_and_python_m_both_start_through_the_entry() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["authlab"] == "authentik_lab.cli.entry:run"
    proc = subprocess.run([sys.executable, "-m", "authentik_lab", "--version"], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("authlab "), proc.stderr
    assert "from authentik_lab.cli.entry import run" in (REPO / "authentik_lab" / "__main__.py").read_text()


def test_ctrl_c_while_the_cli_loads_is_one_line_and_130() -> None:
    # the import of the CLI raises KeyboardInterrupt, as a Ctrl-C in the first tenth of a second does
    code = ("import builtins, sys\n"
            "real = builtins.__import__\n"
            "def imp(name, *a, **k):\n"
            "    if name == 'authentik_lab.cli.main':\n"
            "        raise KeyboardInterrupt\n"
            "    return real(name, *a, **k)\n"
            "builtins.__import__ = imp\n"
            "from authentik_lab.cli.entry import run\n"
            "run()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        130, "", "interrupted (SIGINT) while authlab was starting: nothing was done\n")


def test_ctrl_c_before_the_command_starts_is_one_line_and_130() -> None:
    # typer builds its commands before authlab's own handler runs: a Ctrl-C there gave a traceback (QA re-check)
    code = ("import authentik_lab.cli.main as main\n"
            "def interrupted():\n"
            "    raise KeyboardInterrupt\n"
            "main.run = interrupted\n"
            "from authentik_lab.cli.entry import run\n"
            "run()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        130, "", "interrupted (SIGINT) before the command started: nothing was done\n")
