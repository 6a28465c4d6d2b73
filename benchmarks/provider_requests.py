"""How many requests `authlab provider create` costs, counted by the stand-in Authentik's request log.

    python benchmarks/provider_requests.py [--version 2026.5.6] [--preset nextauth]

Targets (issue 3): a first create <= 8 API requests; an unchanged re-run <= 4 API requests and 0 writes.
"API requests" are calls under /api/v3/; the post-write check of discovery and JWKS (OIDC endpoints) is
printed separately. Printed figures, not a timed test.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from typer.testing import CliRunner  # noqa: E402

from authentik_lab.cli.main import cli  # noqa: E402
from tests.standin.harness import run_standin  # noqa: E402

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def measure(server, args: list[str]) -> dict:
    server.clear_requests()
    result = CliRunner().invoke(cli, ["provider", *args, "--url", server.url, "--token", server.bootstrap_token])
    if result.exit_code != 0:
        raise SystemExit(f"authlab failed ({result.exit_code}):\n{result.stdout}\n{result.stderr}")
    log = [(r["method"], r["path"]) for r in server.requests() if not r["path"].startswith("/_standin")]
    return {
        "api": sum(1 for _, p in log if p.startswith("/api/v3/")),
        "oidc": sum(1 for _, p in log if not p.startswith("/api/v3/")),
        "writes": sum(1 for m, _ in log if m in WRITES),
        "log": log,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="2026.5.6", help="the Authentik release the stand-in speaks")
    parser.add_argument("--preset", default="nextauth")
    parser.add_argument("--verbose", action="store_true", help="list every request")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, run_standin(version=opts.version, worker_delay=0) as server:
        os.environ["AUTHLAB_CACHE_DIR"] = str(Path(tmp) / "cache")  # a cold start, like a new machine
        os.environ["AUTHLAB_DIR"] = str(Path(tmp) / "no-lab")
        server.wait_worker()
        runs = [
            ("first create", measure(server, ["create", "bench", "--preset", opts.preset]), 8, None),
            ("unchanged re-run", measure(server, ["create", "bench", "--preset", opts.preset]), 4, 0),
            ("update (--no-offline-access)", measure(server, ["create", "bench", "--preset", opts.preset, "--no-offline-access"]), None, None),
        ]
    print(f"authlab provider create against the stand-in Authentik {opts.version} (preset {opts.preset})")
    print(f"{'run':<30} {'API':>4} {'target':>7} {'writes':>7} {'OIDC':>5}")
    ok = True
    for label, m, api_target, write_target in runs:
        target = f"<= {api_target}" if api_target is not None else "-"
        print(f"{label:<30} {m['api']:>4} {target:>7} {m['writes']:>7} {m['oidc']:>5}")
        if api_target is not None and m["api"] > api_target or write_target is not None and m["writes"] > write_target:
            ok = False
        if opts.verbose:
            for method, path in m["log"]:
                print(f"    {method:<6} {path}")
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
