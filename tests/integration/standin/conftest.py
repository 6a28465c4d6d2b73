"""Fixtures for the stand-in's own tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.standin.pytest_plugin import standin, standin_module  # noqa: F401  (re-exported fixtures)

CAPTURES = Path(__file__).resolve().parents[3].parent / "shared" / "authentik" / "captures-2026.2.2"


@pytest.fixture(scope="session")
def captures_dir() -> Path:
    if not CAPTURES.is_dir():
        pytest.skip(f"captures not found at {CAPTURES}")
    return CAPTURES
