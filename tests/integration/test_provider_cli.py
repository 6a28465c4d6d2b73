"""`authlab provider ...` through the real CLI against the stand-in Authentik over HTTP.

Covers: create for every preset, an unchanged re-run with 0 writes (counted in the stand-in's request log),
update diffs, --dry-run, delete, list/show, the release dialects, input errors rejected before any request,
per-field API errors, a bad token, rollback of a half-made create, and --env-out merging.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any, Iterator

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.core.presets import PRESETS
from tests.standin.harness import Standin, start_standin

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
EMAIL_NOTE = ("Authentik 2026.5.6 (2025.10+) says email_verified false: apps that require verified emails refuse the login "
              "(oauth2-proxy: its env output sets OAUTH2_PROXY_INSECURE_OIDC_ALLOW_UNVERIFIED_EMAIL=true); --verified-email "
              "attaches a mapping that asserts it for the lab's test users")


@pytest.fixture(scope="module")
def server() -> Iterator[Standin]:
    s = start_standin(version="2026.5.6", worker_delay=0)
    try:
        s.wait_worker()
        yield s
    finally:
        s.stop()


@pytest.fixture(autouse=True)
def _point_at(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTHLAB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def cli_run(s: Standin, *args: str, token: str | None = None) -> Any:
    base = ["provider", *args, "--url", s.url, "--token", token or s.bootstrap_token]
    return CliRunner().invoke(cli, base)


def cli_json(s: Standin, *args: str, token: str | None = None) -> tuple[int, dict]:
    result = cli_run(s, *args, "--json", token=token)
    try:
        return result.exit_code, json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"not JSON (exit {result.exit_code}):\n{result.stdout}\n{result.stderr}") from None


def requests_since_clear(s: Standin) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(API requests, write requests) recorded since the last clear."""
    log = [(r["method"], r["path"]) for r in s.requests() if not r["path"].startswith("/_standin")]
    return [r for r in log if r[1].startswith("/api/v3/")], [r for r in log if r[0] in WRITE_METHODS]


def expected_view(s: Standin, data: dict, name: str, slug: str, preset: str, callback: str, issuer_form_value: str, scopes: list[str]) -> dict:
    base = s.url
    issuer = f"{base}/application/o/{slug}/"
    p = data["provider"]
    return {
        "name": name,
        "slug": slug,
        "provider_pk": p["provider_pk"],
        "client_id": p["client_id"],
        "client_secret": p["client_secret"],
        "client_type": "confidential",
        "redirect_uris": [{"matching_mode": "strict", "url": callback}],
        "issuer": issuer,
        "endpoints": {
            "issuer": issuer,
            "discovery": f"{issuer}.well-known/openid-configuration",
            "authorize": f"{base}/application/o/authorize/",
            "token": f"{base}/application/o/token/",
            "userinfo": f"{base}/application/o/userinfo/",
            "end_session": f"{issuer}end-session/",
            "jwks": f"{issuer}jwks/",
        },
        "scopes": ["openid", "email", "profile", "offline_access"],
        "offline_access": True,
        "signing_alg": "RS256",
        "preset": preset,
        "issuer_form": issuer_form_value,
        "issuer_for_preset": {"with-slash": issuer, "without-slash": issuer.rstrip("/"),
                              "discovery-url": f"{issuer}.well-known/openid-configuration"}[issuer_form_value],
        "app_scopes": scopes,
        "verified": p["verified"],
        "problems": [],
        # 2026.5.6 says email_verified false: said to the one framework that refuses such logins
        "release_notes": [EMAIL_NOTE] if preset == "oauth2-proxy" else [],
    }


