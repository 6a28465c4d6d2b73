"""Which compose project a command works on (a "target"), and the compose runner for it.

A target is normally the lab made by `authlab init`, or, with `--compose FILE`, a compose file of the user's own
(e.g. a copy of the official one) with the `.env` next to it. Both read the same from here on: a compose file, an
env file, a project name, a URL and a token.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authentik_lab.core import dotenv
from authentik_lab.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from authentik_lab.adapters.compose import ComposeRunner
    from authentik_lab.app import App

ADMIN_USER = "akadmin"
PASSWORD_KEY = "AUTHENTIK_BOOTSTRAP_PASSWORD"
TOKEN_KEY = "AUTHENTIK_BOOTSTRAP_TOKEN"
# files compose itself would merge over the main file when run without -f
OVERRIDE_NAMES = ("compose.override.yml", "compose.override.yaml", "docker-compose.override.yml", "docker-compose.override.yaml")


@dataclass(frozen=True)
class Target:
    lab_dir: Path
    compose_file: Path
    env_file: Path
    project_name: str
    url: str
    token: str = field(repr=False)
    version: str | None
    image: str | None = None
    extra_files: tuple[Path, ...] = ()
    secrets: dict[str, str] = field(default_factory=dict, repr=False)
    own_file: bool = False  # a compose file of the user's own (--compose), not a lab made by `authlab init`
    ports: tuple[tuple[str, int], ...] = ()  # (host address, port) the lab publishes; a lab made by init only


def lab_target(app: "App", *, create: bool, settings: dict[str, Any] | None = None) -> tuple[Target, Any]:
    """The lab of `--dir`; `create` runs init first with `settings` (init_lab's keyword arguments; a no-op on a
    complete lab that already has them) and returns its result too."""
    from authentik_lab.services.lab import ensure_lab, load_lab

    init_result = None
    if create:
        lab, init_result = ensure_lab(app.lab_dir, **(settings or {}))
    else:
        try:
            lab = load_lab(app.lab_dir)
        except ConfigError as exc:
            if exc.message.startswith("no lab at"):
                exc.hint = f"{exc.hint}; {_own_file_hint()}"
            raise
    return _of_lab(lab), init_result


# the names compose itself looks for in the current folder
COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


def _own_file_hint() -> str:
    """A lab started with `up --compose FILE` is found again only with the same option: say so, with the file
    compose would pick here when there is one."""
    import shlex

    here = next((name for name in COMPOSE_NAMES if Path(name).is_file()), None)
    example = f"--compose {shlex.quote(here)}" if here else "--compose FILE"
    return f"if you started it with `authlab up --compose FILE`, pass the same file ({example}, or AUTHLAB_COMPOSE_FILE)"


def preview(app: "App", compose_file: Path | None, settings: dict[str, Any] | None = None) -> Target:
    """The target `resolve(app, compose_file, create=True, settings=settings)` will give, with nothing written yet:
    what `up` checks (engine, ports) before it creates or changes the lab folder. Raises what init would raise."""
    if compose_file:
        return file_target(compose_file)
    from authentik_lab.services.lab import preview_lab

    return _of_lab(preview_lab(app.lab_dir, **(settings or {})))


def _of_lab(lab: Any) -> Target:
    secrets = {PASSWORD_KEY: lab.bootstrap_password, TOKEN_KEY: lab.bootstrap_token}
    return Target(lab.dir, lab.compose_file, lab.env_file, lab.project_name, lab.url, lab.bootstrap_token,
                  lab.version, lab.image, secrets=secrets, ports=((lab.bind, lab.http_port), (lab.bind, lab.https_port)))


def file_target(compose_file: Path) -> Target:
    """A compose file of the user's own; its sibling `.env` gives the port, token and project name."""
    compose_file = Path(compose_file).expanduser().absolute()
    if not compose_file.is_file():
        raise UsageError(f"no compose file at {compose_file}", hint="pass the path of a compose file to --compose")
    env_file = compose_file.parent / ".env"
    env = dotenv.parse(env_file.read_text(encoding="utf-8")) if env_file.is_file() else {}
    port = (env.get("COMPOSE_PORT_HTTP") or "9000").strip()
    if not port.isdigit():
        raise ConfigError(f"COMPOSE_PORT_HTTP={port!r} is not a port number", location=str(env_file), hint="fix the line in .env")
    token = (env.get(TOKEN_KEY) or "").strip()
    tag = (env.get("AUTHENTIK_TAG") or "").strip() or _tag_in(compose_file)
    extras = tuple(compose_file.parent / n for n in OVERRIDE_NAMES if (compose_file.parent / n).is_file())
    secrets = {k: env[k] for k in (PASSWORD_KEY, TOKEN_KEY) if env.get(k)}
    return Target(compose_file.parent, compose_file, env_file, _project_name(env, compose_file),
                  f"http://localhost:{port}", token, tag or None, extra_files=extras, secrets=secrets, own_file=True)


def _project_name(env: dict[str, str], compose_file: Path) -> str:
    import yaml

    from authentik_lab.core.lab_config import compose_project_name

    explicit = os.environ.get("COMPOSE_PROJECT_NAME") or env.get("COMPOSE_PROJECT_NAME")
    if not explicit:
        try:
            doc = yaml.safe_load(compose_file.read_text(encoding="utf-8", errors="replace"))
        except yaml.YAMLError:
            doc = None  # compose itself reports the broken file when it runs
        explicit = str(doc.get("name") or "") if isinstance(doc, dict) else ""
    return compose_project_name(explicit, compose_file.parent.name)


def _tag_in(compose_file: Path) -> str:
    # `${AUTHENTIK_TAG:-2026.5.6}` in the official file: the release it was written for
    m = re.search(r"AUTHENTIK_TAG:-([0-9][0-9.]+)", compose_file.read_text(encoding="utf-8", errors="replace"))
    return m.group(1) if m else ""


def resolve(app: "App", compose_file: Path | None, *, create: bool = False, settings: dict[str, Any] | None = None) -> tuple[Target, Any]:
    return (file_target(compose_file), None) if compose_file else lab_target(app, create=create, settings=settings)


def require_engine(app: "App") -> None:
    """Every command that needs Docker asks the engine first, so an unreachable engine always reads the same
    (adapters.compose.unreachable_message, exit code 6) instead of whatever compose happens to print."""
    app.engine().require()


def own_file_errors(target: Target) -> Any:
    """For a compose file of the user's own, `authlab init` is the wrong advice: it never touches that .env."""
    import contextlib

    from authentik_lab.errors import ComposeError

    @contextlib.contextmanager
    def rewrite() -> Any:
        try:
            yield
        except ComposeError as exc:
            if target.own_file and exc.hint and "authlab init" in exc.hint and "lacks a required value" in exc.message:
                exc.hint = f"add the value to {target.env_file} (compose reads that file; authlab never writes it)"
            raise

    return rewrite()


def runner_for(app: "App", target: Target) -> "ComposeRunner":
    return app.compose(compose_file=target.compose_file, project_name=target.project_name,
                       project_dir=target.compose_file.parent, env_file=target.env_file if target.env_file.is_file() else None,
                       extra_files=target.extra_files)
