"""Serialisers: internal records -> Authentik-shaped JSON objects (per release dialect)."""

from __future__ import annotations

import base64
import hashlib
import urllib.parse

from . import crypto

BG = "/static/dist/assets/images/flow_background.jpg"
SUPERUSER_PERMISSIONS = (
    "access_admin_interface", "add_initialpermissions", "add_role", "assign_role_permissions", "change_initialpermissions",
    "change_role", "delete_initialpermissions", "delete_role", "edit_system_settings", "manage_media_files",
    "unassign_role_permissions", "view_initialpermissions", "view_media_files", "view_role", "view_system_info",
    "view_system_settings",
)


def user_uid(state: dict, user: dict) -> str:
    return hashlib.sha256(f"{user['pk']}-{state['install_id']}".encode()).hexdigest()


def avatar(user: dict) -> str:
    name = (user.get("name") or user.get("username") or "?").strip()
    parts = [p for p in name.replace("-", " ").split() if p]
    initials = "".join(p[0] for p in parts[:2]).upper() or "?"
    hue = int(hashlib.md5(user.get("username", "").encode()).hexdigest()[:2], 16)
    color = f"#3{hue % 10}{(hue // 10) % 10}e{hue % 7}7"
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="64px" height="64px" viewBox="0 0 64 64" version="1.1">'
        f'<rect fill="{color}" cx="32" cy="32" width="64" height="64" r="32"/>'
        f'<text x="50%" y="50%" fill="#fff" alignment-baseline="middle" dominant-baseline="middle" text-anchor="middle" font-size="28" font-weight="400" dy=".1em">{initials}</text></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def groups_of(state: dict, user_pk: int) -> list[dict]:
    gs = [g for g in state["groups"].values() if user_pk in g["users"]]
    return sorted(gs, key=lambda g: g["name"])


def is_superuser(state: dict, user: dict) -> bool:
    return any(g["is_superuser"] for g in groups_of(state, user["pk"]))


def group_small(g: dict) -> dict:
    return {"pk": g["pk"], "num_pk": g["num_pk"], "name": g["name"], "is_superuser": g["is_superuser"], "attributes": g["attributes"]}


def user_obj(state: dict, u: dict) -> dict:
    gs = groups_of(state, u["pk"])
    return {
        "pk": u["pk"],
        "username": u["username"],
        "name": u["name"],
        "is_active": u["is_active"],
        "last_login": u["last_login"],
        "date_joined": u["date_joined"],
        "is_superuser": any(g["is_superuser"] for g in gs),
        "groups": [g["pk"] for g in gs],
        "groups_obj": [group_small(g) for g in gs],
        "roles": [],
        "roles_obj": [],
        "email": u["email"],
        "avatar": avatar(u),
        "attributes": u["attributes"],
        "uid": user_uid(state, u),
        "path": u["path"],
        "type": u["type"],
        "uuid": u["uuid"],
        "password_change_date": u["password_change_date"],
        "last_updated": u["last_updated"],
    }


def user_small(state: dict, u: dict) -> dict:
    return {
        "pk": u["pk"],
        "username": u["username"],
        "name": u["name"],
        "is_active": u["is_active"],
        "last_login": u["last_login"],
        "email": u["email"],
        "attributes": u["attributes"],
        "uid": user_uid(state, u),
    }


def me_obj(state: dict, u: dict) -> dict:
    gs = groups_of(state, u["pk"])
    su = any(g["is_superuser"] for g in gs)
    return {
        "user": {
            "pk": u["pk"],
            "username": u["username"],
            "name": u["name"],
            "is_active": u["is_active"],
            "is_superuser": su,
            "groups": [{"name": g["name"], "pk": g["pk"]} for g in gs],
            "roles": [],
            "email": u["email"],
            "avatar": avatar(u),
            "uid": user_uid(state, u),
            "settings": {},
            "type": u["type"],
            "system_permissions": list(SUPERUSER_PERMISSIONS) if su else [],
        }
    }


def group_obj(state: dict, g: dict) -> dict:
    users = [state["users"][str(pk)] for pk in g["users"] if str(pk) in state["users"]]
    return {
        "pk": g["pk"],
        "num_pk": g["num_pk"],
        "name": g["name"],
        "is_superuser": g["is_superuser"],
        "parents": g.get("parents", []),
        "parents_obj": None,
        "users": [u["pk"] for u in users],
        "users_obj": [user_small(state, u) for u in users],
        "attributes": g["attributes"],
        "roles": [],
        "roles_obj": [],
        "inherited_roles_obj": None,
        "children": [],
        "children_obj": None,
    }


def token_obj(state: dict, t: dict) -> dict:
    u = state["users"].get(str(t["user"]))
    return {
        "pk": t["pk"],
        "managed": t["managed"],
        "identifier": t["identifier"],
        "intent": t["intent"],
        "user": t["user"],
        "user_obj": user_obj(state, u) if u else None,
        "description": t["description"],
        "expires": t["expires"],
        "expiring": t["expiring"],
    }


def flow_obj(f: dict) -> dict:
    return {
        "pk": f["pk"],
        "policybindingmodel_ptr_id": f["policybindingmodel_ptr_id"],
        "name": f["name"],
        "slug": f["slug"],
        "title": f["title"],
        "designation": f["designation"],
        "background": "",
        "background_url": BG,
        "background_themed_urls": None,
        "stages": f["stages"],
        "policies": [],
        "cache_count": 0,
        "policy_engine_mode": "any",
        "compatibility_mode": False,
        "export_url": f"/api/v3/flows/instances/{f['slug']}/export/",
        "layout": "stacked",
        "denied_action": "message_continue",
        "authentication": f["authentication"],
    }


