"""The configuration compose will really run: which files it reads, and each service's effective environment.

doctor prefers compose's own answer (`docker compose config --format json`); this module holds the pure rules
around it: which files and profiles the user's `docker compose up` would use (so doctor asks compose about
the same project), and the fallback reader's version of `env_file` + `environment` when compose is absent.

Sources: the Compose specification (`env_file`, `environment`, precedence: `environment` wins over
`env_file`, later env files win over earlier ones) and the Compose CLI reference ("Use -f to specify the
name and path of one or more Compose files"; COMPOSE_FILE, COMPOSE_PATH_SEPARATOR, COMPOSE_PROFILES; without
-f, compose reads compose.yaml / docker-compose.yml and the `.override` file beside it).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from authentik_lab.core.doctor.compose import interpolate

COMPOSE = "docker compose config"  # the source names shown in -v and --json
FILE = "file"
# compose's default file names, each with the override file it merges when no -f is given
DEFAULT_NAMES = {
    "compose.yaml": ("compose.override.yaml", "compose.override.yml"),
    "compose.yml": ("compose.override.yml", "compose.override.yaml"),
    "docker-compose.yml": ("docker-compose.override.yml", "docker-compose.override.yaml"),
    "docker-compose.yaml": ("docker-compose.override.yaml", "docker-compose.override.yml"),
}


@dataclass(frozen=True)
class Effective:
    """What doctor judges: the configuration as compose computes it (or as the fallback reader reads it).

    `doc` has compose's shape (`services.<name>.environment` is a mapping once computed); `envs` maps each
    service to its effective environment; `source` is COMPOSE or FILE; `reason` says why the fallback was used;
    `seconds` is how long compose took (None when it was not run)."""

    doc: Mapping[str, Any]
    envs: Mapping[str, Mapping[str, str | None]]
    source: str
    files: tuple[str, ...]
    profiles: tuple[str, ...] = ()
    reason: str | None = None
    seconds: float | None = None
    env_files: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # service -> env files (fallback reader)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "files": list(self.files), "profiles": list(self.profiles), "fallback_reason": self.reason,
                "seconds": None if self.seconds is None else round(self.seconds, 3)}

    def describe(self) -> str:
        """One line for `doctor -v`."""
        files = ", ".join(posixpath.basename(f) for f in self.files)
        profiles = f", profiles {', '.join(self.profiles)}" if self.profiles else ""
        if self.source == COMPOSE:
            took = f" in {self.seconds:.2f}s" if self.seconds is not None else ""
            return f"effective configuration from `docker compose config` ({files}{profiles}){took}"
        return f"compose file read by authlab's own reader ({files}{profiles}): {self.reason}"


def split_list(value: str, sep: str) -> list[str]:
    return [p.strip() for p in value.split(sep) if p.strip()]


def project_files(main: str, given: Sequence[str], env: Mapping[str, str], exists: Callable[[str], bool]) -> tuple[str, ...]:
    """The files `docker compose` reads for the user's project, as absolute paths in merge order.

    `given`: every --compose FILE (more than one: exactly those, like repeated -f). With one file, compose's own
    rules in its folder: COMPOSE_FILE (shell or .env) when it names that file, else the default file name's
    `.override` file beside it. `env`: the shell over the folder's .env."""
    folder = posixpath.dirname(main)
    if len(given) > 1:
        return tuple(posixpath.normpath(posixpath.join(folder, g)) for g in given)
    listed = env.get("COMPOSE_FILE", "").strip()
    if listed:
        paths = [posixpath.normpath(posixpath.join(folder, p)) for p in split_list(listed, env.get("COMPOSE_PATH_SEPARATOR") or ":")]
        if posixpath.normpath(main) in paths:
            return tuple(paths)
    for override in DEFAULT_NAMES.get(posixpath.basename(main), ()):
        candidate = posixpath.join(folder, override)
        if exists(candidate):
            return (main, candidate)
    return (main,)


def active_profiles(given: Sequence[str], env: Mapping[str, str]) -> tuple[str, ...]:
    """--profile options, else COMPOSE_PROFILES (comma-separated) as compose reads it."""
    if given:
        return tuple(dict.fromkeys(given))
    return tuple(dict.fromkeys(split_list(env.get("COMPOSE_PROFILES", ""), ",")))


def env_file_entries(spec: Mapping[str, Any], env: Mapping[str, str]) -> list[tuple[str, bool]]:
    """(path as written, required) for each `env_file` entry: a string, a list of strings, or `{path, required}`."""
    raw = spec.get("env_file")
    items = [raw] if isinstance(raw, (str, dict)) else list(raw or [])
    out = []
    for item in items:
        if isinstance(item, dict):
            out.append((interpolate(str(item.get("path", "")), env), item.get("required", True) is not False))
        else:
            out.append((interpolate(str(item), env), True))
    return out


def service_environment(spec: Mapping[str, Any], env_files: Sequence[Mapping[str, str]], env: Mapping[str, str]) -> dict[str, str | None]:
    """A service's environment as compose computes it: its env files in order, then `environment:` on top.
    `environment: [NAME]` without a value takes NAME from the shell (None when unset there too)."""
    out: dict[str, str | None] = {}
    for values in env_files:
        out.update(values)
    raw = spec.get("environment") or {}
    items = raw.items() if isinstance(raw, dict) else [(str(e).split("=", 1)[0], str(e).split("=", 1)[1] if "=" in str(e) else None)
                                                       for e in raw]
    for name, value in items:
        if value is None:
            out[str(name)] = env.get(str(name))
        else:
            out[str(name)] = interpolate(str(value), env)
    return out


def compose_envs(doc: Mapping[str, Any]) -> dict[str, dict[str, str | None]]:
    """service -> environment from compose's own JSON (already merged and interpolated)."""
    out: dict[str, dict[str, str | None]] = {}
    for name, spec in (doc.get("services") or {}).items():
        raw = (spec or {}).get("environment") or {}
        out[str(name)] = {str(k): (None if v is None else str(v)) for k, v in raw.items()} if isinstance(raw, dict) else {}
    return out


_REF = re.compile(r"\$\$|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?[^}]*\}|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)")


def required_references(text: str) -> dict[str, str]:
    """Variables a compose file interpolates without a default (`${X}`, `$X`, `${X:?err}`): name -> how it is written.
    `${X:-default}` and `${X-default}` need nothing from .env; `$$` is a literal dollar."""
    out: dict[str, str] = {}
    for m in _REF.finditer(text):
        name = m.group("braced") or m.group("bare")
        if not name or (m.group("op") or "").lstrip(":") in ("-", "+"):
            continue
        out.setdefault(name, m.group(0))
    return out
