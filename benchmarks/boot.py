"""Time from `authlab up` to ready: cold (a new database) vs restored from a snapshot, on the stand-in image.
Prints figures, asserts nothing. Needs the Docker engine and the stand-in images (`bash tests/run.sh` builds them).

Run from the repo root: `python benchmarks/boot.py [--runs N] [--scale S]`.

The stand-in boots in the real proportions of ../shared/authentik/real-boot-2026.2.2 scaled by STANDIN_BOOT_SCALE
(the image's default 0.05): migrations of an empty database 92 s x scale, of a populated one 9 s x scale, then the
worker's first pass. With `--scale 1` it takes the real durations (about 2 minutes a cold boot).
Targets (issue 13, for a real 2026.2.x on 2 cores): from-snapshot `up` within 2x of a warm restart and at least 4x
faster than cold. Each round: cold up (saves a snapshot), down, warm up, down --volumes, up from the snapshot.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _authlab(env: dict, *args: str) -> tuple[float, dict]:
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "authentik_lab", *args], env=env, capture_output=True, text=True, cwd=REPO)
    took = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"`authlab {' '.join(args)}` failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return took, (json.loads(proc.stdout) if "--json" in args else {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--scale", type=float, default=None, help="STANDIN_BOOT_SCALE for the containers (default: the image's)")
    args = parser.parse_args()
    cold, warm, restored = [], [], []
    with tempfile.TemporaryDirectory(prefix="authlab-bench-boot-") as work:
        env = {**os.environ, "AUTHLAB_CACHE_DIR": str(Path(work) / "cache"), "NO_COLOR": "1"}
        for _ in range(args.runs):
            lab = str(Path(work) / f"lab-{len(cold)}")
            port = _free_port()
            _authlab(env, "--dir", lab, "init", "--port", str(port), "--https-port", str(_free_port()))
            if args.scale is not None:
                with open(Path(lab) / ".env", "a", encoding="utf-8") as fh:
                    fh.write(f"STANDIN_BOOT_SCALE={args.scale}\n")
            try:
                took, doc = _authlab(env, "--dir", lab, "up", "--json", "--timeout", "900")
                assert doc["data"]["boot"] == "cold", doc["data"]["boot"]
                cold.append(took)
                _authlab(env, "--dir", lab, "down")
                took, doc = _authlab(env, "--dir", lab, "up", "--json", "--timeout", "900")
                warm.append(took)
                _authlab(env, "--dir", lab, "down", "--volumes", "--yes")
                took, doc = _authlab(env, "--dir", lab, "up", "--json", "--timeout", "900")
                assert doc["data"]["boot"] == "snapshot", doc["data"]["boot"]
                restored.append(took)
            finally:
                subprocess.run([sys.executable, "-m", "authentik_lab", "--dir", lab, "down", "--volumes", "--yes"],
                               env=env, capture_output=True, cwd=REPO)
    c, w, r = statistics.median(cold), statistics.median(warm), statistics.median(restored)
    print(f"[boot] `authlab up` to ready over {len(cold)} rounds (median): cold {c:.1f} s, warm restart {w:.1f} s, "
          f"from snapshot {r:.1f} s")
    print(f"[boot] cold / snapshot = {c / r:.1f}x (target >= 4x); snapshot / warm = {r / w:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
