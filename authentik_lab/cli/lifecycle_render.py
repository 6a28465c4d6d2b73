"""How up/down/status look to a person: a live stage view at a terminal, plain lines elsewhere.

Everything here writes progress to stderr and data to stdout, so `--json` stdout stays one document.
"""


from typing import TYPE_CHECKING, Any

from rich.markup import escape

from authentik_lab.core.readiness import STAGE_TITLES, STAGES, Stage

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.services.lifecycle import DownResult, StatusResult
    from authentik_lab.services.up import UpResult
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

    def update(self, event: "StageEvent") -> None:
        import time

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


def render_up(app: "App", r: "UpResult") -> None:
    out = app.out
    if r.initialised == "created":
        app.err.print(f"created the lab in {r.lab_dir} (settings and new secrets in {r.env_file.name})")
    elif r.settings_changed:
        changes = ", ".join(f"{key} {old} -> {new}" for key, old, new in r.settings_changed)
        app.err.print(f"lab settings changed: {escape(changes)} (compose file re-rendered, secrets kept)")
    for note in r.notes:
        app.err.print(f"note: {escape(note)}")
    version = f"Authentik {r.version}" if r.version else "Authentik"
    out.print(f"[bold green]{version} is ready[/] at {r.url} (took {r.elapsed:.1f}s)")
    out.print(f"  admin user  {r.admin_user}")
    if r.secrets:
        out.print(f"  password    {escape(r.secrets.get(r.password_key, '(not set)'))}")
        out.print(f"  API token   {escape(r.secrets.get(r.token_key, '(not set)'))}")
        out.print(f"  [dim](from {r.env_file})[/]")
    else:
        out.print(f"  password    {r.password_key} in {r.env_file}")
        out.print(f"  API token   {r.token_key} in {r.env_file}")
        out.print("  [dim]values hidden; `authlab up --show-secrets` prints them[/]")
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
    if not r.stopped:
        app.out.print(f"nothing to stop: no lab at {r.lab_dir}")
        return
    if r.volumes_removed and r.kept_folders:
        # compose deletes named volumes only; bind-mounted folders hold data too and stay where they are
        app.out.print(f"stopped {r.project_name} and deleted its named volumes; bind-mounted folders are kept: "
                      f"{', '.join(r.kept_folders)} (delete them yourself if you want a fresh start)")
    elif r.volumes_removed:
        app.out.print(f"stopped {r.project_name} and deleted its data")
    else:
        app.out.print(f"stopped {r.project_name}; data kept (`authlab up` starts it again, `--volumes` deletes it)")


def render_status(app: "App", r: "StatusResult") -> None:
    out = app.out
    state = "running" if r.running else ("stopped" if not r.services else "not fully running")
    out.print(f"lab      {r.lab_dir} ({r.project_name}): {state}")
    out.print(f"url      {r.url}")
    version = f"{r.version} (from {r.version_source})" if r.version else "unknown"
    out.print(f"version  {version}")
    out.print(f"api      {r.api} [dim]({escape(r.api_detail)})[/]")
    if not r.services:
        out.print("no containers; `authlab up` starts the lab")
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
        out.print(f"  [yellow]fix:[/] {escape(problem.fix)}")
