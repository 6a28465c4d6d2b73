"""Flow executor (headless login: identification -> password -> user-login) and the /if/flow/ shell."""

from __future__ import annotations

import re
import urllib.parse

from . import crypto, pages, serial
from .oidc import code_redirect, new_sid_hash
from .util import gen_id
from .web import HTML, Request, Resp, json_resp, session_cookie

ALLOW = "GET, POST, HEAD, OPTIONS"
BG = "/static/dist/assets/images/flow_background.jpg"


def _next_from(req: Request) -> str | None:
    query = req.q("query") or ""
    q = urllib.parse.parse_qs(query, keep_blank_values=True)
    n = q.get("next")
    return n[0] if n else None


def _flow_info(flow: dict, nxt: str | None) -> dict:
    cancel = "/flows/-/cancel/" + (f"?next={urllib.parse.quote(nxt, safe='')}" if nxt else "")
    title = flow["title"]
    return {"title": title, "background": BG, "background_themed_urls": None, "cancel_url": cancel, "layout": "stacked"}


def _app_pre(ctx, nxt: str | None) -> dict:
    if not nxt or not nxt.startswith("/application/o/authorize/"):
        return {}
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(nxt).query)
    cid = (q.get("client_id") or [None])[0]
    for p in ctx.state["providers"].values():
        if p["client_id"] == cid:
            app = serial.app_for_provider(ctx.state, p["pk"])
            if app:
                a = serial.app_obj(ctx.state, ctx.d, app)
                return {"application_pre": app["name"], "application_pre_launch": a["launch_url"] or ""}
    return {}


def _ident_challenge(ctx, flow, nxt, errors=None) -> dict:
    out = {"flow_info": _flow_info(flow, nxt), "component": "ak-stage-identification"}
    if errors:
        out["response_errors"] = errors
    out.update({"user_fields": ["email", "username"], "pending_user_identifier": None, "password_fields": False, "allow_show_password": False})
    out.update(_app_pre(ctx, nxt))
    out.update({"flow_designation": flow["designation"], "captcha_stage": None, "primary_action": "Log in", "sources": [], "show_source_labels": False, "enable_remember_me": False, "passkey_challenge": None})
    return out


def _password_challenge(ctx, flow, nxt, plan, errors=None) -> dict:
    out = {"flow_info": _flow_info(flow, nxt), "component": "ak-stage-password"}
    if errors:
        out["response_errors"] = errors
    u = ctx.state["users"].get(str(plan.get("pending_user")))
    shown = u if u else {"username": plan.get("uid") or "", "name": plan.get("uid") or ""}
    out.update({"pending_user": shown["username"], "pending_user_avatar": serial.avatar(shown), "allow_show_password": False})
    return out


def _consent_challenge(ctx, flow, plan, sess) -> dict:
    app = ctx.state["applications"].get(plan.get("app", ""), {"name": ""})
    u = ctx.state["users"].get(str(sess.get("user"))) or {"username": "", "name": ""}
    p = ctx.state["providers"].get(str(app.get("provider"))) if app.get("provider") is not None else None
    scopes = (plan["params"].get("scope") or "").split()
    perms = []
    for m in sorted((ctx.state["mappings"][pk] for pk in (p or {}).get("property_mappings", []) if pk in ctx.state["mappings"]), key=lambda m: m.get("order", 99)):
        if m["scope_name"] in scopes and m["description"]:
            perms.append({"id": m["scope_name"], "name": m["description"]})
    return {
        "flow_info": _flow_info(flow, None) | {"title": flow["title"].replace("%(app)s", app["name"])},
        "component": "ak-stage-consent",
        "pending_user": u["username"],
        "pending_user_avatar": serial.avatar(u),
        "header_text": "",
        "permissions": perms,
        "additional_permissions": [],
        "token": plan["token"],
    }


