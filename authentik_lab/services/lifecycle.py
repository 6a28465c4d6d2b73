"""Use cases for a lab's lifecycle: init, down, status, logs (`up` is services.up). Each returns a frozen result;
nothing prints. Which project they act on (the lab, or `--compose FILE`) is services.target.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from authentik_lab.errors import UsageError

from authentik_lab.services.target import Target, own_file_errors, require_engine, resolve, runner_for

if TYPE_CHECKING:
    from authentik_lab.adapters.compose import ComposeRunner
    from authentik_lab.app import App


# --- init (the command) -------------------------------------------------------------------------


def init(app: "App", lab_dir: Path, **settings: Any) -> Any:
    """`authlab init`: init_lab, plus whether the lab's containers still run with the settings just replaced
    (compose applies a new port only when it recreates them, so `status` would otherwise show the old one)."""
    import dataclasses

    from authentik_lab.errors import EngineError
    from authentik_lab.services.lab import init_lab

    result = init_lab(lab_dir, **settings)
    if not result.changed or not result.compose_written:
        return result
    try:
        running = any(c.state in ("running", "restarting") for c in app.engine().containers(result.project_name))
    except EngineError:
        return result  # no Docker, nothing running: init itself never needs the engine
    return dataclasses.replace(result, running_stale=running) if running else result


# --- down ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DownResult:
    """What `down` found and did, so it never claims work it did not do."""

    project_name: str
    lab_dir: Path
    volumes_removed: bool  # --volumes deleted at least one volume
    stopped: bool = True  # some container of the project existed and `down` removed it
    kept_folders: tuple[str, ...] = ()  # bind-mounted host folders: `--volumes` deletes named volumes only
    found: bool = True  # False: no lab at lab_dir, nothing was looked at (cleanup steps run `down` unconditionally)
    containers: tuple[str, ...] = ()  # the project's containers before `down` (all removed by it)
    running: tuple[str, ...] = ()  # of which were running (or restarting)
    volumes: tuple[str, ...] = ()  # the project's volumes before `down`: deleted with --volumes, else kept
    compose_arg: Path | None = None  # the --compose FILE as given, for the hints
    volumes_requested: bool = False  # --volumes was given


def lab_exists(app: "App", compose_file: Path | None = None) -> bool:
    """Whether `down` has anything to look at: a --compose file always counts (a missing one is an error later)."""
    return compose_file is not None or _lab_exists(app.lab_dir)


def down(app: "App", *, compose_file: Path | None = None, volumes: bool = False) -> DownResult:
    if not lab_exists(app, compose_file):
        # `if: always()` cleanup after a failed `authlab ci` must not fail too: nothing to stop is success
        return DownResult("", Path(app.lab_dir).absolute(), False, stopped=False, found=False, volumes_requested=volumes)
    target, _ = resolve(app, compose_file)
    require_engine(app)
    engine = app.engine()
    before = engine.containers(target.project_name)
    found_volumes = tuple(engine.volumes(target.project_name))
    with own_file_errors(target):
        runner_for(app, target).down(volumes=volumes)
    kept = tuple(bind_folders(target)) if volumes else ()
    return DownResult(target.project_name, target.lab_dir, volumes and bool(found_volumes), stopped=bool(before),
                      kept_folders=kept, containers=tuple(c.name for c in before),
                      running=tuple(c.name for c in before if c.state in ("running", "restarting")),
                      volumes=found_volumes, compose_arg=compose_file, volumes_requested=volumes)


def _lab_exists(lab_dir: Path) -> bool:
    from authentik_lab.services.lab import COMPOSE_FILE, ENV_FILE

    return (Path(lab_dir) / ENV_FILE).is_file() or (Path(lab_dir) / COMPOSE_FILE).is_file()


def bind_folders(target: Target) -> list[str]:
    """Host folders the target's compose file bind-mounts (what `down --volumes` leaves in place)."""
    from authentik_lab.core.bind_mounts import all_bind_folders
    from authentik_lab.services.compose_patch import doc_and_env

    try:
        doc, env = doc_and_env(target.compose_file)
    except Exception:  # noqa: BLE001 - compose itself just read the file; a note about folders is not worth failing for
        return []
    return all_bind_folders(doc, env, str(target.compose_file.parent))


# --- status --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceInfo:
    service: str
    container: str
    state: str
    health: str | None
    exit_code: int | None
    ports: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    """A service that is not running, with what its log says (when authlab knows the pattern)."""

    service: str
    diagnosis: str
    fix: str
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatusResult:
    lab_dir: Path
    project_name: str
    url: str
    running: bool  # every container of the project runs
    services: tuple[ServiceInfo, ...]
    api: str  # "ok" | "token rejected" | "token not created yet" | "no answer" | "error"
    api_detail: str
    version: str | None
    version_source: str  # "api" | "image tag" | "unknown"
    problems: tuple[Problem, ...] = ()
    compose_arg: Path | None = None  # the --compose FILE as given, for the hints


