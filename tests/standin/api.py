"""/api/v3/ handlers."""

from __future__ import annotations

import math
import re

from . import blueprints, crypto, serial
from .store import new_group, new_token, new_user
from .util import gen_id, is_uuid, new_uuid
from .web import ApiError, Request, Resp, empty, json_resp

LIST = "GET, POST, HEAD, OPTIONS"
DETAIL = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
RO = "GET, HEAD, OPTIONS"
POST_ONLY = "POST, OPTIONS"

SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
NOT_PROVIDED = {"detail": "Authentication credentials were not provided."}
INVALID_TOKEN = {"detail": "Token invalid/expired"}

USER_AUTOCOMPLETE = {
    "current_model": "authentik_core.user",
    "models": {
        "authentik_core.user": {
            "username": {"type": "str", "nullable": False, "options": None},
            "name": {"type": "str", "nullable": False, "options": None},
            "email": {"type": "str", "nullable": False, "options": None},
            "path": {"type": "str", "nullable": False, "options": None},
            "is_active": {"type": "bool", "nullable": True, "options": None},
            "type": {"type": "str", "nullable": False, "options": ["internal", "external", "service_account", "internal_service_account"]},
            "attributes": {"type": "relation", "nullable": False, "options": None, "relation": "authentik_core.user_attributes"},
        }
    },
}

ROOT_CONFIG = {
    "error_reporting": {"enabled": False, "sentry_dsn": "", "environment": "customer", "send_pii": False, "traces_sample_rate": 0.1},
    "capabilities": ["can_impersonate", "is_enterprise"],
    "cache_timeout": 300,
    "cache_timeout_flows": 300,
    "cache_timeout_policies": 300,
}

REQUIRED = "This field is required."
NULL = "This field may not be null."
BLANK = "This field may not be blank."


def not_valid_uuid(v) -> str:
    return f"\u201c{v}\u201d is not a valid UUID."


def invalid_pk(v) -> str:
    return f'Invalid pk "{v}" - object does not exist.'


def not_choice(v) -> str:
    return f'"{v}" is not a valid choice.'


def incorrect_type(v) -> str:
    return f"Incorrect type. Expected pk value, received {type(v).__name__}."


def not_found(model: str) -> ApiError:
    return ApiError(404, {"detail": f"No {model} matches the given query."})


# ---------------------------------------------------------------- helpers

def authenticate(ctx, req: Request) -> dict:
    """Bearer API token (intent api), an OAuth access token with the goauthentik.io/api scope, or a session."""
    state = ctx.state
    auth = req.headers.get("Authorization") or ""
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer":
        key = value.strip()
        if not key:
            raise ApiError(403, INVALID_TOKEN)
        now = ctx.clock.now()
        for t in state["tokens"].values():
            if t["key"] == key and t["intent"] == "api":
                if t["expiring"] and t["expires_ts"] < now:
                    break
                u = state["users"].get(str(t["user"]))
                if u and u["is_active"]:
                    return u
                break
        at = state["oauth"]["access"].get(key)
        if at and not at.get("revoked") and at["exp"] > now and "goauthentik.io/api" in at["scope"]:
            u = state["users"].get(str(at["user"]))
            if u:
                return u
        raise ApiError(403, INVALID_TOKEN)
    sess = ctx.session_for(req, create=False)
    if sess and sess.get("user") is not None:
        u = state["users"].get(str(sess["user"]))
        if u and u["is_active"]:
            return u
    raise ApiError(403, NOT_PROVIDED)


def paginate(req: Request, items: list, serialize, extra: dict | None = None) -> dict:
    try:
        size = int(req.q("page_size") or 100)
        if size < 1:
            size = 100
    except ValueError:
        size = 100
    try:
        page = int(req.q("page") or 1)
    except ValueError:
        raise ApiError(404, {"detail": "Invalid page."})
    count = len(items)
    total = max(1, math.ceil(count / size))
    if page < 1 or page > total:
        raise ApiError(404, {"detail": "Invalid page."})
    start = (page - 1) * size
    chunk = items[start : start + size]
    return {
        "pagination": {
            "next": page + 1 if page < total else 0,
            "previous": page - 1 if page > 1 else 0,
            "count": count,
            "current": page,
            "total_pages": total,
            "start_index": start + 1 if count else 0,
            "end_index": start + len(chunk) if count else 0,
        },
        "results": [serialize(x) for x in chunk],
        "autocomplete": extra if extra is not None else {},
    }


