"""What doctor reads from files: the lab, its compose file and .env, and the app's env files.

The base of services.doctor.facts.Facts: it also holds the memo every fact goes through. Checks run concurrently and
several need the same fact, so each fact is computed at most once behind its own lock; a fact that failed re-raises
its error to every check that asks.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from authentik_lab.core import dotenv
from authentik_lab.core.checks import Skip
from authentik_lab.adapters.files import read_text
from authentik_lab.errors import ConfigError

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.services.doctor.facts import DoctorOptions
    from authentik_lab.services.lab import Lab

DEFAULT_APP_ENV = (".env", ".env.local", ".env.development")
NO_SOURCE = "no lab here and no --compose FILE (run `authlab init`, or pass --compose FILE)"


class FileFacts:
    def __init__(self, app: "App", opts: "DoctorOptions", engine_factory: Callable[[], Any] | None = None) -> None:
        self.app = app
        self.opts = opts
        self.url_notes: tuple[str, ...] = ()
        self.read_failure_reporter: str | None = None  # the check that reports an unreadable compose file (catalogue)
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

    def known(self, key: str) -> Any:
        """A fact already observed (None when it was not asked for, or failed): for the report, never computed here."""
        with self._guard:
            good, value = self._memo.get(key, (False, None))
        return value if good else None

    def forget(self, *prefixes: str) -> None:
        """After --fix changed something, the affected facts must be observed again."""
        with self._guard:
            for key in list(self._memo):
                if key.startswith(prefixes):
                    del self._memo[key]

    # --- the Docker engine (here, below every fact that needs it) ----------------------------------

    def engine(self) -> Any:
        """A fake handed to Facts, else the App's (whose factory CLI tests can replace), else the real engine."""
        return self.once("engine", lambda: self.engine_factory() if self.engine_factory else self.app.engine())

    def engine_info(self) -> tuple[Any, str | None]:
        """(core.readiness.EngineInfo, None) or (None, why the engine cannot be used)."""

        def probe() -> tuple[Any, str | None]:
            from authentik_lab.errors import EngineError

            eng = self.engine()
            try:
                eng.require()
                return eng.info(), None
            except EngineError as exc:
                return None, exc.message
            except Exception as exc:  # noqa: BLE001 - the SDK raises many types; all mean "not usable"
                return None, f"{type(exc).__name__}: {exc}"

        return self.once("engine_info", probe)

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
        return self.once("compose_text", lambda: read_text(path))

    def compose_doc(self) -> dict:
        """The configuration as compose runs it (see `effective`); the checks judge this, not the file's text."""
        return self.effective().doc  # type: ignore[return-value]

    def effective(self) -> Any:
        """core.compose_effective.Effective: compose's own view of the project, else the fallback reader's."""
        if self.compose_path() is None:
            raise Skip(NO_SOURCE)
        from authentik_lab.services.doctor.effective import gather

        return self.once("compose_effective", lambda: gather(self))

    def file_doc(self) -> dict:
        """The main compose file as authlab's YAML reader sees it (no override files, no env_file, no profiles)."""
        return self.once("compose_file_doc", lambda: load_compose(self.compose_text(), str(self.compose_path())))

    def env_path(self) -> Path | None:
        """The .env compose reads, when it is a readable kind of file (see env_absence otherwise)."""
        lab = self.lab()
        if lab:
            return lab.env_file
        candidate = self.env_candidate()
        return candidate if candidate and candidate.is_file() else None

    def env_candidate(self) -> Path | None:
        """Where compose looks for the .env: beside the compose file (None without one)."""
        lab = self.lab()
        if lab:
            return lab.env_file
        compose = self.compose_path()
        return compose.parent / ".env" if compose else None

    def env_absence(self) -> tuple[str, bool] | None:
        """Why compose reads no .env (what is at its place instead, and whether `--fix` may create the file there), or
        None when there is a file. Compose skips a folder or a dangling link named .env as if nothing were there."""
        path = self.env_candidate()
        if path is None or path.is_file():
            return None
        if path.is_symlink() and not path.exists():
            return f"is a symbolic link to {os.readlink(path)}, which does not exist (compose skips it)", False
        if path.is_dir():
            return "is a directory (compose skips it)", False
        if path.exists() or path.is_symlink():
            return "is not a regular file", False
        return "does not exist", True

    def no_env_reason(self) -> str:
        """Why the checks that read the .env skip: for the user, with where to look next."""
        compose = self.compose_path()
        if compose is None:
            return NO_SOURCE
        absence = self.env_absence()
        if absence is None or absence[0] == "does not exist":
            # with --compose, env.required runs anyway and says what the file must hold
            return f"no .env next to {compose}" + (" (see env.required)" if self.opts.compose is not None else "")
        return f"{self.env_candidate()} {absence[0]} (see env.required)"

    def env_lines(self) -> dict[str, tuple[int, str]]:
        """key -> (line, value) of the .env as compose reads it (core.dotenv), interpolated with the shell's values."""
        path = self.env_path()
        if path is None:
            raise Skip(self.no_env_reason())
        return self.once("env_lines", lambda: dotenv.parse_with_lines(read_text(path), os.environ))

    def env_unterminated(self) -> dict[str, int]:
        """key -> line of each .env value whose quote never closes (core.dotenv.unterminated)."""
        path = self.env_path()
        if path is None:
            raise Skip(self.no_env_reason())
        return self.once("env_unterminated", lambda: dotenv.unterminated(read_text(path)))

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
        from authentik_lab.core.lab_config import compose_project_name

        named = self.interp_env().get("COMPOSE_PROJECT_NAME") or self.compose_doc().get("name")
        return compose_project_name(str(named or ""), self.compose_path().parent.name)  # type: ignore[union-attr]

    # --- app env files ---------------------------------------------------------------------------

    def app_env_paths(self) -> list[Path]:
        if self.opts.app_env:
            return [Path(p) for p in self.opts.app_env]
        lab_env = self.env_path()
        skip = {lab_env.resolve()} if lab_env else set()
        return [p for p in (self.opts.cwd / n for n in DEFAULT_APP_ENV) if p.is_file() and p.resolve() not in skip]

    def app_env_files(self) -> list[Any]:
        from authentik_lab.core.doctor.app_env import AppEnvFile

        def read() -> list[Any]:
            paths = self.app_env_paths()
            return [AppEnvFile(_display(p, self.opts.cwd), dotenv.parse_with_lines(read_text(p), interpolate=False),
                               self._sibling_keys(p, paths))
                    for p in paths]

        return self.once("app_env", read)

    def _sibling_keys(self, path: Path, scanned: list[Path]) -> frozenset[str]:
        """Variable names of the app's other env files next to `path` that are not checked themselves (e.g. .env
        when only --app-env .env.local was given): they tell which framework the app uses. Never the lab's .env."""
        lab_env = self.env_path()
        skip = {p.resolve() for p in [*scanned, *([lab_env] if lab_env else [])]}
        names: set[str] = set()
        for sibling in (path.parent / n for n in (*DEFAULT_APP_ENV, ".env.production")):
            if sibling.is_file() and sibling.resolve() not in skip:
                try:
                    names.update(dotenv.parse_with_lines(read_text(sibling), interpolate=False))
                except ConfigError:
                    continue  # context only: an unreadable sibling just tells us nothing
        return frozenset(names)


