"""`authlab apply`: make a running Authentik match `authlab.yaml`."""


from typing import TYPE_CHECKING, Annotated

import typer

from authentik_lab.cli.common import JsonOpt, LabFileOpt, NoWaitOpt, TokenOpt, UrlOpt, YesOpt, boundary, confirm, get_app, lab_lock

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.core.apply_plan import Plan
    from authentik_lab.services.apply import ApplyResult

SYMBOLS = {"create": "+", "update": "~", "unchanged": "=", "delete": "-", "conflict": "!"}


def register(cli: typer.Typer) -> None:
    cli.command("apply")(apply_cmd)


@boundary("apply")
def apply_cmd(
    ctx: typer.Context,
    file: LabFileOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan (create/update/unchanged/delete); change nothing.")] = False,
    prune: Annotated[bool, typer.Option("--prune", help="Delete objects authlab manages that the file no longer names.")] = False,
    blueprint: Annotated[bool, typer.Option("--blueprint", help="Send the changes as one blueprint applied by Authentik's worker instead of one API call per object.")] = False,
    url: UrlOpt = None,
    token: TokenOpt = None,
    yes: YesOpt = False,
    no_wait: NoWaitOpt = False,
    json: JsonOpt = False,
) -> None:
    """Reconcile Authentik to authlab.yaml: providers, groups, test users, service accounts."""
    import contextlib

    from authentik_lab.render import emit
    from authentik_lab.services.apply import apply

    app = get_app(ctx)
    # a dry run only reads; a real one holds the lab folder (its kept passwords) against a second run
    with contextlib.nullcontext() if dry_run else lab_lock(app, no_wait=no_wait):
        result = apply(app, file, url=url, token=token, dry_run=dry_run, prune=prune, blueprint=blueprint,
                       confirm_deletes=lambda plan, where: _confirm_deletes(app, plan, where, yes))
    emit(app, "apply", result, lambda r: render_apply(app, r))


def _confirm_deletes(app: "App", plan: "Plan", url: str, yes: bool) -> bool:
    """--prune deletes: the plan is shown first, then a person confirms (or --yes); no terminal and no --yes is
    exit 2 with nothing changed."""
    from rich.markup import escape

    from authentik_lab.core.apply_plan import Action

    if yes:
        return True
    deletes = plan.of_action(Action.DELETE)
    app.err.print(f"--prune would delete {len(deletes)} object{'s' if len(deletes) != 1 else ''} on {escape(url)}:")
    for item in plan.items:
        if item.action is not Action.UNCHANGED:
            app.err.print(f"  {SYMBOLS[item.action.value]} {item.kind.replace('_', ' ')} {escape(item.key)}: {item.action.value}")
    names = ", ".join(f"{i.kind.replace('_', ' ')} {i.key}" for i in deletes)
    return confirm(app, f"Delete {names} on {url}?", yes, action=f"deleting {names} on {url} (apply --prune)",
                   declined="nothing changed")


def render_apply(app: "App", result: "ApplyResult") -> None:
    from rich.markup import escape

    from authentik_lab.render import plain_value

    for note in result.notes:
        app.err.print(f"[yellow]note:[/] {escape(note)}", soft_wrap=True)
    head = "plan (dry run, nothing changed)" if result.dry_run else "applied"
    app.out.print(f"{head}: {escape(result.file)} -> {escape(result.url)}")
    for item in result.plan.items:
        symbol = SYMBOLS[item.action.value]
        app.out.print(f"  {symbol} {item.kind.replace('_', ' ')} {escape(item.key)}: {item.action.value}")
        for change in item.changes:
            # whole values, never cut: the part that differs may be at the end of a long redirect URI
            app.out.print(f"      {escape(change.field)}: {escape(plain_value(change.old))} -> {escape(plain_value(change.new))}", soft_wrap=True)
        if item.reason and item.action.value != "conflict":  # e.g. a client id that changes under the app's feet
            app.err.print(f"[bold yellow]warning:[/] {escape(item.reason)}", soft_wrap=True)
    counts = result.plan.counts()
    summary = ", ".join(f"{counts[k]} {k}" for k in ("create", "update", "unchanged", "delete") if counts[k]) or "nothing to do"
    tail = "" if result.dry_run else f" ({result.writes} write{'s' if result.writes != 1 else ''})"
    app.out.print(f"{summary}{tail}")
    for p in result.providers:
        if p.get("client_id"):
            app.out.print(f"provider {escape(p['name'])}: client id {escape(p['client_id'])}, issuer {escape(p['issuer'] or '?')}", soft_wrap=True)
    for line in result.plan.not_in_file:
        app.err.print(f"[yellow]not in the file:[/] {escape(line)} (kept; `authlab apply --prune` deletes it)", soft_wrap=True)
    if result.blueprint:
        app.err.print(f"blueprint {escape(str(result.blueprint['name']))} applied by Authentik's worker (status {escape(str(result.blueprint['status']))})", soft_wrap=True)
    if result.passwords_file:
        app.err.print(f"generated passwords are kept in {escape(result.passwords_file)} (mode 0600)", soft_wrap=True)
