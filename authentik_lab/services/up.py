"""`authlab up` (and the first half of `authlab ci`): lab file checked -> lab initialised -> containers up ->
really ready -> `authlab.yaml` applied. Nothing prints; the result says what happened.

The order is the contract. Everything that can be wrong in the user's input (the lab file, its password
variables, --port/--version/--bind) is refused before `docker compose up` runs, so a typo never leaves half a
lab running. An apply that fails after Authentik is ready leaves the lab running (it is fine; only the file's
objects are missing) and says so, with its own exit code.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from authentik_lab.errors import ApplyError, AuthlabError, NotReadyError, UsageError, WaitTimeout
from authentik_lab.services.target import ADMIN_USER, PASSWORD_KEY, TOKEN_KEY, Target, own_file_errors, preview, resolve, runner_for

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.core.labfile import LabFile
    from authentik_lab.services.apply import ApplyResult
    from authentik_lab.services.wait import StageEvent, StageTiming

# init_lab's keyword -> the option that sets it, for messages
OPTION_NAMES = {"version": "--version", "http_port": "--port", "https_port": "--https-port", "bind": "--bind"}
FILE_KEYS = {"version": "version", "http_port": "port"}


@dataclass(frozen=True)
class UpResult:
    url: str
    admin_user: str
    version: str | None
    project_name: str
    lab_dir: Path
    compose_file: Path
    env_file: Path
    password_key: str
    token_key: str
    initialised: str | None  # init's action ("created", "updated", ...) or None with --compose
    elapsed: float  # seconds from the start of `up` to ready (and applied)
    waited: float  # of which waiting for readiness
    stages: tuple["StageTiming", ...]
    secrets: dict[str, str] | None = None  # only with --show-secrets
    settings_changed: tuple[tuple[str, str, str], ...] = ()  # (key, old, new) init applied (names, never secrets)
    apply: "ApplyResult | None" = None  # the lab file applied once ready; None without one or with --no-apply
    notes: tuple[str, ...] = ()
    compose_arg: Path | None = None  # the --compose FILE as given, echoed in the next-step hints
    boot: str = "unknown"  # "cold" (a new database), "snapshot" (restored), "warm" (one seen booted), "unknown"
    snapshot: str | None = None  # the snapshot restored, or saved after a cold boot
    bootstrap_keys: tuple[str, ...] = (PASSWORD_KEY, TOKEN_KEY)  # the bootstrap values the env file has (names only)


@dataclass(frozen=True)
class Prepared:
    """Sent to `on_event` once the lab folder is ready and before compose starts, so a progress view can say
    "created the lab in ..." first, when it happened (UpResult repeats these for --json)."""

    initialised: str | None
    lab_dir: Path
    env_file: Path
    settings_changed: tuple[tuple[str, str, str], ...] = ()
    notes: tuple[str, ...] = ()


def up(
    app: "App",
    *,
    compose_file: Path | None = None,
    timeout: float = 300.0,
    show_secrets: bool = False,
    on_event: Callable[["StageEvent | Prepared"], None] | None = None,
    lab_file: Path | None = None,
    apply_lab_file: bool = True,
    lab: "LabFile | None" = None,
    apply_secrets: bool = False,
    version: str | None = None,
    http_port: int | None = None,
    https_port: int | None = None,
    bind: str | None = None,
    fresh: bool = False,
    save_snapshot: bool = True,
) -> UpResult:
    """`lab` is an already checked lab file (`authlab ci` requires one); otherwise `lab_file` (default
    ./authlab.yaml when it exists) unless `apply_lab_file` is False. `apply_secrets` keeps the providers'
    client secrets in the apply result for `ci`'s export (never rendered). A lab with no database yet is restored
    from a matching snapshot unless `fresh`; after a cold boot one is saved unless `save_snapshot` is False
    (services.snapshot; AUTHLAB_SNAPSHOTS=0 turns both off)."""
    from authentik_lab.services.wait import wait_ready

    started, wall_start = time.monotonic(), time.time()
    options = {k: v for k, v in (("version", version), ("http_port", http_port), ("https_port", https_port), ("bind", bind)) if v is not None}
    if compose_file is not None and options:
        names = ", ".join(OPTION_NAMES[k] for k in options)
        raise UsageError(f"{names} configure the lab made by `authlab init`, not a --compose file",
                         hint="set COMPOSE_PORT_HTTP / AUTHENTIK_TAG in the .env next to your compose file instead")
    if lab is None and apply_lab_file:
        lab = _checked_labfile(app, lab_file)
    settings, notes = _settings(lab, options, own_compose=compose_file is not None)
    settings = {**settings, "command": "up"} if compose_file is None else settings
    # everything that can refuse the run is checked before the lab folder is written: a refused run leaves nothing
    planned = preview(app, compose_file, settings)
    if lab is not None and not planned.token:
        raise UsageError(f"{lab.path} cannot be applied: there is no AUTHENTIK_BOOTSTRAP_TOKEN in {planned.env_file}",
                         hint="add one to that .env before the first start (Authentik reads it only then), or pass --no-apply")
    engine = app.engine()
    engine.require()  # a missing engine gets its own clear error before compose says something vaguer
    _preflight_ports(engine, planned)
    target, init_result = resolve(app, compose_file, create=True, settings=settings)
    if init_result is not None:
        notes += list(init_result.warnings)
    if on_event is not None:
        on_event(Prepared(getattr(init_result, "action", None), target.lab_dir, target.env_file,
                          tuple(getattr(init_result, "changed", ()) or ()), tuple(notes)))
    runner = runner_for(app, target)
    from authentik_lab.services import boot_record

    db_booted, database = boot_record.judge(engine, target)  # asked before compose creates the database
    from authentik_lab.services import snapshot

    restored = snapshot.restore_before_start(engine, target, runner, db_booted, fresh=fresh,
                                             database_ref=database.ref if database and database.kind == "volume" else None)
    notes += list(restored.notes)
    if restored.boot == "snapshot":
        target, _ = resolve(app, compose_file)  # .env now holds the snapshot's token
        db_booted = True
    # `docker compose up -d` blocks until the database is healthy (30 s with the official file): it is part of the
    # containers stage and of --timeout, so the wait is backdated to when compose began
    compose_start = time.monotonic()
    budget = max(1.0, timeout - (compose_start - started))
    if on_event is not None:
        from authentik_lab.core.readiness import Stage
        from authentik_lab.services.wait import StageEvent

        on_event(StageEvent(Stage.CONTAINERS, "active", "docker compose up -d (waits for the database to be healthy)", 0.0))
    _compose_up(runner, target, budget, compose_start)
    if db_booted is None:  # the database existed: was this very cluster seen fully booted before?
        db_booted = boot_record.booted_before(runner, database)
    with app.api(target.url, target.token or None, retries=0, timeout=5.0) as api:
        try:
            ready = wait_ready(api, project=target.project_name, engine=engine, has_token=bool(target.token),
                               fallback_version=target.version, timeout=budget, started_at=compose_start,
                               logs_since=wall_start - 1, on_event=on_event, db_booted=db_booted)
        except NotReadyError as exc:
            _name_host_folder(exc, target)
            raise
    boot_record.remember(runner, database)  # from now on a refused token on this database is the wrong token
    saved = _after_boot_snapshot(engine, target, runner, restored, save_snapshot, notes)
    boot = "warm" if restored.boot == "unknown" and db_booted else restored.boot
    applied = _apply(app, lab, target, apply_secrets) if lab is not None else None
    return UpResult(
        url=target.url,
        admin_user=ADMIN_USER,
        version=ready.version,
        project_name=target.project_name,
        lab_dir=target.lab_dir,
        compose_file=target.compose_file,
        env_file=target.env_file,
        password_key=PASSWORD_KEY,
        token_key=TOKEN_KEY,
        initialised=getattr(init_result, "action", None),
        elapsed=time.monotonic() - started,
        waited=ready.elapsed,
        stages=ready.stages,
        secrets=dict(target.secrets) if show_secrets else None,
        settings_changed=tuple(getattr(init_result, "changed", ()) or ()),
        apply=applied,
        notes=tuple(notes),
        compose_arg=compose_file,
        boot=boot,
        snapshot=restored.snapshot or saved,
        bootstrap_keys=tuple(k for k in (PASSWORD_KEY, TOKEN_KEY) if target.secrets.get(k)),
    )


def _after_boot_snapshot(engine: Any, target: Target, runner: Any, restored: Any, save: bool, notes: list[str]) -> str | None:
    """Certs of a restored snapshot go in now that the worker's volume exists; a cold boot is saved for next time.
    Best effort: a failure is a warning, the lab is ready either way."""
    from authentik_lab.services import snapshot

    try:
        if restored.boot == "snapshot":
            snapshot.restore_certs(runner, restored.snapshot)
            return None
        if restored.boot != "cold" or not save or not snapshot.enabled() or snapshot.identify(engine, target) is None:
            return None  # a --compose file, or images the engine cannot name: nothing a snapshot could be keyed on
        info = snapshot.save(engine, target, runner)
    except AuthlabError as exc:
        notes.append(f"warning: database snapshot skipped: {exc.message}")
        return None
    notes.append(f"saved database snapshot {info.key}: the next `up` of an empty {info.release} lab restores it "
                 "(`authlab snapshot list`; `--no-snapshot` skips this)")
    return info.key


def _preflight_ports(engine: Any, target: Target) -> None:
    """Refuse a busy port before compose starts anything: otherwise postgres and the worker start, the server cannot
    publish, and a half-started lab is left behind. Skipped while the lab's own containers run (they hold the ports)."""
    if not target.ports:
        return
    if any(c.state in ("running", "restarting") for c in engine.containers(target.project_name)):
        return
    from authentik_lab.adapters.ports import port_in_use

    for host, port in target.ports:
        if port_in_use(host, port):
            raise UsageError(
                f"port {port} on {host} is already in use by another process, so the lab cannot publish it (nothing was started)",
                hint=f"stop that process (`ss -ltnp 'sport = :{port}'` shows it), or use another port: `authlab up --port N`")


