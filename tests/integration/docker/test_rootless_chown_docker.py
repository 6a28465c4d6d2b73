"""The folder command doctor and `compose patch --fix-permissions` print for rootless Docker really chowns.

The Authentik image declares USER 1000, so the command must run it as uid 0 (container root is the engine's user on
a rootless host). On this rootful engine the same command shows the difference: without `-u 0` the image's own user
gets "Operation not permitted" on a root-owned folder; with it the folder ends up 1000:1000.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from authentik_lab.core.rootless import EngineKind, chown_command

pytestmark = pytest.mark.docker

IMAGE = "ghcr.io/goauthentik/server:2026.5.6"


def test_the_printed_rootless_docker_command_chowns_a_folder_the_image_user_does_not_own(
        docker_engine, standin_images, tmp_path: Path) -> None:  # noqa: ANN001
    folder = tmp_path / "my data"  # a space: the printed command quotes it
    folder.mkdir()
    os.chown(folder, 0, 0)
    os.chmod(folder, 0o755)
    (folder / "kept.txt").write_text("x")
    command = chown_command([str(folder)], 1000, 1000, EngineKind("docker", True, "test"), IMAGE)
    proc = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (folder.stat().st_uid, folder.stat().st_gid) == (1000, 1000)
    assert ((folder / "kept.txt").stat().st_uid, (folder / "kept.txt").read_text()) == (1000, "x")
    # the form without -u 0 (what doctor printed before) fails on the image's USER 1000
    os.chown(folder, 0, 0)
    bare = subprocess.run(["bash", "-c", command.replace(" -u 0", "")], capture_output=True, text=True, timeout=120)
    assert bare.returncode != 0 and "Operation not permitted" in bare.stderr, (bare.returncode, bare.stderr)
