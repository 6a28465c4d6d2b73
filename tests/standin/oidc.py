"""/application/o/ : discovery, JWKS, authorize, token, userinfo, introspect, revoke, end-session."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
import urllib.parse
import uuid

from . import crypto, pages, serial
from .store import new_user
from .util import gen_id, parse_validity
from .web import HTML, Request, Resp, json_resp, redirect

ERRORS = {
    "invalid_client": "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method)",
    "invalid_grant": "The provided authorization grant or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client",
    "unsupported_grant_type": "The authorization grant type is not supported by the authorization server",
    "invalid_scope": "The requested scope is invalid, unknown, malformed, or exceeds the scope granted by the resource owner",
    "invalid_request": "The request is otherwise malformed",
}
NO_STORE = [("Cache-Control", "no-store")]
BASE_CLAIMS = ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "amr", "nonce"]
WWW_AUTH = 'error="invalid_token", error_description="The access token provided is expired, revoked, malformed, or invalid for other reasons"'
ACR = "goauthentik.io/providers/oauth2/default"


def token_error(code: str, status: int = 400) -> Resp:
    return json_resp(status, {"error": code, "error_description": ERRORS[code], "request_id": uuid.uuid4().hex}, headers=NO_STORE)


def html(ctx, status: int, body: str) -> Resp:
    return Resp(status, body, HTML)


class TokenError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# ---------------------------------------------------------------- lookups

def provider_by_client_id(ctx, client_id: str | None) -> dict | None:
    if not client_id:
        return None
    for p in ctx.state["providers"].values():
        if p["client_id"] == client_id:
            return p
    return None


def app_and_provider(ctx, slug: str):
    a = ctx.state["applications"].get(slug)
    if not a or a.get("provider") is None:
        return None, None
    p = ctx.state["providers"].get(str(a["provider"]))
    if not p:
        return None, None
    return a, p


def provider_mappings(ctx, p: dict) -> list[dict]:
    ms = [ctx.state["mappings"][pk] for pk in p.get("property_mappings") or [] if pk in ctx.state["mappings"]]
    return sorted(ms, key=lambda m: m.get("order", 99))


def signing_kp(ctx, p: dict) -> dict | None:
    sk = p.get("signing_key")
    if not sk:
        return None
    c = ctx.state["certs"].get(sk)
    if not c or not c.get("key_pem"):
        return None
    return c


def redirect_allowed(ctx, p: dict, uri: str | None) -> bool:
    if not uri:
        return False
    entries = p.get("redirect_uris") or []
    if not ctx.d.redirect_uris_list and not entries:
        # releases before 2024.12: a blank list learns the first redirect_uri used (see NOTES.md)
        p["redirect_uris"] = [{"matching_mode": "strict", "url": uri}]
        p["redirect_uris_str"] = uri
        return True
    if ctx.d.legacy_regex:
        # the string form: each line is a full-match regex, compared literally when it does not compile;
        # a lone "*" allows anything (see NOTES.md)
        for e in entries:
            if e["url"] == "*":
                return True
            try:
                if re.fullmatch(e["url"], uri):
                    return True
            except re.error:
                if e["url"] == uri:
                    return True
        return False
    for e in entries:
        if e["matching_mode"] == "strict" and e["url"] == uri:
            return True
        if e["matching_mode"] == "regex":
            try:
                if re.fullmatch(e["url"], uri):
                    return True
            except re.error:
                continue
    return False


def order_scopes(scopes) -> list[str]:
    s = list(dict.fromkeys(scopes))
    out = sorted(x for x in s if x != "offline_access")
    if "offline_access" in s:
        out.append("offline_access")
    return out


def grant_scopes(ctx, p: dict, requested: list[str]) -> list[str]:
    mapped = {m["scope_name"] for m in provider_mappings(ctx, p)}
    return order_scopes([s for s in requested if s in mapped])


def subject(ctx, p: dict, u: dict) -> str:
    mode = p.get("sub_mode", "hashed_user_id")
    if mode == "user_id":
        return str(u["pk"])
    if mode == "user_uuid":
        return u["uuid"]
    if mode == "user_username":
        return u["username"]
    if mode == "user_email":
        return u["email"]
    if mode == "user_upn":
        return u["attributes"].get("upn") or u["email"]
    return serial.user_uid(ctx.state, u)


def custom_claims(expression: str, u: dict) -> dict:
    """Evaluate `return {"key": <literal> | request.user.<attr>, ...}` without running code; anything else gives {}."""
    import ast

    try:
        tree = ast.parse(expression.strip())
    except SyntaxError:
        return {}
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Return) or not isinstance(tree.body[0].value, ast.Dict):
        return {}
    out: dict = {}
    for k, v in zip(tree.body[0].value.keys, tree.body[0].value.values):
        if not isinstance(k, ast.Constant):
            return {}
        if isinstance(v, ast.Constant):
            out[k.value] = v.value
        elif (isinstance(v, ast.Attribute) and isinstance(v.value, ast.Attribute) and v.value.attr == "user"
              and isinstance(v.value.value, ast.Name) and v.value.value.id == "request" and v.attr in ("email", "username", "name")):
            out[k.value] = u.get(v.attr)
        else:
            return {}
    return out


def user_claims(ctx, p: dict, u: dict, scopes: list[str]) -> dict:
    out: dict = {}
    state = ctx.state
    for m in provider_mappings(ctx, p):
        if m["scope_name"] not in scopes:
            continue
        sn = m["scope_name"]
        if m.get("managed") is None:  # a custom mapping: only a literal `return {...}` is understood (NOTES.md)
            out.update(custom_claims(m.get("expression") or "", u))
        elif sn == "email":
            out.update({"email": u["email"], "email_verified": ctx.d.email_verified})
        elif sn == "profile":
            out.update(
                {
                    "name": u["name"],
                    "given_name": u["name"],
                    "preferred_username": u["username"],
                    "nickname": u["username"],
                    "groups": [g["name"] for g in serial.groups_of(state, u["pk"])],
                }
            )
        elif sn == "entitlements":
            out.update({"entitlements": [], "roles": []})
        elif sn == "ak_proxy":
            out.update({"ak_proxy": {"user_attributes": {}, "is_superuser": serial.is_superuser(state, u)}})
    return out


# ---------------------------------------------------------------- discovery / jwks

def discovery(ctx, req: Request, app: dict, p: dict) -> Resp:
    b = req.base
    slug = app["slug"]
    scopes = [m["scope_name"] for m in provider_mappings(ctx, p)]
    claims = list(BASE_CLAIMS)
    for m in provider_mappings(ctx, p):
        for c in m.get("claims", []):
            if c not in claims:
                claims.append(c)
    body = {
        "issuer": ctx.issuer(req, p, app),
        "authorization_endpoint": f"{b}/application/o/authorize/",
        "token_endpoint": f"{b}/application/o/token/",
        "userinfo_endpoint": f"{b}/application/o/userinfo/",
        "end_session_endpoint": f"{b}/application/o/{slug}/end-session/",
        "introspection_endpoint": f"{b}/application/o/introspect/",
        "revocation_endpoint": f"{b}/application/o/revoke/",
        "device_authorization_endpoint": f"{b}/application/o/device/",
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "response_types_supported": ["code", "id_token", "id_token token", "code token", "code id_token", "code id_token token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "jwks_uri": f"{b}/application/o/{slug}/jwks/",
        "grant_types_supported": ["authorization_code", "refresh_token", "implicit", "client_credentials", "password", "urn:ietf:params:oauth:grant-type:device_code"],
        "id_token_signing_alg_values_supported": ["RS256" if signing_kp(ctx, p) else "HS256"],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "acr_values_supported": [ACR],
        "scopes_supported": scopes,
        "request_parameter_supported": False,
        "claims_supported": claims,
        "claims_parameter_supported": False,
        "code_challenge_methods_supported": ["plain", "S256"],
    }
    return json_resp(200, body)


def jwks(ctx, p: dict) -> Resp:
    kp = signing_kp(ctx, p)
    body = {"keys": [crypto.jwk_for(kp)]} if kp else {}
    return json_resp(200, body, headers=[("Access-Control-Allow-Origin", "*")])


# ---------------------------------------------------------------- authorize

def _qs(pairs) -> str:
    return "&".join(f"{k}={urllib.parse.quote(str(v), safe='')}" for k, v in pairs)


def _append(uri: str, pairs) -> str:
    return uri + ("&" if "?" in uri else "?") + _qs(pairs)


def authorize(ctx, req: Request) -> Resp:
    raw = req.raw_query
    params = {k: v[0] for k, v in req.query.items()}
    if req.method == "POST" and req.content_type() == "application/x-www-form-urlencoded":
        raw = req.body.decode("utf-8", "replace")
        params = req.form()
    p = provider_by_client_id(ctx, params.get("client_id"))
    app = serial.app_for_provider(ctx.state, p["pk"]) if p else None
    if not p or not app:
        return html(ctx, 400, pages.client_id_error(ctx.version))
    redirect_uri = params.get("redirect_uri")
    if not redirect_allowed(ctx, p, redirect_uri):
        return html(ctx, 400, pages.redirect_uri_error(ctx.version))
    state_param = params.get("state")
    extra = [("state", state_param)] if state_param is not None else []
    response_type = params.get("response_type", "")
    if response_type != "code":
        return redirect(_append(redirect_uri, [("error", "unsupported_response_type"), ("error_description", "The authorization server does not support obtaining an authorization code using this method")] + extra))
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method") or ("plain" if challenge else None)
    if challenge and method not in ("plain", "S256"):
        return redirect(_append(redirect_uri, [("error", "invalid_request"), ("error_description", "The request is otherwise malformed")] + extra))
    sess, sid, cookie = ctx.session(req)
    user = ctx.state["users"].get(str(sess.get("user"))) if sess.get("user") is not None else None
    prompt = params.get("prompt", "")
    if user is None:
        if prompt == "none":
            return redirect(_append(redirect_uri, [("error", "login_required"), ("error_description", "The Authorization Server requires End-User authentication")] + extra))
        flow_slug = "default-authentication-flow"
        if p.get("authentication_flow"):
            for f in ctx.state["flows"].values():
                if f["pk"] == p["authentication_flow"]:
                    flow_slug = f["slug"]
        if ctx.d.default_flow_view and not p.get("authentication_flow"):
            # 2024.x: Django's redirect_to_login to the default-flow view (`next` keeps its slashes), which
            # then redirects to the flow interface (flows.default_flow_view)
            nxt = urllib.parse.quote("/application/o/authorize/?" + raw, safe="/")
            return redirect("/flows/-/default/authentication/?next=" + nxt).add(*cookie)
        nxt = urllib.parse.quote("/application/o/authorize/?" + raw, safe="")
        loc = f"/if/flow/{flow_slug}/?" + (raw + "&" if raw else "") + "next=" + nxt
        return redirect(loc).add(*cookie)
    flow = next((f for f in ctx.state["flows"].values() if f["pk"] == p.get("authorization_flow")), None)
    # before 2025.4, offline_access sets prompt=consent and an always-required consent stage is appended to a
    # flow that has none (the implicit-consent flow too)
    forced = ctx.d.offline_access_consent and "offline_access" in (params.get("scope") or "").split()
    if flow is not None and flow["designation"] == "authorization" and (flow["stages"] or forced):
        # explicit consent: the flow executor shows ak-stage-consent, then redirects back with the code
        sess.setdefault("plans", {})[flow["slug"]] = {"stage": "consent", "params": params, "token": gen_id(32), "app": app["slug"]}
        return redirect(f"/if/flow/{flow['slug']}/?{raw}").add(*cookie)
    return redirect(code_redirect(ctx, p, user, sess, params)).add(*cookie)


def code_redirect(ctx, p: dict, user: dict, sess: dict, params: dict) -> str:
    """Create an authorization code and return redirect_uri?code=...&state=..."""
    redirect_uri = params["redirect_uri"]
    challenge = params.get("code_challenge")
    method = params.get("code_challenge_method") or ("plain" if challenge else None)
    requested = (params.get("scope") or "").split()
    code = gen_id(32)
    ctx.state["oauth"]["codes"][code] = {
        "provider": p["pk"],
        "user": user["pk"],
        "redirect_uri": redirect_uri,
        "scopes": grant_scopes(ctx, p, requested),
        "nonce": params.get("nonce"),
        "challenge": challenge,
        "method": method,
        "auth_time": sess.get("auth_time") or int(ctx.clock.now()),
        "sid": sess.get("sid_hash"),
        "exp": ctx.clock.now() + parse_validity(p.get("access_code_validity", "minutes=1"), 60),
    }
    state_param = params.get("state")
    return _append(redirect_uri, [("code", code)] + ([("state", state_param)] if state_param is not None else []))


# ---------------------------------------------------------------- token

def client_credentials_from(req: Request, form: dict) -> tuple[str | None, str | None]:
    auth = req.headers.get("Authorization") or ""
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip()).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        cid, _, secret = decoded.partition(":")
        return urllib.parse.unquote_plus(cid), urllib.parse.unquote_plus(secret)
    return form.get("client_id"), form.get("client_secret")


def issue(ctx, req: Request, p: dict, u: dict, scopes: list[str], *, nonce=None, auth_time=None, sid=None, amr=None, refresh=False, original_nonce=None) -> dict:
    state = ctx.state
    app = serial.app_for_provider(state, p["pk"])
    now = int(ctx.clock.now())
    validity = int(parse_validity(p.get("access_token_validity", "hours=1"), 3600))
    base = {
        "iss": ctx.issuer(req, p, app),
        "sub": subject(ctx, p, u),
        "aud": p["client_id"],
        "exp": now + validity,
        "iat": now,
        "auth_time": int(auth_time or now),
        "acr": ACR,
    }
    if amr:
        base["amr"] = amr
    if nonce:
        base["nonce"] = nonce
    if sid:
        base["sid"] = sid
    base["jti"] = gen_id(40)
    claims = user_claims(ctx, p, u, scopes)
    id_payload = dict(base)
    if p.get("include_claims_in_id_token", True):
        id_payload.update(claims)
    access_payload = dict(base)
    access_payload.update(claims)
    access_payload.update({"azp": p["client_id"], "uid": gen_id(40), "scope": " ".join(scopes)})
    kp = signing_kp(ctx, p)
    at = crypto.sign_jwt(access_payload, kp, p["client_secret"])
    idt = crypto.sign_jwt(id_payload, kp, p["client_secret"])
    intro = dict(base)
    intro.update(claims)
    state["oauth"]["access"][at] = {"provider": p["pk"], "user": u["pk"], "scope": scopes, "exp": now + validity, "intro": intro, "revoked": False}
    out = {"access_token": at, "token_type": "Bearer", "scope": " ".join(scopes), "expires_in": validity, "id_token": idt}
    if refresh:
        rt = gen_id(128)
        rvalid = int(parse_validity(p.get("refresh_token_validity", "days=30"), 30 * 86400))
        # the refresh token keeps the id token of the original authorization (nonce included)
        rnonce = nonce or original_nonce
        rintro = {k: v for k, v in id_payload.items() if k not in ("jti", "nonce", "sid") and k not in claims}
        rintro["exp"] = now + rvalid
        if rnonce:
            rintro["nonce"] = rnonce
        rintro["at_hash"] = crypto.at_hash(at)
        if sid:
            rintro["sid"] = sid
        rintro["jti"] = gen_id(40)
        rintro.update({k: v for k, v in id_payload.items() if k in claims})
        state["oauth"]["refresh"][rt] = {
            "provider": p["pk"],
            "user": u["pk"],
            "scope": scopes,
            "exp": now + rvalid,
            "intro": rintro,
            "auth_time": int(auth_time or now),
            "sid": sid,
            "amr": amr,
            "nonce": rnonce,
            "revoked": False,
        }
        out["refresh_token"] = rt
    return out


def _app_password_user(ctx, username: str | None, password: str | None) -> dict:
    state = ctx.state
    u = next((x for x in state["users"].values() if x["username"] == username), None)
    if not u or not u["is_active"] or not password:
        raise TokenError("invalid_grant")
    now = ctx.clock.now()
    for t in state["tokens"].values():
        if t["user"] == u["pk"] and t["intent"] == "app_password" and t["key"] == password:
            if t["expiring"] and t["expires_ts"] < now:
                break
            return u
    raise TokenError("invalid_grant")


def _generated_user(ctx, p: dict) -> dict:
    state = ctx.state
    app = serial.app_for_provider(state, p["pk"])
    username = f"ak-{p['name']}-client_credentials"
    name = f"Autogenerated user from application {app['name'] if app else p['name']} (client credentials)"
    u = next((x for x in state["users"].values() if x["username"] == username), None)
    if u is None:
        u = new_user(state, ctx.clock, username, name, type="service_account", path="goauthentik.io/service-accounts", attributes={})
    else:
        u["name"] = name
    u["last_updated"] = ctx.clock.iso()
    state["app_cache"] = {}
    return u


def token(ctx, req: Request) -> Resp:
    if req.method != "POST":
        return json_resp(405, {"detail": f'Method "{req.method}" not allowed.'})
    form = req.form()
    grant = form.get("grant_type", "")
    if grant not in ("authorization_code", "refresh_token", "client_credentials", "password"):
        return token_error("unsupported_grant_type")
    cid, secret = client_credentials_from(req, form)
    p = provider_by_client_id(ctx, cid)
    if p is None:
        return token_error("invalid_client")
    try:
        if grant in ("client_credentials", "password"):
            return _token_cc(ctx, req, p, form, secret)
        if p["client_type"] == "confidential" and secret != p["client_secret"]:
            return token_error("invalid_client")
        if grant == "authorization_code":
            return _token_code(ctx, req, p, form)
        return _token_refresh(ctx, req, p, form)
    except TokenError as e:
        return token_error(e.code)


def _ok(body: dict) -> Resp:
    return json_resp(200, body, headers=NO_STORE)


def _token_code(ctx, req, p, form) -> Resp:
    redirect_uri = form.get("redirect_uri")
    if not redirect_allowed(ctx, p, redirect_uri):
        raise TokenError("invalid_client")
    codes = ctx.state["oauth"]["codes"]
    c = codes.get(form.get("code", ""))
    if not c or c["provider"] != p["pk"] or c["exp"] < ctx.clock.now() or c["redirect_uri"] != redirect_uri:
        raise TokenError("invalid_grant")
    if c.get("challenge"):
        verifier = form.get("code_verifier") or ""
        expected = crypto.pkce_s256(verifier) if c["method"] == "S256" else verifier
        if not verifier or expected != c["challenge"]:
            raise TokenError("invalid_grant")
    del codes[form["code"]]
    u = ctx.state["users"].get(str(c["user"]))
    if not u:
        raise TokenError("invalid_grant")
    scopes = c["scopes"]
    return _ok(issue(ctx, req, p, u, scopes, nonce=c.get("nonce"), auth_time=c["auth_time"], sid=c.get("sid"), amr=["pwd"], refresh="offline_access" in scopes))


def _token_refresh(ctx, req, p, form) -> Resp:
    refresh = ctx.state["oauth"]["refresh"]
    rt_key = form.get("refresh_token", "")
    rt = refresh.get(rt_key)
    if not rt or rt["revoked"] or rt["provider"] != p["pk"] or rt["exp"] < ctx.clock.now():
        raise TokenError("invalid_grant")
    scopes = rt["scope"]
    if form.get("scope"):
        wanted = form["scope"].split()
        if "offline_access" not in wanted or not set(wanted) <= set(rt["scope"]):
            raise TokenError("invalid_scope")
        scopes = order_scopes(wanted)
    u = ctx.state["users"].get(str(rt["user"]))
    if not u:
        raise TokenError("invalid_grant")
    rt["revoked"] = True
    return _ok(issue(ctx, req, p, u, scopes, auth_time=rt["auth_time"], sid=rt.get("sid"), amr=rt.get("amr"), refresh="offline_access" in scopes, original_nonce=rt.get("nonce")))


def _token_cc(ctx, req, p, form, secret) -> Resp:
    username = form.get("username")
    if username:
        u = _app_password_user(ctx, username, form.get("password"))
    elif secret and p["client_secret"] and secret == p["client_secret"]:
        u = _generated_user(ctx, p)
    else:
        try:
            decoded = base64.b64decode(secret or "", validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise TokenError("invalid_client") from None
        if ":" not in decoded:
            raise TokenError("invalid_client")
        uname, _, pw = decoded.partition(":")
        u = _app_password_user(ctx, uname, pw)
    scopes = grant_scopes(ctx, p, (form.get("scope") or "").split())
    u["last_login"] = ctx.clock.iso()
    return _ok(issue(ctx, req, p, u, scopes, auth_time=int(ctx.clock.now()), refresh=False))


# ---------------------------------------------------------------- userinfo / introspect / revoke

def _bearer(req: Request) -> str | None:
    auth = req.headers.get("Authorization") or ""
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if req.method == "POST":
        return req.form().get("access_token")
    return None


def userinfo(ctx, req: Request) -> Resp:
    tok = _bearer(req)
    at = ctx.state["oauth"]["access"].get(tok or "")
    if not at or at["revoked"] or at["exp"] < ctx.clock.now():
        return Resp(401, b"", HTML, [("WWW-Authenticate", WWW_AUTH)])
    p = ctx.state["providers"].get(str(at["provider"]))
    u = ctx.state["users"].get(str(at["user"]))
    if not p or not u:
        return Resp(401, b"", HTML, [("WWW-Authenticate", WWW_AUTH)])
    body = {"sub": subject(ctx, p, u)}
    body.update(user_claims(ctx, p, u, at["scope"]))
    return json_resp(200, body, headers=NO_STORE)


def _auth_client(ctx, req: Request, form: dict) -> dict | None:
    cid, secret = client_credentials_from(req, form)
    p = provider_by_client_id(ctx, cid)
    if not p:
        return None
    if p["client_type"] == "confidential" and secret != p["client_secret"]:
        return None
    return p


def introspect(ctx, req: Request) -> Resp:
    form = req.form()
    p = _auth_client(ctx, req, form)
    inactive = json_resp(200, {"active": False}, headers=NO_STORE)
    if not p:
        return inactive
    tok = form.get("token", "")
    rec = ctx.state["oauth"]["access"].get(tok) or ctx.state["oauth"]["refresh"].get(tok)
    if not rec or rec["revoked"] or rec["provider"] != p["pk"] or rec["exp"] < ctx.clock.now():
        return inactive
    body = dict(rec["intro"])
    body.update({"active": True, "scope": " ".join(rec["scope"]), "client_id": p["client_id"]})
    return json_resp(200, body, headers=NO_STORE)


def revoke(ctx, req: Request) -> Resp:
    form = req.form()
    p = _auth_client(ctx, req, form)
    if not p:
        return token_error("invalid_client", 401)
    tok = form.get("token", "")
    rec = ctx.state["oauth"]["access"].get(tok) or ctx.state["oauth"]["refresh"].get(tok)
    if rec and rec["provider"] == p["pk"]:
        rec["revoked"] = True
    return json_resp(200, {}, headers=NO_STORE)


def end_session(ctx, req: Request, app: dict, p: dict) -> Resp:
    _sess, _sid, cookie = ctx.session(req)
    slug = "default-invalidation-flow"
    if ctx.d.has_invalidation_flow and p.get("invalidation_flow"):
        for f in ctx.state["flows"].values():
            if f["pk"] == p["invalidation_flow"]:
                slug = f["slug"]
    query = req.raw_query
    u = ctx.state["users"].get(str(_sess.get("user"))) if _sess.get("user") is not None else None
    if u is not None and serial.is_superuser(ctx.state, u):
        # authentik adds this for users allowed to use the flow inspector (capture 107, akadmin)
        query = (query + "&" if query else "") + "inspector=available"
    loc = f"/if/flow/{slug}/" + (f"?{query}" if query else "")
    return redirect(loc).add(*cookie)


# ---------------------------------------------------------------- routing

def dispatch(ctx, req: Request) -> Resp | None:
    path = req.path
    if not path.startswith("/application/o/"):
        return None
    fixed = {
        "/application/o/authorize/": authorize,
        "/application/o/token/": token,
        "/application/o/userinfo/": userinfo,
        "/application/o/introspect/": introspect,
        "/application/o/revoke/": revoke,
    }
    if path in fixed:
        return fixed[path](ctx, req)
    m = re.fullmatch(r"/application/o/([^/]+)/(|\.well-known/openid-configuration|jwks/|end-session/)", path)
    if not m:
        return None
    app, p = app_and_provider(ctx, m.group(1))
    if not app:
        return None
    what = m.group(2)
    if what == "":
        return redirect(f"/application/o/{app['slug']}/.well-known/openid-configuration")
    if what == "jwks/":
        return jwks(ctx, p)
    if what == "end-session/":
        return end_session(ctx, req, app, p)
    return discovery(ctx, req, app, p)


def new_sid_hash() -> str:
    return hashlib.sha256(secrets.token_bytes(32)).hexdigest()
