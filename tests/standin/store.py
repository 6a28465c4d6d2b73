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
    """First start only (empty state): akadmin, the admins group, the bootstrap token."""
    group = new_group(state, ADMIN_GROUP, is_superuser=True)
    password = env.get("AUTHENTIK_BOOTSTRAP_PASSWORD") or ""
    email = env.get("AUTHENTIK_BOOTSTRAP_EMAIL") or "root@localhost"
    admin = new_user(state, clock, "akadmin", "authentik Default Admin", email=email)
    admin["password"] = crypto.hash_password(password) if password else None
    group["users"].append(admin["pk"])
    token = env.get("AUTHENTIK_BOOTSTRAP_TOKEN") or ""
    if token:
        new_token(state, clock, "authentik-bootstrap-token", admin["pk"], token, intent="api", expiring=False, description="authentik bootstrap token", managed="goauthentik.io/token/bootstrap")
    log("Bootstrap applied", username="akadmin", password_set=bool(password), token_set=bool(token))


def create_worker_objects(state: dict, dialect: Dialect, clock: Clock) -> None:
    """What the worker's blueprints create: default flows, scope mappings, the self-signed certificate."""
    if state.get("worker_done"):
        return
    for slug, name, title, designation, authentication, n_stages in FLOWS:
        if slug == "default-provider-invalidation-flow" and not dialect.has_invalidation_flow:
            continue
        if slug in state["flows"]:
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
    existing = {m["managed"] for m in state["mappings"].values()}
    for i, (managed, scope_name, name, description, claims) in enumerate(SCOPE_MAPPINGS):
        if managed in existing:
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
    if not any(c["name"] == CERT_NAME for c in state["certs"].values()):
        pk = new_uuid()
        kp = crypto.generate_self_signed(CERT_NAME, f"authentik {dialect.version}", clock.now())
        state["certs"][pk] = {"pk": pk, "name": CERT_NAME, "managed": None, **kp}
    state["worker_done"] = True
    log("Blueprints applied (default flows, scope mappings, self-signed certificate)")


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
