"""`authlab doctor`: name the Authentik pitfall, show the evidence and the fix; `--fix` applies the safe ones."""


from pathlib import Path
from typing import Annotated, Any, List, Optional

import typer

from authentik_lab import envnames
from authentik_lab.cli.common import JsonOpt, TokenOpt, UrlOpt, YesOpt, boundary, confirm, get_app

MARKS = {"ok": "[green][✓][/]", "warn": "[yellow][!][/]", "fail": "[red][✗][/]", "skip": "[dim][-][/]", "error": "[magenta][?][/]"}


def register(cli: typer.Typer) -> None:
    cli.command("doctor")(doctor)


@boundary("doctor")
def doctor(
    ctx: typer.Context,
    ids: Annotated[
        Optional[List[str]],
        typer.Argument(metavar="ID", help="Checks to run: ids or groups (engine, compose, env, runtime, http, provider, app).",
                       show_default=False),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the check ids and titles, run nothing.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show the details of passing checks too, and each skipped check.")] = False,
    fix: Annotated[bool, typer.Option("--fix", help="Apply the safe automatic fixes (shown first; asks unless --yes).")] = False,
    yes: YesOpt = False,
    url: UrlOpt = None,
    token: TokenOpt = None,
    compose: Annotated[Optional[Path], typer.Option("--compose", envvar=envnames.COMPOSE_FILE, metavar="FILE", show_default=False,
                                                    help="Check this compose file (and the .env beside it) instead of the lab's.")] = None,
    override: Annotated[Optional[List[Path]], typer.Option("--override", metavar="FILE", show_default=False,
                                                           help="A compose file merged on top of --compose (repeatable, like `docker compose -f FILE -f OVERRIDE`; default: COMPOSE_FILE or the .override file compose itself reads).")] = None,
    profile: Annotated[Optional[List[str]], typer.Option("--profile", metavar="NAME", show_default=False,
                                                         help="A compose profile to enable (repeatable; default: COMPOSE_PROFILES).")] = None,
    app_env: Annotated[Optional[List[Path]], typer.Option("--app-env", metavar="FILE", help="An app env file to check (repeatable; default: .env, .env.local, .env.development here).")] = None,
    provider: Annotated[Optional[str], typer.Option("--provider", metavar="NAME", help="Check only this OAuth2 provider (by name).")] = None,
    preset: Annotated[Optional[str], typer.Option("--preset", metavar="PRESET", help="The app's framework preset (sets the expected issuer form).")] = None,
    app_dir: Annotated[Optional[Path], typer.Option("--app-dir", metavar="DIR", help="The app's source folder, whose env reads app.code-env checks (default: the current folder).", show_default=False)] = None,
    json: JsonOpt = False,
) -> None:
    """Find known Authentik lab pitfalls, explain them, and fix the safe ones on request."""
    from authentik_lab.render import emit
    from authentik_lab.services import doctor as svc
    from authentik_lab.services.doctor.facts import DoctorOptions

    app = get_app(ctx)
    if list_:
        checks = svc.choose(ids or [])
        emit(app, "doctor", {"checks": [{"id": c.id, "title": c.title, "group": c.group} for c in checks]},
             lambda d: [app.out.print(f"{c['id']:<26} {c['title']}", markup=False) for c in d["checks"]])
        return
    opts = DoctorOptions(url=url, token=token, compose=compose, overrides=tuple(override or ()), profiles=tuple(profile or ()),
                         app_env=tuple(app_env or ()), provider=provider, preset=preset, app_dir=_app_dir(app_dir))
    report, facts = svc.run_doctor(app, opts, ids or [])
    for note in facts.url_notes:
        app.err.print(f"note: {note}", markup=False, highlight=False)
    if fix:
        planned = svc.plan_fixes(facts, report)
        if planned:
            if not app.json:
                _show_plan(app, planned)
            if confirm(app, f"Apply {len(planned)} fix(es)?", yes, action=f"applying {len(planned)} fix(es)", declined="nothing changed"):
                report = svc.apply_fixes(facts, report, planned)
        elif not app.json:
            app.err.print("--fix: nothing doctor can fix automatically")
    emit(app, "doctor", report, lambda r: _human(app, r, verbose, compose), ok=report.tally.ok)
    if not report.tally.ok:
        raise typer.Exit(1)


def _app_dir(app_dir: Optional[Path]) -> Optional[Path]:
    from authentik_lab.services.app_wiring import check_app_dir

    return check_app_dir(app_dir) if app_dir is not None else None


def _show_plan(app: Any, planned: list) -> None:
    from rich.markup import escape

    app.out.print("Planned fixes:")
    for p in planned:
        app.out.print(f"  • {escape(p.description)}")
        for line in p.changes:
            app.out.print(f"      {escape(line)}")


def _human(app: Any, report: Any, verbose: bool, compose: Optional[Path] = None) -> None:
    from rich.markup import escape

    from authentik_lab.core.hints import for_compose_file

    out = app.out
    skipped: dict[str, list[str]] = {}
    for f in report.fixes:
        out.print(("[green]fixed:[/] " if f.ok else "[red]fix failed:[/] ") + escape(f.description) + (f" ({escape(f.error)})" if f.error else ""))
    for r in report.results:
        if r.status == "skip" and not verbose:
            skipped.setdefault(r.summary, []).append(r.id)  # one line per reason below, not one per check
            continue
        out.print(f"{MARKS[r.status]} {escape(r.title)}: {escape(r.summary)}" + (f" [dim]({r.id})[/]" if r.status != "ok" or verbose else ""))
        if r.status in ("ok", "skip") and not verbose:
            continue
        for line in r.evidence:
            out.print(f"    [dim]•[/] {escape(line)}")
        for m in r.messages:
            if r.status == "ok" and m.level == "info" and not verbose:
                continue
            if m.text != r.summary:
                out.print(f"    {'✗' if m.level == 'fail' else '!' if m.level == 'warn' else 'i'} {escape(m.text)}")
            if m.fix:
                # with --compose FILE the fix's `authlab logs/up/...` need that file too
                out.print(f"      fix: {escape(for_compose_file(m.fix, str(compose) if compose else None) or '')}")
        if r.fixable is not None and r.status in ("warn", "fail") and not any("--fix" in (m.fix or "") for m in r.messages):
            out.print("      [dim](authlab doctor --fix can do this)[/]")
    if verbose and report.compose is not None:
        out.print(f"[dim]compose:[/] {escape(report.compose.describe())}")
    for reason, ids in skipped.items():
        out.print(f"{MARKS['skip']} skipped {len(ids)} check{'s' if len(ids) > 1 else ''} ({escape(_ids_text(ids, report))}): "
                  f"{escape(reason)}")
    out.print("")
    out.print(report.tally.text())


def _ids_text(ids: list, report: Any) -> str:
    """`runtime.*` when every check of a group that ran was skipped for this reason, else the ids themselves."""
    ran: dict[str, int] = {}
    for r in report.results:
        group = r.id.split(".", 1)[0]
        ran[group] = ran.get(group, 0) + 1
    parts: list[str] = []
    for cid in ids:
        group = cid.split(".", 1)[0]
        whole = sum(1 for i in ids if i.split(".", 1)[0] == group) == ran[group] and ran[group] > 1
        part = f"{group}.*" if whole else cid
        if part not in parts:
            parts.append(part)
    return ", ".join(parts)
