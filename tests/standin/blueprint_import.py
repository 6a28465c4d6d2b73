"""The stand-in's blueprint importer, following Authentik's v1 importer (see blueprints.py and NOTES.md).

Entries in order; each entry's `identifiers` find an existing object (`pk` OR all other identifiers ANDed, a dict
identifier matched as "contains"); `attrs` merged with the identifiers are saved as a partial update of that object,
or create a new one; `state: created` never updates, `must_created` fails on an existing object, `absent` deletes;
the whole blueprint is one transaction. Tags: `!Find` (pk of the first match or null), `!KeyOf` (pk of an earlier
entry's object), `!Env` (the server process's environment), `!Context` (the blueprint's `context` overlaid with the
instance's). Objects are created and updated by calling the very API handlers (same validation, same store).
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from typing import Any, Callable

from . import api, serial
from .web import ApiError, Request

TAGS = ("Find", "KeyOf", "Env", "Context")


class Invalid(Exception):
    """An invalid entry or blueprint; the message is the importer's log event."""


@dataclass
class _Tag:
    name: str
    value: Any


def _loader():
    import yaml  # lazy: only blueprint requests need PyYAML (python3-yaml in the image)

    class Loader(yaml.SafeLoader):
        pass

    def make(name: str):
        def construct(loader, node):
            if isinstance(node, yaml.SequenceNode):
                return _Tag(name, loader.construct_sequence(node, deep=True))
            return _Tag(name, loader.construct_scalar(node))

        return construct

    for name in TAGS:
        Loader.add_constructor(f"!{name}", make(name))
    return yaml, Loader


# ---------------------------------------------------------------- models

@dataclass(frozen=True)
class Model:
    objects: Callable[[Any], list[dict]]  # ctx -> serialized objects (what identifiers and !Find compare)
    create: Callable | None = None  # list handler (POST)
    detail: Callable | None = None  # detail handler (PATCH, DELETE)
    key: Callable[[dict], str] = lambda o: str(o["pk"])  # serialized object -> detail path argument
    path: str = ""


def _models(ctx) -> dict[str, Model]:
    st, d = ctx.state, ctx.d
    return {
        "authentik_core.group": Model(lambda c: [serial.group_obj(st, g) for g in st["groups"].values()], api.groups_list, api.group_detail, path="/api/v3/core/groups/"),
        "authentik_core.user": Model(lambda c: [serial.user_obj(st, u) for u in st["users"].values()], api.users_list, api.user_detail, path="/api/v3/core/users/"),
        "authentik_core.token": Model(lambda c: [dict(serial.token_obj(st, t), key=t["key"]) for t in st["tokens"].values()], api.tokens_list, api.token_detail, lambda o: o["identifier"], "/api/v3/core/tokens/"),
        "authentik_providers_oauth2.oauth2provider": Model(lambda c: [serial.provider_obj(st, d, p) for p in st["providers"].values()], api.providers_list, api.provider_detail, path="/api/v3/providers/oauth2/"),
        "authentik_core.application": Model(lambda c: [serial.app_obj(st, d, a) for a in st["applications"].values()], api.apps_list, api.app_detail, lambda o: o["slug"], "/api/v3/core/applications/"),
        # read-only here (!Find): the stored objects themselves, whose fields are the API's names
        "authentik_flows.flow": Model(lambda c: sorted(st["flows"].values(), key=lambda f: f["slug"])),
        "authentik_providers_oauth2.scopemapping": Model(lambda c: list(st["mappings"].values())),
        "authentik_crypto.certificatekeypair": Model(lambda c: [{k: v for k, v in x.items() if not k.endswith("_pem")} for x in st["certs"].values()]),
    }


def _matches(obj: dict, field: str, value: Any) -> bool:
    if field not in obj:
        raise Invalid(f"Invalid identifier field: Cannot resolve keyword '{field}' into field.")
    have = obj[field]
    if isinstance(value, dict):  # Authentik queries a dict identifier as `<field>__contains`
        return isinstance(have, dict) and all(k in have and have[k] == v for k, v in value.items())
    return have == value or (have is not None and value is not None and str(have) == str(value))


# ---------------------------------------------------------------- the importer

