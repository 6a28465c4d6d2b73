"""Values for the official authentik Helm chart that run what the lab runs, the production way, and the
ConfigMap that carries the exported blueprint.

Every key written exists in the chart's values.yaml (checked against chart 2026.8.0 by the tests). Secrets are
never written: the secret key, the PostgreSQL password, the bootstrap values and the test users' password
variables come from an existing Kubernetes Secret through `secretKeyRef` entries in `global.env` / `worker.env`
(a container's `env` wins over the chart's own `envFrom` Secret, so an empty `authentik.secret_key` is fine).
The chart mounts each ConfigMap named in `blueprints.configMaps` into the worker at
`/blueprints/mounted/cm-<name>/` and applies its keys ending in `.yaml`.
"""

from __future__ import annotations

from typing import Any, Sequence

import yaml

SECRET_KEY_ENV = "AUTHENTIK_SECRET_KEY"
POSTGRES_PASSWORD_ENV = "AUTHENTIK_POSTGRESQL__PASSWORD"
BOOTSTRAP_ENVS = ("AUTHENTIK_BOOTSTRAP_PASSWORD", "AUTHENTIK_BOOTSTRAP_TOKEN", "AUTHENTIK_BOOTSTRAP_EMAIL")
DEFAULT_SECRET = "authentik-secrets"
DEFAULT_CONFIGMAP = "authlab-blueprint"
BLUEPRINT_KEY = "authlab.yaml"  # the chart applies only keys ending in .yaml


def secret_keys(password_envs: Sequence[str], bootstrap: bool) -> list[str]:
    """The keys the existing Secret must hold (each is also the variable name it is exposed as)."""
    return [SECRET_KEY_ENV, POSTGRES_PASSWORD_ENV, *(BOOTSTRAP_ENVS if bootstrap else ()), *password_envs]


def _from_secret(name: str, secret: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": name}}}


def build_values(
    version: str,
    *,
    secret: str = DEFAULT_SECRET,
    configmap: str = DEFAULT_CONFIGMAP,
    host: str | None = None,
    bootstrap: bool = False,
    password_envs: Sequence[str] = (),
    postgres_host: str | None = None,
) -> dict[str, Any]:
    """The values document. `password_envs`: the `!Env` variables the blueprint reads (worker only: the worker
    applies blueprints). `bootstrap`: also set AUTHENTIK_BOOTSTRAP_* (read on the very first start only)."""
    global_env = [_from_secret(SECRET_KEY_ENV, secret), _from_secret(POSTGRES_PASSWORD_ENV, secret)]
    global_env += [_from_secret(name, secret) for name in (BOOTSTRAP_ENVS if bootstrap else ())]
    values: dict[str, Any] = {
        "global": {"image": {"tag": version}, "env": global_env},
        "blueprints": {"configMaps": [configmap]},
    }
    if postgres_host:
        values["authentik"] = {"postgresql": {"host": postgres_host}}
    if host:
        values["server"] = {"ingress": {"enabled": True, "hosts": [host]}}
    if password_envs:
        values["worker"] = {"env": [_from_secret(name, secret) for name in password_envs]}
    return values


def build_configmap(name: str, blueprint_text: str) -> dict[str, Any]:
    """The ConfigMap manifest holding the blueprint under BLUEPRINT_KEY."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "authlab"}},
        "data": {BLUEPRINT_KEY: blueprint_text},
    }


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # noqa: ARG002
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # the blueprint inside the ConfigMap stays readable as a literal block
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)


def dump(document: Any, header: str = "") -> str:
    """YAML text in the document's key order, with `header` lines as comments on top."""
    comments = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    return comments + yaml.dump(document, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=120)
