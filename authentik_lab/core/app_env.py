"""The env variables a preset's app reads, with their values, merged into the app's env file.

Values come from what Authentik reported (client id/secret, setup URLs) so nothing is string-built here
except the issuer *form* a framework wants. Generated app secrets (NEXTAUTH_SECRET, AUTH_SECRET, ...) are
created once and then kept, so re-running never logs users out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from authentik_lab.core import dotenv
from authentik_lab.core.presets import Preset, Source, expand_env_name
from authentik_lab.core.urls import OidcEndpoints, issuer_in_form


@dataclass(frozen=True)
class AppFacts:
    client_id: str
    client_secret: str | None  # None for public clients: no secret variables are written
    endpoints: OidcEndpoints
    app_url: str
    redirect_uri: str
    scopes: tuple[str, ...]
    provider_id: str | None = None
    email_verified: bool = True  # what the provider's email claim says (release_facts: email_verified_default)


def env_values(
    preset: Preset, facts: AppFacts, existing: Mapping[str, str] | None = None, new_secret: Callable[[], str] | None = None
) -> dict[str, str]:
    """name -> value for every variable the preset's app reads, in the preset's order."""
    existing = existing or {}
    ep = facts.endpoints
    by_source: dict[Source, str | None] = {
        Source.CLIENT_ID: facts.client_id,
        Source.CLIENT_SECRET: facts.client_secret,
        Source.ISSUER: issuer_in_form(ep.issuer, preset.issuer_form) if ep.issuer else "",
        Source.ISSUER_EXACT: ep.issuer,
        Source.APP_URL: facts.app_url,
        Source.REDIRECT_URI: facts.redirect_uri,
        Source.DISCOVERY: ep.discovery,
        Source.AUTHORIZE: ep.authorize,
        Source.TOKEN: ep.token,
        Source.USERINFO: ep.userinfo,
        Source.END_SESSION: ep.end_session,
        Source.JWKS: ep.jwks,
        Source.SCOPES: " ".join(facts.scopes),
        Source.SCOPES_COMMA: ",".join(facts.scopes),
    }
    out: dict[str, str] = {}
    for var in preset.env:
        name = expand_env_name(var.name, facts.provider_id or preset.default_provider_id)
        if var.source is Source.LITERAL:
            out[name] = var.literal
        elif var.source is Source.RANDOM_SECRET:
            kept = (existing.get(name) or "").strip()
            if kept:
                out[name] = kept
            elif new_secret is not None:
                out[name] = new_secret()
        else:
            value = by_source[var.source]
            if value is None:
                continue  # public client: no secret to write
            out[name] = value
    if preset.unverified_email_env and not facts.email_verified:
        out[preset.unverified_email_env] = "true"  # else the app refuses every login of this release's users
    return out


def secret_names(preset: Preset, provider_id: str | None = None) -> set[str]:
    return {expand_env_name(v.name, provider_id or preset.default_provider_id) for v in preset.env if v.secret}


def merge_env_text(text: str, values: Mapping[str, str]) -> tuple[str, list[str], list[str]]:
    """(new text, keys added, keys changed): existing lines, comments and order stay as they were."""
    before = dotenv.parse(text, interpolate=False)  # an app's file: its kept secrets are written back as read
    added = [k for k in values if k not in before]
    changed = [k for k in values if k in before and before[k] != values[k]]
    return dotenv.merge(text, dict(values)), added, changed


def redact(secret: str | None) -> str:
    """`abcd…wxyz` for long secrets, `••••` for short ones: enough to tell two apart, not to use one."""
    if not secret:
        return ""
    if len(secret) < 16:
        return "••••"
    return f"{secret[:4]}…{secret[-4:]}"
