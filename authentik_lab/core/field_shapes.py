"""The safety net for provider fields whose shape changed across releases: read the server's field error,
build the other shape once.

The release-facts table (core/release_facts.py) picks the shape up front; this only matters when the server's
release number and its behaviour disagree (a patched build, a backport). Fields authlab writes, and how
their shape changed:

| field | change | releases (release_facts) |
|---|---|---|
| `redirect_uris` | newline-separated string -> list of `{matching_mode, url}` | objects from 2024.8.5, 2024.10.3, 2024.12.0 |
| `invalidation_flow` | absent -> required | 2024.10.0+ |
| `property_mappings` | same field name throughout; the scope mappings it names moved from `propertymappings/scope/` to `propertymappings/provider/scope/` (a read: retried on 404) | 2024.8.0 |

Error texts are Django REST framework's (captures 026 for the list form; schema-2024.10.0.yml plus DRF's
CharField for the string form; "This field is required." everywhere).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from authentik_lab.core.redirects import RedirectUri, as_legacy_entry

EXPECTED_LIST = "Expected a list of items"  # DRF ListSerializer given a string (object-form releases)
NOT_A_STRING = "Not a valid string"  # DRF CharField given a list (string-form releases)
REQUIRED = "This field is required"


@dataclass(frozen=True)
class Reshape:
    field: str
    payload: dict[str, Any]
    note: str  # what was retried and why, shown with -v


def error_texts(value: Any) -> list[str]:
    """Every message inside one field's DRF error value (a list, a dict of lists, nested per item)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in error_texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in error_texts(v)]
    return []


def _mentions(errors: dict, field: str, text: str) -> bool:
    return any(text in t for t in error_texts(errors.get(field)))


def reshape(
    errors: Any, payload: dict[str, Any], uris: tuple[RedirectUri, ...], invalidation_flow: Callable[[], str | None]
) -> Reshape | None:
    """The payload in the other shape for the first field whose error says its shape is wrong; None otherwise.

    `invalidation_flow` returns the pk of default-provider-invalidation-flow (looked up only when needed).
    """
    if not isinstance(errors, dict):
        return None
    if "redirect_uris" in payload:
        if _mentions(errors, "redirect_uris", EXPECTED_LIST):
            fixed = {**payload, "redirect_uris": [u.to_api() for u in uris]}
            return Reshape("redirect_uris", fixed, "the server wants redirect_uris as a list of {matching_mode, url} "
                           "(the CVE-2024-52289 form): sent again in that form")
        if _mentions(errors, "redirect_uris", NOT_A_STRING):
            fixed = {**payload, "redirect_uris": "\n".join(as_legacy_entry(u) for u in uris)}
            return Reshape("redirect_uris", fixed, "the server wants redirect_uris as newline-separated text "
                           "(each line a regex): sent again in that form")
    if "invalidation_flow" not in payload and _mentions(errors, "invalidation_flow", REQUIRED):
        pk = invalidation_flow()
        if pk:
            return Reshape("invalidation_flow", {**payload, "invalidation_flow": pk},
                           "the server requires invalidation_flow: sent again with default-provider-invalidation-flow")
    return None
