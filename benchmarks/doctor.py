"""Wall time of a full `authlab doctor` on a healthy lab. Prints figures, asserts nothing.

Run from the repo root: `python benchmarks/doctor.py [--runs N] [--mode docker|process]`. Target (issue 9):
<= 1.5 s per full run, the `docker compose config` call included.

The lab (default `--mode docker` when the engine answers and the stand-in images are built, as `bash tests/run.sh`
leaves them): `authlab init` + `authlab up` in a temporary folder on the stand-in server image, one provider made
with `authlab provider create --env-out`, and the app's env file beside it, so every group of checks has input and
passes (engine, compose, env, runtime with its container logs, http, provider, app). `--mode process` runs the
stand-in as a process instead: the runtime checks then find no container (one failure), which costs the same engine
round trips but no log reads.

Figures: the whole CLI as a subprocess (interpreter start, imports and exit included: what a user waits for), the
doctor service in-process (checks only), and the one `docker compose config --format json` call doctor makes for
the effective configuration (part of both, run alone here to show its share). The package's bytecode is compiled
first, as `pip install` does for a wheel: an editable checkout under PYTHONDONTWRITEBYTECODE=1 never has it.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _authlab(env: dict, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    proc = subprocess.run([sys.executable, "-m", "authentik_lab", *args], env=env, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"`authlab {' '.join(args)}` failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc


def _docker_ready() -> str | None:
    """Why the docker mode cannot run, or None."""
    try:
        subprocess.run(["docker", "info"], capture_output=True, check=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return "the Docker engine does not answer"
    from authentik_lab.core.templates import DEFAULT_VERSION

    image = f"ghcr.io/goauthentik/server:{DEFAULT_VERSION}"
    if subprocess.run(["docker", "image", "inspect", image], capture_output=True).returncode:
        return f"no {image} stand-in image (run `bash tests/run.sh` once)"
    return None


@contextlib.contextmanager
def _docker_lab(work: Path, env: dict) -> Iterator[tuple[Path, Path]]:
    """A running lab on the stand-in image with one provider, and the app folder whose .env.local doctor reads."""
    lab, app = work / "lab", work / "app"
    app.mkdir()
    _authlab(env, work, "--dir", str(lab), "init", "--port", str(_free_port()), "--https-port", str(_free_port()))
    try:
        _authlab(env, work, "--dir", str(lab), "up", "--timeout", "600")
        _authlab(env, app, "--dir", str(lab), "provider", "create", "web", "--preset", "authjs", "--env-out", ".env.local")
        yield lab, app
    finally:
        subprocess.run([sys.executable, "-m", "authentik_lab", "--dir", str(lab), "down", "--volumes", "--yes"],
                       env=env, cwd=work, capture_output=True)


@contextlib.contextmanager
def _process_lab(work: Path) -> Iterator[tuple[Path, Path]]:
    """The stand-in as a process, a lab whose port and bootstrap token are the stand-in's, one provider."""
    from authentik_lab.core import dotenv
    from authentik_lab.services.lab import init_lab
    from tests.integration.test_doctor_cli import make_provider
    from tests.standin.harness import start_standin

    lab = work / "lab"
    init_lab(lab)
    token = dotenv.parse((lab / ".env").read_text())["AUTHENTIK_BOOTSTRAP_TOKEN"]
    s = start_standin(worker_delay=0, env={"AUTHENTIK_BOOTSTRAP_TOKEN": token})
    try:
        s.wait_worker()
        init_lab(lab, http_port=s.port)  # keeps the secrets, points the lab at the stand-in's port
        provider = make_provider(s)
        app = work / "app"
        app.mkdir()
        (app / ".env.local").write_text(
            f"AUTH_AUTHENTIK_ID={provider['client_id']}\nAUTH_AUTHENTIK_SECRET={provider['client_secret']}\n"
            f"AUTH_AUTHENTIK_ISSUER=http://localhost:{s.port}/application/o/web/\nAUTH_URL=http://localhost:3000\n"
        )
        yield lab, app
    finally:
        s.stop()


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


def _measure(lab: Path, app: Path, env: dict, runs: int) -> None:
    from authentik_lab.app import App
    from authentik_lab.services.doctor import run_doctor
    from authentik_lab.services.doctor.facts import DoctorOptions

    in_process, cli = [], []
    report = None
    for _ in range(runs):
        start = time.perf_counter()
        report, _ = run_doctor(App(lab_dir=lab), DoctorOptions(cwd=app))
        in_process.append(time.perf_counter() - start)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "authentik_lab", "--dir", str(lab), "doctor"], cwd=app, capture_output=True, env=env)
        cli.append(time.perf_counter() - start)
    compose = _compose_config_times(lab, runs)
    assert report is not None
    print(f"checks: {report.tally.text()}")
    if report.compose is not None:
        print(f"compose configuration: {report.compose.describe()}")
    for r in report.results:
        if r.status not in ("ok", "skip"):
            print(f"  {r.status:5} {r.id}: {r.summary}")
    print(f"authlab doctor, subprocess: median {statistics.median(cli):.3f}s  (min {min(cli):.3f}s, max {max(cli):.3f}s, "
          f"{runs} runs)  target <= 1.5s")
    print(f"doctor service, in-process: median {statistics.median(in_process):.3f}s  (min {min(in_process):.3f}s)")
    if compose:
        print(f"docker compose config alone: median {statistics.median(compose):.3f}s  (min {min(compose):.3f}s; "
              "runs concurrently with the engine and HTTP checks inside doctor)")
    else:
        print("docker compose config alone: not measured (compose is not installed; doctor used its own reader)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--mode", choices=("docker", "process"), default=None,
                        help="a lab in containers (default when Docker and the stand-in images are there) or the stand-in process")
    args = parser.parse_args()
    compileall.compile_dir(str(REPO / "authentik_lab"), quiet=1)
    why_not = _docker_ready() if args.mode != "process" else "--mode process"
    if args.mode == "docker" and why_not:
        raise SystemExit(f"--mode docker: {why_not}")
    mode = "process" if why_not else "docker"
    print(f"lab: {'containers on the stand-in image' if mode == 'docker' else f'the stand-in as a process ({why_not})'}")
    with tempfile.TemporaryDirectory(prefix="authlab-bench-doctor-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "NO_COLOR": "1", "AUTHLAB_CACHE_DIR": str(work / "cache")}
        with (_docker_lab(work, env) if mode == "docker" else _process_lab(work)) as (lab, app):
            _measure(lab, app, env, args.runs)


if __name__ == "__main__":
    main()
