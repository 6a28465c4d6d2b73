"""Read a compose file as PyYAML's node graph: every node knows where it starts and ends in the text.

Shared by `compose_patch` (which edits the text at those places) and anything else that needs to find
Authentik's services in a user's compose file. Merge keys (`<<: *anchor`) are followed the way YAML
resolves them, so a `user:` inherited from an anchor is found where it is written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from yaml.nodes import MappingNode, Node

MERGE_TAG = "tag:yaml.org,2002:merge"


class ComposeSyntaxError(ValueError):
    """Invalid YAML; line and column are 1-based."""

    def __init__(self, message: str, line: int | None, column: int | None) -> None:
        super().__init__(message)
        self.line = line
        self.column = column


class NotACompose(ValueError):
    pass


def parse(text: str) -> "Node | None":
    import yaml

    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise ComposeSyntaxError(problem, mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise ComposeSyntaxError(str(exc).splitlines()[0] if str(exc) else "invalid YAML", None, None) from None


def services(root: "Node | None") -> list[tuple[str, "MappingNode"]]:
    from yaml.nodes import MappingNode

    if not isinstance(root, MappingNode):
        raise NotACompose("the file is not a compose file: its top level is not a mapping")
    node = get(root, "services")
    if not isinstance(node, MappingNode):
        raise NotACompose("the file is not a compose file: it has no `services` mapping")
    return [(k.value, v) for k, v in node.value if isinstance(v, MappingNode)]


def mapping_chain(mapping: "MappingNode") -> Iterator["MappingNode"]:
    """The mapping itself, then what it merges with `<<: *anchor` (in YAML's precedence order)."""
    from yaml.nodes import MappingNode, SequenceNode

    yield mapping
    for key, value in mapping.value:
        if key.tag == MERGE_TAG:
            merged = value.value if isinstance(value, SequenceNode) else [value]
            for item in merged:
                if isinstance(item, MappingNode):
                    yield from mapping_chain(item)


def find(mapping: "MappingNode", key: str) -> tuple["MappingNode", "Node", "Node"] | None:
    """(owning mapping, key node, value node) of `key`, following merge keys like YAML does."""
    for owner in mapping_chain(mapping):
        for k, v in owner.value:
            if k.tag != MERGE_TAG and getattr(k, "value", None) == key:
                return owner, k, v
    return None


def get(mapping: "MappingNode", key: str) -> "Node | None":
    found = find(mapping, key)
    return found[2] if found else None


def scalar(node: "Node | None") -> str | None:
    from yaml.nodes import ScalarNode

    return node.value if isinstance(node, ScalarNode) else None


def is_authentik(service: "MappingNode") -> bool:
    """Authentik's server/worker: the goauthentik image, or a custom image run with `server`/`worker` that
    mentions authentik (image name or AUTHENTIK_* settings). A bare `command: worker` is not enough: plenty
    of apps have a worker service of their own, and their `user:` is none of our business."""
    from yaml.nodes import MappingNode, SequenceNode

    image = (scalar(get(service, "image")) or "").lower()
    if "goauthentik" in image or "beryju/authentik" in image:
        return True
    command = get(service, "command")
    first = scalar(command.value[0]) if isinstance(command, SequenceNode) and command.value else scalar(command)
    if (first or "").split()[:1] not in (["server"], ["worker"]):
        return False
    env = get(service, "environment")
    names: list[str] = []
    if isinstance(env, MappingNode):
        names = [scalar(k) or "" for k, _ in env.value]
    elif isinstance(env, SequenceNode):
        names = [(scalar(item) or "").split("=", 1)[0] for item in env.value]
    return "authentik" in image or any(n.startswith("AUTHENTIK_") for n in names)
