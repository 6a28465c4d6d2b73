"""The provider + application authlab wants, the payloads per release dialect, and the pure plan.

`plan(desired, observed, dialect, prereq)` compares only the fields authlab manages, so server defaults
(token validity, logout method, ...) never show up as changes and a second run is all no-ops.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from dataclasses import dataclass, field
from typing import Any

from authentik_lab.core.dialect import Dialect
from authentik_lab.core.presets import Preset, get_preset
from authentik_lab.core.redirects import RedirectUri, as_legacy_entry, check_redirect_uris, check_strict
from authentik_lab.errors import UsageError

SUB_MODES = ("hashed_user_id", "user_id", "user_uuid", "user_username", "user_email", "user_upn")
CONSENT_FLOWS = {
    "implicit": "default-provider-authorization-implicit-consent",
    "explicit": "default-provider-authorization-explicit-consent",
}
BASE_SCOPES = ("openid", "email", "profile")
_SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
SLUG_MAX = 50  # Django SlugField default


# How build_desired names each value in its errors: as the option the user typed (`provider create`) or as the
# key the user wrote in the lab file (`apply`, `up`, `ci`, which prefix the provider's location)
OPTION_NAMES = {"preset": "--preset", "app_url": "--app-url", "redirect_uris": "--redirect-uri", "slug": "--slug", "consent": "--consent",
                "sub_mode": "--sub-mode", "provider_id": "--provider-id", "client_id": "--client-id"}
FILE_KEYS = {key: key for key in OPTION_NAMES}


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")
    return slug[:SLUG_MAX].strip("-")


def check_slug(slug: str, what: str = "application slug") -> str:
    if not slug or not _SLUG.match(slug) or len(slug) > SLUG_MAX:
        raise UsageError(
            f"{what} {slug!r} would be refused by Authentik",
            hint=f"use letters, digits, '-' and '_' only (at most {SLUG_MAX} characters), e.g. --slug my-app",
        )
    return slug


@dataclass(frozen=True)
class Desired:
    name: str
    slug: str
    preset: Preset
    app_url: str
    provider_id: str | None
    redirect_uris: tuple[RedirectUri, ...]
    client_type: str = "confidential"
    consent: str = "implicit"
    offline_access: bool = True
    sub_mode: str = "hashed_user_id"
    client_id: str | None = None
    issuer_mode: str = "per_provider"
    verified_email: bool = False  # attach authlab's email mapping that asserts email_verified (core/email_claims.py)

    @property
    def authorization_flow_slug(self) -> str:
        return CONSENT_FLOWS[self.consent]

    @property
    def mapping_scopes(self) -> tuple[str, ...]:
        return BASE_SCOPES + (("offline_access",) if self.offline_access else ())

    @property
    def app_scopes(self) -> tuple[str, ...]:
        """The scopes the app should request (the preset's, without offline_access when it is not mapped)."""
        return tuple(s for s in self.preset.scopes if self.offline_access or s != "offline_access")


def build_desired(
    name: str,
    preset: str = "generic",
    app_url: str | None = None,
    redirect_uris: list[str] | None = None,
    regex: bool = False,
    slug: str | None = None,
    public: bool = False,
    consent: str = "implicit",
    offline_access: bool = True,
    sub_mode: str = "hashed_user_id",
    provider_id: str | None = None,
    client_id: str | None = None,
    verified_email: bool = False,
    names: dict[str, str] = OPTION_NAMES,
) -> Desired:
    """Validate the CLI options (UsageError before any API call) and derive the full desired state.

    `names` says how errors name each value: OPTION_NAMES (`--app-url`) or FILE_KEYS (`app_url`)."""
    name = (name or "").strip()
    if not name:
        raise UsageError("the provider name is empty", hint="e.g. authlab provider create my-app --preset nextauth")
    chosen = get_preset(preset, names["preset"])
    slug = check_slug(slug if slug is not None else slugify(name), f"{names['slug']}" if slug is not None else "application slug")
    if consent not in CONSENT_FLOWS:
        raise UsageError(f"{names['consent']} {consent!r} is not a consent mode", hint=f"use {names['consent']} implicit or explicit")
    if sub_mode not in SUB_MODES:
        raise UsageError(f"{names['sub_mode']} {sub_mode!r} is not a subject mode", hint=f"choose one of: {', '.join(SUB_MODES)}")
    if provider_id is not None:
        if not chosen.uses_provider_id:
            raise UsageError(f"preset {chosen.name} has no provider id in its callback path ({chosen.callback_path})", hint=f"drop {names['provider_id']}")
        if not re.match(r"^[A-Za-z0-9_.-]+$", provider_id):
            raise UsageError(f"{names['provider_id']} {provider_id!r} is not usable in a URL path", hint="use letters, digits, '.', '-' or '_'")
    if client_id is not None and not re.match(r"^[\x21-\x7e]{1,255}$", client_id):
        raise UsageError(f"{names['client_id']} {client_id!r} must be 1-255 printable characters without spaces", hint="e.g. my-app")
    if app_url is not None:
        base = check_strict(app_url, names["app_url"], example="http://localhost:3000")
    else:
        base = check_strict(chosen.default_app_url)
    if urlsplit(base.url).query:
        raise UsageError(f"{names['app_url']} {app_url!r} must not have a query", hint="give the app's origin, e.g. http://localhost:3000")
    app = base.url.rstrip("/")
    pid = provider_id or chosen.default_provider_id
    extra = check_redirect_uris(list(redirect_uris or []), regex=regex, what=names["redirect_uris"])
    # the generic preset has no real callback path of its own: explicit URIs replace it
    uris = [] if (chosen.name == "generic" and extra) else [RedirectUri(chosen.callback_url(app, pid))]
    uris += [u for u in extra if u not in uris]
    return Desired(
        name=name,
        slug=slug,
        preset=chosen,
        app_url=app,
        provider_id=pid if chosen.uses_provider_id else None,
        redirect_uris=tuple(uris),
        client_type="public" if public else "confidential",
        consent=consent,
        offline_access=offline_access,
        sub_mode=sub_mode,
        client_id=client_id,
        verified_email=verified_email,
    )


# --- payloads ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refs:
    """The pks the payload refers to (see services.authentik_objects.Prerequisites)."""

    authorization_flow: str
    invalidation_flow: str | None
    mappings: dict[str, str]  # scope -> pk
    signing_key: str
    verified_email_mapping: str | None = None  # pk of authlab's email mapping, when the provider asks for it


def redirect_uris_value(uris: tuple[RedirectUri, ...], as_objects: bool) -> Any:
    """The list of {matching_mode, url}, or the newline-separated text of releases before the object form."""
    if as_objects:
        return [u.to_api() for u in uris]
    return "\n".join(as_legacy_entry(u) for u in uris)


def provider_payload(desired: Desired, refs: Refs, dialect: Dialect, objects: bool | None = None) -> dict[str, Any]:
    """The managed fields, shaped for `dialect`; POST sends all of them, PATCH only the changed ones.

    `objects` overrides the redirect_uris form when the server already showed its own (a read beats the table).
    """
    payload: dict[str, Any] = {
        "name": desired.name,
        "authorization_flow": refs.authorization_flow,
        "client_type": desired.client_type,
        "redirect_uris": redirect_uris_value(desired.redirect_uris, dialect.redirect_uris_as_objects if objects is None else objects),
        # without a signing key Authentik signs with HS256 and the client secret: JWKS is empty
        "signing_key": refs.signing_key,
        "property_mappings": [_mapping_pk(s, desired, refs) for s in desired.mapping_scopes],
        "sub_mode": desired.sub_mode,
        "issuer_mode": desired.issuer_mode,
    }
    if dialect.requires_invalidation_flow:
        payload["invalidation_flow"] = refs.invalidation_flow
    if desired.client_id:
        payload["client_id"] = desired.client_id
    return payload


def _mapping_pk(scope: str, desired: Desired, refs: Refs) -> str:
    if scope == "email" and desired.verified_email and refs.verified_email_mapping:
        return refs.verified_email_mapping
    return refs.mappings[scope]


def application_payload(desired: Desired, provider_pk: int) -> dict[str, Any]:
    return {"name": desired.name, "slug": desired.slug, "provider": provider_pk, "meta_launch_url": desired.app_url}


# --- plan ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    object: str  # "provider" | "application"
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Plan:
    provider_action: str  # create | update | unchanged
    application_action: str
    changes: tuple[FieldChange, ...] = ()
    provider_payload: dict[str, Any] = field(default_factory=dict)  # POST body or PATCH body
    application_payload: dict[str, Any] = field(default_factory=dict)  # provider pk filled in at apply

    @property
    def action(self) -> str:
        actions = {self.provider_action, self.application_action}
        if actions == {"unchanged"}:
            return "unchanged"
        return "create" if self.provider_action == "create" else "update"

    @property
    def writes(self) -> int:
        return sum(1 for a in (self.provider_action, self.application_action) if a != "unchanged")


def _norm_redirects(value: Any) -> list[tuple[str, str]]:
    # pre-2024.12 servers store and answer the newline-separated string form
    if isinstance(value, str):
        return sorted(("legacy", line.strip()) for line in value.splitlines() if line.strip())
    return sorted((str(v.get("matching_mode", "strict")), str(v.get("url", ""))) for v in value or [])


def _norm(field_name: str, value: Any) -> Any:
    if field_name == "redirect_uris":
        return _norm_redirects(value)
    if field_name == "property_mappings":
        return sorted(str(v) for v in value or [])
    if value is None:
        return None
    if field_name == "meta_launch_url":
        return str(value).rstrip("/")
    return str(value)


def plan(desired: Desired, observed_provider: dict | None, observed_app: dict | None, dialect: Dialect, refs: Refs) -> Plan:
    """What to do to make Authentik match `desired`. Pure: raises UsageError on a conflict it cannot fix."""
    seen = (observed_provider or {}).get("redirect_uris")
    # the observed value's form is what this server speaks, whatever its release number says
    want = provider_payload(desired, refs, dialect, objects=None if seen is None else not isinstance(seen, str))
    if observed_provider is None:
        provider_action, provider_body = "create", want
        changes: list[FieldChange] = []
    else:
        assigned = observed_provider.get("assigned_application_slug")
        if assigned and assigned != desired.slug:
            raise UsageError(
                f"provider {desired.name!r} already belongs to application {assigned!r}",
                hint=f"pass --slug {assigned} to manage that application, or choose another provider NAME",
            )
        changes = []
        provider_body = {}
        for key, new in want.items():
            old = observed_provider.get(key)
            if _norm(key, old) != _norm(key, new):
                changes.append(FieldChange("provider", key, old, new))
                provider_body[key] = new
        provider_action = "update" if provider_body else "unchanged"

    app_want = application_payload(desired, observed_provider["pk"] if observed_provider else 0)
    if observed_app is None:
        app_action, app_body = "create", app_want
    else:
        bound = observed_app.get("provider")
        if bound is not None and (observed_provider is None or bound != observed_provider.get("pk")):
            raise UsageError(
                f"application slug {desired.slug!r} is already used by another application (provider pk {bound})",
                hint="choose another --slug, or delete that application first",
            )
        app_body = {}
        for key in ("name", "provider", "meta_launch_url"):
            old, new = observed_app.get(key), app_want[key]
            if key == "provider" and observed_provider is None:
                continue  # filled in once the provider exists
            if _norm(key, old) != _norm(key, new):
                changes.append(FieldChange("application", key, old, new))
                app_body[key] = new
        if observed_provider is None:
            app_body["provider"] = 0
            changes.append(FieldChange("application", "provider", bound, "(new provider)"))
        app_action = "update" if app_body else "unchanged"
    return Plan(provider_action, app_action, tuple(changes), provider_body, app_body)
