"""The compose configuration doctor judges: compose's own (`docker compose config --format json`) when it runs,
else the files as authlab's YAML reader sees them, with each service's environment computed the same way.

compose is the source of truth because it applies what a text reader misses (interpolation, `env_file`, anchors
and merge keys, `extends`). It needs only the compose binary, not a running engine (~0.2 s). The fallback reader
merges the same override files and drops the same disabled profiles (core.compose_merge), so both readers judge
one project. Everything doctor shows of compose's answer is redacted first (core.redaction): compose echoes values.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from authentik_lab.core.compose_effective import (
    COMPOSE, FILE, Effective, active_profiles, compose_envs, env_file_entries, project_files, service_environment,
)
from authentik_lab.core.compose_refusal import Refusal

if TYPE_CHECKING:
    from authentik_lab.services.doctor.facts_files import FileFacts


@dataclass(frozen=True)
class Setup:
    """Which project doctor asks about: files in merge order (absolute), profiles, and what the lab pins."""

    files: tuple[str, ...]
    profiles: tuple[str, ...]
    project: str | None = None
    env_file: Path | None = None  # the lab's --env-file; None: compose reads the .env beside the first file


@dataclass(frozen=True)
class Answer:
    """What `docker compose config` said: its document (and how long it took), or why there is none.
    `refusal`: compose ran and refused the files; `unavailable`: compose could not be asked at all."""

    doc: Mapping[str, Any] | None = None
    seconds: float | None = None
    refusal: Refusal | None = None
    unavailable: str | None = None


def setup(f: "FileFacts") -> Setup:
    """The lab's own file and .env, or the --compose file with the overrides and profiles compose itself would use."""

    def find() -> Setup:
        main = f.compose_path()
        assert main is not None  # callers raise Skip first
        lab = f.lab()
        if lab is not None:
            return Setup((str(main),), (), lab.project_name, lab.env_file)
        env = f.interp_env()
        given = [str(main), *(str(Path(o).absolute()) for o in f.opts.overrides)]
        return Setup(project_files(str(main), given, env, os.path.isfile), active_profiles(f.opts.profiles, env))

    return f.once("compose_setup", find)


def ask(f: "FileFacts") -> Answer:
    """`docker compose config --format json` for the project, once; its refusal read and redacted."""

    def run() -> Answer:
        from authentik_lab.core.compose_refusal import cannot_print_json, read_refusal
        from authentik_lab.errors import ComposeError

        s = setup(f)
        start = time.perf_counter()
        try:
            runner = f.app.compose(compose_file=Path(s.files[0]), project_name=s.project, env_file=s.env_file,
                                   extra_files=[Path(p) for p in s.files[1:]])
            doc = runner.config_json(s.profiles)
        except ComposeError as exc:
            if exc.code and not cannot_print_json(exc.stderr or ""):  # compose ran and said no: the reason is in its stderr
                return Answer(refusal=read_refusal(redact(f, exc.stderr or exc.message), exc.code))
            return Answer(unavailable=redact(f, exc.message))
        except AttributeError:
            return Answer(unavailable="this compose runner cannot print the configuration")
        except Exception as exc:  # noqa: BLE001 - whatever stops compose, the fallback reader decides
            return Answer(unavailable=redact(f, f"{type(exc).__name__}: {exc}"))
        return Answer(doc, time.perf_counter() - start)

    return f.once("compose_answer", run)


def gather(f: "FileFacts") -> Effective:
    """The effective configuration of the lab's or --compose file's project (see core.compose_effective)."""
    s = setup(f)
    answer = ask(f)
    if answer.doc is not None:
        return Effective(answer.doc, compose_envs(answer.doc), COMPOSE, s.files, s.profiles, None, answer.seconds)
    if answer.refusal is not None:
        reason = f"`docker compose config` refused the configuration: {answer.refusal.reason}"
    else:
        reason = f"`docker compose config` could not be used: {answer.unavailable}"
    return _fallback(f, s, reason)


def _fallback(f: "FileFacts", s: Setup, reason: str) -> Effective:
    from authentik_lab.adapters.files import read_text
    from authentik_lab.core import dotenv

    doc = file_view(f)
    env = f.interp_env()
    folder = Path(s.files[0]).parent
    absent = [Path(p).name for p in s.files[1:] if not os.path.isfile(p)]
    if absent:
        reason += f"; {', '.join(absent)} not found (compose refuses to start without it)"
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
    return Effective(doc, envs, FILE, s.files, s.profiles, reason, None, sources)


def file_view(f: "FileFacts") -> dict[str, Any]:
    """The project's files as authlab's reader sees them: merged in order as compose merges them, without the
    services of disabled profiles (core.compose_merge). Interpolation stays to the checks, as for the main file."""
    from authentik_lab.adapters.files import read_text
    from authentik_lab.core.compose_merge import enabled_services, merge_documents
    from authentik_lab.services.doctor.facts_files import load_compose

    def read() -> dict[str, Any]:
        s = setup(f)
        docs = [f.file_doc(), *(load_compose(read_text(Path(p)), p, main=False) for p in s.files[1:] if os.path.isfile(p))]
        env = f.interp_env()
        return enabled_services(merge_documents(docs, env), s.profiles, env)

    return f.once("compose_file_view", read)


def redact(f: "FileFacts", text: str) -> str:
    """`text` (from compose) without the values of the project's .env and of the env files its services name."""
    from authentik_lab.core.redaction import redact_text

    s = setup(f)
    return redact_text(text, _secret_values(f), keep=(*s.files, str(Path(s.files[0]).parent)))


def _secret_values(f: "FileFacts") -> set[str]:
    from authentik_lab.adapters.files import read_text
    from authentik_lab.core.redaction import env_values

    folder = Path(setup(f).files[0]).parent
    paths = [f.env_path() or folder / ".env"]
    try:
        doc = file_view(f)
        env = f.interp_env()
        for spec in (doc.get("services") or {}).values():
            paths += [folder / p for p, _ in env_file_entries(spec if isinstance(spec, dict) else {}, env)]
    except Exception:  # noqa: BLE001 - a file too broken to read names no env file; the .env is still read
        pass
    out: set[str] = set()
    for path in dict.fromkeys(paths):
        if not path.is_file():  # a FIFO would block the read until someone writes to it (QA re-check of issue 9)
            continue
        try:
            out |= env_values(read_text(path))
        except Exception:  # noqa: BLE001 - an env file that cannot be read holds nothing to hide
            continue
    return out


def origins(f: "FileFacts") -> dict[str, dict[str, str]]:
    """service -> variable -> where the files as written give it ("environment" or "env_file PATH"), for fix texts.
    Best effort: an unreadable file or env file just gives fewer hints."""
    from authentik_lab.adapters.files import read_text
    from authentik_lab.core import dotenv

    def read() -> dict[str, dict[str, str]]:
        try:
            doc = file_view(f)
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
            files: tuple[str, ...] = setup(f).files
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
        doc = file_view(f)
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
