"""The compose configuration doctor judges: compose's own (`docker compose config --format json`) when it runs,
else the file as authlab's YAML reader sees it, with each service's environment computed the same way.

compose is the source of truth because it applies what a text reader misses (interpolation, `env_file`, anchors
and merge keys, override files, profiles). It needs only the compose binary, not a running engine (~0.2 s).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from authentik_lab.core.compose_effective import (
    COMPOSE, FILE, Effective, active_profiles, compose_envs, env_file_entries, project_files, service_environment,
)

if TYPE_CHECKING:
    from authentik_lab.services.doctor.facts_files import FileFacts


def gather(f: "FileFacts") -> Effective:
    """The effective configuration of the lab's or --compose file's project (see core.compose_effective)."""
    main = f.compose_path()
    assert main is not None  # callers raise Skip first
    env = f.interp_env()
    lab = f.lab()
    if lab is not None:
        files, profiles, project, env_file = (str(main),), (), lab.project_name, lab.env_file
    else:
        given = [str(main), *(str(Path(o).absolute()) for o in f.opts.overrides)]
        files = project_files(str(main), given, env, os.path.isfile)
        profiles, project, env_file = active_profiles(f.opts.profiles, env), None, None
    start = time.perf_counter()
    try:
        runner = f.app.compose(compose_file=main, project_name=project, env_file=env_file,
                               extra_files=[Path(p) for p in files[1:]])
        doc = runner.config_json(profiles)
    except Exception as exc:  # noqa: BLE001 - compose absent or refusing the file: the fallback reader decides
        reason = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
        if isinstance(exc, AttributeError):
            reason = "this compose runner cannot print the configuration"
        return _fallback(f, files, profiles, f"`docker compose config` could not be used: {reason}")
    return Effective(doc, compose_envs(doc), COMPOSE, files, profiles, None, time.perf_counter() - start)


def _fallback(f: "FileFacts", files: tuple[str, ...], profiles: tuple[str, ...], reason: str) -> Effective:
    from authentik_lab.adapters.files import read_text
    from authentik_lab.core import dotenv

    doc = f.file_doc()
    env = f.interp_env()
    folder = Path(files[0]).parent
    if len(files) > 1:
        reason += f"; the fallback reads {Path(files[0]).name} only, not {', '.join(Path(p).name for p in files[1:])}"
    envs, sources = {}, {}
    for name, spec in (doc.get("services") or {}).items():
        spec = spec if isinstance(spec, dict) else {}
        values, used = [], []
        for path, required in env_file_entries(spec, env):
            full = folder / path
            if full.is_file():
                values.append(dotenv.parse(read_text(full)))
                used.append(path)
            elif required:
                reason += f"; {name}: env_file {path} is missing (compose refuses to start)"
        envs[str(name)] = service_environment(spec, values, env)
        sources[str(name)] = tuple(used)
    return Effective(doc, envs, FILE, files, profiles, reason, None, sources)


def origins(f: "FileFacts") -> dict[str, dict[str, str]]:
    """service -> variable -> where the file as written gives it ("environment" or "env_file PATH"), for fix texts.
    Best effort from the main file: an unreadable file or env file just gives fewer hints."""
    from authentik_lab.adapters.files import read_text
    from authentik_lab.core import dotenv

    def read() -> dict[str, dict[str, str]]:
        try:
            doc = f.file_doc()
        except Exception:  # noqa: BLE001 - the compose checks report an unreadable file
            return {}
        env = f.interp_env()
        folder = f.compose_path().parent  # type: ignore[union-attr]
        out: dict[str, dict[str, str]] = {}
        for name, spec in (doc.get("services") or {}).items():
            spec = spec if isinstance(spec, dict) else {}
            found: dict[str, str] = {}
            for path, _ in env_file_entries(spec, env):
                try:
                    for key in dotenv.parse(read_text(folder / path)):
                        found[key] = f"env_file {path}"
                except Exception:  # noqa: BLE001
                    continue
            raw = spec.get("environment") or {}
            for key in (raw if isinstance(raw, dict) else [str(e).split("=", 1)[0] for e in raw]):
                found[str(key)] = "environment"
            out[str(name)] = found
        return out

    return f.once("compose_origins", read)


def required_refs(f: "FileFacts") -> dict[str, str]:
    """Variables the project's compose files interpolate without a default (see core.compose_effective)."""
    from authentik_lab.adapters.files import read_text
    from authentik_lab.core.compose_effective import required_references

    def read() -> dict[str, str]:
        try:
            files: tuple[str, ...] = f.effective().files
        except Exception:  # noqa: BLE001 - an unreadable file: its own text is still worth scanning
            files = (str(f.compose_path()),)
        out: dict[str, str] = {}
        for path in files:
            try:
                for k, v in required_references(read_text(Path(path))).items():
                    out.setdefault(k, v)
            except Exception:  # noqa: BLE001 - a missing override file is compose's error, reported with the source
                continue
        return out

    return f.once("compose_refs", read)


def missing_env_files(f: "FileFacts") -> list[str]:
    """`services.X: env_file PATH` entries (required ones) whose file does not exist: compose refuses to start
    until it does, and the environment it would give cannot be judged yet."""
    try:
        doc = f.file_doc()
    except Exception:  # noqa: BLE001
        return []
    env = f.interp_env()
    folder = f.compose_path().parent  # type: ignore[union-attr]
    out = []
    for name, spec in (doc.get("services") or {}).items():
        for path, required in env_file_entries(spec if isinstance(spec, dict) else {}, env):
            if required and not (folder / path).is_file():
                out.append(f"services.{name}: env_file {path}")
    return out
