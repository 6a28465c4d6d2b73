"""Every command's --help reads like a Unix tool's: no Python types, no braces, arguments in capitals (issue 11.6)."""

from __future__ import annotations

import re

from typer.main import get_command
from typer.testing import CliRunner

from authentik_lab.cli.main import cli

PYTHON_TYPE = re.compile(r"<(str|int|float|path|bool|list|dict|tuple|choice)\b", re.IGNORECASE)


def _command_paths() -> list[list[str]]:
    paths: list[list[str]] = []

    def walk(command, path: list[str]) -> None:  # noqa: ANN001 - a click command or group
        paths.append(path)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(get_command(cli), [])
    return paths


def test_every_help_shows_names_not_python_types() -> None:
    paths = _command_paths()
    # the walk really reaches the nested commands (a broken walk would pass vacuously)
    assert {"provider create", "compose patch", "logs", "doctor", "token"} <= {" ".join(p) for p in paths}
    for path in paths:
        result = CliRunner().invoke(cli, [*path, "--help"], env={"COLUMNS": "200"})
        where = f"authlab {' '.join(path)} --help"
        assert result.exit_code == 0, where
        text = result.stdout
        assert "<str>" not in text and "<list" not in text and "{" not in text, f"{where}:\n{text}"
        assert not PYTHON_TYPE.search(text), f"{where}:\n{text}"


def test_usage_lines_and_argument_lists_use_capitals() -> None:
    def help_of(*path: str) -> list[str]:
        return CliRunner().invoke(cli, [*path, "--help"], env={"COLUMNS": "200"}).stdout.splitlines()

    assert help_of("provider", "create")[0] == "Usage: authlab provider create [OPTIONS] NAME"
    assert help_of("provider", "show")[0] == "Usage: authlab provider show [OPTIONS] NAME"
    assert help_of("provider", "delete")[0] == "Usage: authlab provider delete [OPTIONS] NAME"
    assert help_of("logs")[0] == "Usage: authlab logs [OPTIONS] [SERVICE]"
    assert help_of("doctor")[0] == "Usage: authlab doctor [OPTIONS] [ID]..."
    assert help_of("compose", "patch")[0] == "Usage: authlab compose patch [OPTIONS] FILE"
    arguments = help_of("logs")
    assert arguments[arguments.index("Arguments:") + 1].split() == ["SERVICE", "Only", "this", "service", "(server,", "worker,", "postgresql,", "...)."]
    doctor = help_of("doctor")
    assert doctor[doctor.index("Arguments:") + 1].split()[0] == "ID..."


def test_a_missing_argument_is_named_as_in_the_usage_line() -> None:
    result = CliRunner().invoke(cli, ["compose", "patch"])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == "Error: Missing argument 'FILE'."


def test_token_help_says_which_users_work() -> None:
    text = " ".join(CliRunner().invoke(cli, ["token", "--help"], env={"COLUMNS": "200"}).stdout.split())
    assert ("-u, --user USER Whose token: a test user or service account of the lab file, the lab's admin (akadmin), "
            "or any user whose password --password-env gives. [required]") in text
    assert "(from authlab.yaml)" not in text
