"""The root `authlab` command: global options, then one small module per command group."""


from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from authentik_lab import envnames
from authentik_lab.app import App, default_lab_dir

cli = typer.Typer(
    name="authlab",
    help="A working local Authentik in one command, wired for your app, and a doctor for when it is not.",
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    # eager, so it answers before click insists on a command
    if value:
        from authentik_lab import __version__

        print(f"authlab {__version__}")
        raise typer.Exit(0)


@cli.callback()
def root(
    ctx: typer.Context,
    lab_dir: Annotated[
        Optional[Path],
        typer.Option("--dir", envvar=envnames.LAB_DIR, metavar="DIR", help="The lab directory (compose file, .env, data).", show_default=".authlab"),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", envvar=envnames.DEBUG, help="Show tracebacks for errors.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", help="Print authlab's version and exit.", is_eager=True, callback=_print_version),
    ] = False,
) -> None:
    if ctx.obj is None:
        ctx.obj = App()
    app: App = ctx.obj
    app.lab_dir = lab_dir or app.lab_dir or default_lab_dir()
    app.debug = debug or app.debug


def _register() -> None:
    """Each command module adds its commands; order here is the order in --help."""
    import importlib

    for name in ("init", "lifecycle", "snapshot", "compose", "provider", "doctor", "labfile", "ci", "export"):
        importlib.import_module(f"authentik_lab.cli.{name}").register(cli)
    from authentik_lab.cli.help import use_unix_help

    use_unix_help(cli)


_register()


def run(argv: Optional[list] = None) -> None:
    """The console script. With --json, click's own usage errors (a bad option, a missing argument) still print the
    JSON error document, so a script that parses stdout never gets click's usage text; otherwise click as usual.

    A reader that closes stdout early (`authlab doctor --list | head -1`) ends the run quietly with status 141,
    whether the pipe broke inside a command (cli.common.boundary), in click's own output, or in the last flush.
    """
    import sys

    try:
        _run(argv)
    except SystemExit as exc:
        if type(sys.stdout).__name__ == "PacifyFlushWrapper":  # click met EPIPE outside a command and chose exit 1
            exc = SystemExit(_stdout_closed())
        _flush_stdout()
        raise exc from None
    _flush_stdout()


def _flush_stdout() -> None:
    """Flush now: at interpreter exit a broken pipe would print "Exception ignored ..." and exit 120."""
    import sys

    try:
        sys.stdout.flush()
    except BrokenPipeError:
        sys.exit(_stdout_closed())


def _stdout_closed() -> int:
    from authentik_lab.cli.common import stdout_closed

    return stdout_closed()


def _run(argv: Optional[list]) -> None:
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    if "--json" not in args:
        cli(args=args, prog_name="authlab")
        return
    try:
        code = cli(args=args, prog_name="authlab", standalone_mode=False)
    except Exception as exc:  # noqa: BLE001 - typer ships its own click: recognise its exceptions by shape
        if hasattr(exc, "format_message") and isinstance(getattr(exc, "exit_code", None), int):
            _usage_json(exc)
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        if type(exc).__name__ == "Abort":
            print("Aborted!", file=sys.stderr)
            sys.exit(1)
        raise
    sys.exit(code if isinstance(code, int) else 0)


def _usage_json(exc: "Any") -> None:
    import json

    from authentik_lab.render import envelope

    ctx = getattr(exc, "ctx", None)
    path = ctx.command_path if ctx is not None else "authlab"
    command = path.split(" ", 1)[1] if " " in path else ""
    error = {"type": "UsageError", "message": exc.format_message(), "hint": f"`{path} --help` lists the options"}
    print(json.dumps(envelope(command, False, error=error), indent=2))
