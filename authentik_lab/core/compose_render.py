"""Fill one of authlab's compose templates with a lab's settings.

The templates are compose files with `[[name]]` placeholders. A custom marker rather than
`string.Template` because compose files are full of `${VAR}` and `$$`, which must pass through untouched.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from authentik_lab.core.templates import Layout, layout_for, load_template

if TYPE_CHECKING:
    from authentik_lab.core.lab_config import LabSettings

_PLACEHOLDER = re.compile(r"\[\[([a-z_]+)\]\]")


def fill(template: str, values: dict[str, str]) -> str:
    """Replace every `[[name]]`; an unknown name is a bug in a template, so it raises instead of leaking through."""

    def replace(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in values:
            raise KeyError(f"template placeholder [[{name}]] has no value")
        return values[name]

    return _PLACEHOLDER.sub(replace, template)


def template_values(settings: "LabSettings", layout: Layout) -> dict[str, str]:
    return {
        "version": settings.version,
        "postgres_tag": settings.postgres_tag or layout.postgres_tag,
        "storage_volume": layout.storage_volume,
        "storage_mount": layout.storage_mount,
        "bind": settings.bind,
        "http_port": str(settings.http_port),
        "https_port": str(settings.https_port),
    }


def render_compose(settings: "LabSettings", template_text: str | None = None) -> str:
    """The compose file for `settings`; `template_text` lets tests feed a template without the file system."""
    layout = layout_for(settings.version)
    text = template_text if template_text is not None else load_template(layout.template)
    return fill(text, template_values(settings, layout))
