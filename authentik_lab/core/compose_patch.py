"""Patch a user's copy of the official compose file as text edits, so every other byte stays.

A YAML parse (PyYAML's node graph, which records where each node starts and ends) finds what to change;
the change itself is a splice of the original text. Dumping the parsed YAML instead would lose comments,
quoting, key order, anchors and CRLF line endings. The splicing itself is core.compose_edit.

What is patched, and why:
  * `user: root` (or 0, "0", 0:0, root:root) on Authentik's services: as root, the worker chowns its mounted
    folders at start, which fails on rootless Docker, Podman, NFS and root_squash and crash-loops it;
  * the /var/run/docker.sock mount on Authentik's services: only root can use it, and it grants root on the
    host to whatever holds it; a lab does not auto-deploy outposts (opt out: keep_docker_socket);
  * optionally (bind_localhost), published ports without a host address get 127.0.0.1;
  * optionally (drop_time_mounts), /etc/localtime and /etc/timezone mounts on Authentik's services: Authentik
    assumes UTC, and a host time zone shifts the times it puts in tokens, which breaks OAuth and SAML.
Comments are kept, including the official one about `user: root` above the removed line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from authentik_lab.core.compose_edit import Change, Editor, end_index, remove_flow_item, remove_pair
from authentik_lab.core.compose_yaml import (
    ComposeSyntaxError,
    NotACompose,
    find,
    get,
    is_authentik,
    mapping_chain,
    parse,
    scalar,
    services,
)

if TYPE_CHECKING:
    from yaml.nodes import MappingNode, Node

# callers catch the parse errors from here, next to the function that raises them
__all__ = ["Change", "ComposeSyntaxError", "NotACompose", "PatchOptions", "PatchResult", "patch_compose_text", "split_port"]



def is_root_user(raw: str) -> bool:
    """A compose `user:` value that runs as root: its user part is `root` or `0`, whatever the group (`0:1000` too)."""
    user = raw.strip().strip("'\"").lower().partition(":")[0].strip()
    return user == "root" or (user.isdigit() and int(user) == 0)
LOCALHOST = "127.0.0.1"
TIME_FILES = ("/etc/localtime", "/etc/timezone")


@dataclass(frozen=True)
class PatchOptions:
    keep_docker_socket: bool = False
    bind_localhost: bool = False
    drop_time_mounts: bool = False


@dataclass(frozen=True)
class PatchResult:
    text: str
    changes: tuple[Change, ...] = ()
    notes: tuple[str, ...] = ()  # things seen but deliberately left alone
    services: tuple[str, ...] = field(default=())  # the services recognised as Authentik's

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def patch_compose_text(text: str, options: PatchOptions = PatchOptions()) -> PatchResult:
    """Return the patched text and what changed. Raises ComposeSyntaxError or NotACompose."""
    root = parse(text)
    found_services = services(root)
    editor = Editor(text)
    notes: list[str] = []
    authentik: list[str] = []
    users_of: dict[int, list[tuple[str, bool]]] = {}  # mapping node id -> [(service, is authentik)]
    for name, mapping in found_services:
        is_ak = is_authentik(mapping)
        for owner in mapping_chain(mapping):
            users_of.setdefault(id(owner), []).append((name, is_ak))
        if is_ak:
            authentik.append(name)

    seen: set[int] = set()
    for name, mapping in found_services:
        if name in authentik:
            _drop_root_user(editor, name, mapping, users_of, seen, notes)
            rules = ([("docker_socket", _is_socket_mount)] if not options.keep_docker_socket else []) + (
                [("time_mount", _is_time_mount)] if options.drop_time_mounts else [])
            _drop_mounts(editor, name, mapping, seen, rules)
        if options.bind_localhost:
            _bind_ports(editor, name, mapping, seen, notes)
    patched = editor.apply()
    if editor.changes:
        parse(patched)  # a patch that breaks the YAML is a bug here; never hand it out
    return PatchResult(patched, tuple(editor.changes), tuple(notes), tuple(authentik))


def _drop_root_user(editor: Editor, name: str, service: "MappingNode", users_of: dict, seen: set[int], notes: list[str]) -> None:
    found = find(service, "user")
    if found is None:
        return
    owner, key, value = found
    raw = scalar(value)
    if raw is None or not is_root_user(raw) or id(value) in seen:
        return
    others = [s for s, is_ak in users_of.get(id(owner), []) if not is_ak]
    if others:
        notes.append(f"{name}: `user: {raw}` comes from a YAML anchor also used by {', '.join(others)}; left alone")
        return
    seen.add(id(value))
    line = editor.line_of(key.start_mark.index)
    change = Change("user", name, line, editor.line_text(key.start_mark.index).strip(), "")
    if not remove_pair(editor, owner, key, value, change):
        notes.append(f"{name}: `user: {raw}` at line {line} shares its line with other content; remove it by hand")


def _is_socket_mount(entry: "Node") -> bool:
    return any("docker.sock" in part for part in _mount_ends(entry))


def _is_time_mount(entry: "Node") -> bool:
    return any(part.strip() in TIME_FILES for part in _mount_ends(entry))


def _mount_ends(entry: "Node") -> list[str]:
    """The source and target of a volume entry: `src:dst[:mode]`, or the long form's `source:`/`target:`."""
    from yaml.nodes import MappingNode

    if isinstance(entry, MappingNode):
        return [scalar(v) or "" for k, v in entry.value if scalar(k) in ("source", "target")]
    return split_port(scalar(entry) or "")[:2]


