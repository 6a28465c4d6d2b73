"""`authlab ci`, `authlab token`, `authlab login-test`: Authentik in pipelines and tests."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from authentik_lab import envnames
from authentik_lab.cli.common import JsonOpt, LabFileOpt, NoWaitOpt, TokenOpt, UrlOpt, boundary, get_app, lab_lock

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.services.browser_login import Step
    from authentik_lab.services.ci import CiResult
    from authentik_lab.services.app_login import AppLoginResult
    from authentik_lab.services.login_test import LoginTestResult

MARKS = {"passed": "✓", "warning": "!", "failed": "✗", "skipped": "-"}


def register(cli: typer.Typer) -> None:
    cli.command("ci")(ci_cmd)
    cli.command("token")(token_cmd)
    cli.command("login-test")(login_test_cmd)


@boundary("ci")
def ci_cmd(
    ctx: typer.Context,
    file: LabFileOpt = None,
    env_out: Annotated[Optional[Path], typer.Option("--env-out", metavar="FILE", help="Also write KEY=value lines here (default when $GITHUB_ENV is unset: <lab dir>/ci.env).")] = None,
    timeout: Annotated[float, typer.Option("--timeout", envvar=envnames.TIMEOUT, metavar="SECONDS", help="Seconds to wait for Authentik to become ready (a first boot migrates the database).")] = 600.0,
    mask: Annotated[Optional[bool], typer.Option("--mask/--no-mask", help="Print ::add-mask:: lines for the exported secrets on stderr (default: on under GitHub Actions).", show_default=False)] = None,
    no_wait: NoWaitOpt = False,
    json: JsonOpt = False,  # accepted for symmetry: the summary is always JSON
) -> None:
    """Up (waiting for real readiness), apply authlab.yaml, export KEY=value for the next steps. JSON summary on stdout."""
    from authentik_lab.errors import AuthlabError
    from authentik_lab.render import emit
    from authentik_lab.services.ci import ci
    from authentik_lab.services.up_journal import journaled

    app = get_app(ctx)
    app.json = True  # a pipeline command: the summary on stdout is always the JSON envelope
    try:
        with lab_lock(app, no_wait=no_wait):
            result = ci(app, file, env_out=env_out, timeout=timeout, mask=mask, on_event=journaled(app.journal, lambda e: _progress(app, e)))
    except AuthlabError as exc:
        # the JSON error document goes to stdout (the boundary); the CI log also gets it in words
        app.err.print(f"error: {exc.message}", markup=False, highlight=False, soft_wrap=True)
        for line in getattr(exc, "evidence", None) or []:
            app.err.print(f"  | {line}", markup=False, highlight=False, soft_wrap=True)
        if exc.hint:
            app.err.print(f"hint: {exc.hint}", markup=False, highlight=False, soft_wrap=True)
        raise
    # stdout is only the JSON document (`authlab ci | jq` must work). The Actions runner reads workflow
    # commands from the step's stderr as well as its stdout, so the masks go there, before anything else
    for line in result.masks:
        print(line, file=sys.stderr, flush=True)
    for line in summary_lines(result):  # the CI log says what happened without opening the JSON
        app.err.print(line, markup=False, highlight=False, soft_wrap=True)
    emit(app, "ci", result, lambda r: None)


def summary_lines(result: "CiResult") -> list[str]:
    """What was applied (counts) and where the KEY=value lines went; names only, never a value."""
    applied = result.apply
    counts = applied.plan.counts()
    words = {"create": "created", "update": "updated", "unchanged": "unchanged", "delete": "deleted"}
    parts = [f"{counts[k]} {w}" for k, w in words.items() if counts[k] or k != "delete"]
    writes = f"{applied.writes} write{'s' if applied.writes != 1 else ''}"
    boots = {"cold": "booted cold (a new database: migrations and the first blueprint pass)",
             "snapshot": f"booted from database snapshot {result.snapshot}",
             "warm": "booted warm (an existing database)", "unknown": "booted on an existing database"}
    lines = [f"boot: {boots.get(result.boot, result.boot)}", f"applied {applied.file}: {', '.join(parts)} ({writes})"]
    targets = ([f"appended to $GITHUB_ENV ({result.github_env})"] if result.github_env else []) + (
        [f"written to {result.env_file} (mode 0600)"] if result.env_file else [])
    keys = f"{len(result.keys)} key{'s' if len(result.keys) != 1 else ''}"
    lines.append(f"env: {keys} {' and '.join(targets)}" if targets else f"env: {keys}, not written anywhere")
    return lines


def _progress(app: "App", event: object) -> None:
    """One stderr line per finished readiness stage: CI logs show where the time went."""
    if getattr(event, "state", "") != "done":
        return
    from authentik_lab.core.readiness import STAGE_TITLES

    stage = getattr(event, "stage", None)
    title = STAGE_TITLES.get(stage, getattr(stage, "value", "?"))  # the same words `authlab up` prints
    app.err.print(f"done: {title} after {getattr(event, 'elapsed', 0.0):.1f}s {getattr(event, 'detail', '')}".rstrip(), markup=False, highlight=False, soft_wrap=True)


@boundary("token")
def token_cmd(
    ctx: typer.Context,
    user: Annotated[str, typer.Option("--user", "-u", metavar="USER", help="Whose token: a test user or service account of the lab file, the lab's admin (akadmin), or any user whose password --password-env gives.")],
    provider: Annotated[Optional[str], typer.Option("--provider", "-p", metavar="NAME", help="The client that issues the token (default: the lab file's only provider).")] = None,
    file: LabFileOpt = None,
    password_env: Annotated[Optional[str], typer.Option("--password-env", metavar="VAR", help="Read --user's password from this environment variable (any user of the server).")] = None,
    url: UrlOpt = None,
    token: TokenOpt = None,
    json: JsonOpt = False,
) -> None:
    """Print an access token for a user or service account, verifiable through the provider's JWKS."""
    from authentik_lab.render import emit
    from authentik_lab.services.token import get_token

    app = get_app(ctx)
    result = get_token(app, user, provider=provider, file=file, password_env=password_env, url=url, token=token)
    _notes(app, result.notes)
    if result.warning:
        app.err.print(f"warning: {result.warning}", markup=False, soft_wrap=True)
    emit(app, "token", result, lambda r: print(r.access_token))