# --- create for every preset ------------------------------------------------------------------------


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_create_every_preset(server: Standin, preset: str, tmp_path: Path) -> None:
    name, slug = f"app {preset}", f"app-{preset}"
    env_file = tmp_path / ".env.local"
    server.clear_requests()
    code, doc = cli_json(server, "create", name, "--preset", preset, "--env-out", str(env_file))
    assert code == 0, doc
    spec = PRESETS[preset]
    callback = spec.callback_url(spec.default_app_url)
    data = doc["data"]
    assert doc["authlab"] == 1 and doc["command"] == "provider create" and doc["ok"] is True
    assert {k: v for k, v in data.items() if k not in ("provider", "env", "requests")} == {
        "action": "created", "dry_run": False, "provider_action": "create", "application_action": "create",
        "url": server.url, "server_version": "2026.5.6", "name": name, "slug": slug, "changes": [], "notes": [], "retries": [],
    }
    assert data["provider"] == expected_view(server, data, name, slug, preset, callback, spec.issuer_form.value, list(spec.scopes))
    assert len(data["provider"]["verified"]) == 3  # issuer, offline_access, JWKS
    api_requests, writes = requests_since_clear(server)
    assert writes == [("POST", "/api/v3/providers/oauth2/"), ("POST", "/api/v3/core/applications/")]
    assert len(api_requests) <= 8
    # the secret is redacted everywhere, including --json
    secret = server.api("GET", f"/api/v3/providers/oauth2/{data['provider']['provider_pk']}/")[1]["client_secret"]
    assert secret not in json.dumps(doc) and data["provider"]["client_secret"] == f"{secret[:4]}…{secret[-4:]}"
    # the env file: exactly the preset's variables, mode 0600
    from authentik_lab.core import dotenv

    values = dotenv.parse(env_file.read_text())
    # oauth2-proxy refuses email_verified false (2025.10+) unless told to accept it
    assert list(values) == spec.env_names() + (["OAUTH2_PROXY_INSECURE_OIDC_ALLOW_UNVERIFIED_EMAIL"] if preset == "oauth2-proxy" else [])
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert secret in values.values()


# --- idempotency, update, dry run --------------------------------------------------------------------


def test_rerun_is_unchanged_with_zero_writes(server: Standin) -> None:
    assert cli_json(server, "create", "rerun", "--preset", "nextauth")[0] == 0
    server.clear_requests()
    result = cli_run(server, "create", "rerun", "--preset", "nextauth")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == f"unchanged: provider 'rerun' and application 'rerun' on {server.url} (Authentik 2026.5.6)"
    api_requests, writes = requests_since_clear(server)
    assert writes == []
    assert len(api_requests) <= 4, api_requests


def test_update_shows_the_diff_and_patches_only_managed_fields(server: Standin) -> None:
    assert cli_json(server, "create", "upd", "--preset", "nextauth")[0] == 0
    server.clear_requests()
    result = cli_run(server, "create", "upd", "--preset", "nextauth", "--no-offline-access", "--redirect-uri", "http://localhost:3000/extra")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        f"updated provider 'upd', application 'upd' unchanged on {server.url} (Authentik 2026.5.6)",
        "  ~ provider.redirect_uris: [http://localhost:3000/api/auth/callback/authentik (strict)] -> "
        "[http://localhost:3000/api/auth/callback/authentik (strict), http://localhost:3000/extra (strict)]",
        "  ~ provider.property_mappings: [openid, email, profile, offline_access] -> [openid, email, profile]",
    ]
    _, writes = requests_since_clear(server)
    assert [w[0] for w in writes] == ["PATCH"]
    # and the next identical run is a no-op again
    server.clear_requests()
    assert cli_json(server, "create", "upd", "--preset", "nextauth", "--no-offline-access", "--redirect-uri", "http://localhost:3000/extra")[1]["data"]["action"] == "unchanged"
    assert requests_since_clear(server)[1] == []


def test_dry_run_writes_nothing(server: Standin) -> None:
    server.clear_requests()
    code, doc = cli_json(server, "create", "dry", "--preset", "grafana", "--dry-run")
    assert code == 0, doc
    data = doc["data"]
    assert (data["action"], data["dry_run"], data["provider"], data["provider_action"], data["application_action"]) == (
        "created", True, None, "create", "create")
    assert requests_since_clear(server)[1] == []
    assert server.api("GET", "/api/v3/core/applications/dry/")[0] == 404
    human = cli_run(server, "create", "dry", "--preset", "grafana", "--dry-run")
    assert human.stdout.splitlines() == [
        f"dry run: would create provider 'dry', would create application 'dry' on {server.url} (Authentik 2026.5.6)",
        "nothing was changed (dry run)",
    ]


# --- list, show, delete ------------------------------------------------------------------------------


