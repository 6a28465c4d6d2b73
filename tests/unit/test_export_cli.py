"""`authlab export helm|blueprint` through the CLI: every values key exists in the official chart, the ConfigMap is
written beside the values, no secret of the lab ever reaches any output (canary values), bad input changes nothing."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.core.export import blueprint_yaml as by

LAB = """
version: "2026.5.6"
providers:
  - {name: web, preset: nextauth, app_url: http://localhost:3000, client_id: web-local}
groups: [{name: testers}]
users:
  - {username: alice, groups: [testers]}
  - {username: bob, password_env: BOB_PASSWORD}
service_accounts: [{name: ci-bot}]
"""

CANARIES = {
    "PG_PASS": "canary-pg-4f1c2b",
    "AUTHENTIK_SECRET_KEY": "canary-secret-key-9a8b7c",
    "AUTHENTIK_BOOTSTRAP_PASSWORD": "canary-bootstrap-pw-51e2",
    "AUTHENTIK_BOOTSTRAP_TOKEN": "canary-bootstrap-token-77aa",
}


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "authlab.yaml").write_text(textwrap.dedent(LAB).lstrip())
    return tmp_path


@pytest.fixture
def chart_values() -> dict:
    from tests.conftest import SHARED_AUTHENTIK

    path = SHARED_AUTHENTIK / "helm-chart-2026.8.0" / "values.yaml"
    if not path.is_file():
        pytest.skip(f"reference data not found at {path}")
    return yaml.safe_load(path.read_text())


def missing_paths(written: Any, chart: Any, path: str = "") -> list[str]:
    """Key paths of `written` that the chart's values do not have. A list or an empty map in the chart is free-form
    (its items are the user's: env entries, hosts, annotations), so the walk stops there."""
    if not isinstance(written, dict):
        return []
    if not isinstance(chart, dict):
        return [path or "(root)"]
    out = []
    for key, value in written.items():
        here = f"{path}.{key}" if path else key
        if key not in chart:
            out.append(here)
        elif isinstance(chart[key], dict) and chart[key]:
            out += missing_paths(value, chart[key], here)
    return out


def test_every_key_path_exists_in_the_chart(work: Path, chart_values: dict) -> None:
    result = invoke("export", "helm", "-o", "values.yaml", "--host", "auth.example.org", "--bootstrap", "--postgres-host", "db.internal")
    assert result.exit_code == 0, result.stderr
    values = yaml.safe_load((work / "values.yaml").read_text())
    assert missing_paths(values, chart_values) == []
    # the walk does catch a key the chart lacks
    assert missing_paths({"server": {"ingress": {"hostname": "x"}}}, chart_values) == ["server.ingress.hostname"]
    assert values["global"]["image"]["tag"] == "2026.5.6"
    assert values["blueprints"]["configMaps"] == ["authlab-blueprint"]
    assert values["server"]["ingress"] == {"enabled": True, "hosts": ["auth.example.org"]}
    assert values["authentik"] == {"postgresql": {"host": "db.internal"}}
    refs = {e["name"]: e["valueFrom"]["secretKeyRef"] for e in values["global"]["env"]}
    assert refs == {name: {"name": "authentik-secrets", "key": name} for name in (
        "AUTHENTIK_SECRET_KEY", "AUTHENTIK_POSTGRESQL__PASSWORD",
        "AUTHENTIK_BOOTSTRAP_PASSWORD", "AUTHENTIK_BOOTSTRAP_TOKEN", "AUTHENTIK_BOOTSTRAP_EMAIL")}
    # the blueprint's !Env BOB_PASSWORD reaches the worker, which applies blueprints
    assert values["worker"]["env"] == [{"name": "BOB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "authentik-secrets", "key": "BOB_PASSWORD"}}}]


def test_configmap_beside_the_values_carries_the_blueprint(work: Path) -> None:
    assert invoke("export", "helm", "-o", "deploy/values.yaml").exit_code == 0
    manifest = yaml.safe_load((work / "deploy" / "values.configmap.yaml").read_text())
    assert (manifest["apiVersion"], manifest["kind"], manifest["metadata"]["name"]) == ("v1", "ConfigMap", "authlab-blueprint")
    [(key, text)] = manifest["data"].items()
    assert key.endswith(".yaml")  # the chart applies only .yaml keys
    from_configmap = by.load(text)
    result = invoke("export", "blueprint", "--name", "authlab-blueprint")
    assert result.exit_code == 0
    assert from_configmap == by.load(result.stdout)
    values = yaml.safe_load((work / "deploy" / "values.yaml").read_text())
    assert "server" not in values and "authentik" not in values and "bootstrap" not in json.dumps(values).lower()


def test_no_secret_reaches_any_output(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert invoke("init").exit_code == 0
    env_file = work / ".authlab" / ".env"
    lines = [line for line in env_file.read_text().splitlines() if line.split("=", 1)[0] not in CANARIES]
    env_file.write_text("\n".join(lines + [f"{k}={v}" for k, v in CANARIES.items()]) + "\n")
    monkeypatch.setenv("BOB_PASSWORD", "canary-bob-password-3d3d")
    (work / ".authlab" / "test-users.json").write_text(json.dumps({"version": 1, "passwords": {"alice": "canary-alice-pw-0f0f"}}))
    (work / "lab.yaml").write_text(textwrap.dedent(LAB).replace('version: "2026.5.6"\n', "").lstrip())
    outputs = []
    for args in (("export", "helm", "--bootstrap", "-f", "lab.yaml"), ("export", "helm", "--bootstrap", "-o", "values.yaml", "-f", "lab.yaml"),
                 ("export", "blueprint", "-f", "lab.yaml"), ("export", "blueprint", "-o", "bp.yaml", "--json", "-f", "lab.yaml"),
                 ("export", "helm", "--json", "-f", "lab.yaml")):
        result = invoke(*args)
        assert result.exit_code == 0, (args, result.stderr)
        outputs += [result.stdout, result.stderr]
    outputs += [(work / name).read_text() for name in ("values.yaml", "values.configmap.yaml", "bp.yaml")]
    text = "\n".join(outputs)
    for canary in [*CANARIES.values(), "canary-bob-password-3d3d", "canary-alice-pw-0f0f"]:
        assert canary not in text
    # the release came from the lab (the file names none) and the variable's name is there, not its value
    assert "tag: 2026.5.6" in (work / "values.yaml").read_text()
    assert "password: !Env BOB_PASSWORD" in (work / "bp.yaml").read_text()


@pytest.mark.parametrize(("args", "message"), [
    (("export", "helm", "--host", "https://auth.example.org/"), "--host 'https://auth.example.org/' is not a host name"),
    (("export", "helm", "--secret", "Auth_Secrets"), "--secret 'Auth_Secrets' is not a valid Kubernetes name"),
    (("export", "helm", "--version", "latest"), "--version 'latest': not an Authentik release number"),
    (("export", "blueprint", "--version", "2023.10.7"), "--version 2023.10.7: authlab supports Authentik 2024.2.0 and later"),
    (("export", "blueprint", "-f", "missing.yaml"), "no lab file at missing.yaml"),
    (("export", "blueprint", "-o", "authlab.yaml"), "-o authlab.yaml is the lab file itself"),
    (("export", "helm", "-o", "."), "-o . is a directory"),
])
def test_bad_input_exits_2_and_writes_nothing(work: Path, args: tuple, message: str) -> None:
    before = (work / "authlab.yaml").read_text()
    result = invoke(*args, *(() if "-o" in args else ("-o", "out.yaml")), "--json")
    assert result.exit_code == 2, result.stdout
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and message in doc["error"]["message"], doc
    assert sorted(p.name for p in work.iterdir()) == ["authlab.yaml"]
    assert (work / "authlab.yaml").read_text() == before


def test_a_bad_provider_is_named_with_its_position(work: Path) -> None:
    (work / "authlab.yaml").write_text("providers:\n  - {name: web, preset: generic, app_url: 'http://localhost:3000/?x=1'}\n")
    result = invoke("export", "blueprint", "-o", "bp.yaml")
    assert result.exit_code == 2
    assert "authlab.yaml:2:5: providers[0] (web): app_url" in result.stderr
    assert not (work / "bp.yaml").exists()


def test_blueprint_to_a_file_says_what_it_wrote(work: Path) -> None:
    result = invoke("export", "blueprint", "-o", "bp.yaml", "--version", "2024.10.0")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "blueprint for Authentik 2024.10.0 (--version): 1 group, 3 user, 1 token, 1 oauth2provider, 1 application -> bp.yaml\n"
    document = by.load((work / "bp.yaml").read_text())
    assert document["context"]["web.redirect_uris"] == "http://localhost:3000/api/auth/callback/authentik"
