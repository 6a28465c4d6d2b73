"""The confirmation helper: scripts need --yes (a clear error), a person who answers no is told nothing happened."""

from __future__ import annotations

import io

import pytest
import typer
from rich.console import Console

from authentik_lab.app import App
from authentik_lab.cli.common import confirm
from authentik_lab.errors import UsageError


class Person(App):
    @property
    def interactive(self) -> bool:  # type: ignore[override]
        return True


def test_without_a_person_the_action_needs_yes() -> None:
    with pytest.raises(UsageError) as info:
        confirm(App(), "Delete the lab's database and files for good?", False, action="deleting the lab's data")
    assert (info.value.message, info.value.hint) == ("deleting the lab's data needs confirmation", "pass --yes to confirm in a non-interactive run")
    assert confirm(App(), "Delete?", True) is True


def test_answering_no_says_nothing_was_deleted(monkeypatch: pytest.MonkeyPatch) -> None:
    app = Person()
    app._err = Console(file=io.StringIO(), no_color=True)
    monkeypatch.setattr(typer, "confirm", lambda question, default=False: False)
    assert confirm(app, "Delete the lab's database and files for good?", False, declined="nothing deleted") is False
    assert app._err.file.getvalue() == "nothing deleted\n"
    monkeypatch.setattr(typer, "confirm", lambda question, default=False: True)
    assert confirm(app, "Delete?", False) is True
