"""The observations behind doctor's engine, runtime, HTTP and provider checks (each memoised in `Facts`).

API lookups follow services.authentik_objects' rules: list filters are hints, so keys are compared, and
applications are read by slug through the detail endpoint only.
"""

from __future__ import annotations

import os
from typing import Any

from authentik_lab.core.checks import Skip
from authentik_lab.core.doctor.app_env import ProviderRef, ServerView, callbacks_with_reasons
from authentik_lab.core.doctor.compose import PathFacts, host_path, storage_mounts
from authentik_lab.core.doctor.provider import Fetched, ProviderFacts, ServerFacts
from authentik_lab.services.authentik_objects import application_by_slug, concurrently, scope_mappings
from authentik_lab.services.doctor.facts import Facts
from authentik_lab.services.doctor.facts_server import CONFIG_PATH

ENGINE_DOWN = "the Docker engine cannot be reached (see engine.reachable)"


# --- Docker -------------------------------------------------------------------------------------


def rootless(f: Facts) -> bool | None:
    return engine_kind(f).rootless


def engine_kind(f: Facts) -> Any:
    """core.rootless.EngineKind: the engine's own answer, else what DOCKER_HOST says (a per-user socket)."""
    return user_mapping(f).kind


def user_mapping(f: Facts) -> Any:
    """core.rootless.UserMapping: the engine kind and how its container uids map to host uids."""
    from authentik_lab.services.engine_kind import mapping_for

    return f.once("user_mapping", lambda: mapping_for(f.engine_info()[0]))


def compose_binary(f: Facts) -> tuple[tuple[str, ...] | None, str | None, str | None]:
    def probe() -> tuple[tuple[str, ...] | None, str | None, str | None]:
        from authentik_lab.errors import ComposeError

        runner = f.app.compose(compose_file=f.compose_path(), project_name="authlab-doctor")
        try:
            binary = runner.binary
            version = runner.run("version", "--short", timeout=20).stdout.strip()
        except ComposeError as exc:
            return None, None, exc.message
        return binary, version, None

    return f.once("compose_binary", probe)


def containers(f: Facts) -> list:
    info, _ = f.engine_info()
    if info is None:
        raise Skip(ENGINE_DOWN)
    return f.once("containers", lambda: f.engine().containers(f.project()))


def logs(f: Facts) -> dict[str, list[str]]:
    def read() -> dict[str, list[str]]:
        services = sorted({c.service for c in containers(f)})
        got = concurrently({s: (lambda s=s: f.engine().logs(f.project(), s, tail=80)) for s in services})
        errors = engine_errors(f)
        return {s: [*errors.get(s, []), *got[s]] for s in services}

    return f.once("logs", read)


def server_running(f: Facts) -> bool:
    return any(c.service == "server" and c.state == "running" for c in containers(f))


def port_probes(f: Facts) -> dict[int, Fetched]:
    """GET /api/v3/root/config/ on each published HTTP port of the server, on this machine's loopback."""

    def probe() -> dict[int, Fetched]:
        def one(port: int) -> Fetched:
            url = f"http://127.0.0.1:{port}"
            api = f.app.api(url, None, timeout=3.0, retries=0)
            try:
                r = api.raw("GET", CONFIG_PATH)
                try:
                    body = r.json()
                except ValueError:
                    body = None
                return Fetched(url + CONFIG_PATH, r.status_code, body)
            except Exception as exc:  # noqa: BLE001
                return Fetched(url + CONFIG_PATH, None, error=f"{type(exc).__name__}: {exc}")
            finally:
                api.close()

        return {p: one(p) for p in f.published_ports()}

    return f.once("ports", probe)


def engine_errors(f: Facts) -> dict[str, list[str]]:
    """service -> the engine's own error for its containers (State.Error), e.g. a port that could not be
    published: compose prints it once and it never reaches the container's logs."""

    def read() -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for c in containers(f):
            if c.error:
                out.setdefault(c.service, []).append(f"engine: {c.error}")
        return out

    return f.once("engine_errors", read)


def path_stats(f: Facts) -> dict[str, PathFacts]:
    """Owner and mode of each bind-mounted storage folder on the host."""
    compose_dir = str(f.compose_path().parent)  # type: ignore[union-attr]
    out = {}
    for m in storage_mounts(f.compose_doc(), f.interp_env()):  # every Authentik service's storage bind mounts
        path = host_path(m.source, compose_dir)
        try:
            st = os.stat(path)
            out[path] = PathFacts(True, st.st_uid, st.st_gid, st.st_mode)
        except OSError:
            out[path] = PathFacts(False)
    return out


# --- the Authentik API --------------------------------------------------------------------------


def dialect(f: Facts) -> Any:
    from authentik_lab.core.dialect import Dialect

    def find() -> Any:
        try:
            version = str(f.require_api().get("admin/version/").get("version_current") or "")
            return Dialect.for_version(version)
        except (Skip, ValueError, Exception):  # noqa: BLE001 - fall back to what the lab says it runs
            lab = f.lab()
            from authentik_lab.core.templates import DEFAULT_VERSION

            return Dialect.for_version(lab.version if lab else DEFAULT_VERSION)

    return f.once("dialect", find)


