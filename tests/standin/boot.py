"""How a real Authentik boots, as a client sees it: the order and proportions the stand-in reproduces.

Source: ../shared/authentik/real-boot-2026.2.2/ (first-boot-1.json, warm-boot-after-down-1.json and their logs;
2026.2.2 on 2 cores, fresh volumes; t = seconds since `docker compose up -d` began):

    4.4    database healthy, server and worker started
    ~5     first HTTP answers: live 502, ready and everything else 503 (the router answers, Django is not up)
    96.6   live 200                 (the server finished the migrations of an empty database)
    97.6   ready 200; the bootstrap token is refused (403 "Token invalid/expired"); the flow executor
           answers 404 for default-authentication-flow
    114.8  default-authentication-flow exists (ready + 17.2)
    122.4  the bootstrap token works: akadmin, 7 flows, 0 scope mappings, 1 certificate (ready + 24.8)
    125.5  11 flows, 1 scope mapping (ready + 27.9)
    130.4  7 scope mappings (ready + 32.8)
    132.0  14 flows: the worker's first blueprint pass is over (ready + 34.4)

A warm boot (the same volumes after `down`) answers everything at 13.4-14.4 s: no migrations to apply, every
object already exists. The worker's `ak` first tries `manage apply_blueprint system/bootstrap.yaml`, which fails on
an empty database (relation "authentik_tenants_tenant" does not exist) and is ignored; the bootstrap user and token
come later, from the worker's blueprint pass.

Not recorded, so assumed here (also in NOTES.md): which of the 14 flows exist at each step (the provider flows are
put at the 11-flow step; another real run saw default-provider-authorization-implicit-consent together with the
token), and which single scope mapping appears first (openid).

Everything scales with one factor (`STANDIN_BOOT_SCALE`, 1.0 = real seconds) so tests keep the order and the
proportions while taking a few seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

# Real seconds, from the recording above.
COLD_MIGRATE = 92.2  # server start (4.4) -> live (96.6)
WARM_MIGRATE = 9.0  # server start -> live on a populated database (13.4 - 4.4)
LIVE_TO_READY = 1.0  # live 200 -> ready 200
PASS_LENGTH = 34.4  # ready -> the worker's first pass is over

# The worker's first blueprint pass after the server is ready: (name, seconds after ready in the recording).
PHASES: tuple[tuple[str, float], ...] = (
    ("base_flows", 17.2),  # default-authentication-flow and the other non-provider flows
    ("bootstrap", 24.8),  # system/bootstrap.yaml: authentik Admins, akadmin, the bootstrap token; the certificate
    ("provider_flows", 27.9),  # the default provider flows; the first scope mapping
    ("scope_mappings", 32.8),  # every default scope mapping
    ("done", PASS_LENGTH),  # the pass is over
)
PHASE_NAMES: tuple[str, ...] = tuple(name for name, _ in PHASES)


@dataclass(frozen=True)
class BootPlan:
    """Seconds for one boot: `migrate` until live, then `ready_after`, then the worker phases at `phase_at`."""

    migrate: float
    ready_after: float
    phase_at: tuple[tuple[str, float], ...]  # (phase, seconds after ready)

    @property
    def pass_length(self) -> float:
        return self.phase_at[-1][1] if self.phase_at else 0.0


def plan(scale: float | None, worker_delay: float, warm: bool) -> BootPlan:
    """With a scale: the real proportions (cold or warm). Without one: no migration, and the worker pass spread
    over `worker_delay` seconds in the same order (0 = every object at once, before the first request)."""
    if scale is not None and scale > 0:
        migrate = (WARM_MIGRATE if warm else COLD_MIGRATE) * scale
        return BootPlan(migrate, LIVE_TO_READY * scale, tuple((n, t * scale) for n, t in PHASES))
    return BootPlan(0.0, 0.0, tuple((n, worker_delay * t / PASS_LENGTH) for n, t in PHASES))


def scale_from(env: dict) -> float | None:
    text = (env.get("STANDIN_BOOT_SCALE") or "").strip()
    if not text:
        return None
    value = float(text)
    return value if value > 0 else None
