"""Wall time of a full `authlab doctor` against a healthy stand-in lab. Prints figures, asserts nothing.

Run from the repo root: `python benchmarks/doctor.py [--runs N]`. Target: <= 1.5 s per full run.

Set-up: `authlab init` makes a lab whose port is the stand-in's and whose bootstrap token the stand-in
accepts; one provider with its application exists and an app env file points at it, so every group of
checks has input. Without containers for the lab the runtime checks report failures, which costs the
same engine round trips as a healthy lab. Three figures: the doctor service in-process (checks only),
the whole CLI as a subprocess (interpreter start-up and imports included), and the one `docker compose config
--format json` call doctor makes for the effective configuration (part of both, run alone here to show its share).
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


def _compose_config_times(lab: Path, runs: int) -> list[float]:
    """Wall time of the effective-configuration call doctor makes for the lab, as doctor makes it."""
    from authentik_lab.app import App
    from authentik_lab.errors import ComposeError
    from authentik_lab.services.lab import load_lab

    loaded = load_lab(lab)
    runner = App(lab_dir=lab).compose(compose_file=loaded.compose_file, project_name=loaded.project_name, env_file=loaded.env_file)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            runner.config_json()
        except ComposeError:
            return []
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from authentik_lab.app import App
    from authentik_lab.services.doctor import run_doctor
    from authentik_lab.services.doctor.facts import DoctorOptions

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
            compose = _compose_config_times(lab, args.runs)
            print(f"checks: {report.tally.text()}")
            if report.compose is not None:
                print(f"compose configuration: {report.compose.describe()}")
            for r in report.results:
                if r.status not in ("ok", "skip"):
                    print(f"  {r.status:5} {r.id}: {r.summary}")
            print(f"doctor service, in-process: median {statistics.median(in_process):.3f}s  (min {min(in_process):.3f}s, {args.runs} runs)")
            print(f"authlab doctor, subprocess: median {statistics.median(cli):.3f}s  (min {min(cli):.3f}s)  target <= 1.5s")
            if compose:
                print(f"docker compose config alone: median {statistics.median(compose):.3f}s  (min {min(compose):.3f}s; "
                      "runs concurrently with the engine and HTTP checks inside doctor)")
            else:
                print("docker compose config alone: not measured (compose is not installed; doctor used its own reader)")
        finally:
            s.stop()  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
