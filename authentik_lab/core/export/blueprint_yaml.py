"""Authentik blueprint YAML: the custom tags (`!Find`, `!KeyOf`, `!Env`, `!Context`) as values, and a dumper and
loader that round-trip them.

A tag is a plain frozen value, `Tag(name, value)`: `value` is the scalar (`!KeyOf provider-web`) or the list
(`!Find [authentik_flows.flow, [slug, default-provider-invalidation-flow]]`) written after it. Lists may hold
tags themselves (`!Context [key, !Env NAME]`). The tag names and their argument forms are Authentik's
(blueprints docs, "YAML tags"); only these four are written and read here, any other tag is a YAML error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

TAGS = ("Find", "KeyOf", "Env", "Context")


@dataclass(frozen=True, eq=True)
class Tag:
    name: str  # one of TAGS
    value: Any  # str for the scalar form, list for the sequence form

    __hash__ = None  # type: ignore[assignment]  # a list value is not hashable


def find(model: str, *conditions: tuple[str, Any]) -> Tag:
    """`!Find [model, [field, value], ...]`: the pk of the first object matching every condition (None if none)."""
    return Tag("Find", [model, *[[f, v] for f, v in conditions]])


def key_of(entry_id: str) -> Tag:
    """`!KeyOf id`: the pk of the object made by the entry with that `id` in the same blueprint."""
    return Tag("KeyOf", entry_id)


def env(name: str) -> Tag:
    """`!Env NAME`: the variable from the environment of the Authentik process applying the blueprint (None if unset)."""
    return Tag("Env", name)


def context(key: str, default: Any = None) -> Tag:
    """`!Context key`: a value from the blueprint's `context` (overridable per blueprint instance)."""
    return Tag("Context", key if default is None else [key, default])


class BlueprintDumper(yaml.SafeDumper):
    """SafeDumper that writes Tag values as Authentik's tags and never emits anchors/aliases."""

    def ignore_aliases(self, data: Any) -> bool:  # noqa: ARG002 - repeated values stay readable inline
        return True

    def choose_scalar_style(self) -> str:
        # `!KeyOf provider-web` rather than `!KeyOf 'provider-web'`: the tag fixes the type, so a plain scalar is
        # unambiguous (it is how Authentik's own blueprints are written)
        event = self.event
        if getattr(event, "tag", None) and event.tag[1:] in TAGS and not event.style:
            if self.analysis is None:
                self.analysis = self.analyze_scalar(event.value)
            plain_ok = self.analysis.allow_flow_plain if self.flow_level else self.analysis.allow_block_plain
            if plain_ok and not self.analysis.empty and not self.analysis.multiline:
                return ""
        return super().choose_scalar_style()


def _represent_tag(dumper: yaml.SafeDumper, tag: Tag) -> yaml.Node:
    if isinstance(tag.value, list):
        return dumper.represent_sequence(f"!{tag.name}", tag.value, flow_style=True)
    return dumper.represent_scalar(f"!{tag.name}", str(tag.value))


BlueprintDumper.add_representer(Tag, _represent_tag)


class BlueprintLoader(yaml.SafeLoader):
    """SafeLoader that reads the four tags back into Tag values (unknown tags stay errors)."""


def _construct(name: str):
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> Tag:
        if isinstance(node, yaml.SequenceNode):
            return Tag(name, loader.construct_sequence(node, deep=True))
        if isinstance(node, yaml.ScalarNode):
            return Tag(name, loader.construct_scalar(node))
        raise yaml.constructor.ConstructorError(None, None, f"!{name} takes a value or a list, not a mapping", node.start_mark)

    return construct


for _name in TAGS:
    BlueprintLoader.add_constructor(f"!{_name}", _construct(_name))


def dump(document: Any) -> str:
    """Block-style YAML in the document's key order, tags written as tags."""
    return yaml.dump(document, Dumper=BlueprintDumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)


def load(text: str) -> Any:
    """Parse blueprint YAML; tags come back as Tag values."""
    return yaml.load(text, Loader=BlueprintLoader)  # noqa: S506 - a SafeLoader subclass
