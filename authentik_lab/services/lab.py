"""The lab directory: create it (`init_lab`), read it (`load_lab`), or both (`ensure_lab`, for `up`).

A lab is a folder holding `compose.yml` (rendered from authlab's templates) and `.env` (settings and
secrets, mode 0600). Re-running init never touches a secret; it fills what is missing and applies the
settings the user asked to change, and says which.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from authentik_lab import envnames
from authentik_lab.core import dotenv
from authentik_lab.core import lab_config as cfg
from authentik_lab.core.templates import ADMIN_USER, is_newer_than_covered
from authentik_lab.errors import ConfigError, UsageError

COMPOSE_FILE = "compose.yml"
ENV_FILE = ".env"
ENV_MODE = 0o600
GITIGNORE = "# written by authlab: this folder holds secrets (.env); keep all of it out of git\n*\n"
ENV_HEADER = (
    "authlab lab settings and secrets; read by docker compose and by authlab.\n"
    "Secrets are generated once and never replaced: a new PG_PASS or AUTHENTIK_SECRET_KEY breaks an existing lab.\n"
    "Change ports or the release with `authlab init --port/--version`; `authlab down --volumes` starts over."
)


@dataclass(frozen=True)
class Lab:
    """A lab as compose will see it: the process environment overrides .env, exactly as in compose."""

    dir: Path
    compose_file: Path
    env_file: Path
    env: Mapping[str, str] = field(repr=False)  # the .env values, secrets included
    project_name: str
    version: str  # the Authentik release the lab runs (AUTHENTIK_TAG when it is a release number)
    image: str  # the effective image reference, e.g. ghcr.io/goauthentik/server:2026.5.6
    http_port: int
    https_port: int
    bind: str
    url: str
    admin_user: str
    bootstrap_token: str = field(repr=False)
    bootstrap_password: str = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """For --json: never the secrets."""
        return {
            "dir": str(self.dir),
            "compose_file": str(self.compose_file),
            "env_file": str(self.env_file),
            "project_name": self.project_name,
            "version": self.version,
            "image": self.image,
            "http_port": self.http_port,
            "https_port": self.https_port,
            "bind": self.bind,
            "url": self.url,
            "admin_user": self.admin_user,
        }


@dataclass(frozen=True)
class InitResult:
    action: str  # "created" | "unchanged" | "filled" | "updated"
    lab_dir: Path
    compose_file: Path
    env_file: Path
    url: str
    admin_user: str
    version: str
    http_port: int
    https_port: int
    bind: str
    project_name: str
    added: tuple[str, ...] = ()  # .env keys that were missing (names only, never values)
    changed: tuple[tuple[str, str, str], ...] = ()  # (key, old, new) for non-secret settings
    compose_written: bool = False
    compose_backup: Path | None = None
    warnings: tuple[str, ...] = ()
    running_stale: bool = False  # the lab's containers run with the old settings: `authlab up` applies the new ones
    password_key: str = cfg.BOOTSTRAP_PASSWORD
    token_key: str = cfg.BOOTSTRAP_TOKEN


def init_lab(
    lab_dir: Path,
    *,
    version: str | None = None,
    http_port: int | None = None,
    https_port: int | None = None,
    bind: str | None = None,
    token: Callable[[int], str] | None = None,
    command: str = "init",
) -> InitResult:
    """Create the lab, or bring an existing one up to date without touching its secrets.

    None for a setting means "keep what the lab has" (or the default for a new lab). `command` is the command
    whose options these are (`init`, `up`), named in the hint of a bad value.
    """
    from authentik_lab.adapters.files import atomic_write
    from authentik_lab.core.compose_render import render_compose

    lab_dir, env_text, plan = _plan(lab_dir, version, http_port, https_port, bind, token, command)
    env_file, compose_file = lab_dir / ENV_FILE, lab_dir / COMPOSE_FILE
    existing = dotenv.parse(env_text or "")
    warnings = _warnings(plan, existing)
    settings = plan.settings
    write_compose = plan.settings_changed or not compose_file.exists()
    previous = compose_file.read_text(encoding="utf-8") if write_compose and compose_file.exists() else None
    rendered = render_compose(settings, previous=previous) if write_compose else None  # a template error writes nothing

    gitignore = lab_dir / ".gitignore"
    if not gitignore.exists():
        # the lab usually sits inside the app's repository: keep its secrets out of commits
        atomic_write(gitignore, GITIGNORE)
    if env_text is None or plan.updates:
        atomic_write(env_file, _planned_text(env_text, plan), mode=ENV_MODE)
    elif env_file.stat().st_mode & 0o077:
        os.chmod(env_file, ENV_MODE)  # secrets readable by others: tighten, nothing else changes
    backup = None
    if rendered is not None and (not compose_file.exists() or compose_file.read_text(encoding="utf-8") != rendered):
        backup = atomic_write(compose_file, rendered, mode=0o644, backup=compose_file.exists())
    else:
        write_compose = False

    if env_text is None:
        action = "created"
    elif plan.changed:
        action = "updated"
    elif plan.added or write_compose:
        action = "filled"
    else:
        action = "unchanged"
    return InitResult(
        action=action,
        lab_dir=lab_dir,
        compose_file=compose_file,
        env_file=env_file,
        url=cfg.lab_url(settings.bind, settings.http_port),
        admin_user=ADMIN_USER,
        version=settings.version,
        http_port=settings.http_port,
        https_port=settings.https_port,
        bind=settings.bind,
        project_name=(existing.get(cfg.PROJECT_NAME) or "").strip() or plan.updates[cfg.PROJECT_NAME],
        added=plan.added if env_text is not None else (),
        changed=plan.changed,
        compose_written=write_compose,
        compose_backup=backup,
        warnings=warnings,
    )


def load_lab(lab_dir: Path, environ: Mapping[str, str] | None = None) -> Lab:
    """Read an initialised lab; ConfigError (with a hint to run `authlab init`) when it is missing or incomplete."""
    environ = os.environ if environ is None else environ
    lab_dir = Path(lab_dir).expanduser().absolute()
    env_file, compose_file = lab_dir / ENV_FILE, lab_dir / COMPOSE_FILE
    hint = f"run `authlab init` (or `authlab --dir {shlex.quote(str(lab_dir))} init`) first"
    if not env_file.is_file() or not compose_file.is_file():
        missing = env_file if not env_file.is_file() else compose_file
        raise ConfigError(f"no lab at {lab_dir} ({missing.name} is missing)", hint=hint)
    return _lab_from_text(lab_dir, _read(env_file), environ)


def preview_lab(lab_dir: Path, **settings: Any) -> Lab:
    """The lab `ensure_lab(lab_dir, **settings)` would give (ports, bind, project name, URL), computed without
    writing anything, so `up` can check the engine and the ports before the lab folder exists. Raises what init
    would raise for a bad setting. Its secrets are placeholders for a new lab: read them only after the write."""
    command = settings.pop("command", "up")
    lab_dir, env_text, plan = _plan(lab_dir, settings.get("version"), settings.get("http_port"), settings.get("https_port"),
                                    settings.get("bind"), settings.get("token"), command)
    return _lab_from_text(lab_dir, _planned_text(env_text, plan), os.environ)


def _plan(lab_dir: Path, version: str | None, http_port: int | None, https_port: int | None, bind: str | None,
          token: Callable[[int], str] | None, command: str) -> tuple[Path, str | None, cfg.EnvPlan]:
    """(absolute lab dir, the .env text now or None, what init would change): reads, never writes."""
    lab_dir = Path(lab_dir).expanduser().absolute()
    if lab_dir.exists() and not lab_dir.is_dir():
        raise UsageError(f"{lab_dir} exists and is not a directory", hint="pass another --dir (or AUTHLAB_DIR)")
    env_file = lab_dir / ENV_FILE
    env_text = _read(env_file) if env_file.exists() else None
    broken = dotenv.unterminated(env_text or "")
    if broken:
        key, line = next(iter(broken.items()))
        raise ConfigError(f"{env_file}:{line}: the value of {key} opens a quote that never closes, so compose cannot read the file",
                          hint=f"close the quote on line {line}; authlab adds no second {key} (the last line would win and "
                               "replace your value)")
    kw = {"token": token} if token else {}
    try:
        plan = cfg.plan_env(dotenv.parse(env_text or ""), lab_dir, version=version, http_port=http_port,
                            https_port=https_port, bind=bind, **kw)
    except cfg.BadEnvValue as exc:
        raise _env_error(env_file, env_text or "", exc.key, str(exc)) from None
    except ValueError as exc:
        raise UsageError(str(exc), hint=f"see `authlab {command} --help` for the accepted values") from None
    return lab_dir, env_text, plan


def _planned_text(env_text: str | None, plan: cfg.EnvPlan) -> str:
    """The .env init writes: a new file with the header, or the old one with the planned updates merged in."""
    if env_text is None:
        return dotenv.render(plan.updates, header=ENV_HEADER)
    return dotenv.merge(env_text, plan.updates) if plan.updates else env_text


def _lab_from_text(lab_dir: Path, text: str, environ: Mapping[str, str]) -> Lab:
    env_file, compose_file = lab_dir / ENV_FILE, lab_dir / COMPOSE_FILE
    env = dotenv.parse(text)
    empty = [k for k in (*cfg.SECRET_KEYS, cfg.PROJECT_NAME) if not (env.get(k) or "").strip()]
    if empty:
        raise ConfigError(f"{env_file}: missing values: {', '.join(empty)}", hint="run `authlab init` to add them (existing secrets are kept)")

    def value(key: str, default: str, shell: bool = True) -> str:
        # compose's own precedence for interpolation: the shell environment wins over .env
        return ((environ.get(key) if shell else None) or env.get(key) or default).strip()

    def checked(key: str, default: str, check: Callable[[str], Any], shell: bool = True) -> Any:
        try:
            return check(value(key, default, shell))
        except ValueError as exc:
            message = str(exc) if key in str(exc) else f"{key}: {exc}"
            if shell and environ.get(key):
                raise ConfigError(f"{message} (from the environment)", hint=f"fix or unset {key} in your shell") from None
            raise _env_error(env_file, text, key, message) from None

    http_port = checked(cfg.PORT_HTTP, str(cfg.DEFAULT_PORT), lambda v: cfg.check_port(v, cfg.PORT_HTTP))
    https_port = checked(cfg.PORT_HTTPS, str(http_port + cfg.HTTPS_OFFSET), lambda v: cfg.check_port(v, cfg.PORT_HTTPS))
    bind = checked(cfg.BIND, cfg.DEFAULT_BIND, cfg.check_bind)
    # authlab's own record of the template's release: only ever read from .env
    base_version = checked(cfg.VERSION, _default_version(), cfg.check_version, shell=False)
    tag = value(envnames.AUTHENTIK_TAG, base_version)
    image = f"{value(envnames.AUTHENTIK_IMAGE, 'ghcr.io/goauthentik/server')}:{tag}"
    try:
        version = cfg.check_version(tag)
    except ValueError:
        version = base_version  # a tag like `latest` or a custom build: the template's release is the best guess
    return Lab(
        dir=lab_dir,
        compose_file=compose_file,
        env_file=env_file,
        env=dict(env),
        project_name=env[cfg.PROJECT_NAME].strip(),
        version=version,
        image=image,
        http_port=http_port,
        https_port=https_port,
        bind=bind,
        url=cfg.lab_url(bind, http_port),
        admin_user=ADMIN_USER,
        bootstrap_token=env[cfg.BOOTSTRAP_TOKEN].strip(),
        bootstrap_password=env[cfg.BOOTSTRAP_PASSWORD].strip(),
    )


def ensure_lab(lab_dir: Path, **settings: Any) -> tuple[Lab, InitResult]:
    """For `up`: initialise (a no-op on a complete lab), then load. Accepts init_lab's keyword arguments."""
    result = init_lab(lab_dir, **settings)
    return load_lab(lab_dir), result