@boundary("login-test")
def login_test_cmd(
    ctx: typer.Context,
    provider: Annotated[Optional[str], typer.Option("--provider", "-p", metavar="NAME", help="The provider to log in with (with --app: optional, found from the app's client id).")] = None,
    user: Annotated[Optional[str], typer.Option("--user", "-u", metavar="USER", help="Test user (default: the lab file's first user, else the lab's admin).")] = None,
    password_env: Annotated[Optional[str], typer.Option("--password-env", metavar="VAR", help="Read the user's password from this environment variable.")] = None,
    redirect_uri: Annotated[Optional[str], typer.Option("--redirect-uri", metavar="URI", help="The redirect URI your app sends (default: the provider's first strict one).")] = None,
    refresh: Annotated[Optional[bool], typer.Option("--refresh/--no-refresh", help="Require the refresh grant (default: when offline_access is configured; with --app: when the app asks for it).", show_default=False)] = None,
    app_url: Annotated[Optional[str], typer.Option("--app", metavar="URL", help="Log in through your running app at this URL (its sign-in, Authentik, its callback, its session).")] = None,
    preset: Annotated[Optional[str], typer.Option("--preset", metavar="PRESET", help="With --app: how the app starts a login: nextauth, authjs, sveltekit, oauth2-proxy, grafana, generic.")] = None,
    app_base: Annotated[Optional[str], typer.Option("--app-base", metavar="PATH", help="With --app (nextauth/authjs/sveltekit): the auth routes' base path (default /api/auth; /auth outside Next.js).")] = None,
    provider_id: Annotated[Optional[str], typer.Option("--provider-id", metavar="ID", help="With --app (nextauth/authjs/sveltekit): the app's provider id, as in `provider create` (default: authentik).")] = None,
    app_start: Annotated[Optional[str], typer.Option("--app-start", metavar="URL", help="With --app (generic): the URL or path that starts a login.")] = None,
    app_check: Annotated[Optional[str], typer.Option("--app-check", metavar="URL", help="With --app (generic): a URL or path that answers 200 once logged in.")] = None,
    file: LabFileOpt = None,
    url: UrlOpt = None,
    token: TokenOpt = None,
    json: JsonOpt = False,
) -> None:
    """Log in like a browser (authorization code + PKCE, headless) and check the tokens; each step is reported."""
    from authentik_lab.errors import ExitCode, UsageError
    from authentik_lab.render import emit

    app = get_app(ctx)
    on_step = None if app.json else (lambda step: _step_line(app, step))
    app_only = {"--preset": preset, "--app-base": app_base, "--provider-id": provider_id, "--app-start": app_start, "--app-check": app_check}
    if app_url is None:
        given = [name for name, value in app_only.items() if value is not None]
        if given:
            raise UsageError(f"{given[0]} needs --app URL", hint="e.g. authlab login-test --app http://localhost:3000 --preset nextauth")
        if not provider:
            raise UsageError("login-test needs --provider NAME (or --app URL to log in through your app)",
                             hint="`authlab provider list` shows the providers")
        from authentik_lab.services.login_test import login_test

        result = login_test(app, provider, user=user, password_env=password_env, redirect_uri=redirect_uri, file=file,
                            refresh=refresh, url=url, token=token, on_step=on_step)
        summary = lambda r: _login_summary(app, r)  # noqa: E731
    else:
        from authentik_lab.core.app_login import app_flow
        from authentik_lab.services.app_login import app_login_test

        if redirect_uri is not None:
            raise UsageError("--redirect-uri does not apply with --app: the app sends its own", hint="drop --redirect-uri")
        if preset is None and (app_start or app_check):
            preset = "generic"
        if preset is None:
            raise UsageError("--app needs --preset (nextauth, authjs, sveltekit, oauth2-proxy, grafana, generic)",
                             hint="e.g. authlab login-test --app http://localhost:3000 --preset nextauth")
        flow = app_flow(preset, base=app_base, provider_id=provider_id, start=app_start, check=app_check)
        result = app_login_test(app, app_url, flow, provider=provider, user=user, password_env=password_env, file=file,
                                refresh=refresh, url=url, token=token, on_step=on_step)
        summary = lambda r: _app_summary(app, r)  # noqa: E731
    _notes(app, result.notes)
    emit(app, "login-test", result, summary, ok=result.ok)
    if not result.ok:
        raise typer.Exit(ExitCode.FAILED)


