"""Turns results into output: rich text for people, a versioned JSON envelope for machines.

Commands build a frozen result and call `emit`; they never print themselves. Errors are rendered
once, by `fail`, at the CLI boundary.
"""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.errors import AuthlabError

ENVELOPE_VERSION = 1


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return to_jsonable(value.to_dict())
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if not f.name.startswith("_")}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


def plain_value(value: Any) -> str:
    """A planned change's old/new value as a person reads it (`apply` and `provider create` print plans alike):
    redirect URIs as `url (mode)`, lists bracketed, nothing as (none)."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(plain_value(v) for v in value) + "]"
    if isinstance(value, dict) and "url" in value:
        return f"{value['url']} ({value.get('matching_mode', 'strict')})"
    if isinstance(value, str) and "\n" in value:  # pre-2024.12 newline-separated redirect URIs
        return " | ".join(value.splitlines())
    return "(none)" if value in (None, "") else str(value)


def envelope(command: str, ok: bool, data: Any = None, error: dict | None = None) -> dict:
    doc: dict[str, Any] = {"authlab": ENVELOPE_VERSION, "command": command, "ok": ok}
    if data is not None:
        doc["data"] = to_jsonable(data)
    if error is not None:
        doc["error"] = error
    return doc


def emit(app: "App", command: str, result: Any, human: Callable[[Any], None], ok: bool = True) -> None:
    """Print `result`: as the JSON envelope with --json, else through the command's `human` renderer."""
    if app.json:
        print(json.dumps(envelope(command, ok, result), indent=2, sort_keys=False))
    else:
        human(result)


def fail(app: "App", command: str, error: "AuthlabError") -> None:
    if app.json:
        print(json.dumps(envelope(command, False, error=error.to_dict()), indent=2))
        return
    from rich.markup import escape

    app.err.print(f"[bold red]error:[/] {escape(error.message)}")
    evidence = getattr(error, "evidence", None) or []
    for line in evidence:
        app.err.print(f"  [dim]│[/] {escape(line)}")
    for field_path, message in getattr(error, "field_errors", []) or []:
        app.err.print(f"  • {escape(field_path)}: {escape(message)}")
    if error.hint:
        app.err.print(f"[yellow]hint:[/] {escape(error.hint)}")
