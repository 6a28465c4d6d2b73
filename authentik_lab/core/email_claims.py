"""`email_verified` in a lab: the managed opt-in mapping that asserts it, and the doctor check of its trap.

From 2025.10 Authentik's default `email` scope mapping says `"email_verified": false` (release_facts:
email_verified_default). oauth2-proxy then refuses every login ("email in id_token isn't verified") unless
OAUTH2_PROXY_INSECURE_OIDC_ALLOW_UNVERIFIED_EMAIL=true, and other clients may treat the address as unverified.
A lab's users are test users whose addresses nobody verifies, so authlab offers, per provider and opt-in
(`--verified-email`, lab file `verified_email: true`), a scope mapping of its own for the `email` scope
that says `true`; it replaces the default email mapping on that provider only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from authentik_lab.core.checks import Message, Outcome, Skip, from_messages

MAPPING_NAME = "authlab: email (verified, lab test users)"
SCOPE = "email"
# Authentik runs a scope mapping's expression as the body of a Python function with `request` in scope
EXPRESSION = 'return {"email": request.user.email, "email_verified": True}'
DESCRIPTION = "Email address (asserted verified: lab test users)"
DEFAULT_EMAIL_KEY = "goauthentik.io/providers/oauth2/scope-email"


def mapping_payload() -> dict[str, str]:
    """POST body for the scope mapping path of the release (release_facts: scope_mapping_path)."""
    return {"name": MAPPING_NAME, "scope_name": SCOPE, "expression": EXPRESSION, "description": DESCRIPTION}


def email_mode(provider: Mapping[str, Any], mappings: Mapping[str, Mapping[str, Any]]) -> str:
    """'verified' (authlab's mapping), 'default' (Authentik's), 'other' or 'none': what the provider's email claim says."""
    attached = [mappings.get(str(pk)) or {} for pk in provider.get("property_mappings") or []]
    if any(m.get("name") == MAPPING_NAME for m in attached):
        return "verified"
    if any(m.get("managed") == DEFAULT_EMAIL_KEY for m in attached):
        return "default"
    if any(m.get("scope_name") == SCOPE for m in attached):
        return "other"
    return "none"


@dataclass(frozen=True)
class UnverifiedEmailApp:
    """One app env file of a framework that refuses unverified emails, and the provider it names."""

    path: str
    flag: str  # the framework's "accept unverified" variable, e.g. OAUTH2_PROXY_INSECURE_OIDC_ALLOW_UNVERIFIED_EMAIL
    flag_value: str | None  # None: not set in the file
    provider: str | None  # provider name found by client id, None when no provider has that client id
    email_mode: str  # email_mode() of that provider ("none" when unknown)


def check_unverified_email(apps: Sequence[UnverifiedEmailApp], release: str | None, verified_by_default: bool | None) -> Outcome:
    """Fail when the release says email_verified false, the app refuses that, and neither side was told."""
    if not apps:
        raise Skip("no app env file of a framework that requires verified emails (oauth2-proxy)")
    if verified_by_default is None:
        raise Skip("the server's release is unknown (see http.token)")
    messages: list[Message] = []
    evidence: list[str] = []
    for app in apps:
        who = f"provider {app.provider}" if app.provider else "its provider"
        evidence.append(f"{app.path}: {app.flag}={app.flag_value or '(unset)'}; {who} email mapping: {app.email_mode}")
        if (app.flag_value or "").strip().lower() == "true" or app.email_mode == "verified":
            continue
        if verified_by_default and app.email_mode == "default":
            continue
        why = (f"Authentik {release} (2025.10+) sends email_verified false from the default email mapping"
               if app.email_mode == "default" else f"{who} does not assert email_verified ({app.email_mode} email mapping)")
        name = app.provider or "NAME"
        messages.append(Message("fail", f"{app.path}: the app refuses every login (\"email in id_token isn't verified\"): {why}",
                                f"add {app.flag}=true to {app.path}, or assert verified emails for the lab's test users: "
                                f"`authlab provider create {name} --preset oauth2-proxy --verified-email`"))
    return from_messages(messages, "apps that require verified emails get them, or accept unverified ones", evidence)
