"""`authlab up`, `down`, `status`, `logs`: thin commands over services.lifecycle.

No `from __future__ import annotations` here on purpose: typer evaluates string annotations with eval() on
every start, which costs `authlab --help` several milliseconds per module.
"""

from pathlib import Path
from typing import Annotated, Optional

import typer

from authentik_lab import envnames
from authentik_lab.cli.common import JsonOpt, NoWaitOpt, YesOpt, boundary, confirm, get_app, lab_lock

ComposeOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--compose",
        envvar=envnames.COMPOSE_FILE,
        metavar="FILE",
        help="Use this compose file (and the .env and compose.override.yml next to it) instead of the lab, "
        "e.g. your copy of the official file.",
        show_default=False,
    ),
]


@boundary("up")
def up(
    ctx: typer.Context,
    timeout: Annotated[float, typer.Option("--timeout", envvar=envnames.TIMEOUT, metavar="SECONDS", help="Seconds to wait until Authentik is ready; a first start runs migrations.", min=1)] = 300,
    show_secrets: Annotated[bool, typer.Option("--show-secrets", help="Also print the admin password and the API token.")] = False,
    file: Annotated[Optional[Path], typer.Option("--file", "-f", envvar=envnames.LAB_FILE, metavar="FILE", help="Apply this lab file once Authentik is ready (checked before anything starts).", show_default="authlab.yaml when it exists")] = None,
    no_apply: Annotated[bool, typer.Option("--no-apply", help="Do not read or apply the lab file.")] = False,
    port: Annotated[Optional[int], typer.Option("--port", metavar="PORT", help="HTTP port on the host, as `authlab init --port` (secrets are kept).", show_default="9000, or the lab's")] = None,
    https_port: Annotated[Optional[int], typer.Option("--https-port", metavar="PORT", help="HTTPS port on the host.", show_default="--port + 443")] = None,
    version: Annotated[Optional[str], typer.Option("--version", metavar="RELEASE", help="Authentik release to run, e.g. 2024.12.3.", show_default="2026.5.6, or the lab's")] = None,
    bind: Annotated[Optional[str], typer.Option("--bind", metavar="ADDRESS", help="Host address the ports are published on (0.0.0.0 = every interface).", show_default="127.0.0.1, or the lab's")] = None,
    compose: ComposeOpt = None,
    fresh: Annotated[bool, typer.Option("--fresh", help="Never restore a database snapshot: a new database boots cold.")] = False,
    no_snapshot: Annotated[bool, typer.Option("--no-snapshot", help="Do not save a database snapshot after a cold boot (AUTHLAB_SNAPSHOTS=0 turns snapshots off).")] = False,
    no_wait: NoWaitOpt = False,
    json: JsonOpt = False,
) -> None:
    """Start the lab (init it if needed), wait until Authentik is really ready, then apply authlab.yaml if present.

    A lab with no database yet is restored from a matching snapshot (same images, same template) and is ready in
    seconds; after a cold first boot one is saved (`authlab snapshot list`).

    --port/--https-port/--version/--bind change the lab's settings like `authlab init` (the compose file is
    re-rendered, secrets are kept); they override the lab file's `port`/`version`.
    """
    from authentik_lab.cli.lifecycle_render import Progress, render_up
    from authentik_lab.render import emit
    from authentik_lab.services.up import up as start
    from authentik_lab.services.up_journal import journaled

    app = get_app(ctx)
    with lab_lock(app, compose.parent if compose else None, no_wait), Progress(app) as progress:
        result = start(app, compose_file=compose, timeout=timeout, show_secrets=show_secrets, on_event=journaled(app.journal, progress.update),
                       lab_file=file, apply_lab_file=not no_apply, version=version, http_port=port, https_port=https_port, bind=bind,
                       fresh=fresh, save_snapshot=not no_snapshot)
    emit(app, "up", result, lambda r: render_up(app, r, progress.notes_shown))


@boundary("down")
def down(
    ctx: typer.Context,
    volumes: Annotated[bool, typer.Option("--volumes", help="Also delete the lab's data (database, media): asks first.")] = False,
    yes: YesOpt = False,
    compose: ComposeOpt = None,
    json: JsonOpt = False,
) -> None:
    """Stop the lab; its data is kept unless --volumes."""
    from authentik_lab.cli.lifecycle_render import render_down
    from authentik_lab.render import emit
    from authentik_lab.services import lifecycle

    app = get_app(ctx)
    # no lab, nothing to delete: `down --volumes` in a cleanup step succeeds without --yes ("nothing to stop")
    if volumes and lifecycle.lab_exists(app, compose) and not confirm(app, "Delete the lab's database and files for good?", yes,
                               action="deleting the lab's data", declined="nothing deleted"):
        raise typer.Exit(1)
    result = lifecycle.down(app, compose_file=compose, volumes=volumes)
    emit(app, "down", result, lambda r: render_down(app, r))


@boundary("status")
def status(ctx: typer.Context, compose: ComposeOpt = None, json: JsonOpt = False) -> None:
    """Show each service's state and health, the URL, the version and whether the API answers."""
    from authentik_lab.cli.lifecycle_render import render_status
    from authentik_lab.render import emit
    from authentik_lab.services import lifecycle

    app = get_app(ctx)
    result = lifecycle.status(app, compose_file=compose)
    emit(app, "status", result, lambda r: render_status(app, r))


@boundary("logs")
def logs(
    ctx: typer.Context,
    service: Annotated[Optional[str], typer.Argument(metavar="SERVICE", help="Only this service (server, worker, postgresql, ...).", show_default=False)] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new lines until Ctrl-C.")] = False,
    tail: Annotated[Optional[int], typer.Option("--tail", "-n", metavar="N", help="Only the last N lines of each service.", min=0)] = None,
    compose: ComposeOpt = None,
    json: JsonOpt = False,
) -> None:
    """Print the lab's container logs (all services, or one)."""
    from authentik_lab.errors import UsageError
    from authentik_lab.render import emit
    from authentik_lab.services import lifecycle

    app = get_app(ctx)
    if json:
        if follow:
            raise UsageError("--follow cannot be combined with --json", hint="use --tail N with --json")
        result = lifecycle.logs_capture(app, compose_file=compose, service=service, tail=tail)
        emit(app, "logs", result, lambda r: None)
        return
    code = lifecycle.logs_stream(app, compose_file=compose, service=service, follow=follow, tail=tail)
    if code in (-13, 141):  # compose itself met the closed pipe (`authlab logs | head`): killed by SIGPIPE
        from authentik_lab.cli.common import BROKEN_PIPE_EXIT

        raise typer.Exit(BROKEN_PIPE_EXIT)
    if code not in (0, 130):
        raise typer.Exit(code)


def register(cli: typer.Typer) -> None:
    cli.command("up")(up)
    cli.command("down")(down)
    cli.command("status")(status)
    cli.command("logs")(logs)
