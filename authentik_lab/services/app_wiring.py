"""Read an app's folder: which preset its dependencies name, and which variable names its code reads per role.

Used by `provider create` (preset inference, `--env-out` names), `ci` (exports under the app's names) and doctor
(`app.code-env`). Scanning never fails on a bad source file: problems become notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from authentik_lab.core.app_source.model import Dependencies, ScanResult
from authentik_lab.core.app_source.presets import Inferred
from authentik_lab.core.app_source.wiring import Wiring
from authentik_lab.core.presets import Preset
from authentik_lab.errors import UsageError


@dataclass(frozen=True)
class PresetChoice:
    name: str
    note: str | None  # what was inferred and from what; None when the user chose or nothing was there to say


def check_app_dir(app_dir: Path | None, option: str = "--app-dir") -> Path:
    """The folder to read (the current one by default); UsageError naming the option when it is not a folder."""
    if app_dir is None:
        return Path.cwd()
    if not app_dir.is_dir():
        raise UsageError(f"{option} {app_dir}: not a folder", hint="give the folder holding the app's package.json or settings.py")
    return app_dir


def parse_env_names(values: Iterable[str], option: str = "--env-name") -> dict[str, tuple[str, str]]:
    """`ROLE=NAME` options -> role -> (name, origin); UsageError naming the option for a bad one."""
    from authentik_lab.core.app_source.wiring import parse_env_name_option

    out: dict[str, tuple[str, str]] = {}
    for value in values:
        try:
            role, name = parse_env_name_option(value)
        except ValueError as exc:
            raise UsageError(f"{option} {value!r}: {exc}", hint=f"e.g. {option} client_id=AUTHENTIK_CLIENT_ID") from None
        out[role] = (name, option)
    return out


def dependencies(app_dir: Path) -> Dependencies:
    from authentik_lab.adapters.app_source.scan import dependencies as read

    return read(app_dir)


def infer(app_dir: Path) -> Inferred:
    from authentik_lab.core.app_source.presets import infer_preset

    return infer_preset(dependencies(app_dir))


def choose_preset(explicit: str | None, app_dir: Path, default: str = "generic") -> PresetChoice:
    """An explicit preset wins; else the one the app's dependencies name; else `default`."""
    if explicit:
        return PresetChoice(explicit, None)
    found = infer(app_dir)
    if found.preset:
        return PresetChoice(found.preset, f"preset {found.preset} inferred from {found.reason} (--preset chooses another)")
    deps_seen = "no dependency file" not in found.reason
    return PresetChoice(default, f"no preset inferred: {found.reason}; using {default}" if deps_seen else None)


def scan(app_dir: Path) -> ScanResult:
    from authentik_lab.adapters.app_source.scan import scan as run

    return run(app_dir)


def wiring(preset: Preset, app_dir: Path | None, overrides: Mapping[str, tuple[str, str]] | None = None,
           provider_id: str | None = None) -> Wiring:
    """One name per role for this app (app_dir None: the overrides only, the preset's names otherwise)."""
    from authentik_lab.core.app_source.wiring import resolve

    return resolve(scan(app_dir) if app_dir is not None else None, preset, overrides, provider_id)


def for_env_out(preset: Preset, app_dir: Path | None, overrides: Mapping[str, tuple[str, str]] | None,
                provider_id: str | None = None) -> tuple[Wiring, tuple[str, ...]]:
    """The wiring `--env-out` uses and the notes to show with it (scan problems, ambiguities, roles not written)."""
    from authentik_lab.core.app_source.wiring import apply_names

    chosen = wiring(preset, app_dir, overrides, provider_id)
    _, dropped = apply_names(preset, chosen, provider_id)
    notes = list(chosen.notes)
    if dropped:
        notes.append(f"not written: {', '.join(dropped)} (the app's code reads no variable for "
                     f"{'these roles' if len(dropped) > 1 else 'this role'}; --env-name ROLE=NAME writes one)")
    return chosen, tuple(notes)
