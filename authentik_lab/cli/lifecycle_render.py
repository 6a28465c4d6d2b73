"""How up/down/status look to a person: a live stage view at a terminal, plain lines elsewhere.

Everything here writes progress to stderr and data to stdout, so `--json` stdout stays one document.
"""


from typing import TYPE_CHECKING, Any

from rich.markup import escape

from authentik_lab.core.readiness import STAGE_TITLES, STAGES, Stage

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.services.lifecycle import DownResult, StatusResult
    from authentik_lab.services.up import Prepared, UpResult
    from authentik_lab.services.wait import StageEvent

_MARKS = {"done": "[green]✓[/]", "skipped": "[dim]-[/]", "active": "[yellow]…[/]", "pending": "[dim]·[/]"}


class Progress:
    """Receives StageEvents: a rich Live table when interactive, one plain stderr line per finished stage otherwise."""

    def __init__(self, app: "App") -> None:
        self.app = app
        self.rows: dict[Stage, tuple[str, str, float | None]] = {s: ("pending", "", None) for s in STAGES}
        self._live: Any = None
        self._announced: set[Stage] = set()
        self._origin: float | None = None
        self._spinners: dict[Stage, Any] = {}  # one per row, so each keeps its animation across redraws
        self.notes_shown: tuple[str, ...] = ()  # printed as they happened; render_up prints only the later ones

    def __enter__(self) -> "Progress":
        if self.app.interactive:
            from rich.live import Live

            # get_renderable: Live rebuilds the table on each refresh, so the active row's clock keeps ticking
            self._live = Live(console=self.app.err, refresh_per_second=8, transient=False, get_renderable=self._table)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.refresh()
            self._live.__exit__(*exc)

    def update(self, event: "StageEvent | Prepared") -> None:
        import time

        if not hasattr(event, "stage"):  # the lab folder is ready: say so now, before the stages
            render_prepared(self.app, event)  # type: ignore[arg-type]
            self.notes_shown += tuple(event.notes)  # type: ignore[union-attr]
            return

        self.rows[event.stage] = (event.state, event.detail, event.elapsed)
        self._origin = time.monotonic() - event.elapsed  # when the wait (and `docker compose up -d`) began
        if self._live is not None:
            self._live.refresh()
            return
        # plain mode: one line when a stage starts waiting, one when it ends; no redraws, no colour codes needed
        title = STAGE_TITLES[event.stage]
        if event.state == "active":
            if event.stage not in self._announced:
                self._announced.add(event.stage)
                self.app.err.print(f"waiting: {escape(title)} ({escape(event.detail)})")
        else:
            self.app.err.print(f"{event.state}: {escape(title)} after {event.elapsed:.1f}s ({escape(event.detail)})")

    def _table(self) -> Any:
        from rich.spinner import Spinner
        from rich.table import Table

        import time

        table = Table.grid(padding=(0, 1))
        for stage in STAGES:
            state, detail, elapsed = self.rows[stage]
            mark: Any = self._spinners.setdefault(stage, Spinner("dots", style="yellow")) if state == "active" else _MARKS[state]
            if state == "active" and self._origin is not None:
                when = f"[yellow]{time.monotonic() - self._origin:5.1f}s[/]"  # live: how long so far
            else:
                when = f"[dim]{elapsed:5.1f}s[/]" if elapsed is not None else ""
            table.add_row(mark, STAGE_TITLES[stage], when, f"[dim]{escape(detail)}[/]")
        return table


def render_prepared(app: "App", p: "Prepared") -> None:
    """`up`'s first lines (stderr), printed when the lab folder is ready, before any readiness line."""
    if p.initialised == "created":
        app.err.print(f"created the lab in {p.lab_dir} (settings and new secrets in {p.env_file.name})", markup=False)
    elif p.settings_changed:
        changes = ", ".join(f"{key} {old} -> {new}" for key, old, new in p.settings_changed)
        app.err.print(f"lab settings changed: {changes} (compose file re-rendered, secrets kept)", markup=False)
    for note in p.notes:
        app.err.print(f"note: {note}", markup=False)


