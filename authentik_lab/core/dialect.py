"""What differs in Authentik's API between releases, derived from the release number alone.

Sources: the OpenAPI schemas per release and the release notes (see FACTS.md §6-7).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(r"^\s*v?(\d{4})\.(\d{1,2})(?:\.(\d+))?")

# The oldest release authlab speaks to; older servers get a clear error instead of odd 400s.
MIN_SUPPORTED = (2024, 2, 0)


def parse_version(text: str) -> tuple[int, int, int]:
    m = _VERSION.match(text or "")
    if not m:
        raise ValueError(f"not an Authentik release number: {text!r} (expected YYYY.M[.P], e.g. 2026.5.6)")
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


@dataclass(frozen=True)
class Dialect:
    version: tuple[int, int, int]

    @classmethod
    def for_version(cls, text: str) -> "Dialect":
        return cls(parse_version(text))

    @property
    def label(self) -> str:
        return ".".join(str(p) for p in self.version)

    @property
    def supported(self) -> bool:
        return self.version >= MIN_SUPPORTED

    @property
    def scope_mapping_path(self) -> str:
        # moved under propertymappings/provider/ in 2024.8
        return "propertymappings/provider/scope/" if self.version >= (2024, 8, 0) else "propertymappings/scope/"

    @property
    def requires_invalidation_flow(self) -> bool:
        return self.version >= (2024, 10, 0)

    @property
    def redirect_uris_as_objects(self) -> bool:
        # 2024.12 replaced the newline-separated string with [{matching_mode, url}]
        return self.version >= (2024, 12, 0)

    @property
    def has_redis(self) -> bool:
        return self.version < (2025, 10, 0)

    @property
    def data_mount(self) -> str:
        # 2025.12 moved ./media:/media to ./data:/data
        return "/data" if self.version >= (2025, 12, 0) else "/media"
