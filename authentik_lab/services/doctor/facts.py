"""Everything doctor observes, gathered lazily and once: files, the Docker engine, the Authentik API.

Checks run concurrently and several need the same fact (the provider list, the container list), so each
fact is computed at most once behind its own lock; a fact that failed re-raises its error to every check
that asks. A fact whose source is absent raises `Skip` with a reason the user can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from authentik_lab.services.doctor.facts_files import NO_SOURCE
from authentik_lab.services.doctor.facts_server import NO_URL, ServerFacts


@dataclass(frozen=True)
class DoctorOptions:
    url: str | None = None
    token: str | None = None
    compose: Path | None = None
    overrides: tuple[Path, ...] = ()  # more compose files merged on top, as `docker compose -f FILE -f OVERRIDE`
    profiles: tuple[str, ...] = ()  # compose profiles to enable (default: COMPOSE_PROFILES)
    app_env: tuple[Path, ...] = ()
    provider: str | None = None
    preset: str | None = None
    app_dir: Path | None = None  # the app's source folder, read by app.code-env (default: cwd)
    cwd: Path = field(default_factory=Path.cwd)


class Facts(ServerFacts):
    """Files (doctor_facts_files), the server (doctor_facts_server), and which inputs a check lacks."""

    def missing(self, need: str) -> str | None:
        """Why an input is absent, or None when it is there; checks with an absent input are skipped."""
        if need == "engine":
            return None  # Docker itself can be checked without any lab
        if need in ("docker", "compose"):
            return None if self.compose_path() else NO_SOURCE
        if need == "running":
            return self.not_running()
        if need == "env":
            if not self.compose_path():
                return NO_SOURCE
            return None if self.env_path() else self.no_env_reason()
        if need == "api":
            if not self.base_url():
                return NO_URL
            # a downloaded compose file says which port it would publish, not that anything runs there: probing
            # localhost on that guess would test whatever else listens. Only --url names a server explicitly.
            return self.not_running() if self.opts.compose is not None and not self.opts.url else None
        if need == "app-env":
            return None if self.app_env_paths() else (
                "no app env file (pass --app-env FILE, or run in the app's folder with .env / .env.local / .env.development)")
        return None

    def not_running(self) -> str | None:
        """For --compose FILE: why its project is not running (no container of it runs), else None. Labs made by
        `authlab init` are judged by the checks themselves (a stopped lab is a finding there)."""
        if self.opts.compose is None:
            return None

        def find() -> str | None:
            info, _ = self.engine_info()
            if info is None:
                return None if self.opts.url else f"not checked: the Docker engine cannot be reached, so whether project {self.project()} runs is unknown (see engine.reachable; --url checks a server anyway)"
            found = self.engine().containers(self.project())
            if any(c.state in ("running", "restarting") for c in found):
                return None
            others = f" is running ({len(found)} stopped; `authlab status --compose FILE` lists them)" if found else ""
            return f"not running: no container of project {self.project()}{others}"

        try:
            return self.once("not_running", find)
        except Exception:  # noqa: BLE001 - e.g. an unparsable file: the compose checks report it, the rest skips
            return None