def _notes(app: "App", notes: tuple[str, ...]) -> None:
    for note in notes:  # stderr, so `TOKEN=$(authlab token ...)` and --json stdout stay clean
        app.err.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)


def _step_line(app: "App", step: "Step") -> None:
    out = app.out if step.status != "failed" else app.err
    out.print(f"{MARKS[step.status]} {step.name}: {step.detail}", markup=False, highlight=False, soft_wrap=True)
    if step.cause:
        out.print(f"  cause: {step.cause}", markup=False, highlight=False, soft_wrap=True)
    if step.hint:
        out.print(f"  hint: {step.hint}", markup=False, highlight=False, soft_wrap=True)


def _login_summary(app: "App", result: "LoginTestResult") -> None:
    failed = result.failed
    if failed is None:
        warned = f" with {len(result.warnings)} warning(s): {', '.join(w.name for w in result.warnings)}" if result.warnings else ""
        app.out.print(f"login-test passed{warned}: {result.user} logged in with provider {result.provider} ({result.issuer})", markup=False, highlight=False, soft_wrap=True)
    else:
        app.err.print(f"login-test failed at step {failed.name!r} (provider {result.provider}, user {result.user})", markup=False, highlight=False, soft_wrap=True)



def _app_summary(app: "App", result: "AppLoginResult") -> None:
    failed = result.failed
    who = f"user {result.user}" + (f", provider {result.provider}" if result.provider else "")
    if failed is None:
        app.out.print(f"login-test passed: {result.user} logged in through the app at {result.app_url} ({result.flow.preset}, {who})",
                      markup=False, highlight=False, soft_wrap=True)
    else:
        app.err.print(f"login-test failed at step {failed.name!r} (app {result.app_url}, {result.flow.preset}, {who})",
                      markup=False, highlight=False, soft_wrap=True)
