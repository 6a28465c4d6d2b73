"""How compose turns several compose files and the enabled profiles into one model: the fallback reader's version,
used when `docker compose config` cannot answer (compose absent, or refusing the files).

Source: the Compose specification, "Merge" (https://docs.docker.com/reference/compose-file/merge/, compose-spec
13-merge.md), checked against `docker compose config` 2.40:
- a mapping is merged entry by entry, recursively; for a scalar the later file wins;
- a sequence is appended to (`dns: [a]` + `dns: [b]` is `[a, b]`), except
  - `command`, `entrypoint`, `healthcheck.test`: the later file's value replaces the earlier one;
  - `environment`, `labels` (list `K=V` or mapping form, either side): merged by key, the later value wins;
  - the unique resources `volumes` (key: target), `secrets`/`configs` (key: target) and `ports` (key: host ip,
    published port, target, protocol): an entry whose key is already there replaces it in place, others are appended.
Not reproduced (compose applies them when it runs): the `!reset` / `!override` tags, `extends`, `include`.

Profiles (https://docs.docker.com/reference/compose-file/profiles/): a service without `profiles` is always on; one
with `profiles` only when one of them is enabled (`--profile`, else COMPOSE_PROFILES; `*` enables all).
"""

from __future__ import annotations

from typing import Any, Callable, Hashable, Mapping, Sequence

from authentik_lab.core.doctor.compose import interpolate

REPLACED = frozenset({"command", "entrypoint"})
BY_KEY = frozenset({"environment", "labels"})


def merge_documents(docs: Sequence[Mapping[str, Any]], env: Mapping[str, str]) -> dict[str, Any]:
    """The files as one document, merged in order (`docs[0]` is the main file). `env` resolves `${VAR}` in the keys
    that decide whether two entries are the same (a volume's target, a port); the values stay as written."""
    out: dict[str, Any] = {}
    for doc in docs:
        out = _merge_mapping(out, doc or {}, (), env)
    return out


def _merge_mapping(base: Mapping[str, Any], over: Mapping[str, Any], path: tuple[str, ...], env: Mapping[str, str]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge_value(out[key], value, (*path, str(key)), env) if key in out else value
    return out


def _merge_value(base: Any, over: Any, path: tuple[str, ...], env: Mapping[str, str]) -> Any:
    if over is None:  # `key:` with nothing after it adds nothing (only compose's `!reset` removes a value)
        return base
    in_service = len(path) == 3 and path[0] == "services"
    name = path[-1]
    if in_service and name in BY_KEY:
        return {**_as_mapping(base), **_as_mapping(over)}
    if (in_service and name in REPLACED) or (len(path) == 4 and path[0] == "services" and path[2:] == ("healthcheck", "test")):
        return over
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        return _merge_mapping(base, over, path, env)
    if isinstance(base, list) and isinstance(over, list):
        key = _UNIQUE.get(name) if in_service else None
        return _merge_unique(base, over, lambda e: key(e, env)) if key else [*base, *over]
    return over


def _as_mapping(value: Any) -> dict[str, Any]:
    """`[K=V, K]` or `{K: V}` as a mapping (`K` alone: None, a value compose takes from the shell)."""
    if isinstance(value, Mapping):
        return dict(value)
    out: dict[str, Any] = {}
    for item in value or []:
        name, sep, val = str(item).partition("=")
        out[name] = val if sep else None
    return out


def _merge_unique(base: list, over: list, key: Callable[[Any], Hashable]) -> list:
    out = list(base)
    where = {key(e): i for i, e in enumerate(out)}
    for entry in over:
        k = key(entry)
        if k in where:
            out[where[k]] = entry
        else:
            where[k] = len(out)
            out.append(entry)
    return out


def _target_key(entry: Any, env: Mapping[str, str]) -> Hashable:
    if isinstance(entry, Mapping):
        return interpolate(str(entry.get("target") or entry.get("source") or ""), env).rstrip("/")
    parts = interpolate(str(entry), env).split(":")
    return (parts[1] if len(parts) > 1 else parts[0]).rstrip("/")


def _port_key(entry: Any, env: Mapping[str, str]) -> Hashable:
    """(host ip, published, target, protocol) of `[IP:][PUBLISHED:]TARGET[/PROTOCOL]` or the long form."""
    if isinstance(entry, Mapping):
        return (str(entry.get("host_ip") or ""), str(entry.get("published") or ""), str(entry.get("target") or ""),
                str(entry.get("protocol") or "tcp"))
    text = interpolate(str(entry), env)
    text, _, protocol = text.partition("/")
    ip = ""
    if text.startswith("["):  # [::1]:8080:80
        ip, _, text = text[1:].partition("]:")
    parts = text.split(":")
    if len(parts) == 3:
        ip, parts = parts[0], parts[1:]
    published, target = (parts[0], parts[1]) if len(parts) == 2 else ("", parts[0])
    return (ip, published, target, protocol or "tcp")


_UNIQUE: dict[str, Callable[[Any, Mapping[str, str]], Hashable]] = {
    "volumes": _target_key, "secrets": _target_key, "configs": _target_key, "ports": _port_key,
}


def enabled_services(doc: Mapping[str, Any], profiles: Sequence[str], env: Mapping[str, str]) -> dict[str, Any]:
    """`doc` without the services whose `profiles` are all disabled (a service without `profiles` always stays)."""
    services = doc.get("services")
    if not isinstance(services, Mapping):
        return dict(doc)
    enabled = set(profiles)
    kept = {}
    for name, spec in services.items():
        listed = (spec or {}).get("profiles") if isinstance(spec, Mapping) else None
        if listed and "*" not in enabled and not enabled & {interpolate(str(p), env) for p in listed}:
            continue
        kept[name] = spec
    return {**doc, "services": kept}
