"""tests/e2e/node_apps.py: installs are keyed on the lockfile, builds on the Next.js app's sources, and a machine
without node/npm gets a reason to skip instead of an error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e import node_apps


def test_without_node_the_reason_names_what_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(node_apps.NodeMissing) as caught:
        node_apps.tools()
    assert str(caught.value) == "node and npm not found on PATH (install Node.js >= 20.9 with npm to run the e2e tests)"


def test_old_node_is_refused_with_its_version(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, text in {"node": "#!/bin/sh\necho v18.19.0\n", "npm": "#!/bin/sh\necho 10.2.3\n"}.items():
        (tmp_path / name).write_text(text)
        (tmp_path / name).chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(node_apps.NodeMissing) as caught:
        node_apps.tools()
    assert str(caught.value) == "node v18.19.0 is older than 20.9 (the e2e apps need it)"


def test_the_install_key_follows_the_lockfile_and_the_build_key_only_the_next_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    apps = tmp_path / "apps"
    shutil.copytree(node_apps.APPS, apps, ignore=shutil.ignore_patterns("node_modules", ".next"))
    monkeypatch.setattr(node_apps, "APPS", apps)
    lock, sources = node_apps.lock_hash(), node_apps.source_hash()
    (apps / "api" / "server.mjs").write_text("// changed\n")
    assert (node_apps.lock_hash(), node_apps.source_hash() != sources) == (lock, True)
    next_sources = [p for p in node_apps.sources() if node_apps._is_next(p.relative_to(apps))]
    assert next_sources and all(p.relative_to(apps).parts[0] == "nextauth-app" for p in next_sources)
    (apps / "package-lock.json").write_text((apps / "package-lock.json").read_text() + "\n")
    assert node_apps.lock_hash() != lock
