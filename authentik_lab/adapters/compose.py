"""The one choke point for `docker compose`: argv as a list, binary detection, typed errors, `ps` parsing.

Prefers the v2 plugin (`docker compose`); falls back to the standalone `docker-compose` (v1 or v2).
Every call names the project directory, the file, the project name and the env file explicitly, so
authlab never depends on the current directory or on COMPOSE_* variables in the user's shell.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from authentik_lab.core import log_patterns
from authentik_lab.errors import ComposeError

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
DOCKER_HINT = (
    "start Docker (Docker Desktop, `sudo systemctl start docker`, or `dockerd`); check DOCKER_HOST (unset it to use "
    "the default socket); for rootless Docker use DOCKER_HOST=unix://$XDG_RUNTIME_DIR/docker.sock; "
    "`docker info` must work for your user"
)
UNREACHABLE = "cannot reach the Docker engine"


def docker_location() -> str:
    """Where docker will look for the engine: DOCKER_HOST when set, else the default socket (named as such)."""
    import os

    from authentik_lab import envnames

    host = os.environ.get(envnames.DOCKER_HOST, "").strip()
    return host or f"{DEFAULT_SOCKET} (the default socket)"


def unreachable_message() -> str:
    # one wording for every command (up, status, logs, down, doctor): users grep for it
    return f"{UNREACHABLE} at {docker_location()}"
INSTALL_HINT = "install Docker Compose v2 (the `docker compose` plugin; Docker Desktop ships it) or `docker-compose`"

# (phrase in stderr, message, hint) for failures of the engine or of compose itself; failures of the lab's
# configuration come from core.log_patterns so `up` and the log matcher agree on wording.
_STDERR_MAP: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), m, h)
    for p, m, h in (
        (
            r"Cannot connect to the Docker daemon|error during connect|Is the docker daemon running"
            r"|connect: no such file or directory|Couldn't connect to Docker daemon",
            UNREACHABLE,
            DOCKER_HINT,
        ),
        (
            r"permission denied while trying to connect to the Docker daemon",
            "no permission to use the Docker engine",
            "add your user to the `docker` group (then log in again), or use rootless Docker",
        ),
        (
            r"pull access denied|manifest unknown|failed to resolve reference|repository does not exist"
            r"|manifest for .* not found|no such host",
            "an image could not be pulled",
            "check AUTHENTIK_IMAGE / AUTHENTIK_TAG in .env and your network; `docker images` lists local images",
        ),
        (
            r"no configuration file provided|Can't find a suitable configuration file",
            "compose found no compose file",
            "run `authlab init` first, or pass the file with --compose",
        ),
    )
)


@dataclass(frozen=True)
class Publisher:
    url: str
    target_port: int
    published_port: int
    protocol: str = "tcp"


@dataclass(frozen=True)
class ServiceStatus:
    """One container of the project, as `docker compose ps --format json` describes it."""

    service: str
    name: str
    state: str
    health: str | None = None
    exit_code: int | None = None
    status: str = ""  # "Up 2 minutes (healthy)"; newer compose only
    image: str = ""
    publishers: tuple[Publisher, ...] = field(default_factory=tuple)


def parse_ps(text: str) -> list[ServiceStatus]:
    """Both shapes of `ps --format json`: a JSON array (compose < 2.21) or one object per line (>= 2.21)."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        rows = json.loads(text)
    else:
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return sorted((_row(r) for r in rows), key=lambda s: (s.service, s.name))


def _row(r: dict) -> ServiceStatus:
    pubs = tuple(
        Publisher(p.get("URL") or "", int(p.get("TargetPort") or 0), int(p.get("PublishedPort") or 0), p.get("Protocol") or "tcp")
        for p in (r.get("Publishers") or [])
        if p.get("PublishedPort")  # exposed but not published: compose lists it with port 0
    )
    exit_code = r.get("ExitCode")
    return ServiceStatus(
        service=r.get("Service") or "",
        name=r.get("Name") or "",
        state=(r.get("State") or "").lower(),
        health=(r.get("Health") or None),
        exit_code=int(exit_code) if exit_code is not None else None,
        status=r.get("Status") or "",
        image=r.get("Image") or "",
        publishers=pubs,
    )


