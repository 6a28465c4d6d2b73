"""Choosing one name per role (core.app_source.wiring), inferring the preset (presets) and reading dependencies."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from authentik_lab.adapters.app_source.scan import dependencies, scan, source_files
from authentik_lab.core.app_source.model import Dependencies, EnvRead, ProviderUse, ScanResult
from authentik_lab.core.app_source.presets import infer_preset, major
from authentik_lab.core.app_source.wiring import apply_names, parse_env_name_option, resolve
from authentik_lab.core.presets import PRESETS
from tests.conftest import write_tree


def read(name: str, role: str | None, file: str = "auth.ts", line: int = 1, in_provider: bool = False, auth_file: bool = True) -> EnvRead:
    return EnvRead(name, file, line, 1, "process.env", role, "option", in_provider, auth_file)


def test_the_strongest_evidence_wins_and_overrides_beat_everything() -> None:
    result = scan_of(read("GITHUB_ID", "client_id"), read("AUTHENTIK_CLIENT_ID", "client_id", line=7, in_provider=True))
    wiring = resolve(result, PRESETS["nextauth"])
    assert {r: (c.name, c.origin) for r, c in wiring.names.items()} == {
        "client_id": ("AUTHENTIK_CLIENT_ID", "read in auth.ts:7"), "callback_base": ("NEXTAUTH_URL", "next-auth v4 reads it")}
    forced = resolve(result, PRESETS["nextauth"], {"client_id": ("MINE", "--env-name")})
    assert (forced.names["client_id"].name, forced.names["client_id"].origin) == ("MINE", "--env-name")


def test_reads_without_any_oidc_sign_are_not_wiring() -> None:
    wiring = resolve(scan_of(read("STRIPE_CLIENT_ID", "client_id", auth_file=False)), PRESETS["generic"])
    assert (dict(wiring.names), wiring.from_code) == ({}, False)


def test_equal_evidence_for_two_names_is_ambiguous_and_keeps_the_preset_name() -> None:
    wiring = resolve(scan_of(read("OIDC_A_ID", "client_id", "a.ts", 3), read("OIDC_B_ID", "client_id", "b.ts", 4),
                             read("OIDC_ISS", "issuer")), PRESETS["generic"])
    assert wiring.notes == ("ambiguous client_id: the code reads OIDC_A_ID (a.ts:3), OIDC_B_ID (b.ts:4); keeping the preset's "
                            "name (choose with --env-name client_id=OIDC_A_ID)",)
    preset, dropped = apply_names(PRESETS["generic"], wiring)
    names = [v.name for v in preset.env]
    assert ("OIDC_CLIENT_ID" in names, "OIDC_ISS" in names, "OIDC_ISSUER" in names) == (True, True, False)
    assert dropped == ("OIDC_CLIENT_SECRET", "OIDC_TOKEN_URL", "OIDC_JWKS_URL")


def test_authjs_infers_names_from_the_provider_id_for_the_options_left_out() -> None:
    result = ScanResult("app", providers=(ProviderUse("auth.ts", 5, "next-auth/providers/authentik", frozenset({"id", "clientSecret"}), "corp-sso"),))
    wiring = resolve(result, PRESETS["authjs"])
    assert {r: c.name for r, c in wiring.names.items()} == {"client_id": "AUTH_CORP_SSO_ID", "issuer": "AUTH_CORP_SSO_ISSUER"}
    unknown = resolve(ScanResult("app", providers=(ProviderUse("auth.ts", 5, "m", None),)), PRESETS["authjs"])
    assert unknown.names == {} and "auth.ts:5: the Authentik provider's options are not literal" in unknown.notes[0]
    assert resolve(result, PRESETS["nextauth"]).names.keys() == {"callback_base"}  # v4 infers no client names
    assert wiring.notes == ("auth.ts:5: the Authentik provider's id is 'corp-sso', so its callback path ends in /corp-sso; "
                            "pass --provider-id corp-sso for a matching redirect URI",)
    assert resolve(result, PRESETS["authjs"], provider_id="corp-sso").notes == ()


def test_a_role_the_preset_lacks_is_added_with_its_value_source() -> None:
    wiring = resolve(scan_of(read("AUTHENTIK_JWKS", "jwks_url")), PRESETS["nextauth"])
    preset, _ = apply_names(PRESETS["nextauth"], wiring)
    assert [(v.name, v.source.value) for v in preset.env if v.name == "AUTHENTIK_JWKS"] == [("AUTHENTIK_JWKS", "jwks")]


@pytest.mark.parametrize(("value", "expected"), [
    ("client_id=MY_ID", ("client_id", "MY_ID")), ("Client-Secret = S", ("client_secret", "S")),
    ("issuer", ValueError), ("role=X", ValueError), ("jwks_url=9X", ValueError), ("token_url=A-B", ValueError),
])
def test_env_name_options(value: str, expected: object) -> None:
    if expected is ValueError:
        with pytest.raises(ValueError):
            parse_env_name_option(value)
    else:
        assert parse_env_name_option(value) == expected


@pytest.mark.parametrize(("npm", "python", "preset"), [
    ({"next-auth": "^4.24.5"}, set(), "nextauth"),
    ({"next-auth": "5.0.0-beta.25"}, set(), "authjs"),
    ({"next-auth": "beta"}, set(), "authjs"),
    ({"@auth/nextjs": "0.1"}, set(), "authjs"),
    ({"@auth/sveltekit": "^1", "@auth/core": "0.37"}, set(), "sveltekit"),
    ({"hono": "^4", "@hono/oidc-auth": "^1"}, set(), "hono"),
    ({"hono": "^4"}, set(), None),
    ({}, {"django-allauth"}, "django-allauth"),
    ({"next-auth": "latest"}, set(), None),
    ({"next-auth": "^4", "hono": "4", "jose": "5"}, set(), None),
])
def test_preset_inference(npm: dict, python: set, preset: str | None) -> None:
    assert infer_preset(Dependencies(npm, frozenset(python), ("package.json",))).preset == preset


def test_an_installed_next_auth_decides_a_vague_range() -> None:
    deps = Dependencies({"next-auth": "latest"}, frozenset(), ("package.json",), {"next-auth": "4.24.7"})
    assert infer_preset(deps).reason == "next-auth 4.24.7 (installed) in package.json"
    assert (major("~5.0.0"), major(">=4 <5"), major("v4"), major("*")) == (5, 4, 4, None)


def test_dependency_files_are_read_and_bad_ones_count_as_absent(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "package.json": json.dumps({"dependencies": {"next-auth": "^4"}, "devDependencies": {"jose": "5"}}),
        "node_modules/next-auth/package.json": '{"version": "4.24.7"}',
        "requirements.txt": "-r base.txt\nDjango_AllAuth[socialaccount]>=65 ; python_version > '3.9'\nnot a valid ! requirement\n",
        "pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\nAuthlib = "^1.3"\n',
    })
    deps = dependencies(tmp_path)
    assert (deps.npm, deps.installed, deps.python, deps.files) == (
        {"next-auth": "^4", "jose": "5"}, {"next-auth": "4.24.7"}, frozenset({"django-allauth", "authlib"}),
        ("package.json", "requirements.txt", "pyproject.toml"))
    (tmp_path / "package.json").write_text("{not json")
    assert dependencies(tmp_path).npm == {}


def test_the_walk_skips_dependency_and_build_folders_and_hidden_ones(tmp_path: Path) -> None:
    write_tree(tmp_path, {name: "x\n" for name in (
        "src/a.ts", "src/b.d.ts", "lib/c.py", "node_modules/x/index.js", ".next/server/page.js", ".venv/lib/site.py",
        "dist/bundle.js", "public/app.min.js", "src/deep/er/d.mjs", "README.md")})
    files, notes = source_files(tmp_path)
    assert ([rel for _, rel, _ in files], notes) == (["lib/c.py", "src/a.ts", "src/deep/er/d.mjs"], [])


def test_a_scan_notes_each_unparseable_file_and_keeps_the_others(tmp_path: Path) -> None:
    write_tree(tmp_path, {"ok.ts": "export const a = { clientId: process.env.OIDC_ID };\n",
                          "bad.ts": "export const b = { issuer: process.env.OIDC_ISSUER ;\n",
                          "bad.py": "import os\nX = os.environ[\n", "nothing.ts": "export const c = 1;\n"})
    result = scan(tmp_path)
    assert [(r.name, r.role) for r in result.reads] == [("OIDC_ID", "client_id")]
    assert (result.files, result.parsed) == (4, 3)
    assert [n.split(":")[0] for n in result.notes] == ["bad.py", "bad.ts"]


def scan_of(*reads: EnvRead) -> ScanResult:
    return ScanResult("app", tuple(reads))


def test_hono_oidc_auth_reads_its_own_names_when_imported() -> None:
    result = ScanResult("app", (read("JWKS", "jwks_url", "src/index.ts", 9),), modules=frozenset({"hono", "@hono/oidc-auth"}))
    wiring = resolve(result, PRESETS["hono"])
    assert {r: (c.name, c.origin) for r, c in wiring.names.items()} == {
        "client_id": ("OIDC_CLIENT_ID", "@hono/oidc-auth reads it"), "client_secret": ("OIDC_CLIENT_SECRET", "@hono/oidc-auth reads it"),
        "issuer": ("OIDC_ISSUER", "@hono/oidc-auth reads it"), "jwks_url": ("JWKS", "read in src/index.ts:9")}
    without = resolve(dataclasses.replace(result, modules=frozenset({"hono", "jose"})), PRESETS["hono"])
    assert without.names.keys() == {"jwks_url"}


def test_the_parser_is_not_imported_by_the_cli_start_up_path() -> None:
    import subprocess
    import sys

    code = ("import sys; from typer.testing import CliRunner; from authentik_lab.cli.main import cli; "
            "r = CliRunner().invoke(cli, ['provider', 'create', '--help']); assert r.exit_code == 0, r.output; "
            "print(sorted(m for m in sys.modules if m.startswith(('tree_sitter', 'packaging', 'authentik_lab.adapters.app_source'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
