"""`authlab up`, `down`, `status`, `logs`: thin commands over services.lifecycle.

No `from __future__ import annotations` here on purpose: typer evaluates string annotations with eval() on
every start, which costs `authlab --help` several milliseconds per module.
"""

from pathlib import Path
from typing import Annotated, Optional

import typer

from authentik_lab import envnames
from authentik_lab.cli.common import JsonOpt, YesOpt, boundary, confirm, get_app

ComposeOpt = Annotated[
    Optional[Path],
    typer.Option(
        "--compose",
        envvar=envnames.COMPOSE_FILE,
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
    compose: ComposeOpt = None,
    json: JsonOpt = False,
) -> None:
    """Start the lab (init it if needed) and wait until Authentik is really ready."""
    from authentik_lab.cli.lifecycle_render import Progress, render_up
    from authentik_lab.render import emit
    from authentik_lab.services import lifecycle

    app = get_app(ctx)
    with Progress(app) as progress:
        result = lifecycle.up(app, compose_file=compose, timeout=timeout, show_secrets=show_secrets, on_event=progress.update)
    emit(app, "up", result, lambda r: render_up(app, r))


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
    if volumes and not confirm(app, "Delete the lab's database and files for good?", yes):
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
    service: Annotated[Optional[str], typer.Argument(help="Only this service (server, worker, postgresql, ...).", show_default=False)] = None,
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
    if code not in (0, 130):
        raise typer.Exit(code)


def register(cli: typer.Typer) -> None:
    cli.command("up")(up)
    cli.command("down")(down)
    cli.command("status")(status)
    cli.command("logs")(logs)
