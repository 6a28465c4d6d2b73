"""Facts for the `app.email-verified` check: which app env files belong to a framework that refuses unverified
emails, which provider each names (by client id), and what that provider's email claim says.

The judgement is core.email_claims.check_unverified_email; the release fact is email_verified_default.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from authentik_lab.core.email_claims import UnverifiedEmailApp, email_mode

if TYPE_CHECKING:
    from authentik_lab.services.doctor.facts import Facts


def unverified_email_apps(f: "Facts") -> list[UnverifiedEmailApp]:
    from authentik_lab.core.presets import PRESETS, Source, expand_env_name
    from authentik_lab.services.doctor import gather as g
    from authentik_lab.services.authentik_objects import scope_mappings

    strict = [p for p in PRESETS.values() if p.unverified_email_env]
    found: list[tuple[object, str, str | None]] = []
    for file in f.app_env_files():
        for preset in strict:
            id_vars = {expand_env_name(v.name, preset.default_provider_id) for v in preset.env if v.source is Source.CLIENT_ID}
            client_id = next((file.lines[k][1].strip() for k in id_vars if k in file.lines), None)
            if client_id is not None:
                flag = preset.unverified_email_env or ""
                found.append((file, flag, client_id))
    if not found:
        return []
    providers = {str(p.get("client_id")): p for p in g.all_providers(f)}
    mappings = {str(m["pk"]): m for m in f.once("scope_mappings", lambda: scope_mappings(f.require_api(), g.dialect(f)))}
    out = []
    for file, flag, client_id in found:
        provider = providers.get(client_id or "")
        value = file.lines.get(flag, (0, None))[1]  # type: ignore[attr-defined]
        out.append(UnverifiedEmailApp(file.path, flag, value, provider.get("name") if provider else None,  # type: ignore[attr-defined]
                                      email_mode(provider, mappings) if provider else "none"))
    return out


def release(f: "Facts") -> tuple[str | None, bool | None]:
    """(release label, what its default email mapping says in email_verified)."""
    from authentik_lab.services.doctor import gather as g

    d = g.dialect(f)
    return d.label, d.email_verified_default