def render_up(app: "App", r: "UpResult", notes_shown: tuple[str, ...] = ()) -> None:
    """The result on stdout; what happened before the stages was printed by Progress as it happened, so only the
    notes that came later (e.g. about a snapshot) are printed here, on stderr."""
    out = app.out
    for note in r.notes:
        if note not in notes_shown:
            app.err.print(f"note: {note}", markup=False)
    version = f"Authentik {r.version}" if r.version else "Authentik"
    out.print(f"[bold green]{version} is ready[/] at {r.url} (took {r.elapsed:.1f}s)")
    out.print(f"  admin user  {r.admin_user}")
    # a compose file of the user's own may have no bootstrap values: say so, and what that means
    missing = {
        r.password_key: f"none: {r.env_file} has no {r.password_key}; on the first start set akadmin's password at "
                        f"{r.url}/if/flow/initial-setup/",
        r.token_key: f"none: {r.env_file} has no {r.token_key}, so `authlab provider create` and `apply` need --token "
                     f"(an API token made in the admin UI); or add {r.token_key} to that .env before the first start "
                     "(Authentik reads it only then)",
    }
    for key, label in ((r.password_key, "password "), (r.token_key, "API token")):
        if key not in r.bootstrap_keys:
            out.print(f"  {label}   {missing[key]}", markup=False)
        elif r.secrets:
            out.print(f"  {label}   {r.secrets[key]}", markup=False)
        else:
            out.print(f"  {label}   {key} in {r.env_file}", markup=False)
    if r.bootstrap_keys:
        out.print(f"  [dim](from {r.env_file})[/]" if r.secrets else "  [dim]values hidden; `authlab up --show-secrets` prints them[/]")
    # the same --compose FILE the user passed, or the next command would look for a lab that is not there
    flag = f" --compose {_shell(str(r.compose_arg))}" if r.compose_arg is not None else ""
    out.print(f"  stop it with `authlab down{flag}` (keeps data); logs: `authlab logs{flag}`")
    if r.apply is not None:
        from authentik_lab.cli.labfile import render_apply

        render_apply(app, r.apply)


def _shell(text: str) -> str:
    import shlex

    return shlex.quote(text)


def render_down(app: "App", r: "DownResult") -> None:
    """Only what was there: a lab that never ran says so, and `--volumes` names the volumes it deleted."""
    from authentik_lab.core.hints import for_compose_file

    if not r.found:
        app.out.print(f"nothing to stop: no lab at {r.lab_dir}", markup=False)
        return
    n = len(r.containers)
    containers = f"{n} container{'s' if n != 1 else ''}"
    if r.running:
        parts = [f"stopped {r.project_name} ({containers})"]
    elif r.containers:
        parts = [f"removed {r.project_name}'s {containers} (none was running)"]
    else:
        parts = [f"nothing to stop: no container of {r.project_name} exists"]
    if r.volumes_requested:
        if r.volumes:
            parts.append(f"deleted its {'named volumes' if r.kept_folders else 'data'} ({', '.join(r.volumes)})")
        else:
            parts.append("no data volume to delete")
        if r.kept_folders:
            # compose deletes named volumes only; bind-mounted folders hold data too and stay where they are
            parts.append(f"bind-mounted folders are kept: {', '.join(r.kept_folders)} (delete them yourself if you want a fresh start)")
    elif r.volumes:
        again = "`authlab up` starts it again, " if r.containers else ""
        parts.append(f"data kept in {', '.join(r.volumes)} ({again}`authlab down --volumes` deletes it)")
    elif r.containers:
        parts.append("`authlab up` starts it again")
    app.out.print(for_compose_file("; ".join(parts), str(r.compose_arg) if r.compose_arg else None), markup=False)


def render_status(app: "App", r: "StatusResult") -> None:
    from authentik_lab.core.hints import for_compose_file

    out = app.out
    compose = str(r.compose_arg) if r.compose_arg else None
    state = "running" if r.running else ("stopped" if not r.services else "not fully running")
    out.print(f"lab      {r.lab_dir} ({r.project_name}): {state}")
    out.print(f"url      {r.url}")
    version = f"{r.version} (from {r.version_source})" if r.version else "unknown"
    out.print(f"version  {version}")
    out.print(f"api      {r.api} [dim]({escape(r.api_detail)})[/]")
    if not r.services:
        out.print(escape(for_compose_file("no containers; `authlab up` starts the lab", compose) or ""))
        return
    width = max(len(s.service) for s in r.services)
    for s in r.services:
        text = s.state + (f" ({s.health})" if s.health else "") + (f", exit code {s.exit_code}" if s.exit_code is not None else "")
        ports = f"  [dim]{', '.join(s.ports)}[/]" if s.ports else ""
        out.print(f"  {s.service.ljust(width)}  {text}{ports}")
    for problem in r.problems:
        out.print(f"[red]problem:[/] {escape(problem.service)}: {escape(problem.diagnosis)}")
        for line in problem.evidence:
            out.print(f"  [dim]│[/] {escape(line)}")
        out.print(f"  [yellow]fix:[/] {escape(for_compose_file(problem.fix, compose) or '')}")
