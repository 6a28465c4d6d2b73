"""Doctor checks over what the server answers: health, the token, the worker's objects, its clock;
and over the tools around it (Docker engine, compose). Pure: the observations come in as values.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime
from typing import Sequence

from authentik_lab.core.checks import FAIL, WARN, Message, Outcome, Skip, ok, problem
from authentik_lab.core.doctor.provider import Fetched
from authentik_lab.core.readiness import (
    TOKEN_PENDING_HINT,
    TOKEN_REJECTED_HINT,
    EngineInfo,
    WorkerObject,
    judge_token_refusal,
    missing_summary,
    token_rejected,
)

SKEW_WARN = 30.0  # seconds; token `iat`/`exp`/`nbf` checks usually allow a little leeway, not minutes
SKEW_FAIL = 120.0


def check_engine(info: EngineInfo | None, error: str | None, hint: str) -> Outcome:
    if info is None:
        # the adapter's message already names the engine's address ("cannot reach the Docker engine at ...")
        return problem(FAIL, error or "cannot reach the Docker engine", hint)
    name = "Podman" if info.flavour == "podman" else "Docker"
    return ok(f"{name} {info.version}" + (" (rootless)" if info.rootless else ""),
              [f"engine {info.version}, OS {info.os} ({info.os_type}/{info.arch})"])


def check_compose_available(binary: Sequence[str] | None, version: str | None, error: str | None, hint: str) -> Outcome:
    if not binary:
        return problem(FAIL, error or "Docker Compose is not installed", hint)
    name = " ".join(binary)
    major = (version or "").lstrip("v").split(".", 1)[0]
    if major == "1":
        return problem(WARN, f"{name} {version} is Compose v1, which is unmaintained", "install the Compose v2 plugin (`docker compose`)")
    return ok(f"{name} {version or '(version unknown)'}")


def _reach(name: str, f: Fetched) -> Outcome:
    if f.status is None:
        return problem(FAIL, f"{f.url} cannot be reached: {f.error}", "is the lab running? `authlab up` starts it; check --url")
    if 200 <= f.status < 300:
        return ok(f"{f.url} answered {f.status}")
    return problem(FAIL, f"{f.url} answered {f.status}",
                   "the server is still starting, or cannot reach its database (runtime.logs shows why)" if name == "ready"
                   else "the Go router answers 502 until the Python server is up; wait, or read `authlab logs server`")


def check_live(f: Fetched) -> Outcome:
    return _reach("live", f)


def check_ready(f: Fetched) -> Outcome:
    return _reach("ready", f)


def check_token(me: Fetched | None, token_source: str | None, flows_applied: bool | None = None,
                worker_starting: bool = False) -> Outcome:
    """`flows_applied`: whether the flow executor finds default-authentication-flow (asked only after a refusal).
    Before the worker's flows exist the bootstrap token cannot exist either (real-boot-2026.2.2): a first start
    in progress, or a worker that never ran, not a wrong token. `worker_starting`: the worker container's health
    is still "starting" (the image checks every 30 s after a 60 s start period); on the recorded first boot the
    token came 7.6 s after the flows and 5 s before the worker turned healthy, so a refusal then is not final."""
    if me is None or not token_source:
        raise Skip("no API token (pass --token / AUTHENTIK_TOKEN, or set AUTHENTIK_BOOTSTRAP_TOKEN in the lab's .env)")
    if me.status is None:
        raise Skip(f"Authentik cannot be reached ({me.error})")
    if me.status == 200 and isinstance(me.body, dict):
        user = me.body.get("user") or {}
        return ok(f"the token ({token_source}) belongs to {user.get('username', '?')}"
                  + (" (superuser)" if user.get("is_superuser") else ""))
    if token_rejected(me.status, me.body):
        detail = me.body.get("detail") if isinstance(me.body, dict) else me.body
        if token_source == "bootstrap token" and flows_applied is False:
            verdict = judge_token_refusal(None, False, 0.0)
            return problem(WARN, f"the bootstrap token is not accepted yet: {verdict.detail}", TOKEN_PENDING_HINT)
        if token_source == "bootstrap token" and worker_starting:
            return problem(WARN, "the bootstrap token is not accepted yet: the worker started moments ago (health: "
                           "starting) and may still be creating it", "run doctor again in a minute; if it is still "
                           f"refused then: {TOKEN_REJECTED_HINT}")
        hint = TOKEN_REJECTED_HINT if token_source == "bootstrap token" else "check --token / AUTHENTIK_TOKEN"
        return problem(FAIL, f"the token ({token_source}) is rejected: {me.status} {detail}", hint)
    if me.status in (502, 503, 504):
        return problem(WARN, f"users/me answered {me.status}: Authentik is still starting (or cannot reach its database)",
                       "see http.ready and runtime.logs; a first start migrates for about 2 minutes")
    return problem(FAIL, f"users/me answered {me.status}")


def check_worker_objects(missing: Sequence[WorkerObject], total: int) -> Outcome:
    if not missing:
        return ok(f"all {total} default flows, scope mappings and the certificate exist")
    flows_missing = any(o.kind == "flow" for o in missing)
    return problem(FAIL, f"missing: {missing_summary(missing)}",
                   "the worker creates these from blueprints shortly after start: check runtime.worker and `authlab logs worker`; "
                   "`authlab up` waits for them",
                   [o.label for o in missing],
                   more=[Message("info", "without the default flows every login page shows 'Not Found'")] if flows_missing else [])


def parse_date(header: str | None) -> float | None:
    if not header:
        return None
    try:
        return parsedate_to_datetime(header).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def check_clock_skew(date_header: str | None, local_before: float, local_after: float) -> Outcome:
    server = parse_date(date_header)
    if server is None:
        raise Skip("the server sent no usable Date header")
    # the header has 1 s resolution and was stamped somewhere between sending and receiving
    local = (local_before + local_after) / 2
    skew = server - local
    if abs(skew) <= SKEW_WARN:
        return ok(f"the server clock is within {abs(skew):.0f}s of this machine")
    direction = "ahead of" if skew > 0 else "behind"
    status = FAIL if abs(skew) > SKEW_FAIL else WARN
    return problem(status, f"the server clock is {abs(skew):.0f}s {direction} this machine: tokens look "
                   f"{'not yet valid' if skew > 0 else 'expired'} to apps here",
                   "sync the clocks (NTP); on Docker Desktop or a VM, restart it after sleep", [f"Date: {date_header}"])
