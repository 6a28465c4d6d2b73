"""The fault-injection suite's shared parts: a tally every test adds to, printed as one table at the end of the run.

    faults injected             resets, 5xx, latency, truncated bodies and signals the suite caused
    commands run                authlab commands started (in-process or as processes)
    objects lost or duplicated  objects that should exist once and exist 0 or 2+ times (must be 0)
    files half-written          files that are neither the old nor the new version, or temp files left (must be 0)
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest

from tests.standin.harness import Standin, run_standin

ROWS = ("faults injected", "commands run", "objects lost or duplicated", "files half-written")
TALLY: Counter = Counter()


class Tally:
    def add(self, row: str, n: int = 1) -> None:
        assert row in ROWS, row
        TALLY[row] += n

    def faults(self, kinds: dict[str, int]) -> None:
        """Faults by kind (a proxy's `injected`, or {"SIGINT": 1}): counted in total and per kind."""
        for kind, n in kinds.items():
            TALLY["faults injected"] += n
            TALLY[f"  {kind}"] += n


@pytest.fixture
def tally() -> Tally:
    return Tally()


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Standin]:
    """A fresh stand-in (worker objects present) per test; the object-id cache is the test's own."""
    monkeypatch.setenv("AUTHLAB_CACHE_DIR", str(tmp_path / "cache"))
    with run_standin(worker_delay=0) as s:
        s.wait_worker()
        yield s


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ANN001, ARG001
    if not TALLY:
        return
    width = max(len(r) for r in ROWS)
    terminalreporter.section("fault injection")
    for row in ROWS:
        terminalreporter.write_line(f"{row:<{width}}  {TALLY[row]:>6}")
    for kind in sorted(k for k in TALLY if k.startswith("  ")):
        terminalreporter.write_line(f"{kind:<{width}}  {TALLY[kind]:>6}")