def _default_version() -> str:
    from authentik_lab.core.templates import DEFAULT_VERSION

    return DEFAULT_VERSION


def _read(path: Path) -> str:
    if path.is_dir():
        raise ConfigError(f"{path} is a directory, expected a .env file", hint="remove it or pass another --dir")
    from authentik_lab.adapters.files import read_text

    return read_text(path)


def _env_error(env_file: Path, text: str, key: str, message: str) -> ConfigError:
    line = dotenv.parse_with_lines(text).get(key, (None, ""))[0]
    location = f"{env_file}:{line}" if line else str(env_file)
    return ConfigError(message, hint=f"fix or delete the {key} line; `authlab init` fills in what is missing", location=location)


def _warnings(plan: cfg.EnvPlan, existing: Mapping[str, str]) -> tuple[str, ...]:
    from authentik_lab.core.dialect import parse_version

    out: list[str] = []
    version = plan.settings.version
    if is_newer_than_covered(version):
        out.append(f"Authentik {version} is newer than the releases authlab's templates were checked against; using the current layout")
    for key, old, new in plan.changed:
        if key == cfg.VERSION and parse_version(new) < parse_version(old):
            out.append(f"Authentik does not support downgrades: an existing database from {old} may not start with {new}")
    tag = (existing.get(cfg.POSTGRES_TAG) or "").strip()
    if tag and tag != plan.settings.postgres_tag:  # pragma: no cover - sticky by construction
        out.append(f"PostgreSQL image kept at {tag}")
    return tuple(out)
