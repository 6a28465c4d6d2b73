"""The stand-in's whole state as one JSON-serialisable dict, plus bootstrap and the worker's objects."""

from __future__ import annotations

import json
import os
import tempfile

from . import crypto
from .util import Clock, Dialect, log, new_uuid

SCHEMA = 1

# managed key, scope_name, name, description, claims (name -> source)
SCOPE_MAPPINGS = [
    ("goauthentik.io/providers/oauth2/scope-email", "email", "authentik default OAuth Mapping: OpenID 'email'", "Email address", ["email", "email_verified"]),
    ("goauthentik.io/providers/oauth2/scope-profile", "profile", "authentik default OAuth Mapping: OpenID 'profile'", "General Profile Information", ["name", "given_name", "preferred_username", "nickname", "groups"]),
    ("goauthentik.io/providers/oauth2/scope-offline_access", "offline_access", "authentik default OAuth Mapping: OpenID 'offline_access'", "Access to request new tokens without interaction", []),
    ("goauthentik.io/providers/oauth2/scope-openid", "openid", "authentik default OAuth Mapping: OpenID 'openid'", "", []),
    ("goauthentik.io/providers/proxy/scope-proxy", "ak_proxy", "authentik default OAuth Mapping: Proxy outpost", "authentik Proxy - User information", ["ak_proxy"]),
    ("goauthentik.io/providers/oauth2/scope-entitlements", "entitlements", "authentik default OAuth Mapping: Application Entitlements", "Application entitlements", ["entitlements", "roles"]),
    ("goauthentik.io/providers/oauth2/scope-authentik_api", "goauthentik.io/api", "authentik default OAuth Mapping: authentik API access", "authentik API Access on behalf of your user", []),
]

# slug, name, title, designation, authentication, number of stages
FLOWS = [
    ("default-authentication-flow", "Welcome to authentik!", "Welcome to authentik!", "authentication", "none", 3),
    ("default-provider-authorization-implicit-consent", "Authorize Application", "Redirecting to %(app)s", "authorization", "require_authenticated", 0),
    ("default-provider-authorization-explicit-consent", "Authorize Application", "Redirecting to %(app)s", "authorization", "require_authenticated", 1),
    ("default-provider-invalidation-flow", "Logged out of application", "You've logged out of %(app)s.", "invalidation", "none", 0),
    ("default-invalidation-flow", "Logout", "Default Invalidation Flow", "invalidation", "none", 1),
    ("initial-setup", "initial-setup", "Welcome to authentik!", "stage_configuration", "require_unauthenticated", 3),
]

CERT_NAME = "authentik Self-signed Certificate"
ADMIN_GROUP = "authentik Admins"


def empty_state(version: str) -> dict:
    return {
        "schema": SCHEMA,
        "install_id": new_uuid(),
        "created_with_version": version,
        "seq": {"user": 3, "provider": 0, "group_num": 18700},
        "users": {},
        "groups": {},
        "tokens": {},
        "flows": {},
        "mappings": {},
        "certs": {},
        "providers": {},
        "applications": {},
        "worker_done": False,
        "oauth": {"codes": {}, "access": {}, "refresh": {}},
        "sessions": {},
        "app_cache": {},
    }


def new_user(state: dict, clock: Clock, username: str, name: str, **kw) -> dict:
    state["seq"]["user"] += 1
    pk = state["seq"]["user"]
    now = clock.iso()
    user = {
        "pk": pk,
        "username": username,
        "name": name,
        "is_active": True,
        "last_login": None,
        "date_joined": now,
        "email": "",
        "attributes": {},
        "path": "users",
        "type": "internal",
        "uuid": new_uuid(),
        "password": None,
        "password_change_date": now,
        "last_updated": now,
    }
    user.update(kw)
    state["users"][str(pk)] = user
    return user


def new_group(state: dict, name: str, is_superuser: bool = False, users: list | None = None, attributes: dict | None = None) -> dict:
    state["seq"]["group_num"] += 1
    g = {
        "pk": new_uuid(),
        "num_pk": state["seq"]["group_num"],
        "name": name,
        "is_superuser": bool(is_superuser),
        "parents": [],
        "users": list(users or []),
        "attributes": attributes or {},
    }
    state["groups"][g["pk"]] = g
    return g


def new_token(state: dict, clock: Clock, identifier: str, user_pk: int, key: str, intent: str = "api", expiring: bool = True, expires_in: float | None = 1800.0, description: str = "", managed: str | None = None) -> dict:
    tok = {
        "pk": new_uuid(),
        "managed": managed,
        "identifier": identifier,
        "key": key,
        "intent": intent,
        "user": user_pk,
        "description": description,
        "expires": clock.iso(expires_in or 1800.0),
        "expires_ts": (clock.now() + (expires_in or 1800.0)),
        "expiring": bool(expiring),
    }
    state["tokens"][identifier] = tok
    return tok


