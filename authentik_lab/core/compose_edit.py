"""Byte-preserving edits of a YAML text, guided by PyYAML's node positions (used by core.compose_patch).

Edits are splices of the original text collected first and applied back to front, so every byte that is not
edited stays: comments, quoting, key order, anchors, CRLF line endings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from yaml.nodes import MappingNode, Node


@dataclass(frozen=True)
class Change:
    kind: str  # "user" | "docker_socket" | "time_mount" | "port"
    service: str
    line: int  # 1-based line in the original text
    before: str
    after: str  # "" when the line was removed


@dataclass
class Edit:
    start: int
    end: int
    text: str


class Editor:
    """Collects non-overlapping splices of the original text and applies them back to front."""

    def __init__(self, text: str) -> None:
        self.source = text
        self.edits: list[Edit] = []
        self.flow: dict[tuple[tuple[int, int], ...], set[int]] = {}  # flow collection -> removed entries
        self.changes: list[Change] = []
        self.newline = "\r\n" if "\r\n" in text else "\n"

    def line_of(self, index: int) -> int:
        return self.source.count("\n", 0, index) + 1

    def line_bounds(self, index: int) -> tuple[int, int]:
        """[start of the line holding index, just past its line ending)."""
        start = self.source.rfind("\n", 0, index) + 1
        end = self.source.find("\n", index)
        return start, (len(self.source) if end < 0 else end + 1)

    def line_text(self, index: int) -> str:
        start, end = self.line_bounds(index)
        return self.source[start:end].rstrip("\r\n")

    def add(self, start: int, end: int, text: str, change: Change) -> None:
        self.edits.append(Edit(start, end, text))
        self.changes.append(change)

    def remove_flow(self, spans: list[tuple[int, int]], index: int, change: Change) -> None:
        key = tuple(spans)
        self.flow.setdefault(key, set()).add(index)
        self.changes.append(change)

    def _flow_edits(self) -> list[Edit]:
        """Each run of removed entries goes with the comma after it, or before it when it ends the
        collection, so `{a, b, c}` minus b and c is `{a}`, not `{a, }`."""
        edits = []
        for spans, removed in self.flow.items():
            i = 0
            while i < len(spans):
                if i not in removed:
                    i += 1
                    continue
                j = i
                while j + 1 < len(spans) and j + 1 in removed:
                    j += 1
                if j + 1 < len(spans):
                    edits.append(Edit(spans[i][0], spans[j + 1][0], ""))
                elif i > 0:
                    edits.append(Edit(spans[i - 1][1], spans[j][1], ""))
                else:
                    edits.append(Edit(spans[i][0], spans[j][1], ""))
                i = j + 1
        return edits

    def apply(self) -> str:
        # a removed line and a removed flow entry can share text (a flow entry inside a removed block):
        # overlapping deletions merge into one
        merged: list[Edit] = []
        for edit in sorted(self.edits + self._flow_edits(), key=lambda e: (e.start, e.end)):
            last = merged[-1] if merged else None
            if last and edit.start < last.end:
                if last.text or edit.text:  # pragma: no cover - insertions never overlap by construction
                    raise AssertionError("overlapping compose edits")
                last.end = max(last.end, edit.end)
                continue
            merged.append(Edit(edit.start, edit.end, edit.text))
        out = self.source
        for edit in reversed(merged):
            out = out[: edit.start] + edit.text + out[edit.end :]
        self.changes.sort(key=lambda c: c.line)
        return out

    def remove_lines(self, start: int, end: int, item: bool = False) -> tuple[int, int] | None:
        """The whole-line span from `start` to `end` if nothing but blanks and a comment share those lines
        (and, for a sequence `item`, its own `- ` indicator)."""
        line_start, _ = self.line_bounds(start)
        _, line_end = self.line_bounds(max(start, end - 1))
        before = self.source[line_start:start]
        after = self.source[end:line_end].strip()
        if before.strip() not in (("", "-") if item else ("",)) or (after and not after.startswith("#")):
            return None
        return line_start, line_end


def end_index(node: "Node") -> int:
    """Where a node's own text ends. Block collections report the start of the next token, which may be
    lines further down past comments, so use the end of their last leaf instead."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    if isinstance(node, ScalarNode) or getattr(node, "flow_style", False):
        return node.end_mark.index
    if isinstance(node, MappingNode) and node.value:
        return end_index(node.value[-1][1])
    if isinstance(node, SequenceNode) and node.value:
        return end_index(node.value[-1])
    return node.end_mark.index


def remove_pair(editor: Editor, owner: "MappingNode", key: "Node", value: "Node", change: Change) -> bool:
    if owner.flow_style:
        return remove_flow_item(editor, [(k, v) for k, v in owner.value], (key, value), change)
    span = editor.remove_lines(key.start_mark.index, end_index(value))
    if span is None:
        return False
    editor.add(*span, "", change)
    return True


def remove_flow_item(editor: Editor, items: list, item: object, change: Change) -> bool:
    """Remove one entry of a `{...}` or `[...]` collection; the separating commas are settled in apply()."""
    spans = [(e[0].start_mark.index, end_index(e[1])) if isinstance(e, tuple) else (e.start_mark.index, end_index(e)) for e in items]
    editor.remove_flow(spans, items.index(item), change)
    return True
