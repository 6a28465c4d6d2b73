"""Wall time of a full `authlab doctor` against a healthy stand-in lab. Prints figures, asserts nothing.

Run from the repo root: `python benchmarks/doctor.py [--runs N]`. Target: <= 1.5 s per full run.

Set-up: `authlab init` makes a lab whose port is the stand-in's and whose bootstrap token the stand-in
accepts; one provider with its application exists and an app env file points at it, so every group of
checks has input. Without containers for the lab the runtime checks report failures, which costs the
same engine round trips as a healthy lab. Two figures: the doctor service in-process (checks only),
and the whole CLI as a subprocess (interpreter start-up and imports included).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _setup(work: Path) -> tuple[object, Path]:
    from authentik_lab.core import dotenv
    from authentik_lab.services.lab import init_lab
    from tests.integration.test_doctor_cli import make_provider
    from tests.standin.harness import start_standin

    lab = work / "lab"
    init_lab(lab)
    token = dotenv.parse((lab / ".env").read_text())["AUTHENTIK_BOOTSTRAP_TOKEN"]
    s = start_standin(worker_delay=0, env={"AUTHENTIK_BOOTSTRAP_TOKEN": token})
    s.wait_worker()
    init_lab(lab, http_port=s.port)  # keeps the secrets, points the lab at the stand-in's port
    provider = make_provider(s)
    app = work / "app"
    app.mkdir()
    (app / ".env.local").write_text(
        f"AUTH_AUTHENTIK_ID={provider['client_id']}\nAUTH_AUTHENTIK_SECRET={provider['client_secret']}\n"
        f"AUTH_AUTHENTIK_ISSUER=http://localhost:{s.port}/application/o/web/\nAUTH_URL=http://localhost:3000\n"
    )
    return s, lab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from authentik_lab.app import App
    from authentik_lab.services.doctor import run_doctor
    from authentik_lab.services.doctor_facts import DoctorOptions

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        s, lab = _setup(work)
        try:
            in_process, cli = [], []
            for _ in range(args.runs):
                start = time.perf_counter()
                report, _ = run_doctor(App(lab_dir=lab), DoctorOptions(cwd=work / "app"))
                in_process.append(time.perf_counter() - start)
                start = time.perf_counter()
                subprocess.run([sys.executable, "-m", "authentik_lab", "--dir", str(lab), "doctor"], cwd=work / "app",
                               capture_output=True, env={**os.environ, "NO_COLOR": "1"})
                cli.append(time.perf_counter() - start)
            print(f"checks: {report.tally.text()}")
            for r in report.results:
                if r.status not in ("ok", "skip"):
                    print(f"  {r.status:5} {r.id}: {r.summary}")
            print(f"doctor service, in-process: median {statistics.median(in_process):.3f}s  (min {min(in_process):.3f}s, {args.runs} runs)")
            print(f"authlab doctor, subprocess: median {statistics.median(cli):.3f}s  (min {min(cli):.3f}s)  target <= 1.5s")
        finally:
            s.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