def _compose_up(runner: Any, target: Target, budget: float, compose_start: float) -> None:
    import subprocess

    from authentik_lab.errors import ComposeError

    try:
        with own_file_errors(target):
            runner.up(timeout=budget)
    except ComposeError as exc:
        if not isinstance(exc.__cause__, subprocess.TimeoutExpired):
            raise
        from authentik_lab.core.readiness import STAGE_TIMEOUT_HINTS, Stage

        raise WaitTimeout("the containers to start (`docker compose up -d`)", time.monotonic() - compose_start,
                          "docker compose up -d still running", hint=STAGE_TIMEOUT_HINTS[Stage.CONTAINERS]) from exc


def _name_host_folder(exc: NotReadyError, target: Target) -> None:
    """A PermissionError names the path inside the container; the user must chown the host folder mounted there."""
    from authentik_lab.core.bind_mounts import permission_hint
    from authentik_lab.services.compose_patch import doc_and_env

    try:
        doc, env = doc_and_env(target.compose_file)
    except Exception:  # noqa: BLE001 - keep the generic hint
        return
    hint = permission_hint(exc.evidence, doc, env, str(target.compose_file.parent))
    if hint:
        exc.hint = hint


def _checked_labfile(app: "App", file: Path | None) -> "LabFile | None":
    from authentik_lab.errors import ConfigError
    from authentik_lab.services.apply import labfile_for_up

    try:
        return labfile_for_up(app, file)
    except ConfigError as exc:
        # the lab file's hints end with "nothing was changed on the server"; here the point is that nothing started
        hint = (exc.hint or "").replace("; nothing was changed on the server", "").replace("nothing was changed on the server", "")
        exc.hint = (f"{hint}; " if hint else "") + "no container was started (--no-apply skips the lab file)"
        raise