def status(app: "App", *, compose_file: Path | None = None) -> StatusResult:
    target, _ = resolve(app, compose_file)
    require_engine(app)
    services = _services(app, target)
    api_state, detail, version = _probe_api(app, target) if services else ("no answer", "no containers", None)
    source = "api" if version else ("image tag" if target.version else "unknown")
    return StatusResult(
        lab_dir=target.lab_dir,
        project_name=target.project_name,
        url=target.url,
        running=bool(services) and all(s.state == "running" for s in services),
        services=services,
        api=api_state,
        api_detail=detail,
        version=version or target.version,
        version_source=source,
        problems=_problems(app, target, services),
        compose_arg=compose_file,
    )


def _problems(app: "App", target: Target, services: tuple[ServiceInfo, ...]) -> tuple[Problem, ...]:
    from authentik_lab.core import log_patterns
    from authentik_lab.errors import EngineError

    broken = [s for s in services if s.state in ("exited", "dead", "restarting") or s.health == "unhealthy"]
    out = []
    for s in broken:
        try:
            lines = app.engine().logs(target.project_name, s.service, 60)
        except EngineError:
            return ()
        found = log_patterns.diagnose(lines)
        if found is not None:
            out.append(Problem(s.service, found.diagnosis, found.fix, found.lines))
        else:
            out.append(Problem(s.service, f"{s.service} is {s.state}", f"`authlab logs {s.service}` shows why"))
    return tuple(out)


def _services(app: "App", target: Target) -> tuple[ServiceInfo, ...]:
    from authentik_lab.errors import ComposeError

    runner = runner_for(app, target)
    if not runner.is_v1:
        try:
            rows = runner.ps()
        except ComposeError as exc:
            # compose interpolates the whole file even for `ps`, so a user's .env without PG_PASS fails; status only
            # reads, and the engine knows the same containers by their compose labels
            if not (target.own_file and "lacks a required value" in exc.message):
                raise
            return _engine_services(app, target)
        return tuple(
            ServiceInfo(s.service, s.name, s.state, s.health, s.exit_code if s.state in ("exited", "dead") else None,
                        tuple(f"{p.url or '0.0.0.0'}:{p.published_port}->{p.target_port}" for p in s.publishers))
            for s in rows
        )
    # compose v1 cannot print JSON; the engine knows the same containers by their compose labels
    return _engine_services(app, target)


def _engine_services(app: "App", target: Target) -> tuple[ServiceInfo, ...]:
    return tuple(ServiceInfo(c.service, c.name, c.state, c.health, c.exit_code) for c in app.engine().containers(target.project_name))


def _probe_api(app: "App", target: Target) -> tuple[str, str, str | None]:
    from authentik_lab.adapters.authentik_api import EXCHANGE_FAILED
    from authentik_lab.core.readiness import AUTH_FLOW_EXECUTOR, VERSION_PATH, judge_token_refusal, token_rejected

    with app.api(target.url, target.token or None, retries=0, timeout=3.0) as api:
        try:
            response = api.raw("GET", f"/api/v3/{VERSION_PATH}")
        except EXCHANGE_FAILED as exc:
            return "no answer", f"{target.url}: {type(exc).__name__}", None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict):
            return "ok", f"GET /api/v3/{VERSION_PATH} -> 200", body.get("version_current")
        if not token_rejected(response.status_code, body):
            return "error", f"GET /api/v3/{VERSION_PATH} -> {response.status_code}", None
        seen = f"GET /api/v3/{VERSION_PATH} -> {response.status_code}"
        # the same judgement as `up`'s wait: before the worker's flows exist the token cannot exist either
        try:
            flows = api.raw("GET", AUTH_FLOW_EXECUTOR, anonymous=True).status_code == 200
        except EXCHANGE_FAILED:
            flows = False
    if not flows:
        verdict = judge_token_refusal(None, False, 0.0)
        return "token not created yet", f"{verdict.detail} ({seen})", None
    return "token rejected", seen, None


# --- logs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogsResult:
    service: str | None
    lines: tuple[str, ...]


def _checked_runner(app: "App", compose_file: Path | None, service: str | None) -> "ComposeRunner":
    target, _ = resolve(app, compose_file)
    require_engine(app)  # before compose, which would print the daemon's own text and exit 1
    runner = runner_for(app, target)
    if service is not None:
        with own_file_errors(target):
            known = runner.services()
        if service not in known:
            raise UsageError(f"no service {service!r} in {target.compose_file.name}", hint=f"pick one of: {', '.join(known)}")
    return runner


def logs_stream(app: "App", *, compose_file: Path | None = None, service: str | None = None,
                follow: bool = False, tail: int | None = None) -> int:
    """Pass the logs straight through (they can be long or endless); returns compose's exit code."""
    runner = _checked_runner(app, compose_file, service)
    return runner.stream(*runner.logs_args(service, follow, tail))


def logs_capture(app: "App", *, compose_file: Path | None = None, service: str | None = None, tail: int | None = None) -> LogsResult:
    runner = _checked_runner(app, compose_file, service)
    out = runner.run(*runner.logs_args(service, False, tail)).stdout
    return LogsResult(service, tuple(out.splitlines()))
