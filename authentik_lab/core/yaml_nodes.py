"""A small checker over PyYAML *nodes*: typed values plus `file:line:col: key.path: what` for each problem.

Working on the node tree (yaml.compose) instead of loaded data keeps every value's position, so an error can
point at the exact line and column. Problems are collected, not raised one by one, so a user fixes a file in
one pass.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Callable, Collection
from urllib.parse import urlsplit

from authentik_lab.errors import ConfigError


@dataclass(frozen=True)
class Problem:
    location: str  # file:line:col (1-based)
    path: str  # key path, e.g. providers[0].redirect_uris[1]
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.path}: {self.message}" if self.path else f"{self.location}: {self.message}"


class LabFileError(ConfigError):
    """Every problem in the file; the first is the message, the rest are shown as evidence lines."""

    def __init__(self, problems: list[Problem]) -> None:
        first = problems[0]
        more = f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
        message = f"{first.path}: {first.message}{more}" if first.path else f"{first.message}{more}"
        super().__init__(message, hint="fix the lab file; nothing was changed on the server", location=first.location)
        self.problems = problems
        self.evidence = [str(p) for p in problems[1:]]

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "problems": [{"location": p.location, "path": p.path, "message": p.message} for p in self.problems]}


# --- the walker -----------------------------------------------------------------------------------


class Checker:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []
        # key path -> file:line:col of its value, kept so checks that run after parsing (against the server,
        # the environment) can still point at the line that caused them
        self.locations: dict[str, str] = {}

    def at(self, node: Any) -> str:
        mark = node.start_mark
        return f"{self.filename}:{mark.line + 1}:{mark.column + 1}"

    def fail(self, node: Any, path: str, message: str) -> None:
        self.problems.append(Problem(self.at(node), path, message))

    def fail_at(self, location: str, path: str, message: str) -> None:
        self.problems.append(Problem(location, path, message))

    def mapping(self, node: Any, path: str, fields: dict[str, Callable[[Any, str], Any]], required: tuple[str, ...] = ()) -> dict[str, Any]:
        import yaml

        if not isinstance(node, yaml.MappingNode):
            self.fail(node, path, f"expected a mapping (key: value), got {kind(node)}")
            return {}
        out: dict[str, Any] = {}
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            sub = f"{path}.{key}" if path else str(key)
            if key is None:
                self.fail(key_node, path, "keys must be plain words")
                continue
            if key in seen:
                self.fail(key_node, sub, "duplicate key")
                continue
            seen.add(key)
            self.locations[sub] = self.at(value_node)
            if key not in fields:
                close = difflib.get_close_matches(key, list(fields), n=1)
                suggestion = f"; did you mean {close[0]!r}?" if close else f"; allowed: {', '.join(fields)}"
                self.fail(key_node, sub, f"unknown key{suggestion}")
                continue
            value = fields[key](value_node, sub)
            if value is not INVALID:
                out[key] = value
        for key in required:
            if key not in seen:
                self.fail(node, path, f"missing required key {key!r}")
        return out

    def seq(self, node: Any, path: str, item: Callable[[Any, str], Any]) -> Any:
        import yaml

        if is_null(node):
            return ()
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, path, f"expected a list, got {kind(node)}")
            return INVALID
        self.locations.update({f"{path}[{i}]": self.at(child) for i, child in enumerate(node.value)})
        values = [item(child, f"{path}[{i}]") for i, child in enumerate(node.value)]
        return tuple(v for v in values if v is not INVALID)

    def string(self, node: Any, path: str, allow_empty: bool = False, numbers: bool = False) -> Any:
        import yaml

        if not isinstance(node, yaml.ScalarNode) or (is_null(node) and not allow_empty):
            self.fail(node, path, f"expected a string, got {kind(node)}")
            return INVALID
        # `numbers`: the raw text of a number counts (e.g. `version: 2026.5` or `client_id: 12345` mean the text)
        if not numbers and node.tag.endswith((":int", ":float")):
            self.fail(node, path, f"expected a string, got {kind(node)}")
            return INVALID
        if node.tag.endswith(":bool"):
            self.fail(node, path, "expected a string, got a boolean (quote it if you mean the word)")
            return INVALID
        value = "" if is_null(node) else str(node.value)
        if not value.strip() and not allow_empty:
            self.fail(node, path, "must not be empty")
            return INVALID
        return value

    def boolean(self, node: Any, path: str) -> Any:
        import yaml

        if not isinstance(node, yaml.ScalarNode) or not node.tag.endswith(":bool"):
            self.fail(node, path, f"expected true or false, got {kind(node)}")
            return INVALID
        return node.value.lower() in ("true", "yes", "on")

    def integer(self, node: Any, path: str, low: int, high: int) -> Any:
        import yaml

        if not isinstance(node, yaml.ScalarNode) or not node.tag.endswith(":int"):
            self.fail(node, path, f"expected a whole number, got {kind(node)}")
            return INVALID
        value = int(node.value.replace("_", ""), 0)
        if not low <= value <= high:
            self.fail(node, path, f"must be between {low} and {high}, got {value}")
            return INVALID
        return value

    def choice(self, node: Any, path: str, choices: Collection[str]) -> Any:
        value = self.string(node, path)
        if value is not INVALID and value not in choices:
            self.fail(node, path, f"must be one of {', '.join(sorted(choices))}; got {value!r}")
            return INVALID
        return value

    def matching(self, node: Any, path: str, pattern: re.Pattern, what: str, numbers: bool = False) -> Any:
        value = self.string(node, path, numbers=numbers)
        if value is not INVALID and not pattern.match(value):
            self.fail(node, path, f"{what}; got {value!r}")
            return INVALID
        return value

    def url(self, node: Any, path: str) -> Any:
        value = self.string(node, path)
        if value is INVALID:
            return value
        problem = url_problem(value)
        if problem:
            self.fail(node, path, problem)
            return INVALID
        return value


INVALID = object()


def is_null(node: Any) -> bool:
    return getattr(node, "tag", "").endswith(":null")


def kind(node: Any) -> str:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    tag = node.tag.rsplit(":", 1)[-1]
    names = {"null": "nothing (null)", "bool": "a boolean", "int": "a number", "float": "a number", "str": "a string"}
    if tag == "null":
        return names["null"]
    return f"{names.get(tag, tag)} ({node.value})" if tag in ("int", "float", "bool") else f"{names.get(tag, tag)} ({node.value!r})"


def url_problem(value: str) -> str | None:
    """Redirect and app URLs must be absolute http(s) without a fragment (OAuth forbids fragments)."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"expected an absolute http(s) URL, got {value!r}"
    if parts.fragment or value.endswith("#"):
        return f"a redirect URL must not contain a fragment (#...): {value!r}"
    return None