def test_list_show_delete(server: Standin) -> None:
    assert cli_json(server, "create", "lsd", "--preset", "spring", "--no-offline-access")[0] == 0
    code, doc = cli_json(server, "list")
    assert code == 0
    [row] = [r for r in doc["data"]["providers"] if r["name"] == "lsd"]
    assert row == {"name": "lsd", "pk": row["pk"], "application": "lsd", "client_id": row["client_id"],
                   "redirect_uris": ["http://localhost:8080/login/oauth2/code/authentik"], "offline_access": False, "signing_alg": "RS256"}
    code, shown = cli_json(server, "show", "lsd", "--preset", "spring")
    assert code == 0
    view = shown["data"]["provider"]
    assert (view["issuer"], view["issuer_for_preset"], view["offline_access"], view["problems"]) == (
        f"{server.url}/application/o/lsd/", f"{server.url}/application/o/lsd/", False, [])
    # non-interactive delete without --yes: refused, nothing deleted
    refused = cli_run(server, "delete", "lsd")
    assert refused.exit_code == 2 and "needs confirmation" in refused.stderr
    assert server.api("GET", "/api/v3/core/applications/lsd/")[0] == 200
    server.clear_requests()
    deleted = cli_run(server, "delete", "lsd", "--yes")
    assert deleted.exit_code == 0 and deleted.stdout.strip() == "deleted application 'lsd' and provider 'lsd'"
    assert [w for w in requests_since_clear(server)[1]] == [
        ("DELETE", "/api/v3/core/applications/lsd/"), ("DELETE", f"/api/v3/providers/oauth2/{row['pk']}/")]
    again = cli_run(server, "delete", "lsd", "--yes")
    assert again.exit_code == 0 and again.stdout.strip() == "nothing to delete: no provider named 'lsd'"
    missing = cli_run(server, "show", "lsd")
    assert missing.exit_code == 5 and f"error: no OAuth2 provider named 'lsd' at {server.url}" in missing.stderr
    assert "hint: `authlab provider list` shows the providers there" in missing.stderr