def bootstrap(state: dict, clock: Clock, env: dict) -> None:
    """system/bootstrap.yaml: the admins group, akadmin and the bootstrap token, each only when missing.

    The entries are created, never updated (assumed `state: created`), so a changed AUTHENTIK_BOOTSTRAP_TOKEN
    in .env does nothing once the token exists: the values are effectively read on the very first start.
    """
    group = next((g for g in state["groups"].values() if g["name"] == ADMIN_GROUP), None)
    if group is None:
        group = new_group(state, ADMIN_GROUP, is_superuser=True)
    admin = next((u for u in state["users"].values() if u["username"] == "akadmin"), None)
    created = admin is None
    if admin is None:
        password = env.get("AUTHENTIK_BOOTSTRAP_PASSWORD") or ""
        email = env.get("AUTHENTIK_BOOTSTRAP_EMAIL") or "root@localhost"
        admin = new_user(state, clock, "akadmin", "authentik Default Admin", email=email)
        admin["password"] = crypto.hash_password(password) if password else None
        group["users"].append(admin["pk"])
    token = env.get("AUTHENTIK_BOOTSTRAP_TOKEN") or ""
    has_token = any(t["identifier"] == "authentik-bootstrap-token" for t in state["tokens"].values())
    if token and not has_token:
        new_token(state, clock, "authentik-bootstrap-token", admin["pk"], token, intent="api", expiring=False, description="authentik bootstrap token", managed="goauthentik.io/token/bootstrap")
    if created or (token and not has_token):
        log("Bootstrap applied", logger="authentik.blueprints.v1.importer", username="akadmin", password_set=bool(admin.get("password")), token_set=bool(token))


BASE_FLOWS = ("default-authentication-flow", "default-invalidation-flow", "initial-setup")
FIRST_MAPPING = "goauthentik.io/providers/oauth2/scope-openid"


def apply_phase(state: dict, phase: str, dialect: Dialect, clock: Clock, env: dict) -> None:
    """One step of the worker's first blueprint pass (see boot.PHASES); applying a step twice changes nothing."""
    done = state.setdefault("phases_done", [])
    if phase in done:
        return
    if phase == "base_flows":
        _create_flows(state, dialect, lambda slug: slug in BASE_FLOWS)
    elif phase == "bootstrap":
        bootstrap(state, clock, env)
        _create_certificate(state, dialect, clock)
    elif phase == "provider_flows":
        _create_flows(state, dialect, lambda slug: True)
        _create_mappings(state, dialect, lambda managed: managed == FIRST_MAPPING)
    elif phase == "scope_mappings":
        _create_mappings(state, dialect, lambda managed: True)
    elif phase == "done":
        for earlier in ("base_flows", "bootstrap", "provider_flows", "scope_mappings"):
            apply_phase(state, earlier, dialect, clock, env)
        state["worker_done"] = True
        log("Blueprints applied (default flows, scope mappings, self-signed certificate)")
    else:
        raise ValueError(f"unknown worker phase {phase!r}")
    done.append(phase)
    log("Blueprint step applied", logger="authentik.blueprints.v1.tasks", step=phase)


def create_worker_objects(state: dict, dialect: Dialect, clock: Clock, env: dict | None = None) -> None:
    """The whole first pass at once (the `worker_done` fault, and a worker delay of 0)."""
    apply_phase(state, "done", dialect, clock, env or {})


def _create_flows(state: dict, dialect: Dialect, wanted) -> None:
    for slug, name, title, designation, authentication, n_stages in FLOWS:
        if slug == "default-provider-invalidation-flow" and not dialect.has_invalidation_flow:
            continue
        if slug in state["flows"] or not wanted(slug):
            continue
        state["flows"][slug] = {
            "pk": new_uuid(),
            "policybindingmodel_ptr_id": new_uuid(),
            "name": name,
            "slug": slug,
            "title": title,
            "designation": designation,
            "authentication": authentication,
            "stages": [new_uuid() for _ in range(n_stages)],
        }


def _create_mappings(state: dict, dialect: Dialect, wanted) -> None:
    existing = {m["managed"] for m in state["mappings"].values()}
    for i, (managed, scope_name, name, description, claims) in enumerate(SCOPE_MAPPINGS):
        if managed in existing or not wanted(managed):
            continue
        if scope_name == "entitlements" and not dialect.entitlements:
            continue
        pk = new_uuid()
        state["mappings"][pk] = {
            "pk": pk,
            "managed": managed,
            "name": name,
            "expression": f"# stand-in mapping for scope {scope_name}\nreturn {{}}",
            "scope_name": scope_name,
            "description": description,
            "claims": claims,
            "order": i,
        }


def _create_certificate(state: dict, dialect: Dialect, clock: Clock) -> None:
    if not any(c["name"] == CERT_NAME for c in state["certs"].values()):
        pk = new_uuid()
        kp = crypto.generate_self_signed(CERT_NAME, f"authentik {dialect.version}", clock.now())
        state["certs"][pk] = {"pk": pk, "name": CERT_NAME, "managed": None, **kp}


class MemoryBackend:
    kind = "memory"

    def load(self) -> dict | None:
        return None

    def save(self, doc: str) -> None:
        return None


class FileBackend:
    kind = "file"

    def __init__(self, path: str) -> None:
        self.path = path

    def load(self) -> dict | None:
        if not os.path.exists(self.path):
            return None
        with open(self.path, encoding="utf-8") as fh:
            text = fh.read()
        if not text.strip():
            return None
        return json.loads(text)

    def save(self, doc: str) -> None:
        d = os.path.dirname(os.path.abspath(self.path))
        os.makedirs(d, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".standin-state-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(doc)
        os.replace(tmp, self.path)
