"""From what the code reads to the names `--env-out` writes: one variable name per role, and why.

Precedence per role: an override (`--env-name ROLE=NAME`, `env_names:` in the lab file), else the name the code
reads (strongest evidence first: inside an Authentik provider's options, an Authentik-named variable, a file
that imports an OIDC library), else the name the framework reads by itself (facts.IMPLIED), else the preset's.
Two different names with equal evidence for one role are ambiguous: the preset's name is kept, with a note.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping

from authentik_lab.core.app_source import facts
from authentik_lab.core.app_source.model import EnvRead, ScanResult
from authentik_lab.core.presets import EnvVar, Preset, expand_env_name


@dataclass(frozen=True)
class Chosen:
    name: str
    origin: str  # "read in auth.ts:12", "--env-name", "Auth.js v5 reads it for Authentik() at auth.ts:5 (clientId omitted)"
    read: EnvRead | None = None


@dataclass(frozen=True)
class Wiring:
    names: Mapping[str, Chosen]  # role -> chosen name
    notes: tuple[str, ...] = ()
    from_code: bool = False  # the code wires at least one role (then only the roles it reads are written)
    ambiguous: frozenset[str] = frozenset()  # roles the code reads under several names: the preset's name is kept

    def origin_of(self, name: str) -> str | None:
        return next((c.origin for c in self.names.values() if c.name == name), None)


def weight(read: EnvRead) -> int:
    return 4 * read.in_provider + 2 * ("AUTHENTIK" in read.name.upper()) + read.auth_file


def eligible(read: EnvRead) -> bool:
    """A read counts as the app's OIDC wiring only with some sign of it: an OIDC file, a provider's options, or an
    OIDC/Authentik name (so `STRIPE_CLIENT_ID` in a payments module never becomes the Authentik client id)."""
    if read.role is None:
        return False
    upper = read.name.upper()
    return read.in_provider or read.auth_file or "AUTHENTIK" in upper or upper.startswith(("OIDC_", "AUTH_", "NEXTAUTH_"))


_OPTION_OF_ROLE = {facts.CLIENT_ID: "clientId", facts.CLIENT_SECRET: "clientSecret", facts.ISSUER: "issuer"}


def code_reads(scan: ScanResult, preset: str | None) -> list[tuple[str, str, str, EnvRead | None]]:
    """(role, name, origin, read) for every role-bearing read, explicit or implied by the framework."""
    out: list[tuple[str, str, str, EnvRead | None]] = []
    for r in scan.reads:
        if eligible(r):
            out.append((r.role, r.name, f"read in {r.where}", r))  # type: ignore[arg-type]
    if out or scan.providers:  # the framework's own reads count only for an app that is there
        out.extend((role, name, origin, None) for role, name, origin in implied_reads(scan, preset)[0])
    return out


def implied_reads(scan: ScanResult, preset: str | None) -> tuple[list[tuple[str, str, str]], list[str]]:
    """([(role, name, origin)], notes): what the framework reads by itself, given how the code uses it."""
    fact = facts.IMPLIED_BY_PRESET.get(preset or "")
    if fact is None:
        return [], []
    out: list[tuple[str, str, str]] = []
    notes: list[str] = []
    if preset in ("authjs", "sveltekit"):
        for use in scan.providers:
            if use.options is None:
                notes.append(f"{use.where}: the Authentik provider's options are not literal, so which variables Auth.js infers is unknown")
                continue
            names = facts.implied_names(preset, use.provider_id or "authentik")
            for role, name in names.items():
                if _OPTION_OF_ROLE[role] not in use.options:
                    out.append((role, name, f"Auth.js infers it for the Authentik provider at {use.where} ({_OPTION_OF_ROLE[role]} omitted)"))
    elif preset == "hono":
        if "@hono/oidc-auth" in scan.modules:
            out.extend((role, name, "@hono/oidc-auth reads it") for role, name in facts.implied_names(preset).items())
    else:
        out.extend((role, name, f"{fact.when.replace(' in the app', '')} reads it") for role, name in facts.implied_names(preset).items())
    return out, notes


def resolve(scan: ScanResult | None, preset: Preset, overrides: Mapping[str, tuple[str, str]] | None = None,
            provider_id: str | None = None) -> Wiring:
    """Choose one name per role. `overrides`: role -> (name, where the override came from); `provider_id`: the one
    the redirect URI uses (a different `id:` on the code's Authentik provider is noted: its callback path differs)."""
    chosen: dict[str, Chosen] = {}
    notes: list[str] = list(scan.notes) if scan else []
    pid = provider_id or preset.default_provider_id
    for use in scan.providers if scan and preset.uses_provider_id else ():
        if use.provider_id and use.provider_id != pid:
            notes.append(f"{use.where}: the Authentik provider's id is {use.provider_id!r}, so its callback path ends in "
                         f"/{use.provider_id}; pass --provider-id {use.provider_id} for a matching redirect URI")
    from_code = False
    ambiguous: set[str] = set()
    if scan is not None:
        candidates: dict[str, list[tuple[int, str, str, EnvRead | None]]] = {}
        for r in scan.reads:
            if eligible(r):
                candidates.setdefault(r.role, []).append((weight(r), r.name, f"read in {r.where}", r))  # type: ignore[arg-type]
        # what the framework reads by itself counts only for an app that is there (OIDC reads or a provider in the code)
        implied, implied_notes = implied_reads(scan, preset.name) if candidates or scan.providers else ([], [])
        notes += implied_notes
        from_code = bool(candidates) or bool(implied)
        for role, name, origin in implied:
            candidates.setdefault(role, []).append((5, name, origin, None))
        for role in facts.ROLES:
            found = candidates.get(role)
            if not found:
                continue
            top = max(w for w, *_ in found)
            best = [c for c in found if c[0] == top]
            names = list(dict.fromkeys(c[1] for c in best))
            if len(names) > 1:
                wheres = ", ".join(f"{c[1]} ({c[2].removeprefix('read in ')})" for c in best)
                notes.append(f"ambiguous {role}: the code reads {wheres}; keeping the preset's name "
                             f"(choose with --env-name {role}={names[0]})")
                ambiguous.add(role)
                continue
            _, name, origin, read = best[0]
            chosen[role] = Chosen(name, origin, read)
    for role, (name, origin) in (overrides or {}).items():
        chosen[role] = Chosen(name, origin)
    return Wiring(chosen, tuple(dict.fromkeys(notes)), from_code, frozenset(ambiguous - set(chosen)))


def apply_names(preset: Preset, wiring: Wiring, provider_id: str | None = None) -> tuple[Preset, tuple[str, ...]]:
    """The preset with its role variables renamed to the chosen names (roles it lacks added), and the names of the
    preset's role variables no code reads (dropped when the code was found: writing them would only add unread
    variables, which `doctor` flags)."""
    if not wiring.names:
        return preset, ()
    pid = provider_id or preset.default_provider_id
    env: list[EnvVar] = []
    dropped: list[str] = []
    placed: set[str] = set()
    for var in preset.env:
        role = facts.SOURCE_ROLES.get(var.source)
        if role is None:
            env.append(var)
        elif role in wiring.names:
            if role not in placed:
                env.append(dataclasses.replace(var, name=wiring.names[role].name))
                placed.add(role)
        elif wiring.from_code and role not in wiring.ambiguous:
            dropped.append(expand_env_name(var.name, pid))
        else:
            env.append(var)
    for role, chosen in wiring.names.items():
        if role not in placed:
            env.append(EnvVar(chosen.name, facts.ROLE_SOURCES[role], secret=role == facts.CLIENT_SECRET))
    return dataclasses.replace(preset, env=tuple(env)), tuple(dropped)


def parse_env_name_option(value: str) -> tuple[str, str]:
    """`ROLE=NAME` -> (role, name); ValueError with what is wrong (the caller names the option)."""
    role, sep, name = value.partition("=")
    role, name = role.strip().lower().replace("-", "_"), name.strip()
    if not sep or not role or not name:
        raise ValueError(f"expected ROLE=NAME, got {value!r}")
    if role not in facts.ROLES:
        raise ValueError(f"unknown role {role!r}; roles: {', '.join(facts.ROLES)}")
    if not is_env_name(name):
        raise ValueError(f"{name!r} is not an environment variable name (letters, digits and '_', not starting with a digit)")
    return role, name


def is_env_name(name: str) -> bool:
    return bool(name) and not name[0].isdigit() and all(ch.isascii() and (ch.isalnum() or ch == "_") for ch in name)
