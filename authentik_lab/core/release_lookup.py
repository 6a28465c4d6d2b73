"""Authentik-release facts that doctor's compose checks need, read through one function each.

Today the answers come from core.dialect (release number -> behaviour, sources in FACTS.md §5); the one
release-facts table being built (issue 16) will be the single source, and only these functions change then.
"""

from __future__ import annotations


def storage_target(release: str | None) -> str | None:
    """Where an Authentik release keeps uploaded files in the container: `/media` before 2025.12, `/data` from it
    (FACTS.md §5, release notes 2025.12: "move ./media to ./data"). None when `release` is no release number
    (a `latest` tag, a digest, a custom image)."""
    from authentik_lab.core.dialect import Dialect

    try:
        return Dialect.for_version(release or "").data_mount
    except ValueError:
        return None