def body_json(req: Request) -> dict:
    try:
        data = req.json()
    except Exception:
        raise ApiError(400, {"detail": "JSON parse error - Expecting value: line 1 column 1 (char 0)"})
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ApiError(400, {"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]})
    return data


def truthy(v: str | None) -> bool | None:
    if v is None or v == "":
        return None
    return v.lower() in ("true", "1", "yes", "on")


def filt(items: list[dict], req: Request, fields: dict) -> list[dict]:
    """fields: query name -> function(item) giving the comparable value (string compare, bools via truthy)."""
    out = items
    for qname, getter in fields.items():
        vals = req.query.get(qname)
        if not vals:
            continue
        v = vals[0]
        if v == "":
            continue
        if getter is bool or isinstance(getter, tuple):
            fn = getter[1]
            want = truthy(v)
            out = [x for x in out if bool(fn(x)) == want]
        else:
            allowed = set(vals)
            out = [x for x in out if str(getter(x)) in allowed]
    return out


def check_uuid_ref(value, table: dict, errors: dict, field: str, required: bool, nullable: bool) -> None:
    if value is None:
        if required or not nullable:
            errors[field] = [NULL]
        return
    if not isinstance(value, str) or not is_uuid(value):
        errors[field] = [not_valid_uuid(value)]
        return
    if value not in table:
        errors[field] = [invalid_pk(value)]


def clear_app_cache(ctx) -> None:
    ctx.state["app_cache"] = {}


# ---------------------------------------------------------------- root / admin

def root_config(ctx, req, user):
    return json_resp(200, ROOT_CONFIG, RO)


def admin_version(ctx, req, user):
    return json_resp(200, {"version_current": ctx.version, "version_latest": "0.0.0", "version_latest_valid": False, "build_hash": "", "outdated": False, "outpost_outdated": False}, RO)


# ---------------------------------------------------------------- flows, mappings, certs

def flows_list(ctx, req, user):
    if req.method == "POST":
        raise ApiError(400, {"detail": "stand-in: creating flows is not supported"})
    items = sorted(ctx.state["flows"].values(), key=lambda f: f["slug"])
    items = filt(items, req, {"slug": lambda f: f["slug"], "designation": lambda f: f["designation"], "name": lambda f: f["name"], "flow_uuid": lambda f: f["pk"]})
    return json_resp(200, paginate(req, items, serial.flow_obj), LIST)


def flow_detail(ctx, req, user, slug):
    f = ctx.state["flows"].get(slug)
    if not f:
        raise not_found("Flow")
    if req.method == "DELETE":
        del ctx.state["flows"][slug]
        return empty(204, DETAIL)
    return json_resp(200, serial.flow_obj(f), DETAIL)


def mappings_list(ctx, req, user):
    if req.method == "POST":
        return _create_mapping(ctx, body_json(req))
    items = sorted(ctx.state["mappings"].values(), key=lambda m: m["scope_name"])
    items = filt(items, req, {"managed": lambda m: m["managed"], "scope_name": lambda m: m["scope_name"], "name": lambda m: m["name"], "pm_uuid": lambda m: m["pk"]})
    return json_resp(200, paginate(req, items, serial.mapping_obj), LIST)


def _create_mapping(ctx, data: dict) -> Resp:
    """A custom scope mapping (ScopeMappingSerializer: name, expression, scope_name required; name unique)."""
    errors: dict = {}
    for key in ("name", "scope_name", "expression"):
        value = data.get(key)
        if key not in data:
            errors[key] = [REQUIRED]
        elif value is None:
            errors[key] = [NULL]
        elif not isinstance(value, str):
            errors[key] = ["Not a valid string."]
        elif value == "":
            errors[key] = [BLANK]
    if "name" not in errors and any(m["name"] == data["name"] for m in ctx.state["mappings"].values()):
        errors["name"] = ["Property Mapping with this name already exists."]
    if errors:
        raise ApiError(400, errors)
    pk = new_uuid()
    m = {"pk": pk, "managed": None, "name": data["name"], "expression": data["expression"], "scope_name": data["scope_name"],
         "description": str(data.get("description") or ""), "order": 99}
    ctx.state["mappings"][pk] = m
    return json_resp(201, serial.mapping_obj(m), LIST)


def mapping_detail(ctx, req, user, pk):
    m = ctx.state["mappings"].get(pk)
    if not m:
        raise not_found("ScopeMapping")
    if req.method == "DELETE":
        del ctx.state["mappings"][pk]
        return empty(204, DETAIL)
    return json_resp(200, serial.mapping_obj(m), DETAIL)


def certs_list(ctx, req, user):
    if req.method == "POST":
        raise ApiError(400, {"detail": "stand-in: uploading certificates is not supported"})
    items = sorted(ctx.state["certs"].values(), key=lambda c: c["name"])
    items = filt(items, req, {"name": lambda c: c["name"], "managed": lambda c: c.get("managed"), "kp_uuid": lambda c: c["pk"], "has_key": ("bool", lambda c: bool(c.get("key_pem")))})
    return json_resp(200, paginate(req, items, lambda c: serial.cert_obj(c, ctx.d)), LIST)


def cert_detail(ctx, req, user, pk):
    c = ctx.state["certs"].get(pk)
    if not c:
        raise not_found("CertificateKeyPair")
    if req.method == "DELETE":
        del ctx.state["certs"][pk]
        return empty(204, DETAIL)
    return json_resp(200, serial.cert_obj(c, ctx.d), DETAIL)


def cert_view(ctx, req, user, pk, what):
    c = ctx.state["certs"].get(pk)
    if not c:
        raise not_found("CertificateKeyPair")
    if what == "view_certificate":
        return json_resp(200, {"data": c["cert_pem"]}, RO)
    return json_resp(200, {"data": c.get("key_pem") or ""}, RO)


# ---------------------------------------------------------------- OAuth2 providers

PROVIDER_DEFAULTS = {
    "authentication_flow": None,
    "invalidation_flow": None,
    "property_mappings": [],
    "client_type": "confidential",
    "access_code_validity": "minutes=1",
    "access_token_validity": "hours=1",
    "refresh_token_validity": "days=30",
    "refresh_token_threshold": "seconds=0",
    "include_claims_in_id_token": True,
    "signing_key": None,
    "encryption_key": None,
    "redirect_uris": [],
    "redirect_uris_str": "",
    "logout_uri": "",
    "logout_method": "backchannel",
    "sub_mode": "hashed_user_id",
    "issuer_mode": "per_provider",
    "jwt_federation_sources": [],
    "jwt_federation_providers": [],
}

CHOICES = {
    "client_type": ("confidential", "public"),
    "sub_mode": ("hashed_user_id", "user_id", "user_uuid", "user_username", "user_email", "user_upn"),
    "issuer_mode": ("global", "per_provider"),
    "logout_method": ("backchannel", "frontchannel"),
}


def _validate_redirect_uris(d, value, errors: dict, clean: dict) -> None:
    if d.redirect_uris_list:
        if value is None:
            errors["redirect_uris"] = [NULL]
            return
        if not isinstance(value, list):
            errors["redirect_uris"] = {"non_field_errors": [f'Expected a list of items but got type "{type(value).__name__}".']}
            return
        item_errors = []
        has_err = False
        items = []
        for item in value:
            e: dict = {}
            if not isinstance(item, dict):
                e["non_field_errors"] = [f"Invalid data. Expected a dictionary, but got {type(item).__name__}."]
            else:
                mode = item.get("matching_mode")
                url = item.get("url")
                if "matching_mode" not in item:
                    e["matching_mode"] = [REQUIRED]
                elif mode not in ("strict", "regex"):
                    e["matching_mode"] = [not_choice(mode)]
                if "url" not in item:
                    e["url"] = [REQUIRED]
                elif url is None:
                    e["url"] = [NULL]
                elif not isinstance(url, str) or url == "":
                    e["url"] = [BLANK] if url == "" else ["Not a valid string."]
            item_errors.append(e)
            if e:
                has_err = True
            else:
                items.append({"matching_mode": item["matching_mode"], "url": item["url"]})
        if has_err:
            errors["redirect_uris"] = item_errors
            return
        for it in items:
            if it["matching_mode"] == "regex":
                try:
                    re.compile(it["url"])
                except re.error:
                    errors["redirect_uris"] = [f"Invalid Regex Pattern: {it['url']}"]
                    return
        clean["redirect_uris"] = items
    else:
        if value is None:
            errors["redirect_uris"] = [NULL]
            return
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            errors["redirect_uris"] = ["Not a valid string."]
            return
        text = str(value)
        clean["redirect_uris_str"] = text
        clean["redirect_uris"] = [{"matching_mode": "strict", "url": line.strip()} for line in text.split("\n") if line.strip()]


def validate_provider(ctx, data: dict, partial: bool, current: dict | None) -> tuple[dict, dict]:
    d = ctx.d
    state = ctx.state
    errors: dict = {}
    clean: dict = {}
    flows_by_pk = {f["pk"]: f for f in state["flows"].values()}
    required = ["name", "authorization_flow"]
    if d.has_invalidation_flow:
        required.append("invalidation_flow")
    if d.redirect_uris_list:
        required.append("redirect_uris")
    if not partial:
        for f in required:
            if f not in data:
                errors[f] = [REQUIRED]
    if "name" in data:
        name = data["name"]
        if name is None:
            errors["name"] = [NULL]
        elif not isinstance(name, str):
            errors["name"] = ["Not a valid string."]
        elif name.strip() == "":
            errors["name"] = [BLANK]
        elif any(p["name"] == name and (current is None or p["pk"] != current["pk"]) for p in state["providers"].values()):
            errors["name"] = ["provider with this name already exists."]
        else:
            clean["name"] = name
    flow_fields = [("authorization_flow", False), ("authentication_flow", True)]
    if d.has_invalidation_flow:
        flow_fields.append(("invalidation_flow", False))
    for f, nullable in flow_fields:
        if f in data:
            before = len(errors)
            check_uuid_ref(data[f], flows_by_pk, errors, f, required=False, nullable=nullable)
            if len(errors) == before:
                clean[f] = data[f]
    for f in ("signing_key",) + (("encryption_key",) if d.encryption_key else ()):
        if f in data:
            before = len(errors)
            check_uuid_ref(data[f], state["certs"], errors, f, required=False, nullable=True)
            if len(errors) == before:
                clean[f] = data[f]
    if "property_mappings" in data:
        pm = data["property_mappings"]
        if not isinstance(pm, list):
            errors["property_mappings"] = [f'Expected a list of items but got type "{type(pm).__name__}".']
        else:
            errs = []
            for v in pm:
                if not isinstance(v, str) or not is_uuid(v):
                    errs.append(not_valid_uuid(v))
                    break
                if v not in state["mappings"]:
                    errs.append(invalid_pk(v))
                    break
            if errs:
                errors["property_mappings"] = errs
            else:
                clean["property_mappings"] = list(dict.fromkeys(pm))
    for f, choices in CHOICES.items():
        if f == "logout_method" and not d.logout_fields:
            continue
        if f in data:
            if data[f] not in choices:
                errors[f] = [not_choice(data[f])]
            else:
                clean[f] = data[f]
    for f in ("client_id", "client_secret", "access_code_validity", "access_token_validity", "refresh_token_validity") + (("refresh_token_threshold", "logout_uri") if d.logout_fields else ()):
        if f in data:
            v = data[f]
            if v is None:
                errors[f] = [NULL]
            elif not isinstance(v, str):
                errors[f] = ["Not a valid string."]
            elif len(v) > 255 and f in ("client_id", "client_secret"):
                errors[f] = ["Ensure this field has no more than 255 characters."]
            elif v == "" and f in ("client_id", "access_code_validity", "access_token_validity", "refresh_token_validity"):
                errors[f] = [BLANK]
            else:
                clean[f] = v
    if "include_claims_in_id_token" in data:
        v = data["include_claims_in_id_token"]
        if not isinstance(v, bool):
            errors["include_claims_in_id_token"] = ["Must be a valid boolean."]
        else:
            clean["include_claims_in_id_token"] = v
    if "redirect_uris" in data:
        _validate_redirect_uris(d, data["redirect_uris"], errors, clean)
    fed_keys = ("jwt_federation_sources", "jwt_federation_providers") if d.jwt_federation else ("jwks_sources",)
    for f in fed_keys:
        if f in data and isinstance(data[f], list):
            clean["jwt_federation_sources" if f == "jwks_sources" else f] = data[f]
    if "client_id" in clean:
        cid = clean["client_id"]
        if any(p["client_id"] == cid and (current is None or p["pk"] != current["pk"]) for p in state["providers"].values()):
            errors["client_id"] = ["OAuth2/OpenID Provider with this Client ID already exists."]
    return clean, errors


def providers_list(ctx, req, user):
    state = ctx.state
    if req.method == "POST":
        data = body_json(req)
        clean, errors = validate_provider(ctx, data, partial=False, current=None)
        if errors:
            raise ApiError(400, errors)
        state["seq"]["provider"] += 1
        p = dict(PROVIDER_DEFAULTS)
        p["pk"] = state["seq"]["provider"]
        p["client_id"] = gen_id(40)
        p["client_secret"] = gen_id(128)
        p.update(clean)
        state["providers"][str(p["pk"])] = p
        return json_resp(201, serial.provider_obj(state, ctx.d, p), LIST)
    items = sorted(state["providers"].values(), key=lambda p: p["name"])
    items = filt(
        items,
        req,
        {
            "name": lambda p: p["name"],
            "client_id": lambda p: p["client_id"],
            "client_type": lambda p: p["client_type"],
            "authorization_flow": lambda p: p["authorization_flow"],
            "application": lambda p: (serial.app_for_provider(state, p["pk"]) or {}).get("pk"),
        },
    )
    return json_resp(200, paginate(req, items, lambda p: serial.provider_obj(state, ctx.d, p)), LIST)


def _provider(ctx, pk: str) -> dict:
    p = ctx.state["providers"].get(pk) if pk.isdigit() else None
    if not p:
        raise not_found("OAuth2Provider")
    return p


def provider_detail(ctx, req, user, pk):
    state = ctx.state
    p = _provider(ctx, pk)
    if req.method == "DELETE":
        del state["providers"][pk]
        for a in state["applications"].values():
            if a.get("provider") == p["pk"]:
                a["provider"] = None
        for kind in ("codes", "access", "refresh"):
            for k in [k for k, v in state["oauth"][kind].items() if v.get("provider") == p["pk"]]:
                del state["oauth"][kind][k]
        return empty(204, DETAIL)
    if req.method in ("PUT", "PATCH"):
        data = body_json(req)
        clean, errors = validate_provider(ctx, data, partial=req.method == "PATCH", current=p)
        if errors:
            raise ApiError(400, errors)
        p.update(clean)
        if req.method == "PUT" and "redirect_uris" not in clean and not ctx.d.redirect_uris_list:
            pass
        return json_resp(200, serial.provider_obj(state, ctx.d, p), DETAIL)
    return json_resp(200, serial.provider_obj(state, ctx.d, p), DETAIL)


def provider_setup_urls(ctx, req, user, pk):
    state = ctx.state
    p = _provider(ctx, pk)
    app = serial.app_for_provider(state, p["pk"])
    base = req.base
    out = {
        "issuer": None,
        "authorize": f"{base}/application/o/authorize/",
        "token": f"{base}/application/o/token/",
        "user_info": f"{base}/application/o/userinfo/",
        "provider_info": None,
        "logout": None,
    }
    if app:
        out["issuer"] = ctx.issuer(req, p, app)
        out["provider_info"] = f"{base}/application/o/{app['slug']}/.well-known/openid-configuration"
        out["logout"] = f"{base}/application/o/{app['slug']}/end-session/"
        out["jwks"] = f"{base}/application/o/{app['slug']}/jwks/"
    return json_resp(200, out, RO)


# ---------------------------------------------------------------- applications

def validate_app(ctx, data: dict, partial: bool, current: dict | None) -> tuple[dict, dict]:
    state = ctx.state
    errors: dict = {}
    clean: dict = {}
    if not partial:
        for f in ("name", "slug"):
            if f not in data:
                errors[f] = [REQUIRED]
    if "name" in data:
        v = data["name"]
        if v is None:
            errors["name"] = [NULL]
        elif not isinstance(v, str) or v.strip() == "":
            errors["name"] = [BLANK]
        else:
            clean["name"] = v
    if "slug" in data:
        v = data["slug"]
        if v is None:
            errors["slug"] = [NULL]
        elif not isinstance(v, str) or v == "":
            errors["slug"] = [BLANK]
        elif not SLUG_RE.match(v):
            errors["slug"] = ["Enter a valid \u201cslug\u201d consisting of letters, numbers, underscores or hyphens."]
        elif v in state["applications"] and (current is None or current["slug"] != v):
            errors["slug"] = ["Application with this slug already exists."]
        else:
            clean["slug"] = v
    if "provider" in data:
        v = data["provider"]
        if v is None:
            clean["provider"] = None
        elif isinstance(v, bool) or not isinstance(v, (int, str)) or (isinstance(v, str) and not v.isdigit()):
            errors["provider"] = [incorrect_type(v)]
        elif str(int(v)) not in state["providers"]:
            errors["provider"] = [invalid_pk(v)]
        else:
            other = serial.app_for_provider(state, int(v))
            if other is not None and (current is None or other["pk"] != current["pk"]):
                errors["provider"] = ["Application with this provider already exists."]
            else:
                clean["provider"] = int(v)
    if "policy_engine_mode" in data:
        if data["policy_engine_mode"] not in ("all", "any"):
            errors["policy_engine_mode"] = [not_choice(data["policy_engine_mode"])]
        else:
            clean["policy_engine_mode"] = data["policy_engine_mode"]
    for f in ("meta_launch_url", "meta_description", "meta_publisher", "group", "meta_icon"):
        if f in data:
            v = data[f]
            if v is None:
                errors[f] = [NULL]
            elif not isinstance(v, str):
                errors[f] = ["Not a valid string."]
            else:
                clean[f] = v
    if "open_in_new_tab" in data:
        if not isinstance(data["open_in_new_tab"], bool):
            errors["open_in_new_tab"] = ["Must be a valid boolean."]
        else:
            clean["open_in_new_tab"] = data["open_in_new_tab"]
    return clean, errors


def apps_list(ctx, req, user):
    state = ctx.state
    d = ctx.d
    if req.method == "POST":
        data = body_json(req)
        clean, errors = validate_app(ctx, data, partial=False, current=None)
        if errors:
            raise ApiError(400, errors)
        a = {"pk": new_uuid(), "provider": None, "meta_launch_url": "", "meta_description": "", "meta_publisher": "", "policy_engine_mode": "any", "group": "", "open_in_new_tab": False, "meta_icon": ""}
        a.update(clean)
        state["applications"][a["slug"]] = a
        clear_app_cache(ctx)
        return json_resp(201, serial.app_obj(state, d, a), LIST)
    items = sorted(state["applications"].values(), key=lambda a: a["name"].lower())
    items = filt(items, req, {"slug": lambda a: a["slug"], "name": lambda a: a["name"], "group": lambda a: a.get("group", ""), "meta_launch_url": lambda a: a.get("meta_launch_url", ""), "meta_publisher": lambda a: a.get("meta_publisher", "")})
    search = req.q("search") or ""
    if search:
        s = search.lower()
        items = [a for a in items if s in a["name"].lower() or s in a["slug"].lower()]
    full = (req.q("superuser_full_list") or "false").lower() == "true"
    if full and serial.is_superuser(state, user):
        return json_resp(200, paginate(req, items, lambda a: serial.app_obj(state, d, a)), LIST)
    # Authentik's per-user cache: keyed by user pk + page number only (see NOTES.md, capture 044)
    page_body = paginate(req, items, lambda a: a["slug"])
    page_no = str(page_body["pagination"]["current"])
    slugs = page_body["results"]
    if not search:
        ucache = state["app_cache"].setdefault(str(user["pk"]), {})
        entry = ucache.get(page_no)
        now = ctx.clock.now()
        if entry and entry["slugs"] and entry["until"] > now:
            slugs = entry["slugs"]
        else:
            ucache[page_no] = {"slugs": slugs, "until": now + 300}
    page_body["results"] = [serial.app_obj(state, d, state["applications"][s]) for s in slugs if s in state["applications"]]
    return json_resp(200, page_body, LIST)


def app_detail(ctx, req, user, slug):
    state = ctx.state
    a = state["applications"].get(slug)
    if not a:
        raise not_found("Application")
    if req.method == "DELETE":
        del state["applications"][slug]
        return empty(204, DETAIL)
    if req.method in ("PUT", "PATCH"):
        data = body_json(req)
        clean, errors = validate_app(ctx, data, partial=req.method == "PATCH", current=a)
        if errors:
            raise ApiError(400, errors)
        a.update(clean)
        if a["slug"] != slug:
            del state["applications"][slug]
            state["applications"][a["slug"]] = a
    return json_resp(200, serial.app_obj(state, ctx.d, a), DETAIL)


# ---------------------------------------------------------------- users, groups, tokens

USER_TYPES = ("internal", "external", "service_account", "internal_service_account")


def validate_user(ctx, data: dict, partial: bool, current: dict | None) -> tuple[dict, dict]:
    state = ctx.state
    errors: dict = {}
    clean: dict = {}
    if not partial:
        for f in ("username", "name"):
            if f not in data:
                errors[f] = [REQUIRED]
    for f in ("username", "name", "email", "path"):
        if f in data:
            v = data[f]
            if v is None:
                errors[f] = [NULL]
            elif not isinstance(v, str):
                errors[f] = ["Not a valid string."]
            elif v == "" and f in ("username", "path"):
                errors[f] = [BLANK]
            else:
                clean[f] = v
    if "username" in clean:
        if any(u["username"] == clean["username"] and (current is None or u["pk"] != current["pk"]) for u in state["users"].values()):
            errors["username"] = ["This field must be unique."]
            del clean["username"]
    if "type" in data:
        if data["type"] not in USER_TYPES:
            errors["type"] = [not_choice(data["type"])]
        else:
            clean["type"] = data["type"]
    if "is_active" in data:
        if not isinstance(data["is_active"], bool):
            errors["is_active"] = ["Must be a valid boolean."]
        else:
            clean["is_active"] = data["is_active"]
    if "attributes" in data:
        if not isinstance(data["attributes"], dict):
            errors["attributes"] = ["Value must be valid JSON."]
        else:
            clean["attributes"] = data["attributes"]
    if "groups" in data:
        gs = data["groups"]
        if not isinstance(gs, list):
            errors["groups"] = [f'Expected a list of items but got type "{type(gs).__name__}".']
        else:
            for g in gs:
                if not is_uuid(g):
                    errors["groups"] = [not_valid_uuid(g)]
                    break
                if g not in state["groups"]:
                    errors["groups"] = [invalid_pk(g)]
                    break
            else:
                clean["groups"] = gs
    if "password" in data and isinstance(data["password"], str) and data["password"]:
        clean["password"] = data["password"]
    return clean, errors


def _apply_user(ctx, u: dict, clean: dict) -> None:
    state = ctx.state
    groups = clean.pop("groups", None)
    password = clean.pop("password", None)
    u.update(clean)
    if password:
        u["password"] = crypto.hash_password(password)
        u["password_change_date"] = ctx.clock.iso()
    if groups is not None:
        for g in state["groups"].values():
            if g["pk"] in groups and u["pk"] not in g["users"]:
                g["users"].append(u["pk"])
            elif g["pk"] not in groups and u["pk"] in g["users"]:
                g["users"].remove(u["pk"])
    u["last_updated"] = ctx.clock.iso()
    clear_app_cache(ctx)


def users_list(ctx, req, user):
    state = ctx.state
    if req.method == "POST":
        data = body_json(req)
        clean, errors = validate_user(ctx, data, partial=False, current=None)
        if errors:
            raise ApiError(400, errors)
        u = new_user(state, ctx.clock, clean.pop("username"), clean.pop("name"))
        _apply_user(ctx, u, clean)
        return json_resp(201, serial.user_obj(state, u), LIST)
    items = sorted(state["users"].values(), key=lambda u: u["username"])
    items = filt(
        items,
        req,
        {
            "username": lambda u: u["username"],
            "email": lambda u: u["email"],
            "name": lambda u: u["name"],
            "uuid": lambda u: u["uuid"],
            "type": lambda u: u["type"],
            "path": lambda u: u["path"],
            "pk": lambda u: u["pk"],
            "is_active": ("bool", lambda u: u["is_active"]),
            "is_superuser": ("bool", lambda u: serial.is_superuser(state, u)),
        },
    )
    search = req.q("search") or ""
    if search:
        s = search.lower()
        items = [u for u in items if s in u["username"].lower() or s in u["name"].lower() or s in u["email"].lower()]
    return json_resp(200, paginate(req, items, lambda u: serial.user_obj(state, u), USER_AUTOCOMPLETE), LIST)


def _user(ctx, pk: str) -> dict:
    u = ctx.state["users"].get(pk) if pk.isdigit() else None
    if not u:
        raise not_found("User")
    return u


def delete_user(ctx, u: dict) -> None:
    state = ctx.state
    del state["users"][str(u["pk"])]
    for g in state["groups"].values():
        if u["pk"] in g["users"]:
            g["users"].remove(u["pk"])
    for ident in [i for i, t in state["tokens"].items() if t["user"] == u["pk"]]:
        del state["tokens"][ident]
    for sid in [s for s, v in state["sessions"].items() if v.get("user") == u["pk"]]:
        del state["sessions"][sid]


def user_detail(ctx, req, user, pk):
    state = ctx.state
    u = _user(ctx, pk)
    if req.method == "DELETE":
        delete_user(ctx, u)
        return empty(204, DETAIL)
    if req.method in ("PUT", "PATCH"):
        data = body_json(req)
        clean, errors = validate_user(ctx, data, partial=req.method == "PATCH", current=u)
        if errors:
            raise ApiError(400, errors)
        _apply_user(ctx, u, clean)
    return json_resp(200, serial.user_obj(state, u), DETAIL)


def user_set_password(ctx, req, user, pk):
    u = _user(ctx, pk)
    data = body_json(req)
    if "password" not in data:
        raise ApiError(400, {"password": [REQUIRED]})
    pw = data["password"]
    if pw is None:
        raise ApiError(400, {"password": [NULL]})
    if not isinstance(pw, str) or pw == "":
        raise ApiError(400, {"password": [BLANK]})
    u["password"] = crypto.hash_password(pw)
    u["password_change_date"] = ctx.clock.iso()
    u["last_updated"] = ctx.clock.iso()
    clear_app_cache(ctx)
    return empty(204, POST_ONLY)


def users_me(ctx, req, user):
    return json_resp(200, serial.me_obj(ctx.state, user), RO)


def service_account(ctx, req, user):
    state = ctx.state
    data = body_json(req)
    name = data.get("name")
    if "name" not in data:
        raise ApiError(400, {"name": [REQUIRED]})
    if not isinstance(name, str) or not name:
        raise ApiError(400, {"name": [BLANK]})
    expiring = data.get("expiring", True)
    expiring = bool(expiring) if isinstance(expiring, bool) else True
    if any(u["username"] == name for u in state["users"].values()):
        raise ApiError(400, {"non_field_errors": ["User with this username already exists."]})
    ident = f"service-account-{name}-password"
    if ident in state["tokens"]:
        raise ApiError(400, {"non_field_errors": ["Token with this identifier already exists."]})
    u = new_user(state, ctx.clock, name, name, type="service_account", path="goauthentik.io/service-accounts", attributes={"goauthentik.io/user/token-expires": expiring})
    if data.get("create_group") is True:
        new_group(state, name, users=[u["pk"]])
    key = gen_id(60)
    new_token(state, ctx.clock, ident, u["pk"], key, intent="app_password", expiring=expiring, expires_in=360 * 86400)
    clear_app_cache(ctx)
    return json_resp(200, {"username": u["username"], "user_uid": serial.user_uid(state, u), "user_pk": u["pk"], "token": key}, POST_ONLY)


def validate_group(ctx, data: dict, partial: bool, current: dict | None) -> tuple[dict, dict]:
    state = ctx.state
    errors: dict = {}
    clean: dict = {}
    if not partial and "name" not in data:
        errors["name"] = [REQUIRED]
    if "name" in data:
        v = data["name"]
        if not isinstance(v, str) or not v:
            errors["name"] = [BLANK]
        elif any(g["name"] == v and (current is None or g["pk"] != current["pk"]) for g in state["groups"].values()):
            errors["name"] = ["Group with this name already exists."]
        else:
            clean["name"] = v
    if "is_superuser" in data:
        if not isinstance(data["is_superuser"], bool):
            errors["is_superuser"] = ["Must be a valid boolean."]
        else:
            clean["is_superuser"] = data["is_superuser"]
    if "attributes" in data:
        if not isinstance(data["attributes"], dict):
            errors["attributes"] = ["Value must be valid JSON."]
        else:
            clean["attributes"] = data["attributes"]
    if "users" in data:
        us = data["users"]
        if not isinstance(us, list):
            errors["users"] = [f'Expected a list of items but got type "{type(us).__name__}".']
        else:
            for v in us:
                if isinstance(v, bool) or not isinstance(v, (int, str)) or (isinstance(v, str) and not v.isdigit()):
                    errors["users"] = [incorrect_type(v)]
                    break
                if str(int(v)) not in state["users"]:
                    errors["users"] = [invalid_pk(v)]
                    break
            else:
                clean["users"] = [int(v) for v in us]
    return clean, errors


def groups_list(ctx, req, user):
    state = ctx.state
    if req.method == "POST":
        data = body_json(req)
        clean, errors = validate_group(ctx, data, partial=False, current=None)
        if errors:
            raise ApiError(400, errors)
        g = new_group(state, clean["name"], clean.get("is_superuser", False), clean.get("users", []), clean.get("attributes", {}))
        clear_app_cache(ctx)
        return json_resp(201, serial.group_obj(state, g), LIST)
    items = sorted(state["groups"].values(), key=lambda g: g["name"])
    items = filt(items, req, {"name": lambda g: g["name"], "is_superuser": ("bool", lambda g: g["is_superuser"])})
    members = req.query.get("members_by_username")
    if members:
        pks = {u["pk"] for u in state["users"].values() if u["username"] in members}
        items = [g for g in items if pks & set(g["users"])]
    with_users = truthy(req.q("include_users")) is not False

    def ser(g: dict) -> dict:
        out = serial.group_obj(state, g)
        if not with_users:
            out["users_obj"] = None
        return out

    return json_resp(200, paginate(req, items, ser), LIST)


def group_detail(ctx, req, user, pk):
    state = ctx.state
    g = state["groups"].get(pk)
    if not g:
        raise not_found("Group")
    if req.method == "DELETE":
        del state["groups"][pk]
        clear_app_cache(ctx)
        return empty(204, DETAIL)
    if req.method in ("PUT", "PATCH"):
        data = body_json(req)
        clean, errors = validate_group(ctx, data, partial=req.method == "PATCH", current=g)
        if errors:
            raise ApiError(400, errors)
        g.update(clean)
        clear_app_cache(ctx)
    return json_resp(200, serial.group_obj(state, g), DETAIL)


INTENTS = ("verification", "api", "recovery", "app_password")


def tokens_list(ctx, req, user):
    state = ctx.state
    if req.method == "POST":
        data = body_json(req)
        errors: dict = {}
        ident = data.get("identifier")
        if "identifier" not in data:
            errors["identifier"] = [REQUIRED]
        elif not isinstance(ident, str) or not ident:
            errors["identifier"] = [BLANK]
        elif not re.match(r"^[-a-zA-Z0-9_]+$", ident):
            errors["identifier"] = ["Enter a valid \u201cslug\u201d consisting of letters, numbers, underscores or hyphens."]
        elif ident in state["tokens"]:
            errors["identifier"] = ["Token with this identifier already exists."]
        intent = data.get("intent", "api")
        if intent not in INTENTS:
            errors["intent"] = [not_choice(intent)]
        owner = data.get("user", user["pk"])
        if owner is None or str(owner) not in state["users"]:
            errors["user"] = [invalid_pk(owner)]
        expiring = data.get("expiring", True)
        if not isinstance(expiring, bool):
            errors["expiring"] = ["Must be a valid boolean."]
        if errors:
            raise ApiError(400, errors)
        t = new_token(state, ctx.clock, ident, int(owner), gen_id(60), intent=intent, expiring=expiring, expires_in=1800.0, description=str(data.get("description") or ""))
        return json_resp(201, serial.token_obj(state, t), LIST)
    items = sorted(state["tokens"].values(), key=lambda t: t["identifier"])

    def uname(t):
        u = state["users"].get(str(t["user"]))
        return u["username"] if u else ""

    items = filt(items, req, {"identifier": lambda t: t["identifier"], "intent": lambda t: t["intent"], "user__username": uname, "managed": lambda t: t["managed"], "description": lambda t: t["description"], "expiring": ("bool", lambda t: t["expiring"])})
    return json_resp(200, paginate(req, items, lambda t: serial.token_obj(state, t)), LIST)


def token_detail(ctx, req, user, ident):
    state = ctx.state
    t = state["tokens"].get(ident)
    if not t:
        raise not_found("Token")
    if req.method == "DELETE":
        del state["tokens"][ident]
        return empty(204, DETAIL)
    if req.method in ("PUT", "PATCH"):
        data = body_json(req)
        if "description" in data:
            t["description"] = str(data["description"] or "")
        if "expiring" in data and isinstance(data["expiring"], bool):
            t["expiring"] = data["expiring"]
    return json_resp(200, serial.token_obj(state, t), DETAIL)


def token_view_key(ctx, req, user, ident):
    t = ctx.state["tokens"].get(ident)
    if not t:
        raise not_found("Token")
    return json_resp(200, {"key": t["key"]}, RO)


# ---------------------------------------------------------------- routing

# (regex, allowed methods, allow header, auth?, handler)
def routes(ctx):
    sp = re.escape(ctx.d.scope_path)
    return [
        (r"/api/v3/root/config/", {"GET"}, RO, False, root_config),
        (r"/api/v3/admin/version/", {"GET"}, RO, True, admin_version),
        (r"/api/v3/core/users/me/", {"GET"}, RO, True, users_me),
        (r"/api/v3/core/users/service_account/", {"POST"}, POST_ONLY, True, service_account),
        (r"/api/v3/core/users/", {"GET", "POST"}, LIST, True, users_list),
        (r"/api/v3/core/users/([^/]+)/set_password/", {"POST"}, POST_ONLY, True, user_set_password),
        (r"/api/v3/core/users/([^/]+)/", {"GET", "PUT", "PATCH", "DELETE"}, DETAIL, True, user_detail),
        (r"/api/v3/core/groups/", {"GET", "POST"}, LIST, True, groups_list),
        (r"/api/v3/core/groups/([^/]+)/", {"GET", "PUT", "PATCH", "DELETE"}, DETAIL, True, group_detail),
        (r"/api/v3/core/tokens/", {"GET", "POST"}, LIST, True, tokens_list),
        (r"/api/v3/core/tokens/([^/]+)/view_key/", {"GET"}, RO, True, token_view_key),
        (r"/api/v3/core/tokens/([^/]+)/", {"GET", "PUT", "PATCH", "DELETE"}, DETAIL, True, token_detail),
        (r"/api/v3/core/applications/", {"GET", "POST"}, LIST, True, apps_list),
        (r"/api/v3/core/applications/([^/]+)/", {"GET", "PUT", "PATCH", "DELETE"}, DETAIL, True, app_detail),
        (r"/api/v3/providers/oauth2/", {"GET", "POST"}, LIST, True, providers_list),
        (r"/api/v3/providers/oauth2/([^/]+)/setup_urls/", {"GET"}, RO, True, provider_setup_urls),
        (r"/api/v3/providers/oauth2/([^/]+)/", {"GET", "PUT", "PATCH", "DELETE"}, DETAIL, True, provider_detail),
        (r"/api/v3/flows/instances/", {"GET", "POST"}, LIST, True, flows_list),
        (r"/api/v3/flows/instances/([^/]+)/", {"GET", "PUT", "PATCH", "DELETE"}, DETAIL, True, flow_detail),
        (rf"/api/v3/{sp}/", {"GET", "POST"}, LIST, True, mappings_list),
        (rf"/api/v3/{sp}/([^/]+)/", {"GET", "PUT", "PATCH", "DELETE"}, DETAIL, True, mapping_detail),
        (r"/api/v3/crypto/certificatekeypairs/", {"GET", "POST"}, LIST, True, certs_list),
        (r"/api/v3/crypto/certificatekeypairs/([^/]+)/(view_certificate|view_private_key)/", {"GET"}, RO, True, cert_view),
        (r"/api/v3/crypto/certificatekeypairs/([^/]+)/", {"GET", "PUT", "PATCH", "DELETE"}, DETAIL, True, cert_detail),
        *blueprints.routes(),
    ]


def dispatch(ctx, req: Request) -> Resp | None:
    for pattern, methods, allow, needs_auth, handler in ctx.api_routes:
        m = re.fullmatch(pattern, req.path)
        if not m:
            continue
        try:
            user = authenticate(ctx, req) if needs_auth else None
            method = "GET" if req.method == "HEAD" else req.method
            if method == "OPTIONS":
                return json_resp(200, {"name": handler.__name__, "renders": ["application/json"], "parses": ["application/json"]}, allow)
            if method not in methods:
                return json_resp(405, {"detail": f'Method "{req.method}" not allowed.'}, allow)
            resp = handler(ctx, req, user, *m.groups())
        except ApiError as e:
            return json_resp(e.status, e.body, allow)
        return resp
    return None
