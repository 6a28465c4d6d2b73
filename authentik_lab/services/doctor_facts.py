"""Everything doctor observes, gathered lazily and once: files, the Docker engine, the Authentik API.

Checks run concurrently and several need the same fact (the provider list, the container list), so each
fact is computed at most once behind its own lock; a fact that failed re-raises its error to every check
that asks. A fact whose source is absent raises `Skip` with a reason the user can act on.
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from authentik_lab.core import dotenv
from authentik_lab.core.checks import Skip
from authentik_lab.core.doctor_provider import Fetched
from authentik_lab.errors import ConfigError

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.services.lab import Lab

DEFAULT_APP_ENV = (".env", ".env.local", ".env.development")
LIVE_PATH, READY_PATH, ME_PATH, CONFIG_PATH = "/-/health/live/", "/-/health/ready/", "/api/v3/core/users/me/", "/api/v3/root/config/"
NO_SOURCE = "no lab here and no --compose FILE (run `authlab init`, or pass --compose FILE)"
NO_URL = "no Authentik URL (no lab here: pass --url and --token, or --compose FILE)"


@dataclass(frozen=True)
class DoctorOptions:
    url: str | None = None
    token: str | None = None
    compose: Path | None = None
    app_env: tuple[Path, ...] = ()
    provider: str | None = None
    preset: str | None = None
    cwd: Path = field(default_factory=Path.cwd)


class Facts:
    def __init__(self, app: "App", opts: DoctorOptions, engine_factory: Callable[[], Any] | None = None) -> None:
        self.app = app
        self.opts = opts
        self.url_notes: tuple[str, ...] = ()
        self.engine_factory = engine_factory  # tests may hand in a fake engine; production builds the real one
        self._memo: dict[str, tuple[bool, Any]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def once(self, key: str, fn: Callable[[], Any]) -> Any:
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._memo:
                try:
                    self._memo[key] = (True, fn())
                except BaseException as exc:  # noqa: BLE001 - remembered and re-raised to each asker
                    self._memo[key] = (False, exc)
            good, value = self._memo[key]
        if good:
            return value
        raise value

    def forget(self, *prefixes: str) -> None:
        """After --fix changed something, the affected facts must be observed again."""
        with self._guard:
            for key in list(self._memo):
                if key.startswith(prefixes):
                    del self._memo[key]

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
            return None if self.env_path() else f"no .env next to {self.compose_path()}"
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
            from authentik_lab.services import doctor_gather as g

            info, _ = g.engine_info(self)
            if info is None:
                return None if self.opts.url else f"not checked: the Docker engine cannot be reached, so whether project {self.project()} runs is unknown (see engine.reachable; --url checks a server anyway)"
            found = g.engine(self).containers(self.project())
            if any(c.state in ("running", "restarting") for c in found):
                return None
            others = f" is running ({len(found)} stopped; `authlab status --compose FILE` lists them)" if found else ""
            return f"not running: no container of project {self.project()}{others}"

        try:
            return self.once("not_running", find)
        except Exception:  # noqa: BLE001 - e.g. an unparsable file: the compose checks report it, the rest skips
            return None

    # --- the lab and its files -------------------------------------------------------------------

    def lab(self) -> "Lab | None":
        """The authlab lab in --dir, when it loads; a lab too broken to load is still checked through its files."""

        def load() -> "Lab | None":
            if self.opts.compose is not None or not (Path(self.app.lab_dir) / "compose.yml").is_file():
                return None  # an explicit compose file is its own world
            from authentik_lab.services.lab import load_lab

            try:
                return load_lab(Path(self.app.lab_dir))
            except ConfigError:
                return None  # e.g. a secret missing from .env: env.required says so

        return self.once("lab", load)

    def compose_path(self) -> Path | None:
        if self.opts.compose is not None:
            return Path(self.opts.compose).absolute()
        lab = self.lab()
        if lab:
            return lab.compose_file
        fallback = Path(self.app.lab_dir).absolute() / "compose.yml"
        return fallback if fallback.is_file() else None

    def compose_text(self) -> str:
        path = self.compose_path()
        if path is None:
            raise Skip(NO_SOURCE)
        return self.once("compose_text", lambda: _read(path))

    def compose_doc(self) -> dict:
        def parse() -> dict:
            import yaml

            try:
                doc = yaml.safe_load(self.compose_text())
            except yaml.YAMLError as exc:
                mark = getattr(exc, "problem_mark", None)
                where = f"{self.compose_path()}:{mark.line + 1}:{mark.column + 1}" if mark else str(self.compose_path())
                raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", location=where,
                                  hint="fix the file (or `authlab init` for a fresh lab)") from None
            if not isinstance(doc, dict) or not isinstance(doc.get("services"), dict):
                raise ConfigError("not a compose file (no `services` mapping)", location=str(self.compose_path()))
            return doc

        return self.once("compose_doc", parse)

    def env_path(self) -> Path | None:
        lab = self.lab()
        if lab:
            return lab.env_file
        compose = self.compose_path()
        candidate = compose.parent / ".env" if compose else None
        return candidate if candidate and candidate.is_file() else None

    def env_lines(self) -> dict[str, tuple[int, str]]:
        path = self.env_path()
        if path is None:
            raise Skip(f"no .env next to {self.compose_path()}" if self.compose_path() else NO_SOURCE)
        return self.once("env_lines", lambda: dotenv.parse_with_lines(_read(path)))

    def env_mode(self) -> int | None:
        path = self.env_path()
        try:
            return path.stat().st_mode if path else None
        except OSError:
            return None

    def interp_env(self) -> dict[str, str]:
        """Compose's interpolation: the shell environment wins over .env."""
        try:
            values = {k: v for k, (_, v) in self.env_lines().items()}
        except Skip:
            values = {}
        return {**values, **os.environ}

    def project(self) -> str:
        """The compose project name, with compose's own precedence: COMPOSE_PROJECT_NAME, `name:`, the folder."""
        lab = self.lab()
        if lab:
            return lab.project_name
        named = self.interp_env().get("COMPOSE_PROJECT_NAME") or self.compose_doc().get("name")
        if named:
            return str(named)
        return re.sub(r"[^a-z0-9_-]", "", self.compose_path().parent.name.lower())  # type: ignore[union-attr]

    # --- where Authentik is ----------------------------------------------------------------------

    def base_url(self) -> str | None:
        def find() -> str | None:
            from authentik_lab.services.connection import canonical_url

            lab = self.lab()
            if self.opts.url:
                # the same normalisation and notes as every other command that takes --url
                base = canonical_url(self.opts.url, lab.url if lab else None)
                self.url_notes = base.notes
                return base.url
            if lab:
                return lab.url
            port = self.compose_http_port()
            return f"http://localhost:{port}" if port else None

        return self.once("base_url", find)

    def compose_http_port(self) -> int | None:
        if not self.compose_path():
            return None
        try:
            ports = self.published_ports()
        except Exception:  # noqa: BLE001 - a broken compose file is reported by the compose checks
            return None
        return ports[0] if ports else None

    def published_ports(self) -> list[int]:
        """Host ports the Authentik server publishes for its HTTP port 9000."""
        from authentik_lab.core.compose_patch import split_port
        from authentik_lab.core.doctor_compose import authentik_services, interpolate

        out = []
        for svc in authentik_services(self.compose_doc()):
            if svc.role != "server":
                continue
            for entry in svc.spec.get("ports") or []:
                if isinstance(entry, dict):
                    host, target = entry.get("published"), entry.get("target")
                else:
                    parts = [interpolate(p, self.interp_env()) for p in split_port(str(entry))]
                    host, target = (parts[-2], parts[-1]) if len(parts) >= 2 else (None, parts[0])
                if str(target).split("/")[0] == "9000" and host and str(host).isdigit():
                    out.append(int(host))
        return out

    def token_source(self) -> tuple[str | None, str | None]:
        """(token, where it came from). The lab's bootstrap token goes only to the lab's own URL: never send
        a secret to another server just because --url pointed there."""
        if self.opts.token:
            return self.opts.token, "--token"
        lab = self.lab()
        if lab and lab.bootstrap_token and self._own_url(lab.url):
            return lab.bootstrap_token, "bootstrap token"
        if self.compose_path() and not lab:
            try:
                value = self.env_lines().get("AUTHENTIK_BOOTSTRAP_TOKEN", (0, ""))[1]
            except Skip:
                value = ""
            port = self.compose_http_port()
            if value and (not self.opts.url or (port and self._own_url(f"http://localhost:{port}"))):
                return value, "bootstrap token"
        return None, None

    def _own_url(self, url: str) -> bool:
        from authentik_lab.core.urls import same_origin

        base = self.base_url()
        return not self.opts.url or bool(base and (same_origin(base, url) or same_origin(base, url.replace("localhost", "127.0.0.1"))))

    def api(self) -> Any:
        url = self.base_url()
        if not url:
            raise Skip(NO_URL)
        return self.once("api", lambda: self.app.api(url, self.token_source()[0], timeout=5.0, retries=1))

    def fetch(self, path: str, key: str | None = None) -> Fetched:
        """One GET (no status mapping), remembered; connection errors become a status of None."""

        def get() -> Fetched:
            api = self.api()
            url = f"{api.base_url}{path}"
            before = time.time()
            try:
                response = api.raw("GET", path)
            except Exception as exc:  # noqa: BLE001 - httpx errors: the check reports them
                return Fetched(url, None, error=f"{type(exc).__name__}: {exc}")
            try:
                body = response.json() if response.content else None
            except ValueError:
                body = None
            return Fetched(url, response.status_code, body, error=None,
                           headers={"Date": response.headers.get("Date", ""), "_before": before, "_after": time.time()})

        return self.once(key or f"GET {path}", get)

    def require_api(self) -> Any:
        """The API, when it answers and accepts the token; otherwise Skip naming the check that explains why."""
        live = self.fetch(LIVE_PATH)
        if live.status is None:
            raise Skip("Authentik cannot be reached (see http.live)")
        token, _ = self.token_source()
        if not token:
            raise Skip("no API token (pass --token, or use a lab with AUTHENTIK_BOOTSTRAP_TOKEN)")
        if self.fetch(ME_PATH).status != 200:
            raise Skip("the API token is not accepted (see http.token)")
        return self.api()

    # --- app env files ---------------------------------------------------------------------------

    def app_env_paths(self) -> list[Path]:
        if self.opts.app_env:
            return [Path(p) for p in self.opts.app_env]
        lab_env = self.env_path()
        skip = {lab_env.resolve()} if lab_env else set()
        return [p for p in (self.opts.cwd / n for n in DEFAULT_APP_ENV) if p.is_file() and p.resolve() not in skip]

    def app_env_files(self) -> list[Any]:
        from authentik_lab.core.doctor_app_env import AppEnvFile

        def read() -> list[Any]:
            return [AppEnvFile(_display(p, self.opts.cwd), dotenv.parse_with_lines(_read(p))) for p in self.app_env_paths()]

        return self.once("app_env", read)


def _display(path: Path, cwd: Path) -> str:
    try:
        return str(path.absolute().relative_to(cwd.absolute()))
    except ValueError:
        return str(path)


def _read(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", location=str(path)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror}", location=str(path)) from None