def mapping_obj(m: dict) -> dict:
    return {
        "pk": m["pk"],
        "managed": m["managed"],
        "name": m["name"],
        "expression": m["expression"],
        "component": "ak-property-mapping-provider-scope-form",
        "verbose_name": "Scope Mapping",
        "verbose_name_plural": "Scope Mappings",
        "meta_model_name": "authentik_providers_oauth2.scopemapping",
        "scope_name": m["scope_name"],
        "description": m["description"],
    }


def cert_obj(c: dict, d=None) -> dict:
    info = crypto.cert_info(c["cert_pem"])
    has_key = bool(c.get("key_pem"))
    return {
        "pk": c["pk"],
        "name": c["name"],
        "fingerprint_sha256": info["fingerprint_sha256"],
        "fingerprint_sha1": info["fingerprint_sha1"],
        "cert_expiry": info["cert_expiry"],
        "cert_subject": info["cert_subject"],
        "private_key_available": has_key,
        (d.key_type_field if d is not None else "key_type"): "rsa",
        "certificate_download_url": f"/api/v3/crypto/certificatekeypairs/{c['pk']}/view_certificate/?download",
        "private_key_download_url": f"/api/v3/crypto/certificatekeypairs/{c['pk']}/view_private_key/?download",
        "managed": c.get("managed"),
    }


def app_for_provider(state: dict, provider_pk: int) -> dict | None:
    for a in state["applications"].values():
        if a.get("provider") == provider_pk:
            return a
    return None


def provider_base(state: dict, d, p: dict) -> dict:
    app = app_for_provider(state, p["pk"])
    out = {
        "pk": p["pk"],
        "name": p["name"],
        "authentication_flow": p.get("authentication_flow"),
        "authorization_flow": p["authorization_flow"],
    }
    if d.has_invalidation_flow:
        out["invalidation_flow"] = p.get("invalidation_flow")
    out.update(
        {
            "property_mappings": list(p.get("property_mappings") or []),
            "component": "ak-provider-oauth2-form",
            "assigned_application_slug": app["slug"] if app else None,
            "assigned_application_name": app["name"] if app else None,
            "assigned_backchannel_application_slug": None,
            "assigned_backchannel_application_name": None,
            "verbose_name": "OAuth2/OpenID Provider",
            "verbose_name_plural": "OAuth2/OpenID Providers",
            "meta_model_name": "authentik_providers_oauth2.oauth2provider",
        }
    )
    return out


def provider_obj(state: dict, d, p: dict) -> dict:
    out = provider_base(state, d, p)
    out.update(
        {
            "client_type": p["client_type"],
            "client_id": p["client_id"],
            "client_secret": p["client_secret"],
            "access_code_validity": p["access_code_validity"],
            "access_token_validity": p["access_token_validity"],
            "refresh_token_validity": p["refresh_token_validity"],
        }
    )
    if d.logout_fields:
        out["refresh_token_threshold"] = p.get("refresh_token_threshold", "seconds=0")
    out["include_claims_in_id_token"] = p["include_claims_in_id_token"]
    out["signing_key"] = p.get("signing_key")
    if d.encryption_key:
        out["encryption_key"] = p.get("encryption_key")
    if d.redirect_uris_list:
        out["redirect_uris"] = [dict(r) for r in p["redirect_uris"]]
    else:
        out["redirect_uris"] = p.get("redirect_uris_str", "")
    if d.logout_fields:
        out["logout_uri"] = p.get("logout_uri", "")
        out["logout_method"] = p.get("logout_method", "backchannel")
    out["sub_mode"] = p["sub_mode"]
    out["issuer_mode"] = p["issuer_mode"]
    if d.jwt_federation:
        out["jwt_federation_sources"] = list(p.get("jwt_federation_sources") or [])
        out["jwt_federation_providers"] = list(p.get("jwt_federation_providers") or [])
    else:
        out["jwks_sources"] = list(p.get("jwt_federation_sources") or [])
    return out


def provider_launch_url(p: dict) -> str | None:
    for r in p.get("redirect_uris") or []:
        if r.get("matching_mode") != "strict":
            continue
        u = urllib.parse.urlsplit(r.get("url", ""))
        if u.scheme and u.netloc:
            return f"{u.scheme}://{u.netloc}"
        return None
    return None


def app_obj(state: dict, d, a: dict) -> dict:
    p = state["providers"].get(str(a["provider"])) if a.get("provider") is not None else None
    launch = a.get("meta_launch_url") or (provider_launch_url(p) if p else None)
    out = {
        "pk": a["pk"],
        "name": a["name"],
        "slug": a["slug"],
        "provider": a.get("provider") if p else None,
        "provider_obj": provider_base(state, d, p) if p else None,
        "backchannel_providers": [],
        "backchannel_providers_obj": [],
        "launch_url": launch or None,
        "open_in_new_tab": a.get("open_in_new_tab", False),
        "meta_launch_url": a.get("meta_launch_url", ""),
        "meta_icon": a.get("meta_icon", ""),
    }
    if d.app_icon_urls:
        out["meta_icon_url"] = None
        out["meta_icon_themed_urls"] = None
    out.update(
        {
            "meta_description": a.get("meta_description", ""),
            "meta_publisher": a.get("meta_publisher", ""),
            "policy_engine_mode": a.get("policy_engine_mode", "any"),
            "group": a.get("group", ""),
        }
    )
    return out
