"""`authlab doctor`: run the checks side by side, and on request apply the safe fixes they propose.

Flow: select checks -> run them concurrently over one shared `Facts` -> (with --fix) plan the fixes and
show them -> apply -> observe again and re-run the affected groups, so the report shows the state after.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence

from authentik_lab.core.checks import Check, CheckResult, FixAction, Tally, run_check, select
from authentik_lab import envnames
from authentik_lab.errors import UsageError
from authentik_lab.services.doctor.catalogue import CATALOGUE, FIX_INVALIDATES, FIX_RERUNS, reads_compose_file
from authentik_lab.services.doctor.env_fix import append_generated, create_generated
from authentik_lab.services.doctor.facts import DoctorOptions, Facts
from authentik_lab.services.doctor.fix_promise import patchable_only

if TYPE_CHECKING:
    from authentik_lab.app import App

MAX_WORKERS = 16


@dataclass(frozen=True)
class PlannedFix:
    kind: str
    target: str
    description: str
    changes: tuple[str, ...]
    check_ids: tuple[str, ...]
    apply: Callable[[], None] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "target": self.target, "description": self.description,
                "changes": list(self.changes), "checks": list(self.check_ids)}


@dataclass(frozen=True)
class AppliedFix:
    kind: str
    target: str
    description: str
    changes: tuple[str, ...]
    ok: bool
    error: str | None = None


@dataclass(frozen=True)
class DoctorReport:
    results: tuple[CheckResult, ...]
    fixes: tuple[AppliedFix, ...] = ()
    compose: Any = None  # core.compose_effective.Effective the compose checks judged, when they ran


    @property
    def tally(self) -> Tally:
        return Tally.of(self.results)

    def to_dict(self) -> dict[str, Any]:
        return {"checks": [r.to_dict() for r in self.results], "summary": self.tally.to_dict(),
                "fixes": [{"kind": f.kind, "target": f.target, "description": f.description, "changes": list(f.changes),
                           "ok": f.ok, "error": f.error} for f in self.fixes],
                "compose_config": self.compose.to_dict() if self.compose is not None else None}


def catalogue() -> tuple[Check, ...]:
    return CATALOGUE


def choose(ids: Sequence[str]) -> list[Check]:
    """The checks named on the command line (ids or group names); a usage error lists the valid ones."""
    chosen, unknown = select(CATALOGUE, ids)
    if unknown:
        groups = sorted({c.group for c in CATALOGUE})
        raise UsageError(f"unknown check {', '.join(repr(u) for u in unknown)}",
                         hint=f"valid groups: {', '.join(groups)}; ids: {', '.join(c.id for c in CATALOGUE)} (`authlab doctor --list`)")
    return chosen


def validate(opts: DoctorOptions) -> None:
    """Bad input is reported before any check runs."""
    if opts.compose is not None:
        _require_file(Path(opts.compose), f"--compose {opts.compose} (or {envnames.COMPOSE_FILE})", "--compose")
    if opts.overrides and opts.compose is None:
        raise UsageError("--override needs --compose FILE", hint="name the main compose file with --compose, then its overrides")
    if opts.profiles and opts.compose is None:
        raise UsageError("--profile needs --compose FILE", hint="an authlab lab has no profiles; name the compose file with --compose")
    for o in opts.overrides:
        _require_file(Path(o), f"--override {o}", "--override")
    for p in opts.app_env:
        if not Path(p).is_file():
            raise UsageError(f"--app-env {p}: no such file", hint="pass an existing file to --app-env")
    if opts.preset:
        from authentik_lab.core.presets import get_preset

        get_preset(opts.preset, "--preset")


def _require_file(path: Path, what: str, option: str) -> None:
    """A compose file must be a regular file: a folder, a device or a pipe gets its own message, not "no such file"."""
    if path.is_file():
        return
    if path.is_dir():
        raise UsageError(f"{what}: is a folder, not a compose file", hint=f"pass the compose file inside it to {option}, e.g. {path / 'docker-compose.yml'}")
    if path.exists():
        raise UsageError(f"{what}: not a regular file", hint=f"pass a compose file saved on disk to {option}")
    raise UsageError(f"{what}: no such file", hint=f"pass the path of a compose file to {option}")


def run_checks(facts: Facts, checks: Sequence[Check]) -> list[CheckResult]:
    """The checks side by side over one Facts; a compose finding keeps its `--fix` promise only where that holds
    (services.doctor.fix_promise)."""
    if not checks:
        return []
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(checks))) as pool:
        futures = [pool.submit(run_check, c, facts, facts.missing) for c in checks]
        return patchable_only(facts, [fut.result() for fut in futures])


def run_doctor(app: "App", opts: DoctorOptions, ids: Sequence[str] = (), facts: Facts | None = None) -> tuple[DoctorReport, Facts]:
    checks = choose(ids)
    validate(opts)
    facts = facts or Facts(app, opts)
    facts.read_failure_reporter = next((c.id for c in checks if reads_compose_file(c.id)), None)
    _require_named_provider(facts, checks)
    return DoctorReport(tuple(run_checks(facts, checks)), compose=facts.known("compose_effective")), facts


def _require_named_provider(facts: Facts, checks: Sequence[Check]) -> None:
    """A --provider name the server does not know is bad input: one usage error, not a crash in every provider check.
    When the server cannot be asked, the checks skip with that reason instead."""
    from authentik_lab.services.doctor import gather as g

    name = facts.opts.provider
    if not name or not any(c.group == "provider" for c in checks) or facts.missing("api"):
        return
    try:
        found = g.all_providers(facts)
    except Exception:  # noqa: BLE001 - Skip or an API error: the checks report why the list is unavailable
        return
    if not any(p.get("name") == name for p in found):
        names = ", ".join(sorted(str(p.get("name")) for p in found)) or "none"
        raise UsageError(f"no OAuth2 provider named {name!r} at {facts.base_url()} (existing: {names})",
                         hint="`authlab provider list` shows them; pass one of those names to --provider")


# --- fixes --------------------------------------------------------------------------------------


def plan_fixes(facts: Facts, report: DoctorReport) -> list[PlannedFix]:
    """Turn the fixable results into concrete changes, computed now so the user sees exactly what will happen."""
    by_kind: dict[tuple[str, str], list[tuple[str, FixAction]]] = {}
    for r in report.results:
        if r.fixable is not None and r.status in ("warn", "fail"):
            by_kind.setdefault((r.fixable.kind, r.fixable.target), []).append((r.id, r.fixable))
    planned: list[PlannedFix] = []
    for (kind, target), items in by_kind.items():
        ids = tuple(i for i, _ in items)
        action = items[0][1]
        if kind == "compose-patch":
            fix = _plan_compose(target, ids, facts)
            if fix:
                planned.append(fix)
        elif kind == "chmod":
            planned.append(PlannedFix(kind, target, action.description, action.changes, ids,
                                      lambda a=action: os.chmod(a.params["file"], a.params["mode"])))
        elif kind in ("attach-scopes", "set-signing-key"):
            # one PATCH per affected provider, each its own line in the plan and in the result
            for patch in action.params["patches"]:
                planned.append(PlannedFix(kind, patch["provider"], patch["description"], tuple(patch["changes"]), ids,
                                          lambda pk=patch["provider_pk"], body=patch["body"]:
                                          facts.api().request("PATCH", f"providers/oauth2/{pk}/", json=body)))
        elif kind == "env-append":
            planned.append(PlannedFix(kind, target, action.description, action.changes, ids,
                                      lambda a=action: append_generated(Path(a.params["file"]), a.params["keys"])))
        elif kind == "env-create":
            planned.append(PlannedFix(kind, target, action.description, action.changes, ids,
                                      lambda a=action: create_generated(Path(a.params["file"]), a.params["keys"],
                                                                        Path(a.params["like"]))))
        elif kind == "app-env-issuer":
            planned.append(PlannedFix(kind, target, action.description, action.changes, ids,
                                      lambda a=action: _rewrite_env(facts, a.params["updates"])))
    return planned


def _plan_compose(file: str, ids: tuple[str, ...], facts: Facts) -> PlannedFix | None:
    from authentik_lab.adapters.files import next_backup_path
    from authentik_lab.core.compose_patch import PatchOptions
    from authentik_lab.services.compose_patch import patch_compose_file

    path = Path(file)
    # the opt-in edits only when their check asked for them; root and the socket go whenever the file is patched
    options = PatchOptions(bind_localhost="compose.public-ports" in ids, drop_time_mounts="compose.localtime" in ids)
    from authentik_lab.services.doctor import gather as g

    # the same reading and patching as `compose patch`, and the same engine-fitted folder command
    result = patch_compose_file(path, options, write=False, mapping=lambda: g.user_mapping(facts))
    if not result.changes:
        return None
    changes = tuple(f"{file}:{c.line}: {c.before}" + (f"  ->  {c.after}" if c.after else "  (removed)") for c in result.changes)
    changes += (f"the previous file is kept as {next_backup_path(path, numbered=True).name}",)
    if result.folders_to_own:
        # without root the worker no longer chowns its mounts; doctor does not chown host folders itself
        changes += (f"then Authentik runs as its own user ({', '.join(dict.fromkeys(result.owners))}) and needs "
                    f"{', '.join(result.folders_to_own)}: run {result.permissions_command}",)

    def apply() -> None:
        patch_compose_file(path, options, write=True)  # re-reads the file: never writes a stale plan

    what = sorted({c.kind.replace("_", " ") for c in result.changes})
    return PlannedFix("compose-patch", file, f"patch {file}: {', '.join(what)}", changes, ids, apply)


def _rewrite_env(facts: Facts, updates: dict[str, dict[str, str]]) -> None:
    from authentik_lab.adapters.files import atomic_write, read_text
    from authentik_lab.core import dotenv

    for display, values in updates.items():
        path = next(p for p in facts.app_env_paths() if _same(p, display, facts.opts.cwd))
        atomic_write(path, dotenv.merge(read_text(path), values))


def _same(path: Path, display: str, cwd: Path) -> bool:
    other = Path(display)
    return path.absolute() == (other if other.is_absolute() else cwd / other).absolute()


def apply_fixes(facts: Facts, report: DoctorReport, planned: Sequence[PlannedFix]) -> DoctorReport:
    """Apply each fix (one failing does not stop the others), then observe again and re-run every check of the touched
    groups (those of the fixed checks, and those that read what the fix changed: FIX_RERUNS)."""
    applied: list[AppliedFix] = []
    for fix in planned:
        try:
            fix.apply()
            applied.append(AppliedFix(fix.kind, fix.target, fix.description, fix.changes, True))
        except Exception as exc:  # noqa: BLE001 - reported in the result, the other fixes still run
            applied.append(AppliedFix(fix.kind, fix.target, fix.description, fix.changes, False, f"{type(exc).__name__}: {exc}"))
    for fix in planned:
        facts.forget(*FIX_INVALIDATES.get(fix.kind, ()))
    groups = {cid.split(".", 1)[0] for fix in planned for cid in fix.check_ids}
    groups |= {g for fix in planned for g in FIX_RERUNS.get(fix.kind, ())}
    ran = {r.id for r in report.results}
    again = [c for c in CATALOGUE if c.id in ran and c.group in groups]
    fresh = {r.id: r for r in run_checks(facts, again)}
    return DoctorReport(tuple(fresh.get(r.id, r) for r in report.results), tuple(applied),
                        facts.known("compose_effective") or report.compose)
