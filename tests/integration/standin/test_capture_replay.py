"""Replay every captured Authentik 2026.2.2 exchange (in order) against a stand-in of the same version."""

from __future__ import annotations

from tests.standin.harness import run_standin

from .replay import Replayer, load


def test_replay_all_captures(captures_dir) -> None:
    captures = load(captures_dir)
    assert len(captures) >= 133
    with run_standin(version="2026.2.2", worker_delay=0) as s:
        s.wait_worker()
        r = Replayer(s)
        try:
            errors = r.run(captures)
        finally:
            r.close()
        assert not errors, "\n".join(errors[:60])
