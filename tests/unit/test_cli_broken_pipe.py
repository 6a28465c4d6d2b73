"""A reader that closes stdout early ends the run quietly with status 141, in every command (issue 11.1).

Real processes and real pipes: the CLI runs as `python -m authentik_lab` with its stdout on a pipe whose reading end
is already closed (every write fails, deterministically), and in a shell pipeline into `head -1`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BROKEN_PIPE_EXIT = 141


def run_into_closed_pipe(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: the first write the CLI makes fails with EPIPE
    try:
        return subprocess.run([sys.executable, "-m", "authentik_lab", *args], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, timeout=60, cwd=cwd, env={**os.environ, "NO_COLOR": "1"})
    finally:
        os.close(write_end)


@pytest.mark.parametrize("args", [
    ["doctor", "--list"],
    ["doctor", "--list", "--json"],
    ["provider", "presets"],
    ["provider", "presets", "--json"],
    ["init"],  # a command that writes files first, then prints
    ["--help"],  # click's own output, outside any command
    ["provider", "create", "--help"],
    ["--version"],
])
def test_a_closed_stdout_ends_quietly_with_141(tmp_path: Path, args: list[str]) -> None:
    result = run_into_closed_pipe("--dir", str(tmp_path / "lab"), *args, cwd=tmp_path)
    assert result.returncode == BROKEN_PIPE_EXIT, result.stderr
    assert result.stderr == ""  # no traceback, no "Exception ignored", no "internal error"


def test_errors_still_go_to_stderr_when_stdout_is_closed(tmp_path: Path) -> None:
    # a refused run writes nothing to stdout: its exit code and message are unchanged by a closed stdout
    result = run_into_closed_pipe("provider", "create", "web", "--app-url", "localhost:3000", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: --app-url 'localhost:3000' is not an absolute http(s) URL\n")


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("head") is None, reason="needs bash and head")
def test_doctor_list_into_head_under_pipefail(tmp_path: Path) -> None:
    script = f"set -o pipefail; {sys.executable} -m authentik_lab doctor --list | head -1"
    for _ in range(5):  # the race between head exiting and the next write differs run to run
        result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert result.returncode in (0, BROKEN_PIPE_EXIT), result.stderr
        assert result.stdout.split() == ["engine.reachable", "Docker", "engine", "reachable"]
        assert result.stderr == ""
