"""The wheel must carry the compose templates: `authlab init` from a wheel install has no repo to fall back on."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    (built,) = out.glob("authentik_lab-*.whl")
    return built


def test_the_wheel_ships_every_compose_template(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {n.rsplit("/", 1)[1] for n in names if n.startswith("authentik_lab/_compose/")}
    in_repo = {p.name for p in (REPO / "compose").iterdir() if p.is_file()}
    assert shipped == in_repo and shipped, (shipped, in_repo)
    assert "authentik_lab/cli/main.py" in names


def test_templates_resolve_inside_an_unpacked_wheel(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    code = "from authentik_lab.core.templates import template_dir; print(template_dir())"
    proc = subprocess.run(
        [sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(site)!r}); {code}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    resolved = Path(proc.stdout.strip())
    assert resolved == site / "authentik_lab" / "_compose"
    assert (resolved / "current.yml.tmpl").is_file()
