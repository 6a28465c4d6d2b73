"""`authlab doctor` through the CLI: files built in tmp_path, and a real stand-in Authentik put into each faulty state.

Every check id has a test that makes it pass and one that makes it fail (or warn); the Docker runtime checks
live in tests/integration/docker/test_doctor_docker.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from tests.conftest import SHARED_AUTHENTIK, skip_without_docker, write_tree
from tests.integration.doctor_support import NothingRunsEngine
from tests.standin.harness import Standin, start_standin

CALLBACK = "http://localhost:3000/api/auth/callback/authentik"
SELF_SIGNED = "authentik Self-signed Certificate"
ALL_SCOPES = ("openid", "email", "profile", "offline_access")
GOOD_ENV = "PG_PASS=pw\nAUTHENTIK_SECRET_KEY=" + "k" * 60 + "\nAUTHENTIK_BOOTSTRAP_TOKEN=t\nAUTHENTIK_BOOTSTRAP_PASSWORD=p\n"
COMPOSE = """
services:
  server:
    image: ghcr.io/goauthentik/server:${AUTHENTIK_TAG:-2026.5.6}
    command: server
    env_file: .env
    environment:
      AUTHENTIK_POSTGRESQL__HOST: postgresql
    ports:
    - 127.0.0.1:9000:9000
  worker:
    image: ghcr.io/goauthentik/server:${AUTHENTIK_TAG:-2026.5.6}
    command: worker
    env_file: .env
    environment:
      AUTHENTIK_POSTGRESQL__HOST: postgresql
    volumes:
    - media:/media
volumes:
  media: {}