def _drop_mounts(editor: Editor, name: str, service: "MappingNode", seen: set[int], rules: list) -> None:
    """Remove the volume entries that a rule (kind, predicate) matches; all of them: the whole `volumes:` key."""
    from yaml.nodes import SequenceNode

    found = find(service, "volumes")
    if not rules or found is None or not isinstance(found[2], SequenceNode):
        return
    owner, key, volumes = found
    drop = [(e, kind) for e in volumes.value if id(e) not in seen for kind, matches in rules if matches(e)]
    if not drop:
        return
    seen.update(id(e) for e, _ in drop)
    if len(drop) == len(volumes.value):  # an empty `volumes:` would be null, which compose rejects
        line, text = editor.line_of(key.start_mark.index), editor.line_text(key.start_mark.index).strip()
        kinds = list(dict.fromkeys(kind for _, kind in drop))
        if remove_pair(editor, owner, key, volumes, Change(kinds[0], name, line, text, "")):
            editor.changes.extend(Change(kind, name, line, text, "") for kind in kinds[1:])
        return
    for entry, kind in drop:
        idx = entry.start_mark.index
        change = Change(kind, name, editor.line_of(idx), editor.line_text(idx).strip(), "")
        if volumes.flow_style:
            remove_flow_item(editor, volumes.value, entry, change)
            continue
        span = editor.remove_lines(idx, end_index(entry), item=True)
        if span is not None:
            editor.add(*span, "", change)


def split_port(spec: str) -> list[str]:
    """Split a short port spec at the colons that are not inside `${...}`."""
    parts, depth, current, i = [], 0, "", 0
    while i < len(spec):
        ch = spec[i]
        if spec.startswith("${", i):
            depth += 1
            current += "${"
            i += 2
            continue
        if ch == "}" and depth:
            depth -= 1
        if ch == ":" and not depth:
            parts.append(current)
            current = ""
        else:
            current += ch
        i += 1
    parts.append(current)
    return parts


def _bind_ports(editor: Editor, name: str, service: "MappingNode", seen: set[int], notes: list[str]) -> None:
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    ports = get(service, "ports")
    if not isinstance(ports, SequenceNode):
        return
    for entry in ports.value:
        if id(entry) in seen:
            continue
        seen.add(id(entry))
        idx = entry.start_mark.index
        before = editor.line_text(idx).strip()
        if isinstance(entry, ScalarNode):
            spec = entry.value
            if spec.startswith("[") or len(split_port(spec)) > 2 or entry.style in ("|", ">"):
                continue  # already has a host address (or is not a short spec)
            insert = "::" if len(split_port(spec)) == 1 else ":"
            at = idx + (1 if entry.style in ('"', "'") else 0)
            line_start, _ = editor.line_bounds(idx)
            after = (editor.source[line_start:at] + LOCALHOST + insert + editor.source[at : editor.line_bounds(idx)[1]]).strip()
            editor.add(at, at, LOCALHOST + insert, Change("port", name, editor.line_of(idx), before, after))
        elif isinstance(entry, MappingNode):
            if any(scalar(k) == "host_ip" for k, _ in entry.value):
                continue
            if entry.flow_style:
                at = entry.end_mark.index - 1  # just before the closing brace
                addition = f", host_ip: {LOCALHOST}"
            else:
                last_end = end_index(entry)
                _, at = editor.line_bounds(max(idx, last_end - 1))
                indent = " " * entry.start_mark.column
                eol = "" if editor.source[:at].endswith("\n") else editor.newline
                addition = f"{eol}{indent}host_ip: {LOCALHOST}{editor.newline}"
            editor.add(at, at, addition, Change("port", name, editor.line_of(idx), before, f"host_ip: {LOCALHOST}"))
        else:
            notes.append(f"{name}: port entry at line {editor.line_of(idx)} not understood; left alone")