@functools.lru_cache(maxsize=1)
def detect_binary() -> tuple[str, ...]:
    """`docker compose` when the plugin works, else `docker-compose`; a ComposeError when neither exists."""
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
        if probe.returncode == 0:
            return ("docker", "compose")
    if shutil.which("docker-compose"):
        return ("docker-compose",)
    raise ComposeError("Docker Compose is not installed (neither `docker compose` nor `docker-compose` works)", ["docker", "compose"], None, "", hint=INSTALL_HINT)


class ComposeRunner:
    def __init__(
        self,
        compose_file: Path,
        project_name: str | None,
        *,
        project_dir: Path | None = None,
        env_file: Path | None = None,
        extra_files: Sequence[Path] = (),
        binary: Sequence[str] | None = None,
        run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
    ) -> None:
        self.compose_file = Path(compose_file)
        self.project_name = project_name
        self.project_dir = Path(project_dir) if project_dir else self.compose_file.parent
        self.env_file = Path(env_file) if env_file else None
        self.extra_files = tuple(Path(f) for f in extra_files)  # override files, applied in order
        self._binary = tuple(binary) if binary else None
        self._run = run

    @property
    def binary(self) -> tuple[str, ...]:
        if self._binary is None:
            self._binary = detect_binary()
        return self._binary

    @property
    def is_v1(self) -> bool:
        # v1 has no `ps --format json`; callers ask the engine instead
        return self.binary == ("docker-compose",) and _standalone_major() == 1

    def argv(self, *args: str) -> list[str]:
        cmd = [*self.binary, "--project-directory", str(self.project_dir), "-f", str(self.compose_file)]
        for extra in self.extra_files:
            cmd += ["-f", str(extra)]
        if self.project_name:  # None: compose decides (COMPOSE_PROJECT_NAME, `name:`, the folder), as for the user
            cmd += ["-p", self.project_name]
        if self.env_file is not None:
            cmd += ["--env-file", str(self.env_file)]
        return [*cmd, *args]

    def run(self, *args: str, timeout: float | None = None) -> subprocess.CompletedProcess:
        """Run one compose command, capture its output, raise a typed ComposeError when it fails."""
        argv = self.argv(*args)
        try:
            proc = self._run(argv, capture_output=True, text=True, timeout=timeout)
        except FileNotFoundError as exc:
            raise ComposeError(f"cannot run {argv[0]}: {exc}", argv, None, "", hint=INSTALL_HINT) from exc
        except subprocess.TimeoutExpired as exc:
            raise ComposeError(f"`{' '.join(argv[:2])} {' '.join(args)}` did not finish in {timeout:.0f}s", argv, None, str(exc.stderr or "")) from exc
        if proc.returncode != 0:
            raise error_for(argv, proc.returncode, proc.stderr or "", command=args[0] if args else "")
        return proc

    def stream(self, *args: str) -> int:
        """Run with the terminal attached (logs --follow): output streams straight through."""
        argv = self.argv(*args)
        try:
            return subprocess.call(argv)
        except FileNotFoundError as exc:
            raise ComposeError(f"cannot run {argv[0]}: {exc}", argv, None, "", hint=INSTALL_HINT) from exc

    # --- the commands authlab uses ---------------------------------------------------------------

    def up(self, timeout: float | None = None) -> subprocess.CompletedProcess:
        return self.run("up", "-d", "--remove-orphans", timeout=timeout)

    def down(self, volumes: bool = False) -> subprocess.CompletedProcess:
        return self.run("down", "--remove-orphans", *(["--volumes"] if volumes else []))

    def up_services(self, *services: str, timeout: float | None = None) -> subprocess.CompletedProcess:
        """`up -d SERVICE...`: only these (and what they depend on), e.g. the database before a restore."""
        return self.run("up", "-d", *services, timeout=timeout)

    def exec_binary(self, service: str, argv: Sequence[str], *, stdin_path: Path | None = None,
                    stdout_path: Path | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
        """`exec -T SERVICE ARGV` with its stdin from / stdout to a file, as bytes (a database dump is binary).

        Raises ComposeError with the command's stderr when it exits non-zero."""
        full = self.argv("exec", "-T", service, *argv)
        try:
            with contextlib.ExitStack() as stack:
                stdin = stack.enter_context(open(stdin_path, "rb")) if stdin_path else subprocess.DEVNULL
                stdout = stack.enter_context(open(stdout_path, "wb")) if stdout_path else subprocess.PIPE
                proc = self._run(full, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, timeout=timeout)
        except FileNotFoundError as exc:
            raise ComposeError(f"cannot run {full[0]}: {exc}", full, None, "", hint=INSTALL_HINT) from exc
        except subprocess.TimeoutExpired as exc:
            raise ComposeError(f"`{' '.join(argv)}` in {service} did not finish in {timeout:.0f}s", full, None, "") from exc
        if proc.returncode != 0:
            stderr = proc.stderr.decode("utf-8", "replace") if isinstance(proc.stderr, bytes) else str(proc.stderr or "")
            raise error_for(full, proc.returncode, stderr, command="exec")
        return proc

    def ps(self) -> list[ServiceStatus]:
        return parse_ps(self.run("ps", "--all", "--format", "json").stdout)

    def config_json(self, profiles: Sequence[str] = (), timeout: float = 20) -> dict:
        """The effective configuration compose computes (`config --format json`): interpolation, `env_file`,
        anchors and merge keys, override files, active profiles. Needs the compose binary only, not the engine.
        Raises ComposeError when compose refuses the file (its stderr says why) or prints no JSON object."""
        args = [arg for p in profiles for arg in ("--profile", p)]
        if self._binary is None and detect_binary.cache_info().currsize == 0 and shutil.which("docker"):
            # doctor's critical path: try the plugin straight away instead of probing `docker compose version` first
            # (one process less); a docker CLI without the plugin says so, and the probe then decides as usual
            self._binary = ("docker", "compose")
            try:
                proc = self.run(*args, "config", "--format", "json", timeout=timeout)
            except ComposeError as exc:
                self._binary = None
                if not re.search(r"not a docker command|unknown command", exc.stderr or "", re.IGNORECASE):
                    raise
                proc = self.run(*args, "config", "--format", "json", timeout=timeout)
        else:
            proc = self.run(*args, "config", "--format", "json", timeout=timeout)
        try:
            doc = json.loads(proc.stdout)
        except ValueError as exc:
            raise ComposeError(f"`docker compose config --format json` printed no JSON ({exc})", self.argv(*args, "config"),
                               proc.returncode, proc.stderr or "") from None
        if not isinstance(doc, dict):
            raise ComposeError("`docker compose config --format json` printed no JSON object", self.argv(*args, "config"),
                               proc.returncode, proc.stderr or "")
        return doc

    def services(self) -> list[str]:
        return [s for s in self.run("config", "--services").stdout.split() if s]

    def logs_args(self, service: str | None, follow: bool, tail: int | None) -> list[str]:
        args = ["logs", "--no-color"]
        if follow:
            args.append("--follow")
        if tail is not None:
            args += ["--tail", str(tail)]
        return args + ([service] if service else [])


@functools.lru_cache(maxsize=1)
def _standalone_major() -> int:
    out = subprocess.run(["docker-compose", "version", "--short"], capture_output=True, text=True).stdout.strip()
    m = re.match(r"v?(\d+)", out)
    return int(m.group(1)) if m else 1


def error_for(argv: list[str], code: int | None, stderr: str, command: str = "") -> ComposeError:
    """Map compose's stderr to one message and one hint; unknown failures keep compose's last lines."""
    found = log_patterns.diagnose(stderr)
    if found is not None:
        return ComposeError(found.diagnosis, argv, code, stderr, hint=found.fix)
    for pattern, message, hint in _STDERR_MAP:
        if pattern.search(stderr):
            message = unreachable_message() if message == UNREACHABLE else message
            return ComposeError(message, argv, code, stderr, hint=hint)
    tail = " | ".join(line.strip() for line in stderr.strip().splitlines()[-3:]) or f"exit code {code}"
    return ComposeError(
        f"`docker compose {command}` failed: {tail}".replace("  ", " "),
        argv,
        code,
        stderr,
        hint="`--json` shows the full command and its stderr",
    )
