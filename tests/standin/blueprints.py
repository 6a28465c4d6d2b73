"""Blueprint instances (`/api/v3/managed/blueprints/`), as the real server serves them.

Endpoints and shapes are those of the 2026.2.2 schema: POST creates an instance from inline `content` (validated
by a dry run of the import, rolled back), `.../{pk}/apply/` queues the import for the worker and answers the
instance at once (status and `last_applied` change only when the worker has run it), PATCH/PUT/DELETE as usual.
The import itself is in blueprint_import.py. Supported models: the ones authlab writes (group, user, token, OAuth2
provider, application); `!Find` also reaches flows, scope mappings and certificate key pairs (see NOTES.md).
"""

from __future__ import annotations

import hashlib
import os
import threading

from . import api
from .blueprint_import import run_import
from .util import new_uuid
from .web import ApiError, empty, json_resp

LIST = "GET, POST, HEAD, OPTIONS"
DETAIL = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
APPLY = "POST, OPTIONS"
# seconds between `apply/` and the worker running it (real: a queued task, usually well under a second)
APPLY_DELAY = float(os.environ.get("STANDIN_BLUEPRINT_DELAY") or 0.3)


# ---------------------------------------------------------------- the instance API

def _instances(ctx) -> dict:
    return ctx.state.setdefault("blueprints", {})


def _obj(b: dict) -> dict:
    return {k: b[k] for k in ("pk", "name", "path", "context", "last_applied", "last_applied_hash", "status", "enabled", "managed_models", "metadata", "content")}


def _validate(ctx, user, data: dict, current: dict | None, partial: bool) -> dict:
    errors: dict = {}
    clean: dict = {}
    if not partial and "name" not in data:
        errors["name"] = [api.REQUIRED]
    if "name" in data:
        v = data["name"]
        if not isinstance(v, str) or not v.strip():
            errors["name"] = [api.BLANK]
        elif any(b["name"] == v and (current is None or b["pk"] != current["pk"]) for b in _instances(ctx).values()):
            errors["name"] = ["blueprint instance with this name already exists."]
        else:
            clean["name"] = v
    for f, kind in (("path", str), ("content", str), ("context", dict), ("enabled", bool)):
        if f in data:
            if not isinstance(data[f], kind):
                errors[f] = ["Must be a valid boolean." if kind is bool else ("Value must be valid JSON." if kind is dict else "Not a valid string.")]
            else:
                clean[f] = data[f]
    if clean.get("path"):
        errors["path"] = ["Blueprint file does not exist"]  # the stand-in has no blueprint files
    if clean.get("content") and "content" not in errors:
        # the real serializer validates against the *stored* instance's context (none on create)
        ok, logs, _ = run_import(ctx, user, clean["content"], (current or {}).get("context") or {}, dry_run=True)
        if not ok:
            errors["content"] = ["Failed to validate blueprint", *[f"- {line}" for line in logs]]
    if not errors:
        path = clean.get("path", (current or {}).get("path", ""))
        content = clean.get("content", (current or {}).get("content", ""))
        if not path and not content:
            errors["non_field_errors"] = ["Either path or content must be set."]
    if errors:
        raise ApiError(400, errors)
    return clean


def blueprints_list(ctx, req, user):
    instances = _instances(ctx)
    if req.method == "POST":
        clean = _validate(ctx, user, api.body_json(req), None, partial=False)
        b = {"pk": new_uuid(), "name": clean["name"], "path": clean.get("path", ""), "context": clean.get("context", {}),
             "last_applied": ctx.clock.iso(), "last_applied_hash": "", "status": "unknown", "enabled": clean.get("enabled", True),
             "managed_models": [], "metadata": {}, "content": clean.get("content", "")}
        instances[b["pk"]] = b
        return json_resp(201, _obj(b), LIST)
    items = sorted(instances.values(), key=lambda b: b["name"])
    items = api.filt(items, req, {"name": lambda b: b["name"], "path": lambda b: b["path"]})
    return json_resp(200, api.paginate(req, items, _obj), LIST)


def _instance(ctx, pk: str) -> dict:
    b = _instances(ctx).get(pk)
    if b is None:
        raise api.not_found("BlueprintInstance")
    return b


def blueprint_detail(ctx, req, user, pk):
    b = _instance(ctx, pk)
    if req.method == "DELETE":
        del _instances(ctx)[pk]
        return empty(204, DETAIL)
    if req.method in ("PUT", "PATCH"):
        clean = _validate(ctx, user, api.body_json(req), b, partial=req.method == "PATCH")
        b.update(clean)
        b["last_applied"] = ctx.clock.iso()  # auto_now: every save moves it
    return json_resp(200, _obj(b), DETAIL)


def blueprint_apply(ctx, req, user, pk):
    b = _instance(ctx, pk)
    user_pk = user["pk"]

    def worker() -> None:
        with ctx.lock:
            current = _instances(ctx).get(pk)
            runner = ctx.state["users"].get(str(user_pk))
            if current is None or not current.get("enabled", True) or runner is None:
                return
            ok, logs, metadata = run_import(ctx, runner, current["content"], current.get("context") or {}, dry_run=False)
            current = _instances(ctx)[pk]  # a committed import replaced the state's contents
            current["metadata"] = {"name": metadata.get("name", ""), "labels": metadata.get("labels") or {}} if metadata else {}
            current["status"] = "successful" if ok else "error"
            if ok:
                current["last_applied_hash"] = hashlib.sha512(current["content"].encode()).hexdigest()
                current["managed_models"] = logs
            current["last_applied"] = ctx.clock.iso()
            ctx.persist()

    timer = threading.Timer(APPLY_DELAY, worker)
    timer.daemon = True
    timer.start()
    return json_resp(200, _obj(b), APPLY)


def routes() -> list:
    """(regex, methods, allow header, auth?, handler), in the shape api.routes() uses."""
    return [
        (r"/api/v3/managed/blueprints/", {"GET", "POST"}, LIST, True, blueprints_list),
        (r"/api/v3/managed/blueprints/([^/]+)/apply/", {"POST"}, APPLY, True, blueprint_apply),
        (r"/api/v3/managed/blueprints/([^/]+)/", {"GET", "PUT", "PATCH", "DELETE"}, DETAIL, True, blueprint_detail),
    ]
