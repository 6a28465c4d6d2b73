"""What "ready" means for an Authentik lab, as plain data and pure judgements.

Healthy is not usable: `/-/health/ready/` answers as soon as the database is reachable, but the default
flows, the OAuth scope mappings and the self-signed certificate are created later by blueprints that the
*worker* applies. Creating a provider before they exist fails, so `up` waits for them too.
The lists below are reused by `authlab doctor`; keep them importable as plain data.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Sequence

from authentik_lab.core.dialect import Dialect


class Stage(str, Enum):
    CONTAINERS = "containers"
    LIVE = "live"
    READY = "ready"
    TOKEN = "token"
    WORKER_OBJECTS = "worker_objects"


STAGES: tuple[Stage, ...] = tuple(Stage)
STAGE_TITLES: dict[Stage, str] = {
    Stage.CONTAINERS: "containers running",
    Stage.LIVE: "server alive (/-/health/live/)",
    Stage.READY: "server ready (/-/health/ready/)",
    Stage.TOKEN: "bootstrap token accepted",
    Stage.WORKER_OBJECTS: "worker created flows, scope mappings, certificate",
}

LIVE_PATH = "/-/health/live/"
READY_PATH = "/-/health/ready/"
VERSION_PATH = "admin/version/"  # needs a token; the answer names the running release

# --- the objects the worker's blueprints create --------------------------------------------------

AUTHORIZATION_FLOW = "default-provider-authorization-implicit-consent"
INVALIDATION_FLOW = "default-provider-invalidation-flow"  # exists (and is required by providers) from 2024.10
AUTHENTICATION_FLOW = "default-authentication-flow"
REQUIRED_FLOWS: tuple[str, ...] = (AUTHORIZATION_FLOW, INVALIDATION_FLOW, AUTHENTICATION_FLOW)

SCOPE_OPENID = "goauthentik.io/providers/oauth2/scope-openid"
SCOPE_EMAIL = "goauthentik.io/providers/oauth2/scope-email"
SCOPE_PROFILE = "goauthentik.io/providers/oauth2/scope-profile"
SCOPE_OFFLINE_ACCESS = "goauthentik.io/providers/oauth2/scope-offline_access"
REQUIRED_SCOPE_MAPPINGS: tuple[str, ...] = (SCOPE_OPENID, SCOPE_EMAIL, SCOPE_PROFILE, SCOPE_OFFLINE_ACCESS)

SELF_SIGNED_CERTIFICATE = "authentik Self-signed Certificate"


@dataclass(frozen=True)
class WorkerObject:
    kind: str  # "flow" | "scope_mapping" | "certificate"
    key: str  # flow slug, mapping `managed` key, certificate name
    path: str  # API path under /api/v3
    param: str  # the filter that selects it

    @property
    def params(self) -> dict[str, str]:
        return {self.param: self.key}

    @property
    def short(self) -> str:
        # managed keys share a long prefix; "scope-email" is what people recognise
        return self.key.rsplit("/", 1)[-1] if self.kind == "scope_mapping" else self.key

    @property
    def label(self) -> str:
        return f"{self.kind.replace('_', ' ')} {self.short}"


def required_flows(dialect: Dialect) -> tuple[str, ...]:
    if dialect.requires_invalidation_flow:
        return REQUIRED_FLOWS
    return tuple(f for f in REQUIRED_FLOWS if f != INVALIDATION_FLOW)


def worker_objects(dialect: Dialect) -> tuple[WorkerObject, ...]:
    """Everything `up` waits for on this release, each with the API query that finds it."""
    flows = tuple(WorkerObject("flow", slug, "flows/instances/", "slug") for slug in required_flows(dialect))
    mappings = tuple(
        WorkerObject("scope_mapping", key, dialect.scope_mapping_path, "managed") for key in REQUIRED_SCOPE_MAPPINGS
    )
    cert = WorkerObject("certificate", SELF_SIGNED_CERTIFICATE, "crypto/certificatekeypairs/", "name")
    return (*flows, *mappings, cert)


def missing_summary(missing: Iterable[WorkerObject]) -> str:
    """'flows default-x, default-y; scope mappings scope-email' - what a timeout message names."""
    groups: dict[str, list[str]] = {}
    for obj in missing:
        plural = {"flow": "flows", "scope_mapping": "scope mappings", "certificate": "certificate"}[obj.kind]
        groups.setdefault(plural, []).append(obj.short)
    return "; ".join(f"{kind} {', '.join(keys)}" for kind, keys in groups.items())


# --- containers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContainerState:
    service: str
    name: str
    state: str  # created | running | restarting | exited | dead | paused | removing
    health: str | None = None  # starting | healthy | unhealthy | None (no healthcheck)
    exit_code: int | None = None
    restart_count: int = 0
    # the engine's own error (inspect State.Error), e.g. a host port already allocated: the container never
    # started, so its logs are empty and only this says why
    error: str = ""

    @property
    def summary(self) -> str:
        text = self.state
        if self.health:
            text += f" ({self.health})"
        if self.state in ("exited", "dead") and self.exit_code is not None:
            text += f", exit code {self.exit_code}"
        if self.restart_count:
            text += f", restarted {self.restart_count}x"
        return text


@dataclass(frozen=True)
class EngineInfo:
    """What doctor reports about the Docker engine (from `docker info`)."""

    version: str
    rootless: bool  # SecurityOptions holds `name=rootless`: container root has no power over host files
    os: str  # e.g. "Debian GNU/Linux 12 (bookworm)", "Docker Desktop"
    os_type: str  # "linux" | "windows"
    arch: str  # e.g. "x86_64", "aarch64"
    flavour: str = "docker"  # "podman" when the engine's version names "Podman Engine" (its Docker-compatible API)


@dataclass(frozen=True)
class ContainerVerdict:
    status: str  # "ok" | "waiting" | "failed"
    summary: str
    failing: ContainerState | None = None
    reason: str = ""
    unhealthy: tuple[ContainerState, ...] = ()  # running but failing their health check: not final by itself


# A health check can turn unhealthy while a first start is merely slow (Authentik's image checks every 30 s
# with a 60 s start period, and migrations on a slow disk take minutes), so "unhealthy" alone ends the wait
# only after this long without any readiness stage passing; a known failure in the log ends it at once.
UNHEALTHY_GRACE = 60.0


def judge_containers(
    states: Sequence[ContainerState], baseline_restarts: dict[str, int] | None = None
) -> ContainerVerdict:
    """Definitive failures end the wait at once; anything else is either done or still starting.

    A crash loop under `restart: unless-stopped` is mostly seen as "running" between two crashes, so a
    restart count that grew since the first look counts as a failure, not only the "restarting" state.
    Unhealthy containers are listed for the caller to time (see `unhealthy_is_final`).
    """
    baseline = baseline_restarts or {}
    if not states:
        return ContainerVerdict("waiting", "no containers yet")
    for c in states:
        if c.state in ("exited", "dead"):
            return ContainerVerdict("failed", f"{c.service}: {c.summary}", c, f"the {c.service} container exited")
        if c.state == "restarting" or c.restart_count > baseline.get(c.name, c.restart_count):
            return ContainerVerdict("failed", f"{c.service}: {c.summary}", c, f"the {c.service} container keeps restarting")
    waiting = [c for c in states if c.state != "running"]
    summary = ", ".join(f"{c.service} {c.summary}" for c in sorted(states, key=lambda c: c.service))
    unhealthy = tuple(c for c in states if c.health == "unhealthy")
    return ContainerVerdict("waiting" if waiting else "ok", summary, unhealthy=unhealthy)


def unhealthy_is_final(unhealthy_since: float, last_progress: float, now: float, grace: float = UNHEALTHY_GRACE) -> bool:
    """Unhealthy counts as broken once it has lasted `grace` seconds and no readiness stage passed meanwhile."""
    return now - max(unhealthy_since, last_progress) >= grace


# --- the bootstrap token -------------------------------------------------------------------------
#
# On a real first boot the bootstrap user and token do not exist when /-/health/ready/ first answers: the worker
# creates them during its first blueprint pass, after the default flows appear (real-boot-2026.2.2: ready at
# 97.6 s, default-authentication-flow at 114.8 s, token accepted at 122.4 s; other runs: 12.9-25 s after ready).
# So a 403 right after ready says nothing about the token in .env. What tells the two apart without a token:
# the flow executor answers 404 for the authentication flow until the worker has applied the flow blueprints,
# and whether this `up` found the database already initialised.

TOKEN_REJECTED_HINT = (
    "the database was initialised with another AUTHENTIK_BOOTSTRAP_TOKEN (bootstrap values are read only on the "
    "very first start): put the old token back into .env, or start over with `authlab down --volumes` "
    "(deletes all lab data) and `authlab up`"
)
TOKEN_PENDING_HINT = (
    "on a first start the worker creates the bootstrap token during its first blueprint pass (about 2 minutes after "
    "`up` on 2 cores): is the worker running and does it get AUTHENTIK_BOOTSTRAP_TOKEN from .env? "
    "`authlab status`, `authlab logs worker`; a slow machine needs a larger --timeout"
)
AUTH_FLOW_EXECUTOR = f"/api/v3/flows/executor/{AUTHENTICATION_FLOW}/"  # 404 until the flow exists; no token needed
# With no knowledge of the database's age, a refusal that outlasts the flows by this long is final. The real gap
# between the authentication flow and the token was 7.6 s (real-boot-2026.2.2), up to tens of seconds when loaded.
TOKEN_GRACE = 60.0


@dataclass(frozen=True)
class TokenVerdict:
    final: bool
    detail: str  # what the live view says while it waits


def judge_token_refusal(db_booted: bool | None, flows_applied: bool, refused_since_flows: float,
                        grace: float = TOKEN_GRACE) -> TokenVerdict:
    """Is a refused bootstrap token (403) a wrong token, or one the worker has not created yet?

    `db_booted`: True when an earlier authlab run saw this very database through a complete first boot, False
    when the database did not exist before this start, None when unknown (a database made by hand, or one whose
    first boot was interrupted: its worker may still be about to create the token);
    `flows_applied`: the flow executor finds default-authentication-flow;
    `refused_since_flows`: seconds the token has been refused since the flows were first seen.
    A fresh database always gets its token from this boot's worker, so there a refusal is never final.
    """
    if not flows_applied:
        return TokenVerdict(False, "worker has not applied the default flows yet: bootstrap token not created yet")
    if db_booted is True:
        return TokenVerdict(True, "this database finished its first boot before, and its worker's objects exist")
    if db_booted is None and refused_since_flows >= grace:
        return TokenVerdict(True, f"still refused {refused_since_flows:.0f}s after the worker's flows appeared")
    return TokenVerdict(False, "worker is applying blueprints: bootstrap token not created yet")


def token_rejected(status: int, body: object) -> bool:
    """Authentik answers an unknown bearer token with 403 {"detail": "Token invalid/expired"} (401 on some releases)."""
    if status not in (401, 403):
        return False
    detail = body.get("detail", "") if isinstance(body, dict) else str(body or "")
    return "token" in str(detail).lower() or status == 401


# --- what a timeout says per stage: what was awaited and what to do --------------------------------

STAGE_TARGETS: dict[Stage, str] = {
    Stage.CONTAINERS: "the containers to run",
    Stage.LIVE: f"the server to answer {LIVE_PATH}",
    Stage.READY: f"the server to answer {READY_PATH} (database reachable)",
    Stage.TOKEN: "Authentik to accept the bootstrap token",
    Stage.WORKER_OBJECTS: "the worker to create the default flows, scope mappings and certificate",
}
WORKER_FIRST_PASS = "the worker to apply its first blueprints (the default flows, then the bootstrap token)"
STAGE_TIMEOUT_HINTS: dict[Stage, str] = {
    Stage.CONTAINERS: "`authlab status` shows each container; `authlab logs SERVICE` shows why one does not start",
    Stage.LIVE: "the server is still starting or crashed: `authlab logs server`; a first start can take minutes, raise --timeout",
    Stage.READY: "the server cannot reach PostgreSQL yet: `authlab logs postgresql`; a first start runs migrations, raise --timeout",
    Stage.TOKEN: TOKEN_PENDING_HINT,
    Stage.WORKER_OBJECTS: "the worker applies these blueprints: is it running? `authlab status`, then `authlab logs worker`",
}