def test_list_never_breaks_a_redirect_uri_across_lines(server: Standin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    long_uri = "http://localhost:3000/api/auth/callback/authentik-with-a-rather-long-provider-id-segment"
    assert cli_json(server, "create", "wrap-me", "--preset", "generic", "--redirect-uri", long_uri)[0] == 0
    result = cli_run(server, "list")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["provider", "application", "offline_access", "signing"]
    i = next(n for n, line in enumerate(lines) if line.startswith("wrap-me "))
    assert lines[i].split() == ["wrap-me", "wrap-me", "yes", "RS256"]
    assert lines[i + 1] == f"  redirect URI  {long_uri}"  # whole, on its own line, although wider than 80 columns


@pytest.mark.parametrize("command", [["list"], ["show", "nope-x"], ["delete", "nope-x", "--yes"]])
def test_every_provider_command_says_how_it_normalised_the_url(server: Standin, command: list[str]) -> None:
    result = CliRunner().invoke(cli, ["provider", *command, "--url", server.url + "/api/v3/", "--token", server.bootstrap_token])
    assert "note: removed the /api/v3 suffix (authlab adds API paths itself)" in result.stderr.splitlines()
    slash = CliRunner().invoke(cli, ["provider", *command, "--url", server.url + "/", "--token", server.bootstrap_token])
    assert "note: removed the trailing slash" in slash.stderr.splitlines()
    plain = CliRunner().invoke(cli, ["provider", *command, "--url", server.url, "--token", server.bootstrap_token])
    assert "note:" not in plain.stderr


def test_a_loopback_alias_of_the_lab_is_flagged(server: Standin, tmp_path: Path) -> None:
    # a lab on the stand-in's port: its URL is http://localhost:PORT, the stand-in answers on 127.0.0.1 too
    from authentik_lab.services.lab import init_lab

    port = int(server.url.rsplit(":", 1)[1])
    init_lab(tmp_path / ".authlab", http_port=port)  # AUTHLAB_DIR (tests/conftest.py)
    given = f"http://127.0.0.1:{port}"
    result = CliRunner().invoke(cli, ["provider", "list", "--url", given, "--token", server.bootstrap_token])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(
        f"note: {given} reaches the lab as '127.0.0.1', but the browser uses http://localhost:{port}, so the issuer (iss) will differ"
    )


# --- errors ------------------------------------------------------------------------------------------

BAD_INPUT = [
    # each message names the option as the user typed it
    (["create", "x", "--preset", "nextauth", "--redirect-uri", "/relative"], "--redirect-uri '/relative' is not an absolute http(s) URL"),
    (["create", "x", "--preset", "nextauth", "--app-url", "localhost:3000"], "--app-url 'localhost:3000' is not an absolute http(s) URL"),
    (["create", "x", "--app-url", "http://localhost:3000/?a=1"], "--app-url 'http://localhost:3000/?a=1' must not have a query"),
    (["create", "x", "--redirect-uri", "http://localhost:3000/cb#frag"], "--redirect-uri 'http://localhost:3000/cb#frag' has a fragment"),
    (["create", "x", "--redirect-uri", "http://localhost:3000/callback/.*"], "--redirect-uri 'http://localhost:3000/callback/.*' contains regex characters"),
    (["create", "x", "--regex", "--redirect-uri", "http://localhost:3000/(oops"], "--redirect-uri 'http://localhost:3000/(oops' is not a valid regular expression"),
    (["create", "x", "--preset", "next-auth"], "--preset 'next-auth' is not a preset"),
    (["create", "x", "--slug", "no spaces!"], "--slug 'no spaces!' would be refused by Authentik"),
    (["create", "x", "--consent", "sometimes"], "--consent 'sometimes' is not a consent mode"),
    (["create", "x", "--sub-mode", "email"], "--sub-mode 'email' is not a subject mode"),
    (["create", "x", "--preset", "nextauth", "--provider-id", "a b"], "--provider-id 'a b' is not usable in a URL path"),
    (["create", "x", "--client-id", "has space"], "--client-id 'has space' must be 1-255 printable characters"),
    (["show", "x", "--preset", "nope"], "--preset 'nope' is not a preset"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT)
def test_bad_input_is_rejected_before_any_request(server: Standin, args: list[str], message: str) -> None:
    server.clear_requests()
    result = cli_run(server, *args)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith(f"error: {message}") and "hint:" in result.stderr
    assert requests_since_clear(server) == ([], [])
    assert server.requests() == []


def test_api_field_errors_are_shown_per_field(server: Standin) -> None:
    assert cli_json(server, "create", "fe-a", "--client-id", "shared-id")[0] == 0
    result = cli_run(server, "create", "fe-b", "--client-id", "shared-id")
    assert result.exit_code == 5
    assert result.stderr.splitlines() == [
        "error: POST /api/v3/providers/oauth2/: Authentik rejected the request",
        "  • client_id: OAuth2/OpenID Provider with this Client ID already exists.",
    ]
    code, doc = cli_json(server, "create", "fe-b", "--client-id", "shared-id")
    assert code == 5 and doc["error"]["field_errors"] == [{"field": "client_id", "message": "OAuth2/OpenID Provider with this Client ID already exists."}]


def test_bad_token_says_so(server: Standin) -> None:
    server.clear_requests()
    result = cli_run(server, "create", "tok", token="not-the-token")
    assert result.exit_code == 5
    assert result.stderr.splitlines()[0] == "error: GET /api/v3/admin/version/: 403 Token invalid/expired"
    assert "hint: the API token is wrong, expired or lacks permission" in result.stderr
    assert requests_since_clear(server)[1] == []


def test_a_taken_slug_is_refused_before_any_write(server: Standin) -> None:
    assert cli_json(server, "create", "first-owner", "--slug", "taken-early")[0] == 0
    server.clear_requests()
    result = cli_run(server, "create", "second", "--slug", "taken-early")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith("error: application slug 'taken-early' is already used by another application")
    assert requests_since_clear(server)[1] == []


def test_failed_application_create_rolls_the_provider_back(server: Standin, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a first run (nothing remembered) skips the application lookup to save a request; when the slug turns
    # out to be taken, the provider POST has succeeded and the application POST fails: roll back
    assert cli_json(server, "create", "owner", "--slug", "taken")[0] == 0
    monkeypatch.setenv("AUTHLAB_CACHE_DIR", str(tmp_path / "fresh-cache"))
    server.clear_requests()
    result = cli_run(server, "create", "intruder", "--slug", "taken")
    assert result.exit_code == 5
    message = " ".join(result.stderr.split())  # the console wraps long lines
    assert message.startswith(
        "error: creating application 'taken' failed: POST /api/v3/core/applications/: Authentik rejected the request; "
        "the provider 'intruder' created a moment ago was deleted again, so nothing was left behind"
    )
    assert "• slug: Application with this slug already exists." in message
    writes = requests_since_clear(server)[1]
    assert [w[0] for w in writes] == ["POST", "POST", "DELETE"]
    names = [p["name"] for p in server.api("GET", "/api/v3/providers/oauth2/?page_size=100")[1]["results"]]
    assert "intruder" not in names and "owner" in names


def test_env_out_merges_and_keeps_the_users_lines(server: Standin, tmp_path: Path) -> None:
    env_file = tmp_path / ".env.local"
    env_file.write_text("# my app settings\nDATABASE_URL=postgres://db/app\nAUTHENTIK_ISSUER=http://old\n\n# keep me\nNEXTAUTH_SECRET=mine\n")
    env_file.chmod(0o644)
    code, doc = cli_json(server, "create", "envy", "--preset", "nextauth", "--env-out", str(env_file))
    assert code == 0, doc
    lines = env_file.read_text().splitlines()
    assert lines[:6] == ["# my app settings", "DATABASE_URL=postgres://db/app", f"AUTHENTIK_ISSUER={server.url}/application/o/envy",
                         "", "# keep me", "NEXTAUTH_SECRET=mine"]
    assert [line.split("=", 1)[0] for line in lines[6:]] == ["AUTHENTIK_ID", "AUTHENTIK_SECRET", "NEXTAUTH_URL", "AUTHENTIK_TOKEN_URL"]
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    env = doc["data"]["env"]
    assert (env["added"], env["changed"], env["unchanged"]) == (
        ["AUTHENTIK_ID", "AUTHENTIK_SECRET", "NEXTAUTH_URL", "AUTHENTIK_TOKEN_URL"], ["AUTHENTIK_ISSUER"], ["NEXTAUTH_SECRET"])


def test_env_out_keeps_crlf_line_endings(server: Standin, tmp_path: Path) -> None:
    env_file = tmp_path / ".env.local"
    env_file.write_bytes(b"# my app\r\nAUTHENTIK_ISSUER=http://old\r\n")
    code, doc = cli_json(server, "create", "crlf", "--preset", "nextauth", "--env-out", str(env_file))
    assert code == 0, doc
    data = env_file.read_bytes()
    assert data.startswith(f"# my app\r\nAUTHENTIK_ISSUER={server.url}/application/o/crlf\r\n".encode())
    assert data.count(b"\n") == data.count(b"\r\n") == 7  # the two lines kept, five added, all CRLF


def test_url_is_normalised_and_the_change_is_noted(server: Standin) -> None:
    result = CliRunner().invoke(cli, ["provider", "create", "norm", "--url", server.url + "/api/v3/", "--token", server.bootstrap_token])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == ["note: removed the /api/v3 suffix (authlab adds API paths itself)"]
    rows = [line.split() for line in result.stdout.splitlines() if line.startswith("  issuer ")]
    assert rows == [
        ["issuer", f"{server.url}/application/o/norm/", "(exactly", "as", "Authentik", "emits", "it)"],
        ["issuer", "for", "generic", f"{server.url}/application/o/norm/", "(with-slash)"],
    ]


# --- release dialects --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "mapping_path", "redirect_form", "invalidation"),
    [
        ("2024.2.0", "/api/v3/propertymappings/scope/", str, False),
        ("2024.6.0", "/api/v3/propertymappings/scope/", str, False),
        ("2024.10.0", "/api/v3/propertymappings/provider/scope/", str, True),
        ("2026.5.6", "/api/v3/propertymappings/provider/scope/", list, True),
    ],
)
def test_each_dialect(version: str, mapping_path: str, redirect_form: type, invalidation: bool) -> None:
    s = start_standin(version=version, worker_delay=0)
    try:
        s.wait_worker()
        s.clear_requests()
        code, doc = cli_json(s, "create", "dialect", "--preset", "authjs", "--redirect-uri", "http://localhost:3000/cb?x=1")
        assert code == 0, doc
        assert doc["data"]["server_version"] == version
        api_requests, writes = requests_since_clear(s)
        assert ("GET", mapping_path) in api_requests
        provider = s.api("GET", f"/api/v3/providers/oauth2/{doc['data']['provider']['provider_pk']}/")[1]
        assert isinstance(provider["redirect_uris"], redirect_form)
        assert ("invalidation_flow" in provider and provider["invalidation_flow"] is not None) == invalidation
        assert doc["data"]["provider"]["verified"] and doc["data"]["provider"]["problems"] == []
        s.clear_requests()
        assert cli_json(s, "create", "dialect", "--preset", "authjs", "--redirect-uri", "http://localhost:3000/cb?x=1")[1]["data"]["action"] == "unchanged"
        assert requests_since_clear(s)[1] == []
    finally:
        s.stop()


def test_releases_before_2024_2_are_refused() -> None:
    s = start_standin(version="2023.10.7", worker_delay=0)
    try:
        s.wait_worker()
        result = cli_run(s, "create", "old")
        assert result.exit_code == 1
        assert result.stderr.splitlines()[0] == "error: Authentik 2023.10.7 is older than 2024.2, the oldest release authlab supports"
    finally:
        s.stop()


def test_public_client_has_no_secret_anywhere(server: Standin, tmp_path: Path) -> None:
    env_file = tmp_path / "pub.env"
    code, doc = cli_json(server, "create", "pub", "--preset", "authjs", "--public", "--env-out", str(env_file))
    assert code == 0, doc
    assert (doc["data"]["provider"]["client_type"], doc["data"]["provider"]["client_secret"]) == ("public", "")
    from authentik_lab.core import dotenv

    assert list(dotenv.parse(env_file.read_text())) == ["AUTH_AUTHENTIK_ID", "AUTH_AUTHENTIK_ISSUER", "AUTH_SECRET"]


def test_a_missing_builtin_object_is_explained_and_nothing_is_written() -> None:
    s = start_standin(version="2026.5.6", worker_delay=0)
    try:
        s.wait_worker()
        s.fault(delete_flow="default-provider-invalidation-flow")
        s.clear_requests()
        result = cli_run(s, "create", "early")
        assert result.exit_code == 1
        message = " ".join(result.stderr.split())
        assert message.startswith("error: Authentik has no flow 'default-provider-invalidation-flow' hint: the default flows")
        assert requests_since_clear(s)[1] == []
    finally:
        s.stop()


def test_show_secret_prints_it_only_when_asked(server: Standin) -> None:
    code, doc = cli_json(server, "create", "sec", "--show-secret")
    assert code == 0
    secret = server.api("GET", f"/api/v3/providers/oauth2/{doc['data']['provider']['provider_pk']}/")[1]["client_secret"]
    assert doc["data"]["provider"]["client_secret"] == secret and len(secret) == 128
    human = cli_run(server, "show", "sec")
    assert secret not in human.stdout and f"{secret[:4]}…{secret[-4:]}   (--show-secret prints it)" in human.stdout
    assert secret in cli_run(server, "show", "sec", "--show-secret").stdout


def test_consent_switch_names_both_flows(server: Standin) -> None:
    assert cli_json(server, "create", "consent", "--preset", "oauth2-proxy")[0] == 0
    result = cli_run(server, "create", "consent", "--preset", "oauth2-proxy", "--consent", "explicit")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1] == (
        "  ~ provider.authorization_flow: default-provider-authorization-implicit-consent -> default-provider-authorization-explicit-consent"
    )


def test_delete_never_trusts_the_cached_application_list(server: Standin) -> None:
    assert cli_json(server, "create", "cache-a")[0] == 0
    assert cli_json(server, "create", "cache-b")[0] == 0
    # another client (same user) lists ?slug=cache-b: Authentik caches that page for the user, and
    # then answers ?slug=cache-a with it (capture 044); a list-based lookup would delete cache-b
    assert [a["slug"] for a in server.api("GET", "/api/v3/core/applications/?slug=cache-b")[1]["results"]] == ["cache-b"]
    assert [a["slug"] for a in server.api("GET", "/api/v3/core/applications/?slug=cache-a")[1]["results"]] == ["cache-b"]
    deleted = cli_run(server, "delete", "cache-a", "--yes")
    assert deleted.exit_code == 0 and deleted.stdout.strip() == "deleted application 'cache-a' and provider 'cache-a'"
    assert server.api("GET", "/api/v3/core/applications/cache-a/")[0] == 404
    assert server.api("GET", "/api/v3/core/applications/cache-b/")[0] == 200


def test_create_into_a_closed_pipe_ends_quietly_with_141_after_doing_its_work(server: Standin, tmp_path: Path) -> None:
    """`authlab provider create ... | head -1`: the reader leaves early; the provider is made, the exit is 141."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([sys.executable, "-m", "authentik_lab", "provider", "create", "piped", "--preset", "nextauth",
                               "--url", server.url, "--token", server.bootstrap_token],
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=120, cwd=tmp_path)
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr and "error" not in proc.stderr
    code, doc = cli_json(server, "show", "piped")
    assert (code, doc["data"]["provider"]["name"]) == (0, "piped")
