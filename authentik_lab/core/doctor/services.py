"""Doctor checks over each Authentik service as compose runs it: a worker exists, and server and worker both have the
secret key and the database settings (their effective environment, after `env_file`, interpolation and overrides).

Why (FACTS.md §3-5, the official compose files): server and worker share one database and one AUTHENTIK_SECRET_KEY.
The worker creates the default flows, scope mappings and the self-signed certificate; without a worker, or with a
worker that cannot reach the database or lacks the key, none of them exist and every page says "Not Found".
"""

from __future__ import annotations

from typing import Any, Collection, Mapping, Sequence

from authentik_lab.core.checks import FAIL, Message, Outcome, from_messages, problem
from authentik_lab.core.doctor.compose import Service, _require_services

SECRET_KEY = "AUTHENTIK_SECRET_KEY"
PG_PREFIX = "AUTHENTIK_POSTGRESQL__"
PG_HOST = PG_PREFIX + "HOST"  # unset, Authentik connects to localhost: inside its container, nothing listens there
WORKER_FIX = ("add a `worker` service: the server's image, environment and env_file, with `command: worker` "
              "(as in the official compose file)")


def command_word(spec: Mapping[str, Any]) -> str:
    command = spec.get("command")
    first = (str(command[0]) if command else "") if isinstance(command, list) else str(command or "")
    return (first.split() or [""])[0]


def check_worker_present(doc: Mapping[str, Any], file: str) -> Outcome:
    services = _require_services(doc)
    workers = [s for s in services if command_word(s.spec) == "worker"]
    if workers:
        return from_messages([], f"worker service: {', '.join(s.name for s in workers)}", [])
    named = [s for s in services if s.role == "worker"]
    evidence = [f"{file}: services.{s.name}: command {command_word(s.spec) or '(none: the image default)'}" for s in services]
    if named:
        return problem(FAIL, f"services.{named[0].name} does not run the worker (no `command: worker`)",
                       f"set `command: worker` on services.{named[0].name}", evidence)
    return problem(FAIL, "no worker service: the default flows, scope mappings and certificate are never created "
                         "(every page says \"Not Found\")", WORKER_FIX, evidence)


def _where(service: str, var: str, origins: Mapping[str, Mapping[str, str]]) -> str | None:
    return (origins.get(service) or {}).get(var)


def _fix(lacking: str, var: str, holders: Sequence[str], origins: Mapping[str, Mapping[str, str]], env_file: str | None,
         lab: bool) -> str:
    """How to give `lacking` the variable, from where the services that have it get it."""
    for holder in holders:
        origin = _where(holder, var, origins)
        if origin and origin.startswith("env_file "):
            return (f"add `env_file: {origin[len('env_file '):]}` to services.{lacking} (services.{holder} has it), "
                    f"or `{var}: ${{{var}}}` under services.{lacking}.environment")
    if holders:
        target = env_file or ".env"
        return (f"put the value in {target} once and reference it from every Authentik service: "
                f"`{var}: ${{{var}}}` under services.{lacking}.environment (and under services.{holders[0]}.environment instead of the value)")
    if lab:
        return "`authlab init` re-renders the lab's compose file and fills its .env"
    if var == PG_HOST:
        return f"add `{PG_HOST}: postgresql` (the database service's name) under the environment of every Authentik service"
    return f"add `{var}: ${{{var}:?{var} required}}` under the environment of every Authentik service, and the value to {env_file or '.env'}"


def check_service_env(doc: Mapping[str, Any], envs: Mapping[str, Mapping[str, str | None]],
                      origins: Mapping[str, Mapping[str, str]], env_file: str | None, lab: bool = False,
                      interpolated: Collection[str] = ()) -> Outcome:
    """`envs`: service -> effective environment; `origins`: service -> variable -> "environment" | "env_file FILE"
    (from the file as written; may be empty); `interpolated`: variables the file takes from .env or the shell
    without a default: when every service lacks one of those, env.required reports the one missing value instead.
    Values are compared, never shown."""
    services: list[Service] = [s for s in _require_services(doc) if s.role in ("server", "worker")]
    env_of = {s.name: {k: v for k, v in (envs.get(s.name) or {}).items()} for s in services}
    pg_vars = sorted({k for e in env_of.values() for k, v in e.items() if k.startswith(PG_PREFIX) and v})
    wanted = [SECRET_KEY, *([v for v in pg_vars] if PG_HOST in pg_vars else [PG_HOST, *pg_vars])]
    messages: list[Message] = []
    evidence: list[str] = []
    for var in wanted:
        holders = [s.name for s in services if (env_of[s.name].get(var) or "").strip()]
        if not holders and var in interpolated:
            continue  # one value missing from .env (env.required), not a service wired wrong
        for s in services:
            if s.name in holders:
                continue
            state = "an empty" if var in env_of[s.name] else "no"
            why = ("it cannot decrypt or sign what the other service wrote, and the worker then creates no flows: every page "
                   "\"Not Found\"") if var == SECRET_KEY else (
                "Authentik then connects to localhost, inside its own container" if var == PG_HOST else
                "it cannot reach the database the other service uses")
            messages.append(Message(FAIL, f"{s.name} has {state} {var}: {why}", _fix(s.name, var, holders, origins, env_file, lab)))
            given = "; ".join(f"{h} has it from {_where(h, var, origins) or 'its environment'}" for h in holders)
            evidence.append(f"services.{s.name}: {var} {'empty' if var in env_of[s.name] else 'absent'} in its effective "
                            f"environment" + (f" ({given})" if given else ""))
        values = {env_of[h].get(var) for h in holders}
        if len(holders) > 1 and len(values) > 1:
            messages.append(Message(FAIL, f"{', '.join(holders)} have different {var} values: they must share one "
                                          f"{'key' if var == SECRET_KEY else 'database setting'}",
                                    f"take {var} from one place ({env_file or '.env'}) in every Authentik service"))
    names = ", ".join(s.name for s in services)
    return from_messages(messages, f"{names}: {SECRET_KEY} and {len(pg_vars)} {PG_PREFIX}* variables set alike", evidence)