class Importer:
    def __init__(self, ctx, user: dict, document: dict, context: dict) -> None:
        self.ctx = ctx
        self.user = user
        self.doc = document
        self.context = {**(document.get("context") or {}), **(context or {})}
        self.done: dict[str, Any] = {}  # entry id -> pk of its object

    # -- tags
    def resolve(self, value: Any) -> Any:
        if isinstance(value, _Tag):
            return self.tag(value)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def tag(self, tag: _Tag) -> Any:
        args = tag.value
        if tag.name == "KeyOf":
            if str(args) in self.done:
                return self.done[str(args)]
            raise Invalid(f"KeyOf: failed to find entry with `id` of `{args}` and a model instance")
        if tag.name == "Env":
            name, default = (args, None) if not isinstance(args, list) else (args[0], args[1] if len(args) > 1 else None)
            return os.environ.get(str(name)) or self.resolve(default)
        if tag.name == "Context":
            key, default = (args, None) if not isinstance(args, list) else (args[0], args[1] if len(args) > 1 else None)
            return self.resolve(self.context[key]) if key in self.context else self.resolve(default)
        # Find
        if not isinstance(args, list) or not args:
            raise Invalid("!Find takes [model, [field, value], ...]")
        model = _models(self.ctx).get(str(self.resolve(args[0])))
        if model is None:
            raise Invalid(f"stand-in: !Find does not know model {args[0]!r}")
        conditions = [(self.resolve(c[0]), self.resolve(c[1])) for c in args[1:]]
        for obj in model.objects(self.ctx):
            if all(_matches(obj, f, v) for f, v in conditions):
                return obj["pk"]
        return None

    # -- entries
    def run(self) -> list[str]:
        if self.doc.get("version", 1) != 1:
            raise Invalid("Invalid blueprint version")
        entries = self.doc.get("entries") or []
        if isinstance(entries, dict):
            entries = [e for group in entries.values() for e in (group or [])]
        applied: list[str] = []
        for entry in entries:
            if not isinstance(entry, dict) or "model" not in entry:
                raise Invalid("Entry invalid: an entry needs a model")
            try:
                model_name = self.entry(entry)
            except Invalid as exc:
                raise Invalid(f"Entry invalid: {exc}") from None
            if model_name:
                applied.append(model_name)
        return applied

    def entry(self, entry: dict) -> str | None:
        if entry.get("permissions"):
            raise Invalid("stand-in: entry permissions are not supported")
        if not all(self.resolve(entry.get("conditions") or [])):
            return None
        name = str(self.resolve(entry["model"]))
        model = _models(self.ctx).get(name)
        if model is None or model.create is None:
            raise Invalid(f"stand-in: model {name!r} is not supported")
        state = self.resolve(entry.get("state", "present"))
        identifiers = self.resolve(entry.get("identifiers") or {})
        if not identifiers:
            raise Invalid("No or invalid identifiers")
        attrs = self.resolve(entry.get("attrs") or {})
        existing = self.find_existing(model, identifiers)
        if state == "absent":
            if existing is not None:
                self.call(model.detail, "DELETE", f"{model.path}{model.key(existing)}/", None, model.key(existing))
            return name
        if existing is not None and state == "must_created":
            raise Invalid("State is set to must_created and object exists already")
        data = _merge(attrs, identifiers)
        if existing is not None and state == "created":
            obj = existing
        elif existing is not None:
            obj = self.call(model.detail, "PATCH", f"{model.path}{model.key(existing)}/", data, model.key(existing))
        else:
            obj = self.call(model.create, "POST", model.path, data)
        if entry.get("id") is not None:
            self.done[str(entry["id"])] = obj["pk"]
        return name

    def find_existing(self, model: Model, identifiers: dict) -> dict | None:
        others = {k: v for k, v in identifiers.items() if k != "pk"}
        for obj in model.objects(self.ctx):
            if "pk" in identifiers and _matches(obj, "pk", identifiers["pk"]):
                return obj
            if others and all(_matches(obj, k, v) for k, v in others.items()):
                return obj
        return None

    def call(self, handler: Callable, method: str, path: str, data: Any, *args: str) -> dict:
        body = json.dumps(data).encode() if data is not None else b""
        req = Request(method, path, {"Host": "localhost", "Content-Type": "application/json"}, body)
        try:
            resp = handler(self.ctx, req, self.user, *args)
        except ApiError as exc:
            raise Invalid(f"Serializer errors {exc.body}") from None
        return json.loads(resp.body) if resp.body else {}


def _merge(attrs: dict, identifiers: dict) -> dict:
    """attrs with the identifiers merged in, dicts merged key by key (Authentik's deepmerge)."""
    out = copy.deepcopy(attrs)
    for key, value in identifiers.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def run_import(ctx, user: dict, content: str, context: dict, dry_run: bool) -> tuple[bool, list[str], dict]:
    """Import `content` into ctx.state in one transaction: (ok, log events, metadata). A dry run always rolls back."""
    yaml, Loader = _loader()
    try:
        document = yaml.load(content, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        return False, [f"Failed to parse blueprint: {exc}"], {}
    if not isinstance(document, dict):
        return False, ["Blueprint is not a mapping"], {}
    metadata = document.get("metadata") or {}
    original = ctx.state
    ctx.state = copy.deepcopy(original)
    try:
        models = Importer(ctx, user, document, context).run()
    except Invalid as exc:
        ctx.state = original
        return False, [str(exc)], metadata
    if dry_run:
        ctx.state = original
    else:
        original.clear()
        original.update(ctx.state)  # keep the dict object the server and its threads hold
        ctx.state = original
    return True, sorted(set(models)), metadata