"""


def _has_compose() -> bool:
    return bool(shutil.which("docker")) and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the default app env scan looks here


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["doctor", *args])
    return result.exit_code, result.stdout


def checks(*args: str) -> dict[str, dict]:
    code, out = invoke(*args, "--json")
    doc = json.loads(out)
    assert doc["command"] == "doctor" and doc["ok"] == (code == 0)
    return {c["id"]: c for c in doc["data"]["checks"]}


def status(*args: str) -> dict[str, str]:
    return {k: v["status"] for k, v in checks(*args).items()}


def lab(tmp_path: Path, compose: str = COMPOSE, env: str = GOOD_ENV, env_mode: int = 0o600) -> Path:
    write_tree(tmp_path / "lab", {"compose.yml": compose, ".env": env})
    os.chmod(tmp_path / "lab" / ".env", env_mode)
    return tmp_path / "lab" / "compose.yml"


# --- listing and selecting ----------------------------------------------------------------------


def test_list_names_every_check_id() -> None:
    code, out = invoke("--list", "provider")
    assert code == 0
    assert out.splitlines() == [
        "provider.redirect-uris     Redirect URIs well-formed and matching the app",
        "provider.scopes            openid, email, profile, offline_access mappings attached",
        "provider.signing-key       Providers sign tokens with a key pair",
        "provider.application       Each provider has its application",
        "provider.discovery         Discovery and JWKS answer, consistent with the issuer",
    ]
    code, out = invoke("--list")
    assert len(out.splitlines()) == 38
    assert invoke("--list", "compose")[1].splitlines()[:2] == [
        "compose.available          Docker Compose available",
        "compose.valid              Compose accepts the configuration",
    ]


def test_an_unknown_id_is_a_usage_error_listing_the_valid_ones() -> None:
    result = CliRunner().invoke(cli, ["doctor", "provider.nope"])
    assert result.exit_code == 2
    assert "error: unknown check 'provider.nope'" in result.stderr
    assert "valid groups: app, compose, engine, env, http, provider, runtime" in result.stderr


def test_without_any_input_everything_is_skipped_with_a_reason_and_exit_is_zero() -> None:
    code, out = invoke("app", "env")
    assert code == 0
    assert out.splitlines()[-1] == "0 passed, 11 skipped"
    assert "[-] skipped 4 checks (env.*): no lab here and no --compose FILE (run `authlab init`, or pass --compose FILE)" in out
    code, out = invoke("app", "env", "-v")
    assert "[-] .env has PG_PASS and AUTHENTIK_SECRET_KEY: no lab here and no --compose FILE (run `authlab init`, or pass --compose FILE) (env.required)" in out


def test_human_output_shows_evidence_and_fix_under_a_problem_and_a_tally(tmp_path: Path) -> None:
    compose = lab(tmp_path, COMPOSE.replace("    - media:/media\n", "    - media:/media\n    - /etc/localtime:/etc/localtime:ro\n"))
    code, out = invoke("--compose", str(compose), "compose.localtime", "compose.image-pinned")
    assert code == 1
    assert out.splitlines() == [
        "[✓] Authentik image pinned, server and worker on one tag: pinned to 2026.5.6",
        "[✗] /etc/localtime and /etc/timezone not mounted: /etc/localtime mounted into worker (compose.localtime)",
        f"    • {compose}: services.worker.volumes /etc/localtime:/etc/localtime",
        "      fix: remove the mount: Authentik assumes UTC and a host time zone shifts token times, breaking OAuth and SAML",
        "      (authlab doctor --fix can do this)",
        "",
        "1 passed, 1 failed",
    ]
    code, out = invoke("--compose", str(compose), "compose.image-pinned", "-v")
    assert out.splitlines()[:2] == [
        "[✓] Authentik image pinned, server and worker on one tag: pinned to 2026.5.6 (compose.image-pinned)",
        "    • server: image ghcr.io/goauthentik/server:2026.5.6",
    ]


def test_json_document_is_complete_and_stable(tmp_path: Path) -> None:
    compose = lab(tmp_path, env=GOOD_ENV, env_mode=0o644)
    code, out = invoke("--compose", str(compose), "env.file-mode", "--json")
    env_file = str(tmp_path / "lab" / ".env")
    assert code == 0
    assert json.loads(out) == {
        "authlab": 1,
        "command": "doctor",
        "ok": True,
        "data": {
            "checks": [{
                "id": "env.file-mode",
                "title": ".env not readable by other users",
                "status": "warn",
                "summary": f"{env_file} holds secrets and is readable by every user of this machine (mode 644)",
                "evidence": [],
                "messages": [{"level": "warn", "text": f"{env_file} holds secrets and is readable by every user of this machine (mode 644)",
                              "fix": f"chmod 600 {env_file}"}],
                "fixable": {"kind": "chmod", "target": env_file, "description": f"chmod 600 {env_file}",
                            "changes": [f"{env_file}: mode 644 -> 600"]},
            }],
            "summary": {"passed": 0, "warnings": 1, "failed": 0, "errors": 0, "skipped": 0, "ok": True},
            "fixes": [],
            "compose_config": None,  # no compose check ran, so compose was not asked
        },
    }


# --- compose and .env checks ---------------------------------------------------------------------


def test_a_clean_compose_file_passes_every_file_check(tmp_path: Path) -> None:
    compose = lab(tmp_path)
    assert status("--compose", str(compose), "compose.image-pinned", "compose.worker-root", "compose.docker-socket",
                  "compose.public-ports", "compose.bind-mount-owner", "compose.localtime", "env") == {
        "compose.image-pinned": "ok", "compose.worker-root": "ok", "compose.docker-socket": "ok", "compose.public-ports": "ok",
        "compose.bind-mount-owner": "ok", "compose.localtime": "ok",
        "env.required": "ok", "env.secret-key-length": "ok", "env.bootstrap": "ok", "env.file-mode": "ok",
    }


def test_the_official_compose_file_shows_its_known_traps(tmp_path: Path, shared_authentik: Path) -> None:
    compose = lab(tmp_path, (shared_authentik / "docker-compose-2026.5.6.yml").read_text())
    found = checks("--compose", str(compose), "compose.worker-root", "compose.docker-socket", "compose.public-ports")
    assert {k: v["status"] for k, v in found.items()} == {"compose.worker-root": "warn", "compose.docker-socket": "warn", "compose.public-ports": "warn"}
    assert found["compose.public-ports"]["evidence"] == [f"{compose}: services.server.ports 9000:9000", f"{compose}: services.server.ports 9443:9443"]


def test_image_tag_mismatch_fails(tmp_path: Path) -> None:
    compose = lab(tmp_path, COMPOSE.replace("${AUTHENTIK_TAG:-2026.5.6}\n    command: worker", "2026.2.2\n    command: worker"))
    found = checks("--compose", str(compose), "compose.image-pinned")["compose.image-pinned"]
    assert (found["status"], found["summary"]) == ("fail", "server and worker run different Authentik releases: server=2026.5.6, worker=2026.2.2")


def test_bind_mounted_storage_must_be_writable_by_uid_1000(tmp_path: Path) -> None:
    compose = lab(tmp_path, COMPOSE.replace("    - media:/media\n", "    - ./media:/media\n"))
    media = tmp_path / "lab" / "media"
    assert checks("--compose", str(compose), "compose.bind-mount-owner")["compose.bind-mount-owner"]["summary"] == \
        f"{media} does not exist: Docker creates it owned by root, and uid 1000 cannot write it"
    media.mkdir()
    os.chmod(media, 0o755)
    if os.stat(media).st_uid == 1000:
        pytest.skip("the test runs as uid 1000, which owns everything it creates")
    assert status("--compose", str(compose), "compose.bind-mount-owner") == {"compose.bind-mount-owner": "fail"}
    os.chmod(media, 0o777)
    assert status("--compose", str(compose), "compose.bind-mount-owner") == {"compose.bind-mount-owner": "ok"}


def test_env_problems(tmp_path: Path) -> None:
    # the file takes both values from .env, as the official one does
    uses = COMPOSE.replace("    command: worker\n", "    command: worker\n    environment:\n      AUTHENTIK_SECRET_KEY: ${AUTHENTIK_SECRET_KEY}\n"
                                                     "      AUTHENTIK_POSTGRESQL__PASSWORD: ${PG_PASS}\n")
    compose = lab(tmp_path, uses, env="PG_PASS=\nAUTHENTIK_SECRET_KEY=short\n", env_mode=0o644)
    # --url names a server doctor talks to, so authlab needs a token: the bootstrap values are missing
    assert status("--compose", str(compose), "--url", "http://127.0.0.1:9", "env") == {
        "env.required": "fail", "env.secret-key-length": "warn", "env.bootstrap": "fail", "env.file-mode": "warn"}
    # with an explicit token authlab does not need the bootstrap values
    assert status("--compose", str(compose), "--token", "x", "env.bootstrap") == {"env.bootstrap": "ok"}


def test_a_broken_compose_file_fails_the_first_check_that_reads_it_not_a_traceback(tmp_path: Path) -> None:
    compose = lab(tmp_path, "services:\n  server: [\n")
    code, out = invoke("--compose", str(compose), "compose.worker-root", "compose.docker-socket", "env.required")
    assert code == 1
    assert out.splitlines()[0].startswith(f"[✗] Authentik services not running as root: the compose file cannot be read: {compose}:3:1: invalid YAML")
    assert "[-] skipped 1 check (compose.docker-socket): the compose file cannot be read (see compose.worker-root)" in out
    assert "[✓] .env has PG_PASS and AUTHENTIK_SECRET_KEY" in out


def test_engine_and_compose_unavailable_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from authentik_lab.adapters.compose import detect_binary

    compose = lab(tmp_path)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    detect_binary.cache_clear()
    try:
        found = checks("--compose", str(compose), "engine", "compose.available")
    finally:
        detect_binary.cache_clear()
    assert found["engine.reachable"]["status"] == "fail"
    assert found["engine.reachable"]["summary"] == f"cannot reach the Docker engine at unix://{tmp_path}/no-such.sock"
    assert (found["compose.available"]["status"], found["compose.available"]["summary"]) == (
        "fail", "Docker Compose is not installed (neither `docker compose` nor `docker-compose` works)")


def test_engine_and_compose_available_pass(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if not shutil.which("docker") or subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        skip_without_docker("no Docker engine answers here")
    assert status("--compose", str(lab(tmp_path)), "engine", "compose.available") == {"engine.reachable": "ok", "compose.available": "ok"}


# --- against the stand-in Authentik ---------------------------------------------------------------


@pytest.fixture
def standin() -> Iterator[Standin]:
    s = start_standin(worker_delay=0)
    try:
        s.wait_worker()
        yield s
    finally:
        s.stop()


def _results(s: Standin, path: str) -> list[dict]:
    status_, body = s.api("GET", path)
    assert status_ == 200, body
    return body["results"]  # type: ignore[index]


def make_provider(s: Standin, name: str = "web", scopes: tuple[str, ...] = ALL_SCOPES, signing: bool = True,
                  redirect: str = CALLBACK, app: bool = True) -> dict:
    flows = {f["slug"]: f["pk"] for f in _results(s, "/api/v3/flows/instances/?page_size=100")}
    maps = {m["managed"]: m["pk"] for m in _results(s, "/api/v3/propertymappings/provider/scope/?page_size=100")}
    cert = next(c["pk"] for c in _results(s, "/api/v3/crypto/certificatekeypairs/") if c["name"] == SELF_SIGNED)
    body = {
        "name": name,
        "authorization_flow": flows["default-provider-authorization-implicit-consent"],
        "invalidation_flow": flows["default-provider-invalidation-flow"],
        "client_type": "confidential",
        "redirect_uris": [{"matching_mode": "strict", "url": redirect}],
        "property_mappings": [maps[f"goauthentik.io/providers/oauth2/scope-{sc}"] for sc in scopes],
        "signing_key": cert if signing else None,
    }
    code, provider = s.api("POST", "/api/v3/providers/oauth2/", body)
    assert code == 201, provider
    if app:
        code, created = s.api("POST", "/api/v3/core/applications/", {"name": name, "slug": name, "provider": provider["pk"]})  # type: ignore[index]
        assert code == 201, created
    return provider  # type: ignore[return-value]


def at(s: Standin, *args: str, token: str | None = None) -> dict[str, dict]:
    return checks("--url", s.url, "--token", token or s.bootstrap_token, *args)


def test_a_healthy_standin_with_a_good_provider_passes_http_and_provider_checks(standin: Standin) -> None:
    make_provider(standin)
    found = at(standin, "http", "provider")
    assert {k: v["status"] for k, v in found.items()} == {
        "http.live": "ok", "http.ready": "ok", "http.token": "ok", "http.worker-objects": "ok", "http.clock-skew": "ok",
        "provider.redirect-uris": "ok", "provider.scopes": "ok", "provider.signing-key": "ok", "provider.application": "ok",
        "provider.discovery": "ok"}
    assert found["http.token"]["summary"] == "the token (--token) belongs to akadmin (superuser)"
    assert found["provider.discovery"]["evidence"] == [f"web: issuer {standin.url}/application/o/web/", "web: JWKS 1 key(s)"]


def test_nothing_listens_fails_live_and_ready_and_skips_the_rest(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    found = checks("--url", f"http://127.0.0.1:{port}", "--token", "x", "http", "provider.scopes")
    assert {k: v["status"] for k, v in found.items()} == {
        "http.live": "fail", "http.ready": "fail", "http.token": "skip", "http.worker-objects": "skip", "http.clock-skew": "skip",
        "provider.scopes": "skip"}
    assert found["provider.scopes"]["summary"] == "Authentik cannot be reached (see http.live)"


def test_a_bad_token_fails_http_token(standin: Standin) -> None:
    found = at(standin, "http.token", "provider.scopes", token="wrong-token")
    assert found["http.token"]["status"] == "fail"
    assert found["http.token"]["summary"] == "the token (--token) is rejected: 403 Token invalid/expired"
    assert found["provider.scopes"]["summary"] == "the API token is not accepted (see http.token)"


def test_missing_flow_fails_worker_objects(standin: Standin) -> None:
    standin.fault(delete_flow="default-provider-invalidation-flow")
    found = at(standin, "http.worker-objects")["http.worker-objects"]
    assert (found["status"], found["summary"], found["evidence"]) == (
        "fail", "missing: flows default-provider-invalidation-flow", ["flow default-provider-invalidation-flow"])


@pytest.mark.parametrize(("offset", "expected"), [(300, "fail"), (60, "warn")])
def test_clock_skew(standin: Standin, offset: int, expected: str) -> None:
    standin.fault(clock_offset=offset)
    found = at(standin, "http.clock-skew")["http.clock-skew"]
    assert found["status"] == expected
    assert found["summary"].startswith(f"the server clock is {offset - 1}s ahead") or found["summary"].startswith(f"the server clock is {offset}s ahead")


def test_provider_faults(standin: Standin) -> None:
    make_provider(standin, "noscope", scopes=("openid", "email", "profile"))
    make_provider(standin, "hs256", signing=False)
    make_provider(standin, "orphan", app=False)
    found = at(standin, "provider")
    assert {k: v["status"] for k, v in found.items()} == {
        "provider.redirect-uris": "ok", "provider.scopes": "warn", "provider.signing-key": "warn",
        "provider.application": "fail", "provider.discovery": "ok"}
    assert found["provider.scopes"]["summary"].startswith("noscope: the offline_access scope mapping is not attached (no refresh tokens")
    assert found["provider.signing-key"]["summary"].startswith("hs256: no signing key, so tokens are HS256")
    assert found["provider.application"]["summary"] == "orphan: no application uses this provider, so it has no issuer and discovery answers 404"
    only = at(standin, "provider", "--provider", "noscope")
    assert {k: v["status"] for k, v in only.items()}["provider.signing-key"] == "ok"


def test_deleted_signing_certificate_fails_signing_key_and_discovery(standin: Standin) -> None:
    make_provider(standin)
    standin.fault(delete_certificate=True)
    found = at(standin, "provider.signing-key", "provider.discovery")
    assert found["provider.signing-key"]["status"] == "fail"
    assert found["provider.discovery"]["status"] == "fail", found["provider.discovery"]


def test_an_unknown_provider_name_is_one_usage_error(standin: Standin) -> None:
    make_provider(standin)
    result = CliRunner().invoke(cli, ["doctor", "--url", standin.url, "--token", standin.bootstrap_token, "provider", "--provider", "nope"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: no OAuth2 provider named 'nope' at {standin.url} (existing: web)",
        "hint: `authlab provider list` shows them; pass one of those names to --provider",
    ]
    doc = json.loads(CliRunner().invoke(cli, ["doctor", "--url", standin.url, "--token", standin.bootstrap_token, "provider",
                                              "--provider", "nope", "--json"]).stdout)
    assert doc["ok"] is False and doc["command"] == "doctor"
    # checks that do not look at providers are not stopped by the name
    assert invoke("--url", standin.url, "--token", standin.bootstrap_token, "http.live", "--provider", "nope")[0] == 0


def test_redirect_uri_mismatch_against_the_app_env(standin: Standin, tmp_path: Path) -> None:
    make_provider(standin, redirect=CALLBACK + "/")
    provider = make_provider(standin, "other", redirect="http://localhost:4000/cb")
    write_tree(tmp_path, {".env.local": f"NEXTAUTH_URL=http://localhost:3000\nAUTHENTIK_ID={provider['client_id']}\n"})
    found = at(standin, "provider.redirect-uris")["provider.redirect-uris"]
    assert found["status"] == "fail"
    assert found["summary"] == f"other: the app's callback {CALLBACK} is not allowed"


# --- app env files -----------------------------------------------------------------------------


def _app_env(s: Standin, provider: dict, issuer_host: str | None = None, **extra: str) -> dict[str, str]:
    host = issuer_host or s.url
    values = {
        "AUTH_AUTHENTIK_ID": provider["client_id"],
        "AUTH_AUTHENTIK_SECRET": provider["client_secret"],
        "AUTH_AUTHENTIK_ISSUER": f"{host}/application/o/web/",
        "OIDC_JWKS_URL": f"{host}/application/o/web/jwks/",
        "OIDC_TOKEN_URL": f"{host}/application/o/token/",
    }
    values.update(extra)
    return values


def _write_env(path: Path, values: dict[str, str]) -> Path:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return path


def test_a_well_wired_app_env_passes(standin: Standin, tmp_path: Path) -> None:
    provider = make_provider(standin)
    _write_env(tmp_path / ".env", _app_env(standin, provider))
    assert {k: v["status"] for k, v in at(standin, "app").items()} == {
        "app.issuer-form": "ok", "app.issuer-host": "ok", "app.jwks-url": "ok", "app.token-url": "ok", "app.client-credentials": "ok",
        "app.code-env": "skip", "app.email-verified": "skip"}  # no source code in the folder; not an oauth2-proxy app


def test_a_miswired_app_env_fails_every_app_check(standin: Standin, tmp_path: Path) -> None:
    provider = make_provider(standin)
    port = standin.url.rsplit(":", 1)[1]
    env = _write_env(tmp_path / "app.env", _app_env(
        standin, provider, issuer_host=f"http://server:{port}", AUTH_AUTHENTIK_SECRET="not-the-secret",
        AUTH_AUTHENTIK_ISSUER=f"http://server:{port}/application/o/web",
        OIDC_JWKS_URL=f"{standin.url}/.well-known/jwks.json", OIDC_TOKEN_URL=f"{standin.url}/application/o/web/token/"))
    found = at(standin, "app", "--app-env", str(env))
    assert {k: v["status"] for k, v in found.items()} == {
        "app.issuer-form": "fail", "app.issuer-host": "fail", "app.jwks-url": "fail", "app.token-url": "fail",
        "app.client-credentials": "fail", "app.code-env": "skip", "app.email-verified": "skip"}
    assert found["app.client-credentials"]["summary"] == "app.env:2: AUTH_AUTHENTIK_SECRET: does not match the client secret of provider web"
    assert "not-the-secret" not in json.dumps(found) and provider["client_secret"] not in json.dumps(found)


# --- --fix ---------------------------------------------------------------------------------------


def test_nothing_changes_without_fix_and_fix_needs_yes_when_not_interactive(standin: Standin, tmp_path: Path) -> None:
    provider = make_provider(standin, scopes=("openid", "email", "profile"))
    compose = lab(tmp_path, COMPOSE.replace("    command: worker\n", "    command: worker\n    user: root\n"))
    before = compose.read_bytes()
    assert invoke("--url", standin.url, "--token", standin.bootstrap_token, "--compose", str(compose), "compose", "provider")[0] == 0
    result = CliRunner().invoke(cli, ["doctor", "--url", standin.url, "--token", standin.bootstrap_token, "--compose", str(compose),
                                      "compose.worker-root", "provider.scopes", "--fix"])
    assert result.exit_code == 2 and "pass --yes to confirm" in result.stderr
    assert compose.read_bytes() == before
    assert standin.api("GET", f"/api/v3/providers/oauth2/{provider['pk']}/")[1]["property_mappings"] == provider["property_mappings"]  # type: ignore[index]


def test_fix_end_to_end_then_doctor_passes(standin: Standin, tmp_path: Path) -> None:
    provider = make_provider(standin, scopes=("openid", "email", "profile"), signing=False)
    compose = lab(tmp_path, COMPOSE.replace("    command: worker\n", "    command: worker\n    user: root\n")
                  .replace("    - media:/media\n", "    - media:/media\n    - /var/run/docker.sock:/var/run/docker.sock\n")
                  .replace("127.0.0.1:9000:9000", "9000:9000"), env_mode=0o644)
    app_env = _write_env(tmp_path / ".env", {"NEXTAUTH_URL": "http://localhost:3000", "AUTHENTIK_ID": provider["client_id"],
                                             "AUTHENTIK_ISSUER": f"{standin.url}/application/o/web/"})
    args = ("--url", standin.url, "--token", standin.bootstrap_token, "--compose", str(compose), "compose.worker-root",
            "compose.docker-socket", "compose.public-ports", "env.file-mode", "provider", "app.issuer-form")
    before = status(*args)
    assert before == {"compose.worker-root": "warn", "compose.docker-socket": "warn", "compose.public-ports": "warn", "env.file-mode": "warn",
                      "provider.redirect-uris": "ok", "provider.scopes": "warn", "provider.signing-key": "warn", "provider.application": "ok",
                      "provider.discovery": "ok", "app.issuer-form": "fail"}
    code, out = invoke(*args, "--fix", "--yes")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == "Planned fixes:"
    assert f"      {compose}:13: user: root  (removed)" in lines
    assert f"      .env: AUTHENTIK_ISSUER={standin.url}/application/o/web" in lines
    assert "fixed: attach offline_access to provider web" in lines
    assert lines[-1] == "10 passed"
    assert status(*args) == {k: "ok" for k in before}
    assert "user: root" not in compose.read_text() and (tmp_path / "lab" / "compose.yml.bak").read_text().count("user: root") == 1
    assert app_env.read_text().splitlines()[2] == f"AUTHENTIK_ISSUER={standin.url}/application/o/web"
    assert stat.S_IMODE(os.stat(tmp_path / "lab" / ".env").st_mode) == 0o600


def test_one_fix_run_fixes_every_faulty_provider(standin: Standin) -> None:
    a = make_provider(standin, "twoa", scopes=("openid", "email", "profile"), signing=False)
    b = make_provider(standin, "twob", scopes=("openid", "email", "profile"), signing=False)
    make_provider(standin, "good")
    args = ("--url", standin.url, "--token", standin.bootstrap_token, "provider")
    assert status(*args) == {"provider.redirect-uris": "ok", "provider.scopes": "warn", "provider.signing-key": "warn",
                             "provider.application": "ok", "provider.discovery": "ok"}
    code, out = invoke(*args, "--fix", "--yes")
    assert code == 0, out
    cert = next(c["pk"] for c in _results(standin, "/api/v3/crypto/certificatekeypairs/") if c["name"] == SELF_SIGNED)
    assert out.splitlines() == [
        "Planned fixes:",
        "  • attach offline_access to provider twoa",
        "      provider twoa: + scope mapping offline_access",
        "  • attach offline_access to provider twob",
        "      provider twob: + scope mapping offline_access",
        f"  • set the signing key of twoa to '{SELF_SIGNED}'",
        f"      provider twoa: signing_key null -> {cert} ({SELF_SIGNED})",
        f"  • set the signing key of twob to '{SELF_SIGNED}'",
        f"      provider twob: signing_key null -> {cert} ({SELF_SIGNED})",
        "fixed: attach offline_access to provider twoa",
        "fixed: attach offline_access to provider twob",
        f"fixed: set the signing key of twoa to '{SELF_SIGNED}'",
        f"fixed: set the signing key of twob to '{SELF_SIGNED}'",
        "[✓] Redirect URIs well-formed and matching the app: 3 redirect URI(s) well-formed",
        "[✓] openid, email, profile, offline_access mappings attached: openid, email, profile and offline_access mappings are attached",
        "[✓] Providers sign tokens with a key pair: every provider signs with a key pair (RS256)",
        "[✓] Each provider has its application: every provider has its application",
        "[✓] Discovery and JWKS answer, consistent with the issuer: discovery and JWKS answer and agree with the issuer",
        "",
        "5 passed",
    ]
    for p in (a, b):
        got = standin.api("GET", f"/api/v3/providers/oauth2/{p['pk']}/")[1]
        assert got["signing_key"] == cert and len(got["property_mappings"]) == 4  # type: ignore[index]
    again = status(*args)
    assert again == {k: "ok" for k in again} and len(again) == 5


def test_the_reference_data_holds_every_file_the_tests_read(shared_authentik: Path) -> None:
    """Present or absent as a whole: a renamed or missing file would otherwise turn into a silent per-test skip."""
    from tests.unit.test_provider_spec import SCHEMAS

    assert shared_authentik == SHARED_AUTHENTIK
    names = {p.name for p in shared_authentik.iterdir()}
    wanted = {f"docker-compose-{v}.yml" for v in ("2023.5.0", "2024.2.1", "2025.2.4", "2025.10.1", "2026.2.0", "2026.2.2", "2026.5.6")}
    wanted |= {f"schema-{v}.yml" for v in SCHEMAS} | {"captures-2026.2.2", "FACTS.md"}
    assert sorted(wanted - names) == []
    assert (shared_authentik / "captures-2026.2.2" / "020-provider-create-201.json").is_file()


def test_a_lab_made_by_init_needs_no_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from authentik_lab.core import dotenv
    from authentik_lab.services.lab import init_lab

    lab_path = tmp_path / "mylab"
    init_lab(lab_path)
    token = dotenv.parse((lab_path / ".env").read_text())["AUTHENTIK_BOOTSTRAP_TOKEN"]
    s = start_standin(worker_delay=0, env={"AUTHENTIK_BOOTSTRAP_TOKEN": token})
    try:
        s.wait_worker()
        init_lab(lab_path, http_port=s.port)  # same secrets, the stand-in's port
        provider = make_provider(s)
        (tmp_path / ".env.local").write_text(f"AUTH_AUTHENTIK_ID={provider['client_id']}\n"
                                             f"AUTH_AUTHENTIK_ISSUER=http://localhost:{s.port}/application/o/web\n")
        monkeypatch.setenv("AUTHLAB_DIR", str(lab_path))
        found = checks("compose.worker-root", "compose.public-ports", "env", "http.token", "provider.scopes", "app.issuer-form",
                       "app.client-credentials")
    finally:
        s.stop()
    assert {k: v["status"] for k, v in found.items()} == {
        "compose.worker-root": "ok", "compose.public-ports": "ok", "env.required": "ok", "env.secret-key-length": "ok",
        "env.bootstrap": "ok", "env.file-mode": "ok", "http.token": "ok", "provider.scopes": "ok", "app.issuer-form": "fail",
        "app.client-credentials": "ok"}
    assert found["http.token"]["summary"] == "the token (bootstrap token) belongs to akadmin (superuser)"
    assert found["app.issuer-form"]["summary"] == ".env.local:2: AUTH_AUTHENTIK_ISSUER: add the trailing slash (Auth.js v5 (AUTH_* variables) compares `iss` exactly)"


def test_a_lab_with_a_missing_secret_is_still_checked_through_its_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from authentik_lab.services.lab import init_lab

    lab_path = tmp_path / "broken"
    init_lab(lab_path)
    env = lab_path / ".env"
    env.write_text("".join(line + "\n" for line in env.read_text().splitlines() if not line.startswith("PG_PASS=")))
    monkeypatch.setenv("AUTHLAB_DIR", str(lab_path))
    found = checks("env.required", "compose.worker-root")
    assert {k: v["status"] for k, v in found.items()} == {"env.required": "fail", "compose.worker-root": "ok"}
    assert found["env.required"]["summary"] == f"PG_PASS is missing in {env}: compose refuses to start"


def test_fix_with_json_reports_what_was_applied(tmp_path: Path) -> None:
    compose = lab(tmp_path, env_mode=0o644)
    env_file = str(tmp_path / "lab" / ".env")
    code, out = invoke("--compose", str(compose), "env.file-mode", "--fix", "--yes", "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["data"]["fixes"] == [{"kind": "chmod", "target": env_file, "description": f"chmod 600 {env_file}",
                                     "changes": [f"{env_file}: mode 644 -> 600"], "ok": True, "error": None}]
    assert [(c["id"], c["status"]) for c in doc["data"]["checks"]] == [("env.file-mode", "ok")]


def test_fix_removes_the_time_zone_mounts_then_compose_localtime_passes(tmp_path: Path) -> None:
    mounts = ("    - /etc/localtime:/etc/localtime:ro\n"
              "    - type: bind\n      source: /etc/timezone\n      target: /etc/timezone\n      read_only: true\n")
    compose = lab(tmp_path, COMPOSE.replace("    - media:/media\n", "    - media:/media\n" + mounts))
    before = compose.read_text()
    found = checks("--compose", str(compose), "compose.localtime")["compose.localtime"]
    assert (found["status"], found["fixable"]["kind"]) == ("fail", "compose-patch")
    code, out = invoke("--compose", str(compose), "compose.localtime", "--fix", "--yes")
    assert code == 0, out
    assert out.splitlines() == [
        "Planned fixes:",
        f"  • patch {compose}: time mount",
        f"      {compose}:18: - /etc/localtime:/etc/localtime:ro  (removed)",
        f"      {compose}:19: - type: bind  (removed)",
        "      the previous file is kept as compose.yml.bak",
        f"fixed: patch {compose}: time mount",
        "[✓] /etc/localtime and /etc/timezone not mounted: /etc/localtime and /etc/timezone are not mounted",
        "",
        "1 passed",
    ]
    assert compose.read_text() == before.replace(mounts, "")  # only the two entries went, byte for byte
    assert (tmp_path / "lab" / "compose.yml.bak").read_text() == before
    assert status("--compose", str(compose), "compose.localtime") == {"compose.localtime": "ok"}


def test_fix_keeps_crlf_line_endings_of_the_compose_file(tmp_path: Path) -> None:
    # a Windows-edited file: the fix removes the time mount and leaves every other line, CRLF included, as it was
    mount = "    - /etc/localtime:/etc/localtime:ro\n"
    compose = lab(tmp_path, COMPOSE.replace("    - media:/media\n", "    - media:/media\n" + mount))
    crlf = compose.read_bytes().replace(b"\n", b"\r\n")
    compose.write_bytes(crlf)
    code, out = invoke("--compose", str(compose), "compose.localtime", "--fix", "--yes")
    assert code == 0, out
    assert compose.read_bytes() == crlf.replace(mount.replace("\n", "\r\n").encode(), b"")


# --- a downloaded compose file with nothing running (QA finding 4) --------------------------------


def _doctor_with(engine: type, *args: str, env: dict | None = None):  # noqa: ANN202
    from authentik_lab.app import App

    probes: list[str] = []

    def no_probe(base_url: str, token: str | None, **kw: object):  # noqa: ANN202
        probes.append(base_url)
        raise AssertionError(f"doctor probed {base_url} on a guess")

    result = CliRunner().invoke(cli, ["doctor", *args], env=env, obj=App(engine_factory=engine, api_factory=no_probe))
    return result, probes


@pytest.mark.parametrize("version", ["2023.5.0", "2024.2.1", "2025.2.4", "2025.10.1", "2026.2.0", "2026.2.2", "2026.5.6"])
def test_a_downloaded_official_file_with_nothing_running_skips_runtime_and_http(tmp_path: Path, shared_authentik: Path, version: str) -> None:
    folder = tmp_path / "auth"
    folder.mkdir()
    compose = folder / "docker-compose.yml"
    compose.write_text((shared_authentik / f"docker-compose-{version}.yml").read_text())
    result, probes = _doctor_with(NothingRunsEngine, "--compose", str(compose), "--json")
    assert probes == []
    found = {c["id"]: c for c in json.loads(result.stdout)["data"]["checks"]}
    for cid, c in found.items():
        if cid.startswith(("runtime.", "http.", "provider.")):
            assert (c["status"], c["summary"]) == ("skip", "not running: no container of project auth"), cid
    assert {found[i]["status"] for i in ("compose.worker-root", "compose.docker-socket", "compose.public-ports")} == {"warn"}
    # no .env yet (the install docs make it next): env.required says so with the lines to create it, and compose
    # itself refuses the file (`${PG_PASS:?...}`), which compose.valid reports pointing at env.required
    bad = {k: c["status"] for k, c in found.items() if c["status"] in ("fail", "error")}
    assert bad == ({"env.required": "fail", "compose.valid": "fail"} if _has_compose() else {"env.required": "fail"})
    assert found["env.required"]["summary"].startswith(f"{folder / '.env'} does not exist, and {compose} needs PG_PASS (")
    assert found["env.required"]["fixable"]["kind"] == "env-create"
    assert result.exit_code == 1, result.stdout
    if _has_compose():
        valid = found["compose.valid"]
        assert re.fullmatch(r"compose refuses the configuration: error while interpolating services\.\w+\.environment\.\w+: "
                            r"required variable (PG_PASS|AUTHENTIK_SECRET_KEY) is missing a value: (database password|secret key) required",
                            valid["summary"]), valid["summary"]
        assert valid["messages"][0]["fix"] == f"{folder / '.env'} is missing or not a regular file: the cause env.required reports, whose fix applies here too"
    # the human form: warnings shown, the skipped checks folded into one line per reason
    human, _ = _doctor_with(NothingRunsEngine, "--compose", str(compose))
    assert human.exit_code == 1
    assert "[-] skipped 14 checks (runtime.*, http.*, provider.*): not running: no container of project auth" in human.stdout.splitlines()
    assert (f"[-] skipped 3 checks (env.secret-key-length, env.bootstrap, env.file-mode): no .env next to {compose} "
            "(see env.required)") in human.stdout.splitlines()


def test_the_official_file_with_its_documented_env_passes_without_bootstrap_values(tmp_path: Path, shared_authentik: Path) -> None:
    # the official install's .env has PG_PASS and AUTHENTIK_SECRET_KEY only; its initial-setup flow replaces the bootstrap values
    folder = tmp_path / "cmp"
    write_tree(folder, {"docker-compose.yml": (shared_authentik / "docker-compose-2024.2.1.yml").read_text(),
                        ".env": "PG_PASS=x\nAUTHENTIK_SECRET_KEY=" + "k" * 60 + "\n"})
    os.chmod(folder / ".env", 0o600)
    result, probes = _doctor_with(NothingRunsEngine, "--compose", str(folder / "docker-compose.yml"), "--json")
    assert result.exit_code == 0, result.stdout
    found = {c["id"]: c for c in json.loads(result.stdout)["data"]["checks"]}
    assert (found["env.bootstrap"]["status"], found["env.bootstrap"]["summary"]) == (
        "skip", f"AUTHENTIK_BOOTSTRAP_TOKEN, AUTHENTIK_BOOTSTRAP_PASSWORD not set in {folder / '.env'}; not needed now, as no check "
                "talks to the API (not running: no container of project cmp); once it runs, pass --token to check the API")
    assert {c["status"] for c in found.values()} <= {"ok", "warn", "skip"}
    assert probes == []


def test_with_url_a_not_running_compose_file_still_checks_that_server(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    compose = lab(tmp_path)
    from authentik_lab.app import App

    result = CliRunner().invoke(cli, ["doctor", "--compose", str(compose), "--url", f"http://127.0.0.1:{port}", "http.live",
                                      "runtime.containers", "--json"], obj=App(engine_factory=NothingRunsEngine))
    found = {c["id"]: c["status"] for c in json.loads(result.stdout)["data"]["checks"]}
    assert found == {"runtime.containers": "skip", "http.live": "fail"}


def test_doctor_honours_authlab_compose_file(tmp_path: Path) -> None:
    compose = lab(tmp_path)
    result, _ = _doctor_with(NothingRunsEngine, "compose.image-pinned", env={"AUTHLAB_COMPOSE_FILE": str(compose)})
    assert result.stdout.splitlines()[0] == "[✓] Authentik image pinned, server and worker on one tag: pinned to 2026.5.6"
    assert "AUTHLAB_COMPOSE_FILE" in CliRunner().invoke(cli, ["doctor", "--help"]).stdout


def test_without_a_lab_the_engine_is_still_checked_and_skips_fold_into_one_line_per_reason(tmp_path: Path) -> None:
    from authentik_lab.app import App

    result = CliRunner().invoke(cli, ["--dir", str(tmp_path / "none"), "doctor"], obj=App(engine_factory=NothingRunsEngine))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "[✓] Docker engine reachable: Docker 27.3.1",
        "[-] skipped 20 checks (compose.*, env.*, runtime.*): no lab here and no --compose FILE (run `authlab init`, or pass --compose FILE)",
        "[-] skipped 10 checks (http.*, provider.*): no Authentik URL (no lab here: pass --url and --token, or --compose FILE)",
        "[-] skipped 7 checks (app.*): no app env file (pass --app-env FILE, or run in the app's folder with .env / .env.local / .env.development)",
        "",
        "1 passed, 37 skipped",
    ]
    verbose = CliRunner().invoke(cli, ["--dir", str(tmp_path / "none"), "doctor", "-v"], obj=App(engine_factory=NothingRunsEngine))
    assert len([line for line in verbose.stdout.splitlines() if line.startswith("[-] ")]) == 37


def test_url_notes_say_how_the_given_url_was_normalised(standin: Standin) -> None:
    # the same canonical URL and notes as every other command that takes --url
    result = CliRunner().invoke(cli, ["doctor", "http.live", "--url", standin.url + "/api/v3/", "--token", standin.bootstrap_token])
    assert result.exit_code == 0, result.output
    assert "note: " in result.stderr and "/api/v3" in result.stderr
    assert f"{standin.url}/-/health/live/ answered 200" in result.stdout


def test_nextauth_v4_is_told_from_the_env_file_next_to_the_one_with_the_issuer(standin: Standin, tmp_path: Path) -> None:
    provider = make_provider(standin)
    write_tree(tmp_path, {".env": "NEXTAUTH_URL=http://localhost:3000\nNEXTAUTH_SECRET=abc\n",
                          ".env.local": f"AUTHENTIK_ID={provider['client_id']}\nAUTHENTIK_ISSUER={standin.url}/application/o/web/\n"})
    scanned = at(standin, "app.issuer-form")["app.issuer-form"]
    assert (scanned["status"], scanned["summary"]) == (
        "fail", ".env.local:2: AUTHENTIK_ISSUER: remove the trailing slash (NextAuth v4 appends /.well-known/openid-configuration itself)")
    # only .env.local checked: its neighbour .env still says which framework reads it
    given = at(standin, "app.issuer-form", "--app-env", str(tmp_path / ".env.local"))["app.issuer-form"]
    assert given["status"] == "fail" and given["fixable"]["changes"] == [f".env.local: AUTHENTIK_ISSUER={standin.url}/application/o/web"]
    # without any NEXTAUTH_* in the folder the form is unknown: a warning that asks for --preset, not a ✓
    (tmp_path / ".env").unlink()
    code, out = invoke("--url", standin.url, "--token", standin.bootstrap_token, "app.issuer-form")
    assert code == 0
    assert out.splitlines() == [
        "[!] Issuer form right for the framework: .env.local:2: AUTHENTIK_ISSUER: can't tell which framework reads AUTHENTIK_ISSUER, "
        "so its trailing-slash form is not checked (app.issuer-form)",
        f"    • .env.local:2: AUTHENTIK_ISSUER={standin.url}/application/o/web/",
        "      fix: pass --preset (e.g. --preset nextauth for NextAuth v4, --preset authjs for Auth.js v5)",
        "",
        "0 passed, 1 warning",
    ]


def test_jwks_url_of_a_missing_or_other_application_fails(standin: Standin, tmp_path: Path) -> None:
    make_provider(standin)
    make_provider(standin, "api")
    _write_env(tmp_path / ".env", {"OIDC_ISSUER": f"{standin.url}/application/o/web/", "OIDC_JWKS_URL": f"{standin.url}/application/o/nope/jwks/"})
    nope = at(standin, "app.jwks-url")["app.jwks-url"]
    assert (nope["status"], nope["summary"]) == ("fail", ".env:2: OIDC_JWKS_URL: no application with slug 'nope' (known: api, web); "
                                                         "this JWKS URL answers 404")
    assert nope["messages"][0]["fix"] == f"use {standin.url}/application/o/web/jwks/"
    _write_env(tmp_path / ".env", {"OIDC_ISSUER": f"{standin.url}/application/o/web/", "OIDC_JWKS_URL": f"{standin.url}/application/o/api/jwks/"})
    assert at(standin, "app.jwks-url")["app.jwks-url"]["status"] == "fail"
    _write_env(tmp_path / ".env", {"OIDC_ISSUER": f"{standin.url}/application/o/web/", "OIDC_JWKS_URL": f"{standin.url}/application/o/web/jwks/"})
    assert at(standin, "app.jwks-url")["app.jwks-url"]["status"] == "ok"


def test_preset_decides_the_issuer_form_over_variable_names(standin: Standin, tmp_path: Path) -> None:
    # NEXTAUTH_* names suggest v4 (no slash), but the user says the app is Auth.js v5, which needs the slash
    provider = make_provider(standin)
    env = _write_env(tmp_path / ".env.local", {
        "NEXTAUTH_URL": "http://localhost:3000",
        "AUTHENTIK_ISSUER": f"{standin.url}/application/o/web",
        "AUTHENTIK_ID": provider["client_id"],
    })
    guessed = at(standin, "app.issuer-form", "--app-env", str(env))["app.issuer-form"]["status"]
    told = at(standin, "app.issuer-form", "--app-env", str(env), "--preset", "authjs")["app.issuer-form"]["status"]
    assert (guessed, told) == ("ok", "fail")
    summary = at(standin, "app.issuer-form", "--app-env", str(env), "--preset", "authjs")["app.issuer-form"]["summary"]
    assert summary == ".env.local:2: AUTHENTIK_ISSUER: add the trailing slash (Auth.js v5 (next-auth@5 / @auth/core) compares `iss` exactly)"