def _settings(lab: "LabFile | None", options: dict[str, Any], own_compose: bool) -> tuple[dict[str, Any], list[str]]:
    """init_lab's keyword arguments: the lab file's version/port, overridden by the command line (which says so)."""
    from authentik_lab.services.apply import init_settings

    from_file = init_settings(lab)
    if own_compose:
        ignored = ", ".join(f"{FILE_KEYS[k]}: {v}" for k, v in from_file.items())
        return {}, ([f"{lab.path}: {ignored} ignored: they configure the lab made by `authlab init`, not a --compose file"]
                    if lab is not None and ignored else [])
    notes = [f"{OPTION_NAMES[k]} {options[k]} overrides `{FILE_KEYS[k]}: {v}` in {lab.path}"  # type: ignore[union-attr]
             for k, v in from_file.items() if k in options and str(options[k]) != str(v)]
    return {**from_file, **options}, notes


def _apply_hint(hint: str | None, lab_path: str) -> str:
    """The apply error's own hint already names the command when it is about the file; never say it twice."""
    from authentik_lab.services.apply import rerun_command

    rerun = rerun_command(lab_path)
    if hint and rerun in hint:
        return f"{hint}; `authlab down` stops the lab"
    return (f"{hint}; " if hint else "") + f"then run `{rerun}` (or `authlab up` again); `authlab down` stops the lab"


def _apply(app: "App", lab: "LabFile", target: Target, show_secrets: bool) -> "ApplyResult":
    """Apply the lab file to the lab that is now ready; any failure is an ApplyError that says the lab runs on."""
    from authentik_lab.services.apply import apply

    try:
        app.journal.doing(f"applying {lab.path}")
        applied = apply(app, lab=lab, url=target.url, token=target.token, show_secrets=show_secrets)
        app.journal.done(f"applied {lab.path}")
        return applied
    except AuthlabError as exc:
        cause, hint, evidence = exc.message, exc.hint, list(getattr(exc, "evidence", []) or [])
        evidence += [f"{f}: {m}" for f, m in getattr(exc, "field_errors", []) or []]
        error: AuthlabError = exc
    except Exception as exc:  # noqa: BLE001 - whatever broke, the lab is up and the exit code must say "apply failed"
        cause, hint, evidence, error = f"{type(exc).__name__}: {exc}", "re-run with --debug for the traceback", [], exc  # type: ignore[assignment]
    if cause.startswith("apply failed: "):
        cause = cause[len("apply failed: "):]
    err = ApplyError(
        f"Authentik is ready at {target.url} and left running, but {lab.path} could not be applied: {cause}",
        hint=_apply_hint(hint, lab.path),
    )
    err.evidence = evidence  # type: ignore[attr-defined]
    raise err from error
