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
        "init", "up", "down", "status", "logs", "snapshot", "compose", "provider", "doctor", "apply", "ci", "token",
        "login-test", "export",
    }


def test_a_bad_option_with_json_prints_the_json_error_document(capsys) -> None:  # noqa: ANN001
    import json

    import pytest

    from authentik_lab.cli.main import run

    with pytest.raises(SystemExit) as exited:
        run(["status", "--bogus", "--json"])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert json.loads(out) == {"authlab": 1, "command": "status", "ok": False, "error": {
        "type": "UsageError", "message": "No such option: --bogus", "hint": "`authlab status --help` lists the options"}}
    assert err == ""
    # without --json click's usage text is unchanged, on stderr
    with pytest.raises(SystemExit) as exited:
        run(["status", "--bogus"])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and "No such option: --bogus" in err and "Usage: authlab status" in err


def test_run_with_json_keeps_the_commands_exit_code(tmp_path, capsys) -> None:  # noqa: ANN001
    import json

    import pytest

    from authentik_lab.cli.main import run

    with pytest.raises(SystemExit) as exited:
        run(["--dir", str(tmp_path / "none"), "status", "--json"])
    assert exited.value.code == 2
    assert json.loads(capsys.readouterr().out)["error"]["type"] == "ConfigError"
    with pytest.raises(SystemExit) as exited:
        run(["--dir", str(tmp_path / "none"), "down", "--json"])
    assert exited.value.code == 0
