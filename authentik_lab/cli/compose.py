"""`authlab compose patch FILE`: make a copy of the official compose file safe without rewriting it."""


from pathlib import Path
from typing import Annotated

import typer

from authentik_lab.cli.common import JsonOpt, boundary, get_app

compose_app = typer.Typer(name="compose", help="Fix a compose file of your own (the official one, copied).", no_args_is_help=True)


def summarise(changes) -> str:  # noqa: ANN001 - a sequence of core.compose_patch.Change
    """One phrase per kind of change and service, in file order: what a reviewer needs, not the diff again."""
    groups: dict[tuple[str, str], list] = {}
    for c in changes:
        groups.setdefault((c.kind, c.service), []).append(c)
    phrases = []
    for (kind, service), items in groups.items():
        if kind == "user":
            phrases.append(f"removed `{items[0].before}` from {service}")
        elif kind == "docker_socket":
            phrases.append(f"removed the docker socket mount from {service}")
        elif kind == "time_mount":
            phrases.append(f"removed the host time zone mount{'s' if len(items) > 1 else ''} from {service}")
        else:
            n = len(items)
            phrases.append(f"bound {n} published port{'s' if n > 1 else ''} of {service} to 127.0.0.1")
    return "; ".join(phrases)


@compose_app.command("patch")
@boundary("compose patch")
def patch(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The compose file to patch, e.g. docker-compose.yml.", show_default=False)],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the diff, change nothing.")] = False,
    check: Annotated[bool, typer.Option("--check", help="Change nothing; exit 1 when a patch is needed (for pre-commit and CI).")] = False,
    keep_docker_socket: Annotated[bool, typer.Option("--keep-docker-socket", help="Keep the /var/run/docker.sock mount (outpost auto-deploy).")] = False,
    bind_localhost: Annotated[bool, typer.Option("--bind-localhost", help="Publish ports on 127.0.0.1 only.")] = False,
    drop_time_mounts: Annotated[bool, typer.Option("--drop-time-mounts", help="Remove /etc/localtime and /etc/timezone mounts (Authentik assumes UTC).")] = False,
    no_backup: Annotated[bool, typer.Option("--no-backup", help="Do not keep the previous file as FILE.bak.")] = False,
    fix_permissions: Annotated[bool, typer.Option("--fix-permissions", help="Create the bind-mounted storage folders and, when run as root on a "
                                                  "rootful engine, chown them to the service's user (1000:1000 unless `user:` says otherwise); "
                                                  "otherwise print the command (`podman unshare chown` on rootless engines).")] = False,
    json: JsonOpt = False,
) -> None:
    """Drop `user: root` and the docker socket from Authentik's services.

    Every other byte of FILE stays as it was (comments, quoting, order, anchors, CRLF). Prints a unified
    diff, writes atomically and keeps FILE.bak (the first backup is never replaced: later ones are FILE.bak.1,
    FILE.bak.2, ...). Without root the worker runs as uid 1000, so the folders it mounts must belong to it:
    the command to do that is printed, or --fix-permissions does it. Exit code with --check: 1 when a patch is
    needed, else 0.
    """
    from authentik_lab.core.compose_patch import PatchOptions
    from authentik_lab.render import emit
    from authentik_lab.services.compose_patch import patch_compose_file

    app = get_app(ctx)
    options = PatchOptions(keep_docker_socket=keep_docker_socket, bind_localhost=bind_localhost, drop_time_mounts=drop_time_mounts)
    from authentik_lab.services.engine_kind import probe

    write = not (dry_run or check)
    if write:  # the write itself is atomic with interrupts held off: it happens entirely or not at all
        app.journal.doing(f"patching {file} (the file is either the old or the new version)")
    result = patch_compose_file(file, options, write=write, backup=not no_backup, fix_folders=fix_permissions,
                                mapping=lambda: probe(app))
    if write:
        app.journal.done(f"checked/patched {file}")
    needs = (check and result.status != "already_patched") or bool(result.problems)
    emit(app, "compose patch", result, lambda r: _human(app, r, check), ok=not needs)
    if needs:
        raise typer.Exit(1)


def _human(app, result, check: bool) -> None:  # noqa: ANN001 - App and PatchFileResult, imported lazily
    from rich.text import Text

    for note in result.notes:
        app.err.print(Text(f"note: {note}"))
    for problem in result.problems:
        app.err.print(Text(f"problem: {problem}"))
    if result.status == "already_patched":
        if result.problems:  # nothing to remove, but the file is not fit to run: never say "already patched" then
            app.out.print(Text(f"{result.file}: nothing to patch, but the file cannot run Authentik as it is (see the problem above)"))
        else:
            app.out.print(Text(f"{result.file}: already patched, nothing to change"))
        _folders(app, result)
        return
    for line in result.diff.splitlines():
        style = "green" if line.startswith("+") else "red" if line.startswith("-") else "cyan" if line.startswith("@@") else None
        app.out.print(Text(line, style=style or ""))
    summary = summarise(result.changes)
    if result.status == "patched":
        tail = f" (previous version: {result.backup})" if result.backup else ""
        app.out.print(Text(f"patched {result.file}: {summary}{tail}"))
    elif check:
        app.out.print(Text(f"{result.file} needs patching: {summary}; run `authlab compose patch {result.file}`"))
    else:
        app.out.print(Text(f"dry run, {result.file} unchanged; would have: {summary}"))
    _folders(app, result)


def _folders(app, result) -> None:  # noqa: ANN001
    from rich.text import Text

    rootless = result.engine.startswith("rootless")
    owner = dict(zip(dict.fromkeys([*result.permissions_fixed, *result.folders_to_own]), result.owners))
    for folder in result.permissions_fixed:
        uid = owner.get(folder, "1000:1000").split(":")[0]
        app.err.print(Text(f"prepared {folder}" + ("" if rootless else f" for uid {uid}")))
    if result.permissions_command:
        # without `user: root` the worker no longer chowns its mounts: host folders owned by root crash-loop it
        app.err.print(Text(f"warning: without `user: root` Authentik runs as its own user and cannot write "
                           f"{', '.join(result.folders_to_own)} (missing or owned by another user)"))
        if rootless:
            app.err.print(Text(f"  on {result.engine}, uids in the container are subordinate uids on the host: "
                               "a plain `sudo chown` gives the folders to the wrong user"))
        app.err.print(Text(f"  run: {result.permissions_command}"))
        if not result.permissions_fixed and result.status != "needs_patch" and not rootless:
            app.err.print(Text("  (or `authlab compose patch --fix-permissions` as root)"))


def register(cli: typer.Typer) -> None:
    cli.add_typer(compose_app, name="compose")
