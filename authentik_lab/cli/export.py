"""`authlab export blueprint|helm`: the lab file as an Authentik blueprint and Helm values for production."""


import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from authentik_lab.cli.common import JsonOpt, LabFileOpt, boundary, get_app

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.services.export import ExportResult

export_cli = typer.Typer(name="export", help="Write the lab file as an Authentik blueprint or Helm values for production.", no_args_is_help=True)

VersionOpt = Annotated[Optional[str], typer.Option("--version", metavar="RELEASE", help="Authentik release to write for (default: the lab file's, else the lab's).")]


def register(cli: typer.Typer) -> None:
    cli.add_typer(export_cli, name="export")


@export_cli.command("blueprint")
@boundary("export blueprint")
def blueprint_cmd(
    ctx: typer.Context,
    file: LabFileOpt = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write the blueprint here (default: stdout).")] = None,
    version: VersionOpt = None,
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="The blueprint's metadata.name (its instance name in Authentik).")] = "authlab",
    json: JsonOpt = False,
) -> None:
    """Write authlab.yaml as one Authentik blueprint that creates what `authlab apply` creates."""
    from authentik_lab.render import emit
    from authentik_lab.services.export import export_blueprint

    app = get_app(ctx)
    result = export_blueprint(app, file, version=version, output=output, name=name)
    emit(app, "export blueprint", result, lambda r: _render(app, r))


@export_cli.command("helm")
@boundary("export helm")
def helm_cmd(
    ctx: typer.Context,
    file: LabFileOpt = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE", help="Write the values here and the ConfigMap manifest beside it (default: both to stdout).")] = None,
    version: VersionOpt = None,
    host: Annotated[Optional[str], typer.Option("--host", metavar="HOST", help="Ingress host name for the server (no ingress without it).")] = None,
    secret: Annotated[str, typer.Option("--secret", metavar="NAME", help="The existing Secret holding AUTHENTIK_SECRET_KEY, AUTHENTIK_POSTGRESQL__PASSWORD, ...")] = "authentik-secrets",
    configmap: Annotated[str, typer.Option("--configmap", metavar="NAME", help="Name of the ConfigMap carrying the blueprint.")] = "authlab-blueprint",
    bootstrap: Annotated[bool, typer.Option("--bootstrap", help="Also set AUTHENTIK_BOOTSTRAP_PASSWORD/_TOKEN/_EMAIL from the Secret (first start only).")] = False,
    postgres_host: Annotated[Optional[str], typer.Option("--postgres-host", metavar="HOST", help="PostgreSQL host (default: the chart's).")] = None,
    json: JsonOpt = False,
) -> None:
    """Write values for the official Helm chart (image pinned, secrets from an existing Secret, the blueprint mounted)."""
    from authentik_lab.render import emit
    from authentik_lab.services.export import export_helm

    app = get_app(ctx)
    result = export_helm(app, file, version=version, output=output, host=host, secret=secret, configmap=configmap,
                         bootstrap=bootstrap, postgres_host=postgres_host)
    emit(app, "export helm", result, lambda r: _render(app, r))


def _render(app: "App", result: "ExportResult") -> None:
    from rich.markup import escape

    if not result.written:
        sys.stdout.write(result.text)  # the document itself, byte for byte (pipe it to a file or kubectl)
        sys.stdout.flush()
    counts = ", ".join(f"{n} {model.rsplit('.', 1)[1]}" for model, n in result.objects.items()) or "no objects"
    where = ", ".join(result.written) or "stdout"
    app.err.print(f"{result.kind} for Authentik {escape(result.version)} ({escape(result.version_source)}): {counts} -> {escape(where)}", soft_wrap=True)
    if result.kind == "helm":
        app.err.print(f"create the Secret {escape(result.secret or '')} first, with the keys: {escape(', '.join(result.secret_keys))}", soft_wrap=True)
