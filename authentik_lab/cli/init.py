"""`authlab init`: create the lab folder (compose file + .env with fresh secrets), or update its settings."""


from pathlib import Path
from typing import Annotated, Optional

import typer

from authentik_lab import envnames
from authentik_lab.cli.common import JsonOpt, boundary, get_app


@boundary("init")
def init(
    ctx: typer.Context,
    version: Annotated[Optional[str], typer.Option("--version", metavar="RELEASE", help="Authentik release to run, e.g. 2024.12.3.", show_default="2026.5.6, or the lab's")] = None,
    port: Annotated[Optional[int], typer.Option("--port", metavar="PORT", help="HTTP port on the host.", show_default="9000, or the lab's")] = None,
    https_port: Annotated[Optional[int], typer.Option("--https-port", metavar="PORT", help="HTTPS port on the host.", show_default="--port + 443")] = None,
    bind: Annotated[Optional[str], typer.Option("--bind", metavar="ADDRESS", help="Host address the ports are published on (0.0.0.0 = every interface).", show_default="127.0.0.1, or the lab's")] = None,
    lab_dir: Annotated[Optional[Path], typer.Option("--dir", metavar="DIR", help=f"The lab directory; same as `authlab --dir` [env: {envnames.LAB_DIR}].", show_default=".authlab")] = None,
    json: JsonOpt = False,
) -> None:
    """Create the lab folder: compose file and .env with fresh secrets.

    On an existing lab it keeps every secret, fills in missing values and applies a changed
    --port/--https-port/--bind/--version (re-rendering the compose file). HTTPS defaults to --port + 443.
    """
    from authentik_lab.render import emit
    from authentik_lab.services.lifecycle import init as init_lab

    app = get_app(ctx)
    result = init_lab(app, lab_dir or app.lab_dir, version=version, http_port=port, https_port=https_port, bind=bind)
    emit(app, "init", result, lambda r: render_init(app, r))


def render_init(app, result) -> None:  # noqa: ANN001 - App, InitResult (lazy imports keep --help fast)
    """Also used by `up` when it initialises a lab first."""
    from rich.text import Text

    for warning in result.warnings:
        app.err.print(Text(f"warning: {warning}"))
    out = app.out
    if result.action == "created":
        out.print(Text(f"Created a lab for Authentik {result.version} in {result.lab_dir}"))
    elif result.action == "unchanged":
        out.print(Text(f"lab already initialised at {result.lab_dir}; secrets kept, nothing changed"))
    else:
        parts = [f"{key} {old} -> {new}" for key, old, new in result.changed]
        if result.added:
            parts.append(f"added {', '.join(result.added)} to .env")
        if result.compose_written:
            backup = f" (previous copy: {result.compose_backup.name})" if result.compose_backup else ""
            parts.append(f"wrote {result.compose_file.name}{backup}")
        out.print(Text(f"lab at {result.lab_dir} {result.action}: {'; '.join(parts)}; existing secrets kept"))
    rows = [
        ("compose file", str(result.compose_file)),
        ("settings", f"{result.env_file} (mode 0600)"),
        ("URL", f"{result.url}  (HTTPS on port {result.https_port}, published on {result.bind})"),
        ("admin user", result.admin_user),
        ("password", f"{result.password_key} in {result.env_file}"),
        ("API token", f"{result.token_key} in {result.env_file}"),
        ("project", result.project_name),
    ]
    for label, value in rows:
        out.print(Text(f"  {label:<13}{value}"))
    if getattr(result, "running_stale", False):
        changed = ", ".join(key for key, _, _ in result.changed)
        out.print(Text(f"the lab is running with the old settings ({changed}): run `authlab up` to apply them"))
    elif result.action != "unchanged":
        out.print(Text("next: authlab up"))


def register(cli: typer.Typer) -> None:
    cli.command("init")(init)
