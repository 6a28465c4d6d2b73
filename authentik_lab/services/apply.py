"""`authlab apply`: reconcile a running Authentik to `authlab.yaml` (observe -> pure plan -> apply).

Order matters twice. Validation is complete (file, env vars, conflicts, unknown groups) before the first
write, so a bad file changes nothing. Writes go groups -> users -> service accounts -> providers, and
deletes (--prune) in reverse, so references always point at objects that exist. A failure part-way names
what was already changed. An unchanged lab costs only reads: no PATCH "just in case".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from authentik_lab.core import apply_plan as ap
from authentik_lab.core.dialect import parse_version
from authentik_lab.core.labfile import DEFAULT_FILE, LabFile, unknown_group_refs
from authentik_lab.errors import ApplyError, AuthlabError
from authentik_lab.services.apply_writes import Run, execute, execute_deletes

if TYPE_CHECKING:
    from authentik_lab.app import App


@dataclass(frozen=True)
class ApplyResult:
    file: str
    url: str
    dry_run: bool
    prune: bool
    plan: ap.Plan
    writes: int  # write requests actually sent (0 on a dry run and on an unchanged lab)
    providers: tuple[dict, ...] = ()  # name, slug, client_id, issuer (no secrets)
    passwords_file: str | None = None
    notes: tuple[str, ...] = ()
    # full views (the client secret only when asked for) for `authlab ci`'s export; never rendered
    provider_views: tuple = field(default=(), repr=False, compare=False)
    blueprint: dict | None = None  # apply --blueprint: the instance applied (name, pk, status), None otherwise

    @property
    def changed(self) -> bool:
        return self.writes > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "url": self.url,
            "dry_run": self.dry_run,
            "prune": self.prune,
            **self.plan.to_dict(),
            "writes": self.writes,
            "providers": list(self.providers),
            "passwords_file": self.passwords_file,
            "notes": list(self.notes),
            **({"blueprint": self.blueprint} if self.blueprint is not None else {}),
        }


def apply(
    app: "App",
    file: Path | None = None,
    *,
    url: str | None = None,
    token: str | None = None,
    dry_run: bool = False,
    prune: bool = False,
    lab: LabFile | None = None,
    show_secrets: bool = False,
    blueprint: bool = False,
    confirm_deletes: Callable[[ap.Plan, str], bool] | None = None,
) -> ApplyResult:
    """`confirm_deletes(plan, url)` is asked before a plan that deletes anything is carried out (after every check,
    before the first write); False stops the apply with nothing changed."""
    from authentik_lab.services import apply_providers, test_users
    from authentik_lab.services.connection import detect_dialect, resolve_connection

    lab = lab or test_users.load_labfile(file)
    passwords, generated = test_users.resolve_passwords(lab, app.lab_dir)
    conn = resolve_connection(app, url, token)
    with app.api(conn.url, conn.token) as api:
        dialect = detect_dialect(api)  # a bad token or a too-old release fails here, before anything else
        notes = list(conn.notes)
        if lab.version and dialect.label != ".".join(str(p) for p in parse_version(lab.version)):
            notes.append(f"{lab.path} names Authentik {lab.version} but the server runs {dialect.label}")
        groups = list(api.paginate("core/groups/", include_users="false"))
        users = list(api.paginate("core/users/"))
        # a group neither the file nor the server has: found only now, but still a line of the file
        problems = [f"{p.location}: {p.path}: {p.message}" for p in unknown_group_refs(lab, (g["name"] for g in groups))]
        items = [
            *ap.plan_groups(lab.groups, groups, prune),
            *ap.plan_users(lab.users, users, passwords, prune),
            *ap.plan_service_accounts(lab.service_accounts, users, prune, test_users.pending(app.lab_dir, "service_account")),
        ]
        provider_plan = apply_providers.observe_and_plan(app, conn, api, lab, prune, show_secret=show_secrets)
        items += provider_plan.items
        not_in_file = tuple(
            ap.orphans("group", "name", {g.name for g in lab.groups}, groups)
            + ap.orphans("user", "username", {u.username for u in lab.users} | {s.name for s in lab.service_accounts}, users)
            + list(provider_plan.orphans)
        ) if not prune else ()
        plan = ap.Plan(tuple(items), not_in_file)
        _refuse_conflicts(lab, plan, problems)
        if not dry_run and confirm_deletes is not None and plan.of_action(ap.Action.DELETE) and not confirm_deletes(plan, conn.url):
            raise AuthlabError("nothing was changed: the deletions were not confirmed")

        store_file = None
        if generated and not dry_run:
            # keep the passwords before the server gets them: a crash later must not lose them
            if generated != {k: v for k, v in test_users.read_store(app.lab_dir).items() if k in generated}:
                test_users.write_store(app.lab_dir, {**test_users.read_store(app.lab_dir), **generated})
            store_file = str(test_users.store_path(app.lab_dir))
        run = Run(api, journal=app.journal, lab_dir=app.lab_dir)
        applied = None
        if not dry_run:
            try:
                if blueprint:
                    applied = _execute_blueprint(run, app, conn, lab, dialect, plan, provider_plan, users, passwords, show_secrets)
                else:
                    execute(run, plan, groups)
                    apply_providers.execute(run, app, conn, provider_plan, show_secret=show_secrets)
                    execute_deletes(run, plan)
            except AuthlabError as exc:
                raise _partial(exc, run, lab.path) from exc
        providers = apply_providers.summaries(provider_plan)
        return ApplyResult(
            file=lab.path,
            url=conn.url,
            dry_run=dry_run,
            prune=prune,
            plan=plan,
            writes=run.writes,
            providers=providers,
            passwords_file=store_file,
            notes=tuple(notes),
            provider_views=tuple(provider_plan.views.values()),
            blueprint=applied,
        )


def labfile_for_up(app: "App", file: Path | None = None, *, required: bool = False) -> LabFile | None:
    """For `authlab up` and `authlab ci`: the lab file to apply once Authentik is ready, checked in full now
    (syntax, values, password variables) so a bad one stops `up` before any container starts.

    None when no file was named and `./authlab.yaml` does not exist (unless `required`); a file named with
    `-f`/AUTHLAB_FILE that does not exist is an error, never silently skipped.
    """
    from authentik_lab.services.test_users import find_labfile, load_labfile, resolve_passwords

    if file is None and not required and not find_labfile(None).is_file():
        return None
    lab = load_labfile(file)
    resolve_passwords(lab, app.lab_dir)  # reads the kept passwords; a missing variable fails here
    return lab


def init_settings(lab: LabFile | None) -> dict[str, Any]:
    """The release and port a lab file asks for, as `init_lab` keyword arguments ({} without a file)."""
    if lab is None:
        return {}
    return {k: v for k, v in (("version", lab.version), ("http_port", lab.port)) if v is not None}


def rerun_command(lab_path: str) -> str:
    """The command that applies this lab file again: `-f` whenever it is not ./authlab.yaml, so the hint never
    sends the user to another file that happens to sit in the folder."""
    import shlex

    return "authlab apply" if lab_path == DEFAULT_FILE else f"authlab apply -f {shlex.quote(lab_path)}"


def _refuse_conflicts(lab: LabFile, plan: ap.Plan, problems: list[str]) -> None:
    reasons = [lab.located(i.kind, i.key, f"{i.kind} {i.key}: {i.reason}") for i in plan.conflicts] + problems
    if reasons:
        err = ApplyError(
            reasons[0] + (f" (and {len(reasons) - 1} more)" if len(reasons) > 1 else ""),
            hint=f"nothing was changed on the server; fix {lab.path} or the named objects, then run `{rerun_command(lab.path)}`",
        )
        err.evidence = reasons[1:]  # type: ignore[attr-defined]
        raise err


def _execute_blueprint(run: Run, app: "App", conn: Any, lab: LabFile, dialect: Any, plan: ap.Plan, provider_plan: Any,
                       users: list[dict], passwords: dict[str, str], show_secrets: bool) -> dict | None:
    """apply --blueprint: creates and updates through one blueprint, deletions (--prune) through the API, then the
    server is observed again and must plan nothing but `unchanged` (None when nothing was to be written)."""
    from authentik_lab.services import apply_blueprint, apply_providers

    writes = [i for i in plan.items if i.action in (ap.Action.CREATE, ap.Action.UPDATE)]
    applied = apply_blueprint.send(run, lab, dialect, plan, users) if writes else None
    deletes = apply_providers.ProviderPlan(items=[i for i in provider_plan.items if i.action is ap.Action.DELETE], desired=provider_plan.desired)
    apply_providers.execute(run, app, conn, deletes, show_secret=show_secrets)
    execute_deletes(run, plan)
    if applied is None:
        return None
    # observe again: what the worker made must be exactly what apply would have made
    again = apply_providers.observe_and_plan(app, conn, run.api, lab, False, show_secret=show_secrets)
    observed = list(run.api.paginate("core/users/"))
    left = [*ap.plan_groups(lab.groups, run.api.paginate("core/groups/", include_users="false"), False),
            *ap.plan_users(lab.users, observed, passwords, False),
            *ap.plan_service_accounts(lab.service_accounts, observed, False), *again.items]
    differ = [f"{i.kind} {i.key}: {i.action.value} " + ", ".join(c.field for c in i.changes) for i in left if i.action is not ap.Action.UNCHANGED]
    if differ:
        err = ApplyError(f"the blueprint was applied but {len(differ)} object(s) still differ from {lab.path}: {differ[0]}",
                         hint=f"run `{rerun_command(lab.path)}` without --blueprint to finish, and report this")
        err.evidence = differ[1:]  # type: ignore[attr-defined]
        raise err
    provider_plan.views.update(again.views)
    return {"name": applied.get("name"), "pk": applied.get("pk"), "status": applied.get("status")}


def _partial(exc: AuthlabError, run: Run, lab_path: str) -> ApplyError:
    done = "; ".join(run.done) if run.done else "nothing"
    err = ApplyError(
        f"apply failed: {exc.message}",
        hint=(exc.hint + "; " if exc.hint else "") + f"already changed before the failure: {done}. Fix the cause and run "
        f"`{rerun_command(lab_path)}` again (it continues from the current state)",
    )
    err.evidence = [f"{f}: {m}" for f, m in getattr(exc, "field_errors", [])]  # type: ignore[attr-defined]
    return err

