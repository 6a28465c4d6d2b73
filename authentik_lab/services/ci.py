"""`authlab ci`: one non-interactive command for pipelines: up (really ready) -> apply -> export.

Up and apply are `authlab up`'s own path (services.up), with the lab file required; ci adds the export.

Exit codes tell the two failures apart for the pipeline: Authentik never got ready (3, also for compose and
engine failures, since the lab never came up) versus the lab file could not be applied (4). A malformed lab
file or a missing password variable is caught before anything starts (2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from authentik_lab import envnames
from authentik_lab.core import ci_export as ce
from authentik_lab.errors import ApplyError, AuthlabError, ConfigError, NotReadyError, UsageError

if TYPE_CHECKING:
    from authentik_lab.app import App
    from authentik_lab.services.apply import ApplyResult

DEFAULT_ENV_OUT = "ci.env"  # inside the lab directory
DEFAULT_TIMEOUT = 600.0  # a first boot runs all migrations: 1-3 min on a CI runner, more on a slow one


@dataclass(frozen=True)
class CiResult:
    url: str
    version: str | None
    lab_dir: str
    ready_after: float  # seconds from start to ready
    apply: "ApplyResult"
    github_env: str | None  # the $GITHUB_ENV file appended to
    env_file: str | None  # the --env-out file written
    keys: tuple[str, ...]  # names only: the values include secrets
    masks: tuple[str, ...] = ()  # `::add-mask::` lines for GitHub Actions (never rendered into JSON)
    boot: str = "unknown"  # "cold" | "snapshot" | "warm" | "unknown": how the lab's database came to be
    snapshot: str | None = None  # the snapshot restored or saved

    def to_dict(self) -> dict[str, Any]:
        apply = self.apply.to_dict()
        return {
            "url": self.url,
            "version": self.version,
            "lab_dir": self.lab_dir,
            "ready_after": round(self.ready_after, 1),
            "boot": self.boot,
            "snapshot": self.snapshot,
            "apply": {k: apply[k] for k in ("file", "counts", "writes", "items", "providers")},
            "github_env": self.github_env,
            "env_file": self.env_file,
            "keys": list(self.keys),
        }


def ci(
    app: "App",
    file: Path | None = None,
    *,
    env_out: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    mask: bool | None = None,
    on_event: Callable[[Any], None] | None = None,
) -> CiResult:
    from authentik_lab.services import test_users
    from authentik_lab.services.apply import labfile_for_up

    lab = labfile_for_up(app, file, required=True)  # exit 2 with file:line:col (or a missing variable) before anything starts
    _check_app_dirs(lab)
    up_result = _up(app, lab, timeout, on_event)  # the same path as `authlab up`: init with the file's settings, ready, apply
    applied = up_result.apply
    try:
        # read again: apply has just stored the generated passwords it set (a first read would invent others)
        passwords, _ = test_users.resolve_passwords(lab, app.lab_dir)
        values, secrecy = _values(app, up_result.url, applied, lab, passwords)
    except ApplyError:
        raise
    except AuthlabError as exc:
        err = ApplyError(f"apply failed: {exc.message}", hint=exc.hint)
        err.evidence = list(getattr(exc, "evidence", []) or [])  # type: ignore[attr-defined]
        raise err from exc
    except Exception as exc:  # noqa: BLE001 - the pipeline needs exit 4 for any apply failure; --debug shows the cause
        raise ApplyError(f"apply failed: {type(exc).__name__}: {exc}", hint="re-run with --debug for the traceback") from exc
    github_env = os.environ.get(envnames.GITHUB_ENV) or None
    written_file = None
    from authentik_lab.adapters.files import append_text, atomic_write

    if github_env:
        app.journal.doing(f"appending to $GITHUB_ENV ({github_env})")
        append_text(Path(github_env), ce.render_github_env(values))  # the runner reads the whole file after the step
        app.journal.done("appended to $GITHUB_ENV")
    if env_out is not None or not github_env:
        target = env_out or (app.lab_dir / DEFAULT_ENV_OUT)
        app.journal.doing(f"writing {target}")
        atomic_write(Path(target), ce.render_env_file(values, header="written by `authlab ci`; holds secrets"), mode=0o600)
        app.journal.done(f"wrote {target}")
        written_file = str(target)
    if mask is None:
        mask = os.environ.get(envnames.GITHUB_ACTIONS, "").lower() == "true"
    return CiResult(
        url=up_result.url,
        version=up_result.version,
        lab_dir=str(app.lab_dir.resolve()),  # absolute, as `up --json` reports it
        ready_after=up_result.elapsed,
        apply=applied,
        github_env=github_env,
        env_file=written_file,
        keys=tuple(values),
        masks=tuple(ce.github_masks(values, secrecy)) if mask else (),
        boot=up_result.boot,
        snapshot=up_result.snapshot,
    )


def _up(app: "App", lab: Any, timeout: float, on_event: Callable[[Any], None] | None) -> Any:
    from authentik_lab.services.up import up

    try:
        return up(app, lab=lab, apply_secrets=True, timeout=timeout, on_event=on_event)
    except ApplyError as exc:
        raise _rerun_hint(exc, lab.path) from exc.__cause__  # apply failed with the lab running (4)
    except (ConfigError, UsageError, NotReadyError):
        raise  # bad input (2), never ready (3)
    except AuthlabError as exc:
        # compose or engine failures, timeouts: for the pipeline all mean "Authentik never got ready"
        err = NotReadyError(f"Authentik did not start: {exc.message}", hint=exc.hint, evidence=list(getattr(exc, "evidence", []) or []))
        raise err from exc
    except Exception as exc:  # noqa: BLE001 - e.g. a docker SDK error: still "never got ready" for the pipeline
        raise NotReadyError(f"Authentik did not start: {type(exc).__name__}: {exc}", hint="re-run with --debug for the traceback") from exc


def _rerun_hint(exc: ApplyError, lab_path: str) -> ApplyError:
    """One hint that names the file that failed: `up`'s generic "then run `authlab apply`" would apply
    ./authlab.yaml, which in a folder with several lab files is another file."""
    from authentik_lab.services.apply import rerun_command

    cause = exc.__cause__
    hint = (cause.hint if isinstance(cause, AuthlabError) else None) or "re-run with --debug for the traceback"
    if "authlab apply" not in hint:
        hint += f"; then run `{rerun_command(lab_path)}`"
    exc.hint = f"{hint}; Authentik is left running (`authlab down` stops it)"
    return exc


def _values(app: "App", url: str, applied: "ApplyResult", lab: Any, passwords: dict[str, str]) -> tuple[dict[str, str], dict[str, bool]]:
    """(KEY -> value, app-named KEY -> whether it holds a secret)."""
    from authentik_lab.services.connection import resolve_connection
    from authentik_lab.services.token import _app_password

    by_name = {v.name: v for v in applied.provider_views}
    providers = []
    for spec in lab.providers:
        view = by_name.get(spec.name)
        if view is None:
            raise ApplyError(f"provider {spec.name!r} has no application after apply", hint="run `authlab provider show` for details")
        e = view.endpoints
        redirect = view.redirect_uris[0]["url"] if view.redirect_uris else ""
        preset, names = _app_names(lab, spec)
        providers.append(ce.ProviderExport(view.name, view.client_id, view.client_secret if view.client_type == "confidential" else "",
                                           view.issuer, e.authorize, e.token, e.userinfo, e.end_session, e.jwks, redirect,
                                           names, preset.issuer_form, (spec.app_url or preset.default_app_url).rstrip("/")))
    users = [ce.UserExport(u.username, passwords[u.username], u.email) for u in lab.users]
    accounts = []
    if lab.service_accounts:
        conn = resolve_connection(app)
        with app.api(conn.url, conn.token) as api:
            accounts = [ce.ServiceAccountExport(s.name, _app_password(api, s.name)) for s in lab.service_accounts]
    try:
        return ce.export_values(url, providers, users, accounts), ce.app_name_secrecy(providers)
    except ce.ExportNameClash as exc:
        raise ApplyError(str(exc), hint="names become environment variable names: make them differ in more than punctuation") from None


def _app_dir(lab: Any, spec: Any) -> Path:
    return (Path(lab.path).parent / spec.app_dir).resolve()


def _check_app_dirs(lab: Any) -> None:
    """An `app_dir:` that is not a folder is bad input: ConfigError at its file:line:col before anything starts."""
    for index, spec in enumerate(lab.providers):
        if spec.app_dir and not _app_dir(lab, spec).is_dir():
            key = f"providers[{index}].app_dir"
            raise ConfigError(f"{key}: {spec.app_dir} is not a folder", location=lab.where(key),
                              hint="give the app's folder, relative to the lab file; nothing was started")


def _app_names(lab: Any, spec: Any) -> tuple[Any, tuple[tuple[str, str], ...]]:
    """(preset, (role, name) pairs) for a provider with `app_dir:` or `env_names:` in the lab file; () without either."""
    from authentik_lab.core.presets import get_preset

    preset = get_preset(spec.preset)
    if not spec.app_dir and not spec.env_names:
        return preset, ()
    from authentik_lab.services import app_wiring

    folder = _app_dir(lab, spec) if spec.app_dir else None
    overrides = {role: (name, "env_names") for role, name in spec.env_names}
    chosen = app_wiring.wiring(preset, folder, overrides)
    return preset, tuple((role, c.name) for role, c in chosen.names.items())
