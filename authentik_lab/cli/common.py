"""What every command shares: the App from the context, the error boundary, common options."""


import functools
from pathlib import Path
from typing import Annotated, Any, Callable, Optional, TypeVar

import typer

from authentik_lab import envnames
from authentik_lab.app import App
from authentik_lab.errors import AuthlabError, ExitCode

F = TypeVar("F", bound=Callable[..., Any])

JsonOpt = Annotated[bool, typer.Option("--json", help="Print a machine-readable JSON document on stdout.")]
YesOpt = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation (for scripts).")]
# every command that talks to Authentik (provider, apply, doctor, token, login-test) reads the same two
UrlOpt = Annotated[Optional[str], typer.Option("--url", envvar=envnames.URL, metavar="URL", help="Authentik base URL (default: the lab's).")]
TokenOpt = Annotated[Optional[str], typer.Option("--token", envvar=envnames.TOKEN, metavar="TOKEN", help="API token (default: the lab's bootstrap token).", show_default=False)]
NoWaitOpt = Annotated[bool, typer.Option("--no-wait", help="Fail at once (exit 2) when another authlab run is changing this lab, instead of waiting for it.")]
LabFileOpt = Annotated[Optional[Path], typer.Option("--file", "-f", envvar=envnames.LAB_FILE, metavar="FILE", help="The lab file.", show_default="authlab.yaml")]


def get_app(ctx: typer.Context) -> App:
    root = ctx.find_root()
    if root.obj is None:
        root.obj = App()
    return root.obj


def boundary(command: str) -> Callable[[F], F]:
    """Catch AuthlabError once: render message + hint (or the JSON envelope) and exit with its code.

    Unexpected exceptions become a one-line internal error; `--debug` shows the traceback instead.
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            ctx = kwargs.get("ctx") or next((a for a in args if isinstance(a, typer.Context)), None)
            app = get_app(ctx) if ctx is not None else App()
            if kwargs.get("json"):
                app.json = True
            try:
                with _sigterm_raises():
                    return fn(*args, **kwargs)
            except AuthlabError as exc:
                from authentik_lab.render import fail

                if app.debug:
                    raise
                if kwargs.get("compose") is not None:  # after `--compose FILE`, the hint's commands need it too
                    from authentik_lab.core.hints import for_compose_file

                    exc.hint = for_compose_file(exc.hint, str(kwargs["compose"]))
                fail(app, command, exc)
                raise typer.Exit(exc.exit_code) from None
            except KeyboardInterrupt as exc:
                if app.debug:
                    raise
                raise typer.Exit(_interrupted(app, command, exc)) from None
            except (typer.Exit, typer.Abort):
                raise
            except BrokenPipeError:
                raise typer.Exit(stdout_closed()) from None
            except Exception as exc:  # noqa: BLE001 - the boundary is where unexpected errors are reported
                if app.debug:
                    raise
                from authentik_lab.errors import AuthlabError as _E
                from authentik_lab.render import fail

                fail(app, command, _E(f"internal error: {type(exc).__name__}: {exc}", hint="re-run with --debug for the traceback and report it"))
                raise typer.Exit(ExitCode.FAILED) from None

        return wrapper  # type: ignore[return-value]

    return decorate


def lab_lock(app: App, folder: Optional[Path] = None, no_wait: bool = False) -> Any:
    """The lab folder's lock (adapters.lab_lock) for `up`, `apply` and `ci`; waiting is announced on stderr."""
    from authentik_lab.adapters.lab_lock import hold

    return hold(folder or app.lab_dir, wait=not no_wait,
                on_wait=lambda message: app.err.print(message, markup=False, highlight=False, soft_wrap=True))


class _sigterm_raises:
    """While a command runs, SIGTERM raises `Terminated` in the main thread (as Ctrl-C raises KeyboardInterrupt), so
    both unwind through `finally` and atomic writes instead of killing the process mid-step."""

    def __enter__(self) -> None:
        import signal
        import threading

        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, _raise_terminated)

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def _raise_terminated(signum: int, frame: object) -> None:  # noqa: ARG001
    from authentik_lab.errors import Terminated

    raise Terminated()


def _interrupted(app: App, command: str, exc: KeyboardInterrupt) -> int:
    """One line on stderr (and the JSON error document with --json): the signal, what was done, what was not.
    Returns the exit code: 128 + the signal number, as a shell reports a process killed by it."""
    from authentik_lab.errors import Terminated

    name, code = ("SIGTERM", 143) if isinstance(exc, Terminated) else ("SIGINT", 130)
    line = app.journal.interrupted_line(name, rerun=f"run the same `authlab {command}` command again")
    if app.json:
        import json

        from authentik_lab.render import envelope

        print(json.dumps(envelope(command, False, error={"type": "Interrupted", "message": line, "hint": None, "signal": name}), indent=2))
    app.err.print(line, markup=False, highlight=False, soft_wrap=True)
    return code


# 128 + SIGPIPE: what a shell reports for a tool stopped by a closed pipe (`seq 100000 | head -1`)
BROKEN_PIPE_EXIT = 141


def stdout_closed() -> int:
    """The reader of stdout went away (`authlab ... | head -1`): stop quietly, like cat or grep, with status 141.

    What is still buffered for stdout (Python flushes it at exit) goes to /dev/null, so no "Exception ignored"
    message or second error follows; stderr too when it is the same closed pipe (`2>&1 | head`).
    """
    import os
    import stat
    import sys

    try:
        out = sys.stdout.fileno()
        same_pipe = stat.S_ISFIFO(os.fstat(out).st_mode) and os.path.sameopenfile(out, sys.stderr.fileno())
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out)
        if same_pipe:
            os.dup2(devnull, sys.stderr.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # no real file descriptor (e.g. a test's captured stream)
        pass
    return BROKEN_PIPE_EXIT


def confirm(app: App, question: str, yes: bool, action: str | None = None, declined: str = "nothing changed") -> bool:
    """Ask only a person; scripts must pass --yes explicitly.

    `action` names what needs confirming for the error ("deleting the lab's data"); `declined` is printed when the
    person answers no (the caller then exits 1).
    """
    if yes:
        return True
    if not app.interactive:
        from authentik_lab.errors import UsageError

        message = f"{action} needs confirmation" if action else f"{question.rstrip('?')}: needs confirmation"
        raise UsageError(message, hint="pass --yes to confirm in a non-interactive run")
    if typer.confirm(question, default=False):
        return True
    app.err.print(declined)
    return False
