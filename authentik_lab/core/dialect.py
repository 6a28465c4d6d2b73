"""What one Authentik release speaks and does, read from the release-facts table (core/release_facts.py).

`Dialect.for_version("2024.10.5")` answers by exact release (major.minor.patch): 2024.10.5 has the object
form of redirect_uris while 2024.10.2 has the string form. Each property names its fact; `source(fact)`
says where the fact comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authentik_lab.core import release_facts as rf
from authentik_lab.core.release_facts import Version, parse_version

__all__ = ["MIN_SUPPORTED", "Dialect", "parse_version"]

# The oldest release authlab speaks to; older servers get a clear error instead of odd 400s.
MIN_SUPPORTED: Version = (2024, 2, 0)


@dataclass(frozen=True)
class Dialect:
    version: Version

    @classmethod
    def for_version(cls, text: str) -> "Dialect":
        """ValueError when `text` is not a release number."""
        return cls(parse_version(text))

    def fact(self, name: str) -> Any:
        return rf.value(name, self.version)

    def source(self, name: str) -> str:
        return rf.lookup(name, self.version).source

    @property
    def label(self) -> str:
        return rf.label(self.version)

    @property
    def supported(self) -> bool:
        return self.version >= MIN_SUPPORTED

    # --- the provider API ------------------------------------------------------------------------

    @property
    def scope_mapping_path(self) -> str:
        return str(self.fact("scope_mapping_path"))

    @property
    def other_scope_mapping_path(self) -> str:
        """The path of the releases on the other side of the 2024.8 move (the read fallback)."""
        return next(str(r.value) for r in rf.rows("scope_mapping_path") if r.value != self.scope_mapping_path)

    @property
    def requires_invalidation_flow(self) -> bool:
        return bool(self.fact("invalidation_flow_required"))

    @property
    def redirect_uris_as_objects(self) -> bool:
        return self.fact("redirect_uris_form") == "objects"

    @property
    def legacy_regex_redirects(self) -> bool:
        return bool(self.fact("legacy_regex_redirects"))

    @property
    def jwks_field(self) -> str:
        return str(self.fact("jwks_field"))

    @property
    def certificate_key_type_field(self) -> str:
        return str(self.fact("certificate_key_type_field"))

    # --- login behaviour -------------------------------------------------------------------------

    @property
    def offline_access_adds_consent(self) -> bool:
        return bool(self.fact("offline_access_adds_consent"))

    @property
    def email_verified_default(self) -> bool:
        return bool(self.fact("email_verified_default"))

    @property
    def anonymous_authorize_redirect(self) -> str:
        return str(self.fact("anonymous_authorize_redirect"))

    # --- the compose file ------------------------------------------------------------------------

    @property
    def has_redis(self) -> bool:
        return bool(self.fact("redis"))

    @property
    def data_mount(self) -> str:
        return str(self.fact("storage_mount"))

    @property
    def postgres_tag(self) -> str:
        return str(self.fact("postgres_tag"))
