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


# Volumes earlier authlab templates declared that the current ones do not mount. A re-rendered file keeps them
# declared, so `authlab down --volumes` still removes them; nothing mounts them, so nothing is written there.
RETIRED_VOLUMES = {
    # authlab 0.x mounted `data` at /data for 2025.12+: it only ever held the image's media -> /media symlink
    # (the files themselves went to the container's /media), so mounting `media` at /media loses nothing.
    "data": "an earlier authlab mounted this volume at /data; it only held the image's media symlink",
}


def retired_volumes_block(names: "tuple[str, ...] | list[str]") -> str:
    out = []
    for name in names:
        out.append(f"  # {RETIRED_VOLUMES[name]}; kept declared so `authlab down --volumes` removes it\n")
        out.append(f"  {name}:\n    driver: local\n")
    return "".join(out)


def template_values(settings: "LabSettings", layout: Layout, keep_volumes: "tuple[str, ...]" = ()) -> dict[str, str]:
    return {
        "legacy_volumes": retired_volumes_block([n for n in keep_volumes if n != layout.storage_volume]),
        "version": settings.version,
        "postgres_tag": settings.postgres_tag or layout.postgres_tag,
        "storage_volume": layout.storage_volume,
        "storage_mount": layout.storage_mount,
        "bind": settings.bind,
        "http_port": str(settings.http_port),
        "https_port": str(settings.https_port),
    }


def render_compose(settings: "LabSettings", template_text: str | None = None, previous: str | None = None) -> str:
    """The compose file for `settings`; `template_text` lets tests feed a template without the file system.

    `previous` is the lab's current compose text: volumes it declares that authlab has retired stay declared
    (see RETIRED_VOLUMES), so re-rendering an existing lab never orphans one of its volumes."""
    layout = layout_for(settings.version)
    text = template_text if template_text is not None else load_template(layout.template)
    return fill(text, template_values(settings, layout, declared_retired_volumes(previous)))


def declared_retired_volumes(compose_text: str | None) -> tuple[str, ...]:
    if not compose_text:
        return ()
    import yaml

    try:
        doc = yaml.safe_load(compose_text)
    except yaml.YAMLError:
        return ()
    volumes = doc.get("volumes") if isinstance(doc, dict) else None
    return tuple(n for n in RETIRED_VOLUMES if isinstance(volumes, dict) and n in volumes)