def worker_missing(f: Facts) -> tuple[list, int]:
    from authentik_lab.core.readiness import worker_objects

    def find() -> tuple[list, int]:
        api = f.require_api()
        objects = worker_objects(dialect(f))
        field = {"flow": "slug", "scope_mapping": "managed", "certificate": "name"}

        def exists(obj: Any) -> bool:
            results = api.get(obj.path, **obj.params).get("results", [])
            return any(r.get(field[obj.kind]) == obj.key for r in results)

        got = concurrently({o.key: (lambda o=o: exists(o)) for o in objects}, max_workers=8)
        return [o for o in objects if not got[o.key]], len(objects)

    return f.once("worker_missing", find)


def server_facts(f: Facts) -> ServerFacts:
    def read() -> ServerFacts:
        api = f.require_api()
        got = concurrently({
            "mappings": lambda: scope_mappings(api, dialect(f)),
            "certs": lambda: api.list("crypto/certificatekeypairs/"),
        })
        return ServerFacts({str(m["pk"]): str(m.get("managed") or "") for m in got["mappings"]},
                           {str(c["pk"]): str(c.get("name")) for c in got["certs"]})

    return f.once("server_facts", read)


def all_providers(f: Facts) -> list[dict]:
    return f.once("all_providers", lambda: f.require_api().list("providers/oauth2/"))


def providers(f: Facts) -> list[dict]:
    """All OAuth2 providers, or only the one named with --provider."""

    def read() -> list[dict]:
        found = all_providers(f)
        if f.opts.provider:
            named = [p for p in found if p.get("name") == f.opts.provider]
            if not named:
                names = ", ".join(sorted(str(p.get("name")) for p in found)) or "none"
                raise LookupError(f"no OAuth2 provider named {f.opts.provider!r} (existing: {names})")
            return named
        return found

    return f.once("providers", read)


def provider_facts(f: Facts) -> list[ProviderFacts]:
    from authentik_lab.core.urls import discovery_url, issuer_url

    def read() -> list[ProviderFacts]:
        api, base = f.require_api(), f.base_url()
        expected = _expected_redirects(f)

        def one(p: dict) -> ProviderFacts:
            slug = p.get("assigned_application_slug")
            if not slug:
                return ProviderFacts(p, None, tuple(expected.get(p.get("pk"), {})), expected_why=_reasons(expected, p))
            issuer = issuer_url(base, slug)
            got = concurrently({
                "app": lambda: application_by_slug(api, slug),
                "discovery": lambda: f.fetch(discovery_url(issuer)[len(base):]),
                "jwks": lambda: f.fetch(f"/application/o/{slug}/jwks/"),
            })
            return ProviderFacts(p, got["app"], tuple(expected.get(p.get("pk"), {})), issuer, got["discovery"], got["jwks"],
                                 expected_why=_reasons(expected, p))

        items = providers(f)
        got = concurrently({str(i): (lambda p=p: one(p)) for i, p in enumerate(items)}, max_workers=8)
        return [got[str(i)] for i in range(len(items))]

    return f.once("provider_facts", read)


def _reasons(expected: dict[Any, dict[str, str | None]], p: dict) -> dict[str, str]:
    return {uri: why for uri, why in (expected.get(p.get("pk")) or {}).items() if why}


def _expected_redirects(f: Facts) -> dict[Any, dict[str, str | None]]:
    """provider pk -> callbacks the app env files say the app uses (matched by client id, else issuer slug) -> why, when
    the callback comes from the framework's default for an unset variable (core.framework_defaults)."""
    from urllib.parse import urlsplit

    from authentik_lab.core.doctor.app_env import ISSUER_PATH, issuer_keys

    if not f.app_env_paths():
        return {}
    try:
        files = f.app_env_files()
    except Exception:  # noqa: BLE001 - unreadable app env files are reported by the app.* checks
        return {}
    by_id = {p.get("client_id"): p.get("pk") for p in all_providers(f)}
    by_slug = {p.get("assigned_application_slug"): p.get("pk") for p in all_providers(f) if p.get("assigned_application_slug")}
    out: dict[Any, dict[str, str | None]] = {}
    for file in files:
        callbacks = callbacks_with_reasons(file, f.opts.preset)
        if not callbacks:
            continue
        pks = {by_id[v] for _, v in file.lines.values() if v in by_id}
        if not pks:
            for key in issuer_keys(file):
                m = ISSUER_PATH.match(urlsplit(file.lines[key][1].strip()).path)
                if m and m.group("slug") in by_slug:
                    pks.add(by_slug[m.group("slug")])
        for pk in pks:
            for uri, why in callbacks.items():
                out.setdefault(pk, {}).setdefault(uri, why)
    return out


def server_view(f: Facts) -> ServerView:
    """What the app.* checks compare against; without a usable API only the browser URL is known."""

    def build() -> ServerView:
        form = why = None
        if f.opts.preset:
            from authentik_lab.core.presets import get_preset
            from authentik_lab.core.urls import IssuerForm

            preset = get_preset(f.opts.preset)
            form = preset.issuer_form.value
            why = {IssuerForm.WITH_SLASH: f"{preset.title} compares `iss` exactly",
                   IssuerForm.WITHOUT_SLASH: f"{preset.title} appends /.well-known/openid-configuration itself"}.get(preset.issuer_form)
        base = f.base_url() if f.missing("api") is None else None
        try:
            items = all_providers(f)
        except Skip:
            return ServerView(base, None, (), form, why)
        refs = tuple(ProviderRef(str(p.get("name")), str(p.get("client_id")), str(p.get("client_secret") or ""),
                                 p.get("assigned_application_slug")) for p in items)
        return ServerView(base, frozenset(r.slug for r in refs if r.slug), refs, form, why)

    return f.once("server_view", build)
