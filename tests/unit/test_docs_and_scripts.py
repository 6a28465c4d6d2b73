"""Where things go (issue 11.8): the README's quick start makes the lab in the user's app folder, not in the checkout,
and tests/run.sh installs the project into a venv, never into whatever python3 is. Both files are read, not run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _quick_start() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = re.search(r"## The two commands\n.*?```sh\n(.*?)```", text, re.S)
    assert block, "the README's quick start block is missing"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.split("#")[0].strip()]


def test_the_quick_start_is_one_command_that_installs_into_a_venv_then_runs_up_where_it_is_run() -> None:
    steps = _quick_start()
    assert len(steps) == 1, steps  # the brief: one command installs and runs the main job
    parts = [p.strip() for p in steps[0].split("&&")]
    assert parts[0].startswith("python3 -m venv "), parts  # never the system's Python
    assert any(" -m pip install" in p or "/pip install" in p for p in parts[1:-1]), parts
    assert parts[-1].endswith("authlab up"), parts
    assert not any(p.startswith("cd ") for p in parts), parts  # run from the app's folder: the lab lands there


def test_the_lab_is_made_in_the_folder_authlab_runs_in(tmp_path: Path) -> None:
    app = tmp_path / "my-app"
    app.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "AUTHLAB_DIR"}  # the default: ./.authlab
    proc = subprocess.run([sys.executable, "-m", "authentik_lab", "init"], cwd=app, capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (app / ".authlab" / ".env").is_file() and (app / ".authlab" / ".gitignore").is_file()
    assert proc.stdout.splitlines()[0] == f"Created a lab for Authentik 2026.5.6 in {app / '.authlab'}"


def test_run_sh_always_installs_into_a_venv() -> None:
    script = (REPO / "tests" / "run.sh").read_text()
    assert "EXTERNALLY-MANAGED" not in script  # no longer decides by whether python3 is marked externally managed
    assignments = re.findall(r"^\s*PY=(.*)$", script, re.M)
    assert assignments == ['"$VENV/bin/python"'], assignments
    # every pip run goes through that interpreter
    commands = [line.strip() for line in script.splitlines() if not line.strip().startswith(("#", "step ", "die "))]
    pip_lines = [line for line in commands if re.search(r"(^|\s)(\S*python3?\S*\s+-m\s+pip|pip3?)\s+(install|download)", line)]
    assert pip_lines and all('"$PY" -m pip' in line for line in pip_lines), pip_lines
    assert subprocess.run(["bash", "-n", str(REPO / "tests" / "run.sh")]).returncode == 0
