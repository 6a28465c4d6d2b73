"""Doctor checks over the running lab: container states, recent logs and the published ports.

Pure: the service layer gathers container facts from the engine and hands them in. Log lines are
diagnosed by `core.log_patterns` (shared with `up`), so a failure reads the same in both places.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from authentik_lab.core import log_patterns
from authentik_lab.core.checks import FAIL, Message, Outcome, Skip, from_messages, ok, problem
from authentik_lab.core.doctor.provider import Fetched
from authentik_lab.core.readiness import ContainerState as ContainerFacts  # the engine adapter's view of a container

RESTART_LOOP = 3  # a healthy lab restarts nothing; a few restarts in a row is a crash loop


def _need(containers: Sequence[ContainerFacts] | None) -> Sequence[ContainerFacts]:
    if containers is None:
        raise Skip("no lab containers to inspect (no lab, or the Docker engine is unreachable)")
    return containers


def check_containers(containers: Sequence[ContainerFacts] | None, expected: Sequence[str]) -> Outcome:
    containers = _need(containers)
    if not containers:
        return problem(FAIL, "no container of the lab exists", "`authlab up` starts the lab")
    by_service = {c.service: c for c in containers}
    messages, evidence = [], []
    for c in containers:
        # Docker keeps the last health status after a container stops; it describes the past, so only shown while running
        evidence.append(f"{c.service}: {c.state}" + (f" ({c.health})" if c.health and c.state == "running" else "")
                        + (f", {c.restart_count} restarts" if c.restart_count else "")
                        + (f", exit code {c.exit_code}" if c.state == "exited" and c.exit_code is not None else ""))
        if c.state == "restarting" or c.restart_count >= RESTART_LOOP:
            messages.append(Message("fail", f"{c.service} is restart-looping ({c.restart_count} restarts)",
                                    f"read its logs: `authlab logs {c.service}` (runtime.logs names known causes)"))
        elif c.state != "running":
            messages.append(Message("fail", f"{c.service} is {c.state}" + (f" (exit code {c.exit_code})" if c.exit_code is not None else ""),
                                    "`authlab up` starts it; runtime.logs shows why it stopped"))
        elif c.health == "unhealthy":
            messages.append(Message("fail", f"{c.service} is unhealthy", f"`authlab logs {c.service}`"))
    for service in expected:
        if service not in by_service and service != "worker":  # runtime.worker reports the worker
            messages.append(Message("fail", f"no container for service {service}", "`authlab up` creates it"))
    return from_messages(messages, f"{len(containers)} container(s) running", evidence)


def check_logs(logs: Mapping[str, Sequence[str]] | None) -> Outcome:
    if logs is None:
        raise Skip("no container logs to read (no lab, or the Docker engine is unreachable)")
    if not logs:
        raise Skip("no container of the lab exists (see runtime.containers)")
    messages, evidence = [], []
    for service, lines in logs.items():
        for d in log_patterns.diagnose_all(lines):
            messages.append(Message("fail", f"{service}: {d.diagnosis}", d.fix))
            evidence.extend(f"{service}| {line}" for line in d.lines)
    return from_messages(messages, f"no known failure in the recent logs of {len(logs)} container(s)", evidence)


def check_worker(containers: Sequence[ContainerFacts] | None, expected: Sequence[str] = ()) -> Outcome:
    """`expected`: the compose file's services; a worker listed there was simply never started."""
    containers = _need(containers)
    if not containers:
        raise Skip("no container of the lab exists (see runtime.containers)")
    worker = next((c for c in containers if c.service == "worker"), None)
    why = "the worker applies the blueprints that create the default flows; without it every flow page is 'Not Found'"
    if worker is None and "worker" in expected:
        return problem(FAIL, "the worker service was never started (it is in the compose file, but no container of it exists)",
                       "`authlab up` starts it (`docker compose up -d worker` for a compose file of your own)", more=[Message("info", why)])
    if worker is None:
        return problem(FAIL, "no worker container", "add the worker service (`authlab init` writes it) and `authlab up`",
                       more=[Message("info", why)])
    if worker.state != "running":
        return problem(FAIL, f"the worker is {worker.state}" + (f" (exit code {worker.exit_code})" if worker.exit_code is not None else ""),
                       "`authlab logs worker` shows why; runtime.logs names known causes", more=[Message("info", why)])
    return ok("the worker is running")


def looks_like_authentik(config: Fetched) -> bool:
    # /api/v3/root/config/ is public and carries keys no other web server answers with
    return config.status == 200 and isinstance(config.body, dict) and "capabilities" in config.body


def check_ports(probes: Mapping[int, Fetched] | None, server_running: bool = True) -> Outcome:
    """Each published HTTP port must answer as Authentik; an answer from anything else means another
    process holds the port (then the server container could not publish it)."""
    if probes is None:
        raise Skip("no published port known (no lab, or the server container is not running)")
    if not probes:
        return problem(FAIL, "the server publishes no port", "publish 9000 (`127.0.0.1:9000:9000`) in the compose file")
    messages, evidence = [], []
    for port, probe in sorted(probes.items()):
        evidence.append(f"{port}: {probe.status or probe.error}")
        if probe.status is None:
            if server_running:
                messages.append(Message("fail", f"nothing answers on published port {port} ({probe.error})"))
        elif not looks_like_authentik(probe):
            messages.append(Message("fail", f"port {port} answers, but not as Authentik (HTTP {probe.status} on /api/v3/root/config/): "
                                    "another process holds it", "stop that process (`ss -ltnp` shows it), or give the lab "
                                    "another port (`authlab init --port N`)"))
    if not messages and not server_running:
        raise Skip("the server container is not running and nothing else holds its ports (see runtime.containers)")
    return from_messages(messages, f"Authentik answers on port(s) {', '.join(map(str, sorted(probes)))}", evidence)
