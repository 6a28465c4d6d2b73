"""`authlab snapshot list|save|prune`: the database snapshots that make a fresh lab boot in seconds.

No `from __future__ import annotations` here on purpose (see cli/lifecycle.py).
"""

from typing import Annotated

import typer

from authentik_lab.cli.common import JsonOpt, YesOpt, boundary, confirm, get_app

snapshot_cli = typer.Typer(help="Database snapshots of a freshly booted lab (restored by `up` into an empty lab).",
                           no_args_is_help=True)


@snapshot_cli.command("list")
@boundary("snapshot list")
def list_(ctx: typer.Context, json: JsonOpt = False) -> None:
    """List the snapshots: release, when made, size, and whether one is unusable."""
    from authentik_lab.cli.snapshot_render import render_list
    from authentik_lab.render import emit
    from authentik_lab.services import snapshot

    app = get_app(ctx)
    emit(app, "snapshot list", snapshot.list_snapshots(), lambda r: render_list(app, r))


@snapshot_cli.command("save")
@boundary("snapshot save")
def save(ctx: typer.Context, json: JsonOpt = False) -> None:
    """Dump the running lab's database now (replaces the snapshot of the same images)."""
    from authentik_lab.cli.snapshot_render import render_saved
    from authentik_lab.render import emit
    from authentik_lab.services import snapshot
    from authentik_lab.services.target import resolve, runner_for

    app = get_app(ctx)
    target, _ = resolve(app, None)
    engine = app.engine()
    engine.require()
    emit(app, "snapshot save", snapshot.save(engine, target, runner_for(app, target)), lambda r: render_saved(app, r))


@snapshot_cli.command("prune")
@boundary("snapshot prune")
def prune(
    ctx: typer.Context,
    everything: Annotated[bool, typer.Option("--all", help="Delete every snapshot, not only unusable ones: asks first.")] = False,
    yes: YesOpt = False,
    json: JsonOpt = False,
) -> None:
    """Delete snapshots whose images are gone or that cannot be read (--all: every one)."""
    from authentik_lab.cli.snapshot_render import render_pruned
    from authentik_lab.render import emit
    from authentik_lab.services import snapshot

    app = get_app(ctx)
    if everything and not confirm(app, "Delete every database snapshot?", yes, action="deleting every snapshot",
                                  declined="nothing deleted"):
        raise typer.Exit(1)
    engine = app.engine()
    if not everything:
        engine.require()  # judging "images gone" needs the engine
    emit(app, "snapshot prune", snapshot.prune(engine, everything), lambda r: render_pruned(app, r))


def register(cli: typer.Typer) -> None:
    cli.add_typer(snapshot_cli, name="snapshot")
