"""CLI: `python -m tests.standin server|worker` (or `python3 -m standin ...` when copied alone)."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    env = dict(os.environ)
    parser = argparse.ArgumentParser(prog="standin", description="Stand-in Authentik server for tests (not Authentik).")
    sub = parser.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("server", help="run the HTTP server")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=9000)
    s.add_argument("--version", default=env.get("AUTHENTIK_TAG") or "2026.5.6")
    s.add_argument("--worker-delay", type=float, default=float(env.get("STANDIN_WORKER_DELAY") or 3.0))
    s.add_argument("--no-worker", action="store_true", default=env.get("STANDIN_NO_WORKER", "") not in ("", "0", "false"))
    s.add_argument("--state-file", default=env.get("STANDIN_STATE_FILE") or None)
    sub.add_parser("worker", help="DB mode only: the worker's first blueprint pass, step by step")
    ab = sub.add_parser("apply_blueprint", help="DB mode only: apply system/bootstrap.yaml now (fails before migrations)")
    ab.add_argument("path")
    args = parser.parse_args(argv)
    if args.cmd == "apply_blueprint":
        from .worker import apply_bootstrap

        return apply_bootstrap(env)
    if args.cmd == "server":
        from .server import serve

        return serve(args.host, args.port, args.version, args.worker_delay, args.no_worker, args.state_file, env)
    from .worker import run

    return run(env)


if __name__ == "__main__":
    sys.exit(main())
