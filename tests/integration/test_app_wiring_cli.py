"""The app's own env names, end to end: fixture apps in several styles per framework, the real CLI, the stand-in.

For each app: the preset inferred from its dependencies, the names `provider create --env-out` writes (and what it
says about where each was read), and doctor's `app.code-env` verdict before (no env file) and after.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.core import dotenv
from authentik_lab.core.app_source import facts
from authentik_lab.core.presets import PRESETS, expand_env_name
from authentik_lab.core.urls import issuer_in_form
from tests.conftest import write_tree
from tests.integration.app_fixtures import APPS, NEXTAUTH_TUTORIAL, App
from tests.standin.harness import Standin, start_standin


@pytest.fixture(scope="module")
def server() -> Iterator[Standin]:
    s = start_standin(version="2026.5.6", worker_delay=0)
    try:
        s.wait_worker()
        yield s
    finally:
        s.stop()


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def create(s: Standin, *args: str) -> Any:
    return CliRunner().invoke(cli, ["provider", "create", *args, "--url", s.url, "--token", s.bootstrap_token])


def create_json(s: Standin, *args: str) -> dict:
    result = create(s, *args, "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    return json.loads(result.stdout)["data"]


def code_env_check(s: Standin, app_dir: Path, *env_files: Path) -> dict:
    args = ["doctor", "app.code-env", "--url", s.url, "--token", s.bootstrap_token, "--app-dir", str(app_dir), "--json"]
    for f in env_files:
        args += ["--app-env", str(f)]
    result = CliRunner().invoke(cli, args)
    doc = json.loads(result.stdout)
    (check,) = doc["data"]["checks"]
    assert result.exit_code == (1 if check["status"] == "fail" else 0)
    return check


def expected_value(role: str, app: App, data: dict) -> str:
    ep, preset = data["provider"]["endpoints"], PRESETS[app.preset]
    return {
        facts.CLIENT_ID: data["provider"]["client_id"],
        facts.CLIENT_SECRET: data["provider"]["client_secret"],
        facts.ISSUER: issuer_in_form(ep["issuer"], preset.issuer_form),
        facts.TOKEN_URL: ep["token"],
        facts.JWKS_URL: ep["jwks"],
        facts.CALLBACK_BASE: preset.default_app_url,
    }[role]


@pytest.mark.parametrize("app", APPS, ids=[a.id for a in APPS])
def test_env_out_writes_the_names_the_code_reads_and_doctor_agrees(server: Standin, tmp_path: Path, app: App) -> None:
    app_dir = tmp_path / "app"
    write_tree(app_dir, app.files)
    env_file = app_dir / ".env.local"

    before = code_env_check(server, app_dir)
    assert before["status"] == "fail"
    fails = [m["text"] for m in before["messages"] if m["level"] == "fail" or "is not defined" in m["text"]]
    expected = set(app.names.values())
    assert sorted(next(t for t in text.split() if t in expected) for text in fails) == sorted(expected)

    data = create_json(server, app.id, "--app-dir", str(app_dir), "--env-out", str(env_file), "--show-secret")
    assert data["notes"][0].startswith(f"preset {app.preset} inferred from ")
    written = dotenv.parse(env_file.read_text())
    assert {name: written[name] for name in app.names.values()} == {
        name: expected_value(role, app, data) for role, name in app.names.items()}
    # the preset's own names for roles the code reads differently are not written
    preset = PRESETS[app.preset]
    for var in preset.env:
        role = facts.SOURCE_ROLES.get(var.source)
        name = expand_env_name(var.name, preset.default_provider_id)
        if role is not None and app.names.get(role) != name:
            assert name not in written, f"{name} written although the code reads {app.names.get(role)}"
    for name, origin in app.where.items():
        assert data["env"]["origins"][name] == origin

    after = code_env_check(server, app_dir, env_file)
    assert (after["status"], after["messages"][:1]) == ("ok", [m for m in after["messages"][:1] if m["level"] == "info"])


def test_the_tutorial_app_human_output_names_where_each_variable_is_read(server: Standin, tmp_path: Path) -> None:
    app_dir = tmp_path / "web"
    write_tree(app_dir, NEXTAUTH_TUTORIAL.files)
    result = create(server, "tutorial-human", "--app-dir", str(app_dir), "--env-out", str(app_dir / ".env.local"))
    assert result.exit_code == 0, result.stderr
    assert "note: preset nextauth inferred from next-auth ^4.24.5 in package.json (--preset chooses another)" in result.stderr
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith(("wrote ", "kept "))]
    assert lines == [
        "wrote AUTHENTIK_CLIENT_ID (read in pages/api/auth/[...nextauth].ts:15)",
        "wrote AUTHENTIK_CLIENT_SECRET (read in pages/api/auth/[...nextauth].ts:16)",
        "wrote AUTHENTIK_ISSUER (read in pages/api/auth/[...nextauth].ts:17)",
        "wrote NEXTAUTH_URL (next-auth v4 reads it)",
        "wrote AUTHENTIK_TOKEN (read in pages/api/auth/[...nextauth].ts:5)",
    ]  # in the preset's order
    again = create(server, "tutorial-human", "--app-dir", str(app_dir), "--env-out", str(app_dir / ".env.local"))
    assert "kept AUTHENTIK_CLIENT_ID (read in pages/api/auth/[...nextauth].ts:15)" in again.stdout


def test_the_tutorial_app_with_the_docs_names_fails_and_names_each_twin(server: Standin, tmp_path: Path) -> None:
    """Today's behaviour (the preset's names) against the tutorial's code: doctor says what to add and what is unread.
    The provider is the one whose client id the env file holds (the stand-in has many by now)."""
    app_dir, empty = tmp_path / "web", tmp_path / "empty"
    write_tree(app_dir, NEXTAUTH_TUTORIAL.files)
    empty.mkdir()
    env_file = app_dir / ".env.local"
    data = create_json(server, "tutorial-docs", "--preset", "nextauth", "--app-dir", str(empty), "--env-out", str(env_file))
    assert list(dotenv.parse(env_file.read_text())) == PRESETS["nextauth"].env_names()
    check = code_env_check(server, app_dir, env_file)
    assert check["status"] == "fail"
    by_text = {m["text"]: m["fix"] for m in check["messages"] if m["level"] in ("fail", "warn")}
    env = "web/.env.local"  # as doctor shows it: relative to the current folder
    client_id = data["provider"]["client_id"]
    assert by_text == {
        "pages/api/auth/[...nextauth].ts:15: reads AUTHENTIK_CLIENT_ID (client_id), which no env file defines":
            f"add AUTHENTIK_CLIENT_ID={client_id} to {env}",
        "pages/api/auth/[...nextauth].ts:16: reads AUTHENTIK_CLIENT_SECRET (client_secret), which no env file defines":
            "add AUTHENTIK_CLIENT_SECRET=<client secret: `authlab provider show tutorial-docs --show-secret`> to " + env,
        "pages/api/auth/[...nextauth].ts:5: reads AUTHENTIK_TOKEN (token_url), which no env file defines":
            f"add AUTHENTIK_TOKEN={server.url}/application/o/token/ to {env}",
        f"{env}:1: AUTHENTIK_ID is defined but no code reads it": "rename it to AUTHENTIK_CLIENT_ID (read in pages/api/auth/[...nextauth].ts:15)",
        f"{env}:2: AUTHENTIK_SECRET is defined but no code reads it": "rename it to AUTHENTIK_CLIENT_SECRET (read in pages/api/auth/[...nextauth].ts:16)",
        f"{env}:6: AUTHENTIK_TOKEN_URL is defined but no code reads it": "rename it to AUTHENTIK_TOKEN (read in pages/api/auth/[...nextauth].ts:5)",
    }
    assert client_id not in json.dumps([m for m in check["messages"] if "SECRET" in m["text"]])


def test_an_unparseable_source_falls_back_to_the_preset_names_with_a_note(server: Standin, tmp_path: Path) -> None:
    app_dir = tmp_path / "broken"
    write_tree(app_dir, {"package.json": NEXTAUTH_TUTORIAL.files["package.json"],
                         "pages/api/auth/[...nextauth].ts": "export default NextAuth({\n  providers: [AuthentikProvider({ clientId: process.env.X,\n"})
    env_file = app_dir / ".env.local"
    data = create_json(server, "broken-src", "--app-dir", str(app_dir), "--env-out", str(env_file))
    assert list(dotenv.parse(env_file.read_text())) == PRESETS["nextauth"].env_names()
    # tree-sitter places the error where the unclosed call starts
    assert data["notes"][1] == "pages/api/auth/[...nextauth].ts:1: does not parse (syntax error near line 1); the variables it reads are not known"


def test_two_names_for_one_role_are_ambiguous_keep_the_preset_name_and_say_how_to_choose(server: Standin, tmp_path: Path) -> None:
    app_dir = tmp_path / "two"
    provider = 'import A from "next-auth/providers/authentik";\nexport const p = A({ clientId: process.env.%s, issuer: process.env.AK_ISSUER });\n'
    write_tree(app_dir, {"package.json": NEXTAUTH_TUTORIAL.files["package.json"], "a.ts": provider % "AUTHENTIK_WEB_ID",
                         "b.ts": provider % "AUTHENTIK_ADMIN_ID"})
    env_file = app_dir / ".env"
    data = create_json(server, "ambiguous", "--app-dir", str(app_dir), "--env-out", str(env_file))
    written = dotenv.parse(env_file.read_text())
    assert ("AUTHENTIK_ID" in written, "AK_ISSUER" in written, "AUTHENTIK_WEB_ID" in written) == (True, True, False)
    assert ("ambiguous client_id: the code reads AUTHENTIK_WEB_ID (a.ts:2), AUTHENTIK_ADMIN_ID (b.ts:2); keeping the preset's "
            "name (choose with --env-name client_id=AUTHENTIK_WEB_ID)") in data["notes"]
    chosen = create_json(server, "ambiguous", "--app-dir", str(app_dir), "--env-out", str(env_file), "--env-name", "client_id=AUTHENTIK_ADMIN_ID")
    assert dotenv.parse(env_file.read_text())["AUTHENTIK_ADMIN_ID"] == chosen["provider"]["client_id"]
    assert chosen["env"]["origins"]["AUTHENTIK_ADMIN_ID"] == "--env-name"


def test_an_explicit_preset_wins_over_the_inferred_one(server: Standin, tmp_path: Path) -> None:
    app_dir = tmp_path / "web"
    write_tree(app_dir, NEXTAUTH_TUTORIAL.files)
    data = create_json(server, "explicit", "--preset", "generic", "--app-dir", str(app_dir), "--env-out", str(app_dir / ".env"))
    assert not any("inferred" in n for n in data["notes"])
    assert data["provider"]["redirect_uris"] == [{"matching_mode": "strict", "url": "http://localhost:3000/callback"}]
    assert "AUTHENTIK_CLIENT_ID" in dotenv.parse((app_dir / ".env").read_text())


@pytest.mark.parametrize(("args", "message"), [
    (["--env-name", "clientid=X"], "--env-name 'clientid=X': unknown role 'clientid'; roles: client_id, client_secret, issuer, token_url, jwks_url, callback_base"),
    (["--env-name", "client_id=1BAD"], "--env-name 'client_id=1BAD': '1BAD' is not an environment variable name"),
    (["--env-name", "client_id"], "--env-name 'client_id': expected ROLE=NAME, got 'client_id'"),
    (["--app-dir", "nowhere"], "--app-dir nowhere: not a folder"),
])
def test_bad_env_name_or_app_dir_is_exit_2_before_any_request(server: Standin, tmp_path: Path, args: list[str], message: str) -> None:
    server.clear_requests()
    result = create(server, "bad-input", *args, "--env-out", str(tmp_path / ".env"))
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0].startswith(f"error: {message}")
    assert not (tmp_path / ".env").exists()
    assert [r for r in server.requests() if r["path"].startswith("/api/")] == []