def load_compose(text: str, where: str, main: bool = True) -> dict:
    """One compose file's YAML as a mapping; ConfigError (at file:line:col) when it is not YAML, or not a compose file.
    An override file (`main=False`) may be a fragment without `services`, or empty."""
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(f"invalid YAML: {getattr(exc, 'problem', exc)}", location=f"{where}:{mark.line + 1}:{mark.column + 1}" if mark else where,
                          hint="fix the file (or `authlab init` for a fresh lab)") from None
    if not main and doc is None:
        return {}
    if not isinstance(doc, dict) or (main and not isinstance(doc.get("services"), dict)):
        raise ConfigError("not a compose file (no `services` mapping)", location=where)
    problem = shape_problem(doc)
    if problem:
        raise ConfigError(problem, location=where)
    return doc


# the service fields doctor reads, and the YAML shapes the Compose specification allows for them (compose refuses
# others: compose.valid says so; the checks then skip instead of crashing on `environment: 7`, found by QA of issue 9)
_SHAPES: dict[str, tuple[type, ...]] = {
    "environment": (dict, list), "env_file": (str, list, dict), "profiles": (list,), "volumes": (list,), "ports": (list,),
    "command": (str, list), "entrypoint": (str, list), "user": (str, int), "image": (str,), "labels": (dict, list),
}


def shape_problem(doc: dict) -> str | None:
    """The first service field whose YAML shape the Compose specification does not allow, or None."""
    services = doc.get("services")
    if services is None:
        return None
    if not isinstance(services, dict):
        return f"`services` must be a mapping, not {type(services).__name__}"
    for name, spec in services.items():
        if spec is None:
            continue
        if not isinstance(spec, dict):
            return f"services.{name} must be a mapping, not {type(spec).__name__}"
        for key, shapes in _SHAPES.items():
            value = spec.get(key)
            if value is not None and not isinstance(value, shapes):
                allowed = " or ".join({dict: "a mapping", list: "a list", str: "a string", int: "a number"}[t] for t in shapes)
                return f"services.{name}.{key} must be {allowed}, not {value!r}"
    return None


def _display(path: Path, cwd: Path) -> str:
    try:
        return str(path.absolute().relative_to(cwd.absolute()))
    except ValueError:
        return str(path)
