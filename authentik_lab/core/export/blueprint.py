"""`authlab.yaml` as one Authentik blueprint that creates exactly what `authlab apply` creates.

Every entry is keyed on the natural key `apply` uses (group name, username, provider name, application slug,
token identifier), so applying the blueprint where `apply` already ran finds the same objects, and applying it
twice changes nothing. Built-in objects are referenced with `!Find` by their stable keys (flow slug, scope
mapping `managed` key, certificate name), objects of the same blueprint with `!KeyOf`: never database ids.

Markers: groups and users carry `authlab.managed: true` *as an identifier*, applications `meta_publisher:
authlab`. Authentik ANDs the identifiers (a dict is matched with "contains"), so an unmarked object of the same
name is not matched; creating the entry then fails on the unique name and the whole blueprint is rolled back,
the same "conflict, never take over" rule `apply` follows (a provider with `adopt: true` drops the marker from
its application's identifiers, as `apply` then updates and marks it).

Secrets: no password or client secret is ever written. A user whose lab file names `password_env` gets
`password: !Env NAME`, read from the environment of the Authentik worker applying the blueprint; other users
get no password. Client secrets are left to Authentik (the lab file cannot fix one).

The app-facing URLs (redirect URIs, launch URL) are read with `!Context` from the blueprint's `context`, which
holds the lab's values: production overrides them per blueprint instance without editing the file.

Sources: Authentik's blueprint docs and importer (identifier query, `!Find`/`!KeyOf`/`!Env`/`!Context`), the
service-account endpoint (user type/path/attributes, app-password token identifier), FACTS.md §6-8.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from authentik_lab.core.apply_plan import MANAGED_ATTR, PASSWORD_ATTR, SERVICE_ACCOUNT_TYPE
from authentik_lab.core.dialect import Dialect
from authentik_lab.core.export.blueprint_yaml import Tag, context, env, find, key_of
from authentik_lab.core.labfile import LabFile, ProviderSpec
from authentik_lab.core.provider_spec import Desired
from authentik_lab.core.redirects import as_legacy_entry

BLUEPRINT_VERSION = 1
DEFAULT_NAME = "authlab"
MARKER_FIELD = "meta_publisher"  # the application marker `apply` sets (services.apply_providers)
MARKER_VALUE = "authlab"

# models (Authentik's app_label.model_name)
GROUP = "authentik_core.group"
USER = "authentik_core.user"
TOKEN = "authentik_core.token"
PROVIDER = "authentik_providers_oauth2.oauth2provider"
APPLICATION = "authentik_core.application"
FLOW = "authentik_flows.flow"
SCOPE_MAPPING = "authentik_providers_oauth2.scopemapping"
CERTIFICATE = "authentik_crypto.certificatekeypair"

INVALIDATION_FLOW = "default-provider-invalidation-flow"
SELF_SIGNED_CERT = "authentik Self-signed Certificate"
SCOPE_KEY_PREFIX = "goauthentik.io/providers/oauth2/scope-"
# what Authentik's `core/users/service_account/` endpoint gives the account (authentik/core/api/users.py)
SERVICE_ACCOUNT_PATH = "goauthentik.io/service-accounts"
TOKEN_EXPIRING_ATTR = "goauthentik.io/user/token-expires"
APP_PASSWORD_INTENT = "app_password"


@dataclass(frozen=True)
class ProviderInput:
    """A provider of the lab file with its validated desired state (built by services.apply_providers)."""

    spec: ProviderSpec
    desired: Desired


def entry_id(kind: str, name: str) -> str:
    """The `id` of an entry, referenced by `!KeyOf` (kind: group, user, service-account, provider, application)."""
    return f"{kind}-{name}"


def app_password_identifier(username: str) -> str:
    """The identifier Authentik gives a service account's app-password token: slugify('service-account-<name>-password')
    with Django's slugify rules (ASCII, lower case, runs of spaces and dashes to one dash)."""
    text = unicodedata.normalize("NFKD", f"service-account-{username}-password").encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text.lower())
    return re.sub(r"[-\s]+", "-", text).strip("-_")


def context_key(provider: str, what: str) -> str:
    """The `context` key holding a provider's app-facing value (`web.redirect_uris`, `web.launch_url`)."""
    return f"{provider}.{what}"


