"""The root command: --version answers on its own, --help lists every command group."""

from __future__ import annotations

from typer.testing import CliRunner

from authentik_lab import __version__
from authentik_lab.cli.main import cli


def test_version_prints_and_exits_zero_without_a_command() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"authlab {__version__}\n"


def test_help_lists_every_command() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == {
        "init", "up", "down", "status", "logs", "compose", "provider", "doctor", "apply", "ci", "token", "login-test",
    }
