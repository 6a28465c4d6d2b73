"""`--help` that reads like a Unix tool's: `Usage: authlab provider create [OPTIONS] NAME`, `logs [OPTIONS] [SERVICE]`.

typer 0.29 writes a required argument as `{NAME}` on the usage line and follows each argument's name with its
Python type (`NAME <str>`, `ID <list[str]>`). One command class fixes both for every command; `use_unix_help` puts
it on every command of the app, so a command added later gets it without remembering to.
"""

from typing import Any

import typer
from typer.core import TyperCommand


def argument_name(param: Any) -> str:
    """`NAME`, or `ID...` for a repeatable argument: the metavar when one is set, else the name in capitals."""
    name = param.metavar or (param.name or "").upper()
    return f"{name}..." if param.nargs != 1 else name


class UnixCommand(TyperCommand):
    """A command whose usage line and argument list show names only: `NAME`, `[SERVICE]`, `[ID]...`."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name != "argument":
                pieces.extend(param.get_usage_pieces(ctx))
                continue
            name = param.metavar or (param.name or "").upper()
            shown = name if param.required else f"[{name}]"
            pieces.append(f"{shown}..." if param.nargs != 1 else shown)
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                arguments.append((argument_name(param), record[1]))  # the name without typer's `<str>`
            elif param.param_type_name == "option":
                options.append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)


def use_unix_help(app: typer.Typer) -> None:
    """Give every command of `app` (and of its sub-apps) the UnixCommand class, unless one chose a class of its own."""
    for command in app.registered_commands:
        if command.cls is None or command.cls is TyperCommand:
            command.cls = UnixCommand
    for group in app.registered_groups:
        if group.typer_instance is not None:
            use_unix_help(group.typer_instance)