def build(
    lab: LabFile,
    providers: Sequence[ProviderInput],
    dialect: Dialect,
    *,
    name: str = DEFAULT_NAME,
    passwords: bool = True,
    fingerprints: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The blueprint document (a dict with Tag values; `blueprint_yaml.dump` writes it).

    `passwords=False` leaves `password` out entirely (`apply --blueprint` sets passwords through the API so the
    blueprint stored on the server never depends on the server's environment). `fingerprints` (username ->
    `authlab.password` fingerprint) keeps the attribute `apply` uses to tell a changed password; without it the
    attribute is absent (an exported file must not carry it).
    """
    fingerprints = fingerprints or {}
    groups = {g.name for g in lab.groups}
    entries: list[dict[str, Any]] = []
    for group in lab.groups:
        entries.append({
            "model": GROUP,
            "id": entry_id("group", group.name),
            "identifiers": {"name": group.name, "attributes": {MANAGED_ATTR: True}},
            "attrs": {"is_superuser": False},
        })
    for user in lab.users:
        attributes: dict[str, Any] = {MANAGED_ATTR: True}
        if user.username in fingerprints:
            attributes[PASSWORD_ATTR] = fingerprints[user.username]
        attrs: dict[str, Any] = {
            "name": user.display_name,
            "email": user.email,
            "is_active": True,
            "path": "users",
            "type": "internal",
            "groups": [key_of(entry_id("group", g)) if g in groups else find(GROUP, ("name", g)) for g in sorted(user.groups)],
            "attributes": attributes,
        }
        if passwords and user.password_env:
            attrs["password"] = env(user.password_env)
        entries.append({
            "model": USER,
            "id": entry_id("user", user.username),
            "identifiers": {"username": user.username, "attributes": {MANAGED_ATTR: True}},
            "attrs": attrs,
        })
    for account in lab.service_accounts:
        sa_id = entry_id("service-account", account.name)
        entries.append({
            "model": USER,
            "id": sa_id,
            "identifiers": {"username": account.name, "attributes": {MANAGED_ATTR: True}},
            "attrs": {
                "name": account.name,
                "is_active": True,
                "path": SERVICE_ACCOUNT_PATH,
                "type": SERVICE_ACCOUNT_TYPE,
                "attributes": {TOKEN_EXPIRING_ATTR: False, MANAGED_ATTR: True},
            },
        })
        # the app password `authlab token` uses for the client_credentials grant; its key is left to Authentik
        entries.append({
            "model": TOKEN,
            "id": entry_id("app-password", account.name),
            "identifiers": {"identifier": app_password_identifier(account.name)},
            "attrs": {"intent": APP_PASSWORD_INTENT, "user": key_of(sa_id), "expiring": False},
        })
    values: dict[str, Any] = {}
    for item in providers:
        entries.extend(_provider_entries(item, dialect, values))
    document: dict[str, Any] = {"version": BLUEPRINT_VERSION, "metadata": {"name": name}}
    if values:
        document["context"] = values
    document["entries"] = entries
    return document


def _provider_entries(item: ProviderInput, dialect: Dialect, values: dict[str, Any]) -> list[dict[str, Any]]:
    desired, spec = item.desired, item.spec
    uris_key, launch_key = context_key(desired.name, "redirect_uris"), context_key(desired.name, "launch_url")
    # the release's form: a list of {matching_mode, url}, or the newline-separated text before 2024.12
    uris = desired.redirect_uris
    values[uris_key] = [u.to_api() for u in uris] if dialect.redirect_uris_as_objects else "\n".join(as_legacy_entry(u) for u in uris)
    values[launch_key] = desired.app_url
    attrs: dict[str, Any] = {"authorization_flow": find(FLOW, ("slug", desired.authorization_flow_slug))}
    if dialect.requires_invalidation_flow:
        attrs["invalidation_flow"] = find(FLOW, ("slug", INVALIDATION_FLOW))
    attrs.update({
        "client_type": desired.client_type,
        "redirect_uris": context(uris_key),
        # without a signing key Authentik signs HS256 with the client secret and the JWKS is empty
        "signing_key": find(CERTIFICATE, ("name", SELF_SIGNED_CERT)),
        "property_mappings": [find(SCOPE_MAPPING, ("managed", SCOPE_KEY_PREFIX + s)) for s in desired.mapping_scopes],
        "sub_mode": desired.sub_mode,
        "issuer_mode": desired.issuer_mode,
    })
    if desired.client_id:
        attrs["client_id"] = desired.client_id
    provider_id = entry_id("provider", desired.name)
    app_identifiers: dict[str, Any] = {"slug": desired.slug}
    app_attrs: dict[str, Any] = {"name": desired.name, "provider": key_of(provider_id), "meta_launch_url": context(launch_key)}
    if spec.adopt:
        app_attrs[MARKER_FIELD] = MARKER_VALUE  # take the existing application over and mark it, as `apply` does
    else:
        app_identifiers[MARKER_FIELD] = MARKER_VALUE
    return [
        {"model": PROVIDER, "id": provider_id, "identifiers": {"name": desired.name}, "attrs": attrs},
        {"model": APPLICATION, "id": entry_id("application", desired.slug), "identifiers": app_identifiers, "attrs": app_attrs},
    ]


def tags_in(value: Any) -> list[Tag]:
    """Every Tag inside a document, depth first (tests and validation walk them)."""
    if isinstance(value, Tag):
        return [value, *tags_in(value.value)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in tags_in(v)]
    if isinstance(value, list):
        return [t for v in value for t in tags_in(v)]
    return []
