"""`provider create`: observe -> pure plan -> apply -> re-read -> verify, keyed on provider name and app slug.

A retried create never duplicates: the provider is looked up by its (unique) name first, and the
application slug is unique server-side. A create that loses a race (another run made the provider between our
read and our write: Authentik answers 400 "provider with this name already exists.") observes again and
converges, so the result is "unchanged" or an update, never an error or a second provider. When the application
cannot be created after the provider was, the provider is removed again (or, if that fails too, the error says
exactly what was left).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from authentik_lab.core.app_env import AppFacts, env_values, merge_env_text
from authentik_lab.core.provider_spec import Desired, FieldChange, Plan, Refs, plan
from authentik_lab.core.urls import issuer_url
from authentik_lab.errors import ApiError, AuthlabError
from authentik_lab.services import authentik_objects as ak
from authentik_lab.services import provider_cache
from authentik_lab.services.connection import Connection, detect_dialect
from authentik_lab.services.provider_facts import ProviderView, VerificationError, build_view, release_notes, verify, with_checks

if TYPE_CHECKING:
    from authentik_lab.adapters.authentik_api import AuthentikApi
    from authentik_lab.core.app_source.wiring import Wiring
    from authentik_lab.app import App
    from authentik_lab.core.dialect import Dialect
    from authentik_lab.journal import Journal


NEW_EMAIL_MAPPING = "(authlab's verified-email mapping, created on apply)"  # stands for its pk in a dry run


@dataclass(frozen=True)
class EnvWrite:
    path: str
    added: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]
    # name -> why this name: "read in auth.ts:12", "--env-name", ... (names chosen from the app or an override)
    origins: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CreateResult:
    action: str  # created | updated | unchanged (what was done, or would be with dry_run)
    dry_run: bool
    provider_action: str  # create | update | unchanged
    application_action: str
    url: str
    server_version: str
    name: str
    slug: str
    changes: tuple[FieldChange, ...]
    provider: ProviderView | None  # None only for a dry-run create
    env: EnvWrite | None = None
    notes: tuple[str, ...] = ()
    requests: int = 0
    retries: tuple[str, ...] = ()  # fields sent again in their other release shape (printed with -v)


def _refs_from(entry: dict | None, desired: Desired, dialect: "Dialect") -> Refs | None:
    if not entry:
        return None
    flows, mappings = entry.get("flows", {}), entry.get("mappings", {})
    needed_flows = [desired.authorization_flow_slug] + ([ak.INVALIDATION_FLOW] if dialect.requires_invalidation_flow else [])
    if any(f not in flows for f in needed_flows) or any(s not in mappings for s in desired.mapping_scopes):
        return None
    return Refs(flows[desired.authorization_flow_slug], flows.get(ak.INVALIDATION_FLOW), dict(mappings), str(entry["signing_key"]))


def _lookup_refs(api: "AuthentikApi", conn: Connection, dialect: "Dialect", desired: Desired) -> Refs:
    pre = ak.lookup_prerequisites(api, dialect, desired.authorization_flow_slug, list(desired.mapping_scopes))
    flows = dict(pre.flows or {})
    provider_cache.save(conn.url, dialect.label, flows, pre.mappings, pre.signing_key)
    return Refs(pre.authorization_flow, pre.invalidation_flow, pre.mappings, pre.signing_key)


def create_or_update(
    app: "App", conn: Connection, desired: Desired, dry_run: bool = False, env_out: Path | None = None, show_secret: bool = False,
    wiring: "Wiring | None" = None, notes: tuple[str, ...] = (),
) -> CreateResult:
    """`wiring`: the variable names the app's code reads (services.app_wiring), used by `env_out`; `notes` are
    shown with the result (e.g. the inferred preset)."""
    api = app.api(conn.url, conn.token)
    try:
        for attempt in range(1, RACE_ATTEMPTS + 1):
            try:
                return _reconcile(api, conn, desired, dry_run, env_out, show_secret, wiring, notes, app.journal)
            except LostRace:
                # another run created the provider between our read and our write: observe again and converge
                # (the result is then "unchanged" or an update, never a second provider)
                if attempt == RACE_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")
    finally:
        api.close()


RACE_ATTEMPTS = 3  # each lost race means another run finished its create: a third is already unlikely


class LostRace(AuthlabError):
    """The provider appeared between observe and create (another authlab run): observe again."""

    def __init__(self, name: str) -> None:
        super().__init__(f"provider {name!r} kept being created by other runs while this one tried to converge",
                         hint="re-run the same command: it converges on what exists")


def _reconcile(api: "AuthentikApi", conn: Connection, desired: Desired, dry_run: bool, env_out: Path | None, show_secret: bool,
               wiring: "Wiring | None" = None, extra_notes: tuple[str, ...] = (), journal: "Journal | None" = None) -> CreateResult:
    dialect = detect_dialect(api)  # first: a bad token fails here, before anything else
    cached = _refs_from(provider_cache.load(conn.url, dialect.label), desired, dialect)
    calls: dict[str, Any] = {"provider": lambda: ak.provider_by_name(api, desired.name)}
    if cached is None:
        calls["refs"] = lambda: _lookup_refs(api, conn, dialect, desired)
    # a first create skips the application lookup (one round trip); a taken slug is then caught at POST
    if dry_run or cached is not None:
        calls["app"] = lambda: ak.application_by_slug(api, desired.slug)
    if desired.verified_email:  # found by name each time; created at the first real run (not in a dry run)
        calls["verified_email"] = lambda: ak.verified_email_mapping(api, dialect, create=not dry_run)
    got = ak.concurrently(calls)
    provider, refs = got["provider"], got.get("refs") or cached
    email_pk = got.get("verified_email") or (NEW_EMAIL_MAPPING if desired.verified_email else None)
    refs = replace(refs, verified_email_mapping=email_pk)
    observed_app = got.get("app")
    if "app" not in got and provider is not None:
        observed_app = ak.application_by_slug(api, desired.slug)
    the_plan = plan(desired, provider, observed_app, dialect, refs)
    if the_plan.action != "unchanged" and "refs" not in got:
        refs = replace(_lookup_refs(api, conn, dialect, desired), verified_email_mapping=email_pk)  # never write from remembered ids
        the_plan = plan(desired, provider, observed_app, dialect, refs)
    # flow slugs by pk, to name flows in the diff (what the last lookup remembered, best effort)
    entry = provider_cache.load(conn.url, dialect.label) or {}
    flow_names = {**entry.get("flows", {}), desired.authorization_flow_slug: refs.authorization_flow}
    notes = conn.notes + extra_notes + (("--env-out: not written in a dry run",) if dry_run and env_out else ())
    base = dict(
        url=conn.url, server_version=dialect.label, name=desired.name, slug=desired.slug, notes=notes,
        provider_action=the_plan.provider_action, application_action=the_plan.application_action,
        changes=_describe(the_plan.changes, refs, flow_names),
    )
    done = {"create": "created", "update": "updated", "unchanged": "unchanged"}[the_plan.action]
    if dry_run:
        view = _view(api, provider, refs, desired, show_secret, dialect) if provider is not None and provider.get("assigned_application_slug") else None
        return CreateResult(action=done, dry_run=True, provider=view, requests=api.requests_made, **base)
    retries: list[str] = []
    provider = _apply(api, desired, the_plan, provider, lambda: refs.invalidation_flow or ak.flow_pk(api, ak.INVALIDATION_FLOW), retries,
                      journal)
    view = _view(api, provider, refs, desired, show_secret, dialect)
    passed, problems = verify(api, view, issuer_url(conn.url, desired.slug), desired.offline_access)
    view = with_checks(view, passed, problems)
    if problems:
        raise VerificationError(
            f"provider {desired.name!r} was {done}, but Authentik's OIDC side does not match what the app needs",
            problems,
            hint="`authlab doctor` explains each item; re-run this command after fixing the cause",
        )
    if env_out:
        _step(journal, "doing", f"writing {env_out}")
    env = _write_env(env_out, desired, provider, view, dialect, wiring) if env_out else None
    if env_out:
        _step(journal, "done", f"wrote {env_out}")
    return CreateResult(action=done, dry_run=False, provider=view, env=env, requests=api.requests_made, retries=tuple(retries), **base)


def _describe(changes: tuple[FieldChange, ...], refs: Refs, flows: dict[str, str]) -> tuple[FieldChange, ...]:
    """Show scope names and flow slugs instead of bare pks where authlab knows them."""
    names = {pk: scope for scope, pk in refs.mappings.items()}
    names.update({pk: slug for slug, pk in flows.items()})
    names[refs.signing_key] = ak.SELF_SIGNED_CERT
    if refs.verified_email_mapping:
        names[refs.verified_email_mapping] = "email (verified)"

    def name(value: Any) -> Any:
        if isinstance(value, list):
            return [name(v) for v in value]
        return names.get(str(value), value) if isinstance(value, str) else value

    return tuple(FieldChange(c.object, c.field, name(c.old), name(c.new)) for c in changes)


def _view(api: "AuthentikApi", provider: dict, refs: Refs, desired: Desired, show_secret: bool, dialect: "Dialect") -> ProviderView:
    setup = ak.setup_urls(api, provider["pk"])
    scope_by_pk = {pk: scope for scope, pk in refs.mappings.items()}
    return build_view(provider, setup, scope_by_pk, show_secret, preset=desired.preset, app_scopes=desired.app_scopes,
                      release_notes=release_notes(dialect, desired.offline_access, desired.consent,
                                                  # only for frameworks that refuse unverified emails (oauth2-proxy)
                                                  desired.verified_email if desired.preset.unverified_email_env else None))


def _send(api: "AuthentikApi", method: str, path: str, body: dict, desired: Desired,
          invalidation_flow: Callable[[], str | None], retries: list[str], find: Callable[[], dict | None] | None = None) -> tuple[dict, bool]:
    """One provider write; (the object, False when `find` found it made by another run instead).

    A create (`find` given) that gets a 400 first re-reads by name: a provider that now exists lost us a race and is
    converged on (authentik_objects.create). Otherwise a field error saying a field has the other release's shape is
    retried once in that shape."""
    from authentik_lab.core.field_shapes import reshape

    try:
        return api.request(method, path, json=body, reread=find), True
    except ApiError as exc:
        if exc.status == 400 and find is not None:
            found = find()
            if found is not None:
                return found, False
        again = reshape(exc.body, body, desired.redirect_uris, invalidation_flow) if exc.status == 400 else None
        if again is None:
            raise
        retries.append(f"{method} /api/v3/{path}: {again.note}")
        return api.request(method, path, json=again.payload, reread=find), True


def _step(journal: "Journal | None", kind: str, what: str) -> None:
    if journal is not None:
        (journal.doing if kind == "doing" else journal.done)(what)


def _apply(api: "AuthentikApi", desired: Desired, the_plan: Plan, provider: dict | None,
           invalidation_flow: Callable[[], str | None], retries: list[str], journal: "Journal | None" = None) -> dict:
    created = False
    if the_plan.provider_action == "create":
        _step(journal, "doing", f"creating provider {desired.name}")
        provider, created = _send(api, "POST", "providers/oauth2/", the_plan.provider_payload, desired, invalidation_flow, retries,
                                  find=lambda: ak.provider_by_name(api, desired.name))
        if not created:
            raise LostRace(desired.name)
        _step(journal, "done", f"created provider {desired.name}")
    elif the_plan.provider_action == "update":
        _step(journal, "doing", f"updating provider {desired.name}")
        provider, _ = _send(api, "PATCH", f"providers/oauth2/{provider['pk']}/", the_plan.provider_payload, desired, invalidation_flow, retries)
        _step(journal, "done", f"updated provider {desired.name}")
    assert provider is not None
    try:
        if the_plan.application_action != "unchanged":
            _step(journal, "doing", f"{'creating' if the_plan.application_action == 'create' else 'updating'} application {desired.slug}")
        _apply_application(api, desired, the_plan, provider)
        if the_plan.application_action != "unchanged":
            _step(journal, "done", f"{the_plan.application_action}d application {desired.slug}")
    except AuthlabError as exc:
        if not created:
            raise
        raise _with_rollback(api, provider, desired, exc) from exc
    # the application now points at this provider; saves reading the provider back
    return {**provider, "assigned_application_slug": desired.slug}


def _apply_application(api: "AuthentikApi", desired: Desired, the_plan: Plan, provider: dict) -> None:
    body = dict(the_plan.application_payload)
    if "provider" in body:
        body["provider"] = provider["pk"]
    if the_plan.application_action == "create":
        def ours() -> dict | None:  # an application with another provider is a real clash: its 400 is raised
            found = ak.application_by_slug(api, desired.slug)
            return found if found is not None and found.get("provider") in (None, provider["pk"]) else None

        existing, made = ak.create(api, "core/applications/", body, ours)
        if made:
            return
        # an application with this slug but no provider (made by hand), or the one another run just made for this
        # provider: converge on it
        body.pop("slug")
        if any(existing.get(k) != v for k, v in body.items()):
            api.request("PATCH", f"core/applications/{desired.slug}/", json=body)
    elif the_plan.application_action == "update":
        api.request("PATCH", f"core/applications/{desired.slug}/", json=body)


def _with_rollback(api: "AuthentikApi", provider: dict, desired: Desired, exc: AuthlabError) -> AuthlabError:
    try:
        api.request("DELETE", f"providers/oauth2/{provider['pk']}/")
        left = f"the provider {desired.name!r} created a moment ago was deleted again, so nothing was left behind"
    except AuthlabError as cleanup:
        left = (
            f"the provider {desired.name!r} (pk {provider['pk']}) is LEFT in Authentik without an application "
            f"(removing it failed: {cleanup.message}); re-run the same command to finish, or `authlab provider delete {desired.name} --yes`"
        )
    message = f"creating application {desired.slug!r} failed: {exc.message}; {left}"
    if isinstance(exc, ApiError):  # keep status and field errors for the renderer
        return type(exc)(message, exc.method, exc.path, exc.status, exc.body, hint=exc.hint)
    return AuthlabError(message, exc.hint)


def _write_env(path: Path, desired: Desired, provider: dict, view: ProviderView, dialect: "Dialect", wiring: "Wiring | None" = None) -> EnvWrite:
    from authentik_lab.adapters.files import atomic_write, read_text
    from authentik_lab.core import dotenv
    from authentik_lab.core.app_source.wiring import apply_names

    text = read_text(path) if path.exists() else ""
    facts = AppFacts(
        client_id=provider["client_id"],
        client_secret=provider.get("client_secret") if desired.client_type == "confidential" else None,
        endpoints=view.endpoints,
        app_url=desired.app_url,
        redirect_uri=desired.redirect_uris[0].url,
        scopes=desired.app_scopes,
        provider_id=desired.provider_id,
        email_verified=desired.verified_email or dialect.email_verified_default,
    )
    preset, _ = apply_names(desired.preset, wiring, desired.provider_id) if wiring is not None else (desired.preset, ())
    values = env_values(preset, facts, dotenv.parse(text, interpolate=False), new_secret=lambda: secrets.token_urlsafe(24))
    new_text, added, changed = merge_env_text(text, values)
    if new_text != text or not path.exists():
        atomic_write(path, new_text, mode=0o600)  # it holds the client secret
    else:
        path.chmod(0o600)
    unchanged = tuple(k for k in values if k not in added and k not in changed)
    by_name = {c.name: c.origin for c in (wiring.names.values() if wiring is not None else ())}
    origins = {k: by_name[k] for k in values if k in by_name}  # in the order written
    return EnvWrite(str(path), tuple(added), tuple(changed), unchanged, origins)