def executor(ctx, req: Request, slug: str) -> Resp:
    state = ctx.state
    flow = state["flows"].get(slug)
    if not flow:
        return json_resp(404, {"detail": "No Flow matches the given query."}, ALLOW)
    if req.method == "OPTIONS":
        return json_resp(200, {}, ALLOW)
    if req.method not in ("GET", "HEAD", "POST"):
        return json_resp(405, {"detail": f'Method "{req.method}" not allowed.'}, ALLOW)
    sess, sid, cookie = ctx.session(req)
    nxt = _next_from(req)
    plans = sess.setdefault("plans", {})
    plan = plans.get(slug)
    if plan is None:
        first = "identification" if flow["designation"] == "authentication" else "done"
        plan = {"stage": first, "pending_user": None, "uid": None}
        plans[slug] = plan
    self_url = req.path + (f"?{req.raw_query}" if req.raw_query else "")

    def reply(body: dict) -> Resp:
        return json_resp(200, body, ALLOW, headers=[cookie])

    def hop() -> Resp:
        return Resp(302, b"", HTML, [("Location", self_url), ("Allow", ALLOW), cookie])

    if req.method == "POST":
        try:
            data = req.json() if req.content_type() == "application/json" else dict(urllib.parse.parse_qsl(req.body.decode()))
        except (ValueError, UnicodeDecodeError):
            data = {}
        data = data if isinstance(data, dict) else {}
        if plan["stage"] == "identification":
            uid = data.get("uid_field")
            if not uid:
                return reply(_ident_challenge(ctx, flow, nxt, {"uid_field": [{"string": "This field is required.", "code": "required"}]}))
            u = next((x for x in state["users"].values() if x["username"] == uid or (x["email"] and x["email"] == uid)), None)
            plan["pending_user"] = u["pk"] if u else None
            plan["uid"] = uid
            plan["stage"] = "password"
            if "password" in data and data["password"]:
                data = {"password": data["password"]}
            else:
                return hop()
        if plan["stage"] == "consent":
            if data.get("component") == "ak-stage-consent" and data.get("token") == plan.get("token"):
                plan["stage"] = "issue"
                return hop()
            return reply(_consent_challenge(ctx, flow, plan, sess))
        if plan["stage"] == "password":
            pw = data.get("password") or ""
            u = state["users"].get(str(plan.get("pending_user")))
            if u and u["is_active"] and pw and crypto.check_password(pw, u.get("password")):
                plan["stage"] = "login"
                return hop()
            errors = {"password": [{"string": "Invalid password", "code": "invalid"}]} if pw else {"password": [{"string": "This field is required.", "code": "required"}]}
            return reply(_password_challenge(ctx, flow, nxt, plan, errors))
    # GET (or POST to a stage without input)
    if plan["stage"] == "identification":
        return reply(_ident_challenge(ctx, flow, nxt))
    if plan["stage"] == "password":
        return reply(_password_challenge(ctx, flow, nxt, plan))
    if plan["stage"] == "consent":
        return reply(_consent_challenge(ctx, flow, plan, sess))
    if plan["stage"] == "issue":
        app = state["applications"].get(plan.get("app", ""))
        p = state["providers"].get(str(app["provider"])) if app and app.get("provider") is not None else None
        u = state["users"].get(str(sess.get("user")))
        del plans[slug]
        if not p or not u:
            return json_resp(200, {"component": "ak-stage-access-denied", "flow_info": _flow_info(flow, None), "error_message": "Application or user gone"}, ALLOW, headers=[cookie])
        return reply({"component": "xak-flow-redirect", "to": code_redirect(ctx, p, u, sess, plan["params"])})
    if plan["stage"] == "login":
        u = state["users"].get(str(plan.get("pending_user")))
        if u:
            sess["user"] = u["pk"]
            sess["auth_time"] = int(ctx.clock.now())
            sess["sid_hash"] = new_sid_hash()
            u["last_login"] = ctx.clock.iso()
            state["app_cache"] = {}
        plan["stage"] = "done"
        return hop()
    # done
    if flow["designation"] == "invalidation" and flow["stages"]:
        sess["user"] = None
    del plans[slug]
    new_sid = gen_id(32)
    state["sessions"][new_sid] = state["sessions"].pop(sid)
    to = nxt or "/"
    return json_resp(
        200,
        {"component": "xak-flow-redirect", "to": to},
        ALLOW,
        headers=[
            ("Set-Cookie", f"authentik_device={gen_id(32)}; Max-Age=2592000; Path=/; SameSite=Lax"),
            ("Set-Cookie", f"authentik_csrf={gen_id(32)}; Max-Age=31449600; Path=/; SameSite=Lax"),
            session_cookie("authentik_session", new_sid),
        ],
    )


def default_flow_view(ctx, req: Request, designation: str) -> Resp | None:
    """`/flows/-/default/<designation>/`: redirects to the interface of that default flow, query kept (2024.x login path)."""
    slug = {"authentication": "default-authentication-flow"}.get(designation)
    if slug is None or slug not in ctx.state["flows"]:
        return None
    query = urllib.parse.urlencode([(k, v) for k, vs in req.query.items() for v in vs])
    return Resp(302, b"", HTML, [("Location", f"/if/flow/{slug}/" + (f"?{query}" if query else ""))])


def dispatch(ctx, req: Request) -> Resp | None:
    m = re.fullmatch(r"/flows/-/default/([a-z_]+)/", req.path)
    if m:
        return default_flow_view(ctx, req, m.group(1))
    m = re.fullmatch(r"/api/v3/flows/executor/([^/]+)/", req.path)
    if m:
        if (req.headers.get("Authorization") or "").lower().startswith("bearer "):
            # Django REST framework authenticates before any view, public ones included: a Bearer token that
            # does not authenticate is a 403 even here (assumed from DRF's order, see NOTES.md)
            from .api import ApiError, authenticate

            try:
                authenticate(ctx, req)
            except ApiError as exc:
                return json_resp(exc.status, exc.body)
        return executor(ctx, req, m.group(1))
    m = re.fullmatch(r"/if/flow/([^/]+)/", req.path)
    if m:
        if m.group(1) not in ctx.state["flows"]:
            return None
        had_session = req.cookies.get("authentik_session") in ctx.state["sessions"]
        _s, _sid, cookie = ctx.session(req)
        return Resp(200, pages.flow_shell(ctx.version, m.group(1)), HTML, [] if had_session else [cookie])
    return None

