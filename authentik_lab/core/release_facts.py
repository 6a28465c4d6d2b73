"""Everything authlab knows that depends on the Authentik release: ONE table, release range -> fact, with its source.

Ranges are exact releases (major.minor.patch), half-open: `since` is the first release a row holds for,
`before` the first it no longer does (None: open-ended). Every fact has rows covering every release, without
overlap (tests/unit/test_release_facts.py proves it), so `value(fact, version)` always has one answer.
Readers go through `core.dialect.Dialect` (API shapes, login behaviour) or `core.templates.layout_for`
(compose files); nothing else in authlab compares release numbers.

Sources name where a fact comes from: an upstream change, a doc, a schema file or capture in
../shared/authentik (FACTS.md §N), or an issue filed against authlab. Where a boundary is not documented the
source says so, and authlab then also accepts the other form when reading (see each reader).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Version = tuple[int, int, int]

_VERSION = re.compile(r"^\s*v?(\d{4})\.(\d{1,2})(?:\.(\d+))?")


def parse_version(text: str) -> Version:
    """'2024.10.5' (or 'v2024.10', '2024.10.5-rc1') -> (2024, 10, 5); ValueError for anything else."""
    m = _VERSION.match(text or "")
    if not m:
        raise ValueError(f"not an Authentik release number: {text!r} (expected YYYY.M[.P], e.g. 2026.5.6)")
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def label(version: Version) -> str:
    return ".".join(str(p) for p in version)


@dataclass(frozen=True)
class Row:
    """One line of the table: `fact` has `value` on releases in [since, before)."""

    fact: str
    since: Version | None
    before: Version | None
    value: Any
    source: str

    def covers(self, version: Version) -> bool:
        return (self.since is None or version >= self.since) and (self.before is None or version < self.before)

    @property
    def releases(self) -> str:
        """Human form of the range: 'before 2024.8.5', '2024.8.5 up to 2024.9.0 (excluded)', '2024.12.0+'."""
        if self.since is None and self.before is None:
            return "every release"
        if self.since is None:
            return f"before {label(self.before)}"  # type: ignore[arg-type]
        if self.before is None:
            return f"{label(self.since)}+"
        return f"{label(self.since)} up to {label(self.before)} (excluded)"


# --- sources --------------------------------------------------------------------------------------

CVE_2024_52289 = (
    "upstream 'security: fix CVE 2024 52289' (redirect URIs become [{matching_mode, url}]), shipped in 2024.8.5, "
    "2024.10.3 and 2024.12.0 (issue 16; schema-2024.10.0.yml shows the string form of 2024.10.0-2024.10.2, "
    "schema-2024.12.0.yml the list)"
)
LEGACY_REGEX = (
    "upstream authorize view before the CVE-2024-52289 fix: every line of the newline-separated field is a full-match "
    "regular expression, compared literally only when it does not compile (issue 9 §3)"
)
INVALIDATION = "schema-2024.10.0.yml: invalidation_flow required (absent in 2024.8.x), flow default-provider-invalidation-flow (FACTS §6, §8)"
SCOPE_PATH = "schema-2024.6.0.yml vs schema-2024.10.0.yml: scope mappings moved to propertymappings/provider/scope/ in 2024.8 (FACTS §7)"
JWKS_RENAME = "schema-2024.10.0.yml (jwks_sources) vs schema-2024.12.0.yml (jwt_federation_sources + jwt_federation_providers) (FACTS §6)"
OFFLINE_CONSENT = (
    "upstream OAuth2 authorize parameters: requesting offline_access adds prompt=consent, so an always-required consent "
    "stage is appended even to the implicit-consent flow; from 2025.4 the flow decides (issue 9 §3; FACTS §7, issue #8660)"
)
EMAIL_VERIFIED = "release notes 2025.10: the default email scope mapping returns email_verified false, true before (FACTS §5)"
STORAGE = "release notes 2025.12 and docker-compose-2026.2.0.yml: ./data:/data replaces ./media:/media (FACTS §4, §5)"
REDIS = (
    "docker-compose-2025.2.4.yml (redis service) vs docker-compose-2025.10.1.yml (none); release notes 2025.10: "
    "'authentik no longer uses Redis at all', tasks left Redis in 2025.8 (FACTS §5)"
)
POSTGRES = "docker-compose-2024.2.1.yml (postgres:12-alpine) vs docker-compose-2025.2.4.yml (16-alpine); the switch came with 2024.6"
DEFAULT_FLOW_VIEW = (
    "issue 16 (a real 2024.10.5): an anonymous authorize redirects to /flows/-/default/authentication/?next=..., which "
    "redirects to /if/flow/default-authentication-flow/?next=...; capture 059 (2026.2.2) goes straight to /if/flow/. "
    "The first release with the direct form is not documented: assumed 2025.2 (the first 2025 release)"
)
KEY_TYPE = (
    "schema-2025.10.4.yml (CertificateKeyPair.private_key_type) vs schema-2026.2.2.yml (key_type: rsa|ec|...). "
    "No 2025.12 schema is at hand: assumed 2026.2, and readers accept either field"
)

_OBJECT_FORM = ((None, (2024, 8, 5), False), ((2024, 8, 5), (2024, 9, 0), True), ((2024, 9, 0), (2024, 10, 3), False),
                ((2024, 10, 3), (2024, 11, 0), True), ((2024, 11, 0), (2024, 12, 0), False), ((2024, 12, 0), None, True))


def _split(fact: str, at: Version, old: Any, new: Any, source: str) -> tuple[Row, Row]:
    return Row(fact, None, at, old, source), Row(fact, at, None, new, source)


# --- the table ------------------------------------------------------------------------------------

FACTS: dict[str, str] = {
    "redirect_uris_form": "shape of an OAuth2 provider's redirect_uris: 'objects' ([{matching_mode, url}]) or 'string' (newline-separated)",
    "legacy_regex_redirects": "every redirect URI line is matched as a full regular expression (the string form's matching)",
    "invalidation_flow_required": "an OAuth2 provider needs invalidation_flow (flow default-provider-invalidation-flow exists)",
    "scope_mapping_path": "API path of the scope mappings, under /api/v3/",
    "jwks_field": "provider field naming the sources whose JWTs are accepted",
    "offline_access_adds_consent": "requesting offline_access appends an always-required consent stage, even on the implicit-consent flow",
    "email_verified_default": "what the default email scope mapping says in email_verified",
    "storage_mount": "where the official compose file mounts uploaded files in the server and worker",
    "redis": "the release needs a Redis service (the official compose file has one)",
    "postgres_tag": "the PostgreSQL image tag of the official compose file",
    "anonymous_authorize_redirect": "where authorize sends a browser without a session: 'default-flow-view' (/flows/-/default/authentication/) or 'flow-interface' (/if/flow/<slug>/)",
    "certificate_key_type_field": "the certificate key pair field naming the key's algorithm",
}

TABLE: tuple[Row, ...] = (
    *(Row("redirect_uris_form", lo, hi, "objects" if obj else "string", CVE_2024_52289) for lo, hi, obj in _OBJECT_FORM),
    *(Row("legacy_regex_redirects", lo, hi, not obj, LEGACY_REGEX) for lo, hi, obj in _OBJECT_FORM),
    *_split("invalidation_flow_required", (2024, 10, 0), False, True, INVALIDATION),
    *_split("scope_mapping_path", (2024, 8, 0), "propertymappings/scope/", "propertymappings/provider/scope/", SCOPE_PATH),
    *_split("jwks_field", (2024, 12, 0), "jwks_sources", "jwt_federation_sources", JWKS_RENAME),
    *_split("offline_access_adds_consent", (2025, 4, 0), True, False, OFFLINE_CONSENT),
    *_split("email_verified_default", (2025, 10, 0), True, False, EMAIL_VERIFIED),
    *_split("storage_mount", (2025, 12, 0), "/media", "/data", STORAGE),
    *_split("redis", (2025, 10, 0), True, False, REDIS),
    *_split("postgres_tag", (2024, 6, 0), "12-alpine", "16-alpine", POSTGRES),
    *_split("anonymous_authorize_redirect", (2025, 2, 0), "default-flow-view", "flow-interface", DEFAULT_FLOW_VIEW),
    *_split("certificate_key_type_field", (2026, 2, 0), "private_key_type", "key_type", KEY_TYPE),
)


def rows(fact: str) -> tuple[Row, ...]:
    """The rows of one fact, oldest first; KeyError for a fact the table does not know."""
    if fact not in FACTS:
        raise KeyError(f"no release fact {fact!r}")
    return tuple(sorted((r for r in TABLE if r.fact == fact), key=lambda r: r.since or (0, 0, 0)))


def lookup(fact: str, version: Version) -> Row:
    """The row of `fact` that covers `version` (the table covers every release, so there is always one)."""
    for row in rows(fact):
        if row.covers(version):
            return row
    raise LookupError(f"release fact {fact!r} has no row for {label(version)}")  # pragma: no cover - tested complete


def value(fact: str, version: Version) -> Any:
    return lookup(fact, version).value


def as_records() -> list[dict[str, Any]]:
    """The table as plain data (for `--json` outputs and the README), grouped by fact."""
    return [
        {"fact": r.fact, "releases": r.releases, "value": r.value, "source": r.source, "meaning": FACTS[r.fact]}
        for fact in FACTS for r in rows(fact)
    ]
