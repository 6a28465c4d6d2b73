"""Shared test setup: every test runs with its paths in tmp_path, no colour and a fixed width."""

from __future__ import annotations

from pathlib import Path

import os

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_AUTHENTIK = REPO.parent / "shared" / "authentik"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("TERM", "dumb")
    monkeypatch.setenv("AUTHLAB_DIR", str(tmp_path / ".authlab"))
    # the object-id cache must never reach the real home directory from a test
    monkeypatch.setenv("AUTHLAB_CACHE_DIR", str(tmp_path / ".cache"))
    for name in ("AUTHENTIK_URL", "AUTHENTIK_TOKEN", "AUTHLAB_FILE", "GITHUB_ENV", "AUTHENTIK_IMAGE", "AUTHENTIK_TAG"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def shared_authentik() -> Path:
    """The reference data (schemas, official compose files, captures); tests skip cleanly without it."""
    if not SHARED_AUTHENTIK.is_dir():
        pytest.skip(f"reference data not found at {SHARED_AUTHENTIK}")
    return SHARED_AUTHENTIK


# Read at import, like tests/integration/docker/conftest.py: per-test fixtures may scrub CI later.
REQUIRE_DOCKER = os.environ.get("CI") == "true" or os.environ.get("AUTHLAB_REQUIRE_DOCKER") == "1"


def skip_without_docker(reason: str) -> None:
    """Skip a test that needs docker/compose outside CI; under CI=true or AUTHLAB_REQUIRE_DOCKER=1 fail instead,
    so a pipeline whose engine broke cannot go green by skipping."""
    if REQUIRE_DOCKER:
        pytest.fail(f"Docker is required here (CI=true or AUTHLAB_REQUIRE_DOCKER=1) but {reason}", pytrace=False)
    pytest.skip(reason)


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Write `{relative path: dedented text}` under root: keeps file-based tests readable inline."""
    import textwrap

    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
