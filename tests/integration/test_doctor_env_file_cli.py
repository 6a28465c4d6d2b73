"""`authlab doctor --compose FILE` and the .env beside it: doctor reads what compose reads, says how to make a missing
.env, makes it on --fix without ever replacing anything, prints commands that survive a copy-paste into a shell, and
leaves the user's files theirs when run as root (QA H1, M3, M5, M6).

Cases use the official compose file from the reference data; the real `docker compose config` (binary only, no engine)
confirms what compose reads where it matters.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from authentik_lab.app import App
from authentik_lab.cli.main import cli
from tests.conftest import SHARED_AUTHENTIK
from tests.integration.doctor_support import NothingRunsEngine

OFFICIAL = SHARED_AUTHENTIK / "docker-compose-2026.5.6.yml"
KEY = "k" * 60
PG_REF = "${PG_PASS:?database password required}"
KEY_REF = "${AUTHENTIK_SECRET_KEY:?secret key required}"


def _has_compose() -> bool:
    return bool(shutil.which("docker")) and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


needs_compose = pytest.mark.skipif(not _has_compose(), reason="`docker compose` is not installed")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="only root can hand files to uid 1000")


@pytest.fixture(autouse=True)
def _clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not OFFICIAL.is_file():
        pytest.skip(f"reference data not found at {SHARED_AUTHENTIK}")
    monkeypatch.chdir(tmp_path)
    for name in ("COMPOSE_FILE", "COMPOSE_PROFILES", "COMPOSE_PROJECT_NAME", "PG_PASS", "AUTHENTIK_SECRET_KEY", "DOCKER_HOST"):
        monkeypatch.delenv(name, raising=False)


def doctor(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["doctor", *args], obj=App(engine_factory=NothingRunsEngine))
    return result.exit_code, result.stdout


def checks(*args: str) -> dict[str, dict]:
    return {c["id"]: c for c in json.loads(doctor(*args, "--json")[1])["data"]["checks"]}


def official(folder: Path, env: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    compose = folder / "docker-compose.yml"
    compose.write_text(OFFICIAL.read_text())
    if env is not None:
        (folder / ".env").write_text(env)
        os.chmod(folder / ".env", 0o600)
    return compose


def compose_config(folder: Path) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "HOME": str(folder)}
    return subprocess.run(["docker", "compose", "config", "--format", "json"], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=60)


# --- H1: a value compose sees is never added again ---------------------------------------------------------------


@needs_compose
@pytest.mark.parametrize("bom", ["", "\ufeff"], ids=["plain", "bom"])
def test_a_yaml_style_password_is_seen_and_fix_appends_nothing(tmp_path: Path, bom: str) -> None:
    env = f"{bom}PG_PASS: yamlstylepass\nAUTHENTIK_SECRET_KEY={KEY}\n"
    compose = official(tmp_path / "auth", env)
    # compose reads that password (the QA repro: `docker compose config | grep -c yamlstylepass` is not 0)
    done = compose_config(tmp_path / "auth")
    assert done.returncode == 0 and "yamlstylepass" in done.stdout
    check = checks("--compose", str(compose), "env.required")["env.required"]
    assert (check["status"], check["summary"], check["fixable"]) == ("ok", f"PG_PASS, AUTHENTIK_SECRET_KEY set for {compose}", None)
    code, out = doctor("--compose", str(compose), "env.required", "--fix", "--yes")
    assert code == 0, out
    assert (tmp_path / "auth" / ".env").read_text() == env


@pytest.mark.parametrize(("line", "key"), [(f"AUTHENTIK_SECRET_KEY='{KEY}", "AUTHENTIK_SECRET_KEY"),
                                         ('PG_PASS="myDBpassword', "PG_PASS")])
def test_a_secret_whose_quote_never_closes_is_there_and_fix_adds_no_second_one(tmp_path: Path, line: str, key: str) -> None:
    # QA re-check of issue 9: the key was "missing", --fix appended a generated one, and once the user closed the quote
    # compose used the generated value (the last line wins): a new secret key or database password
    env = f"{'PG_PASS=abc' if key != 'PG_PASS' else 'AUTHENTIK_SECRET_KEY=' + KEY}\n{line}\nAUTHENTIK_ERROR_REPORTING__ENABLED=false\n"
    compose = official(tmp_path / "auth", env)
    check = checks("--compose", str(compose), "env.required")["env.required"]
    file = tmp_path / "auth" / ".env"
    assert (check["status"], check["summary"], check["fixable"]) == (
        "fail", f"{key} on line 2 of {file} opens a quote that never closes: compose refuses the whole file", None)
    assert check["messages"][0]["fix"] == (f"close the quote on line 2 (`--fix` adds no second {key}: the last line would "
                                           "win and replace your value)")
    doctor("--compose", str(compose), "env.required", "--fix", "--yes")
    assert file.read_text() == env


def test_init_refuses_a_lab_env_whose_secret_quote_never_closes(tmp_path: Path) -> None:
    from authentik_lab.services.lab import init_lab

    lab = tmp_path / "lab"
    init_lab(lab)
    text = (lab / ".env").read_text()
    broken = re.sub(r"^PG_PASS=.*$", 'PG_PASS="half', text, flags=re.M)
    (lab / ".env").write_text(broken)
    result = CliRunner().invoke(cli, ["--dir", str(lab), "init"])
    line = broken.splitlines().index('PG_PASS="half') + 1
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"error: {lab / '.env'}:{line}: the value of PG_PASS opens a quote that never closes, so compose cannot read the file",
        f"hint: close the quote on line {line}; authlab adds no second PG_PASS (the last line would win and replace your value)"]
    assert (lab / ".env").read_text() == broken


def test_fix_appends_only_the_key_compose_lacks_next_to_a_yaml_style_line(tmp_path: Path) -> None:
    env = "\ufeffPG_PASS: keep-me\r\n"
    compose = official(tmp_path / "auth", env)
    check = checks("--compose", str(compose), "env.required")["env.required"]
    assert check["summary"] == (f"AUTHENTIK_SECRET_KEY is missing in {tmp_path / 'auth' / '.env'}, and {compose} uses {KEY_REF}: "
                                "compose refuses to start")
    code, out = doctor("--compose", str(compose), "env.required", "--fix", "--yes")
    assert code == 0, out
    text = (tmp_path / "auth" / ".env").read_bytes().decode()
    assert re.fullmatch("\ufeffPG_PASS: keep-me\r\nAUTHENTIK_SECRET_KEY=[A-Za-z0-9_-]{80}\r\n", text), text


# --- M3: no .env yet ------------------------------------------------------------------------------------------


def test_a_missing_env_fails_with_the_lines_that_make_it(tmp_path: Path) -> None:
    compose = official(tmp_path / "auth")
    env = tmp_path / "auth" / ".env"
    code, out = doctor("--compose", str(compose), "env")
    create = (f"(umask 077 && echo \"PG_PASS=$(openssl rand -base64 36 | tr -d '\\n')\" >> {env} && "
              f"echo \"AUTHENTIK_SECRET_KEY=$(openssl rand -base64 60 | tr -d '\\n')\" >> {env})")
    assert code == 1
    assert out.splitlines() == [
        f"[✗] .env has PG_PASS and AUTHENTIK_SECRET_KEY: {env} does not exist, and {compose} needs PG_PASS ({PG_REF}) and "
        f"AUTHENTIK_SECRET_KEY ({KEY_REF}) from it: compose refuses to start (env.required)",
        f"    • {env}: does not exist",
        f"      fix: create it: {create}  (or `authlab doctor --compose {compose} --fix`)",
        f"[-] skipped 3 checks (env.secret-key-length, env.bootstrap, env.file-mode): no .env next to {compose} (see env.required)",
        "",
        "0 passed, 1 failed, 3 skipped",
    ]
    assert "authlab init" not in out


@needs_compose
def test_fix_creates_the_missing_env_private_and_compose_then_starts(tmp_path: Path) -> None:
    compose = official(tmp_path / "auth")
    env = tmp_path / "auth" / ".env"
    assert compose_config(tmp_path / "auth").returncode != 0  # compose refuses: required variables unset
    code, out = doctor("--compose", str(compose), "env", "--fix", "--yes")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[:5] == [
        "Planned fixes:",
        f"  • create {env} (mode 600) with generated PG_PASS, AUTHENTIK_SECRET_KEY",
        f"      {env}: PG_PASS=<generated: URL-safe base64 of 36 random bytes>",
        f"      {env}: AUTHENTIK_SECRET_KEY=<generated: URL-safe base64 of 60 random bytes>",
        f"fixed: create {env} (mode 600) with generated PG_PASS, AUTHENTIK_SECRET_KEY",
    ]
    text = env.read_text()
    assert re.fullmatch("PG_PASS=[A-Za-z0-9_-]{48}\nAUTHENTIK_SECRET_KEY=[A-Za-z0-9_-]{80}\n", text), text
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert all(v.split("=", 1)[1] not in out for v in text.splitlines())
    assert sorted(p.name for p in (tmp_path / "auth").iterdir()) == [".env", "docker-compose.yml"]  # no temp file left
    assert compose_config(tmp_path / "auth").returncode == 0
    assert {k: c["status"] for k, c in checks("--compose", str(compose), "env").items()} == {
        "env.required": "ok", "env.secret-key-length": "ok", "env.bootstrap": "skip", "env.file-mode": "ok"}


def test_an_older_official_file_gets_the_key_its_services_read_through_env_file(tmp_path: Path) -> None:
    # before 2025.2 the key reached server and worker only through `env_file: .env`, not interpolation
    folder = tmp_path / "old"
    folder.mkdir()
    compose = folder / "docker-compose.yml"
    compose.write_text((SHARED_AUTHENTIK / "docker-compose-2024.2.1.yml").read_text())
    check = checks("--compose", str(compose), "env.required")["env.required"]
    assert check["summary"] == (f"{folder / '.env'} does not exist, and {compose} needs PG_PASS ({PG_REF}) and AUTHENTIK_SECRET_KEY "
                                "(server, worker read it through `env_file`) from it: compose refuses to start")
    assert doctor("--compose", str(compose), "env.required", "--fix", "--yes")[0] == 0
    assert dotenv_keys(folder / ".env") == ["PG_PASS", "AUTHENTIK_SECRET_KEY"]
    assert checks("--compose", str(compose), "compose.service-env")["compose.service-env"]["status"] == "ok"


def dotenv_keys(path: Path) -> list[str]:
    from authentik_lab.core import dotenv

    return list(dotenv.parse(path.read_text()))


def test_a_env_that_appears_between_plan_and_fix_is_left_alone(tmp_path: Path) -> None:
    from authentik_lab.services.doctor import apply_fixes, plan_fixes, run_doctor
    from authentik_lab.services.doctor.facts import DoctorOptions

    compose = official(tmp_path / "auth")
    env = tmp_path / "auth" / ".env"
    report, facts = run_doctor(App(engine_factory=NothingRunsEngine), DoctorOptions(compose=compose), ["env.required"])
    planned = plan_fixes(facts, report)
    assert [p.kind for p in planned] == ["env-create"]
    env.write_text("PG_PASS=the-users-own\n")  # the user made it meanwhile
    after = apply_fixes(facts, report, planned)
    assert [(f.ok, f.error) for f in after.fixes] == [
        (False, f"FileExistsError: {env} appeared meanwhile; nothing was written (run doctor again to check it)")]
    assert env.read_text() == "PG_PASS=the-users-own\n"
    assert sorted(p.name for p in (tmp_path / "auth").iterdir()) == [".env", "docker-compose.yml"]


@pytest.mark.parametrize("kind", ["directory", "dangling symlink"])
def test_a_env_that_is_a_folder_or_a_dangling_link_fails_and_nothing_is_written(tmp_path: Path, kind: str) -> None:
    compose = official(tmp_path / "auth")
    env = tmp_path / "auth" / ".env"
    if kind == "directory":
        env.mkdir()
        why = "is a directory (compose skips it)"
    else:
        env.symlink_to(tmp_path / "elsewhere" / "secrets.env")
        why = f"is a symbolic link to {tmp_path / 'elsewhere' / 'secrets.env'}, which does not exist (compose skips it)"
    found = checks("--compose", str(compose), "env")
    check = found["env.required"]
    assert (check["status"], check["summary"], check["evidence"], check["fixable"]) == (
        "fail", f"{env} {why}, and {compose} needs PG_PASS ({PG_REF}) and AUTHENTIK_SECRET_KEY ({KEY_REF}) from it: "
                "compose refuses to start", [f"{env}: {why}"], None)
    assert check["messages"][0]["fix"].startswith(
        "remove or rename what is there (`--fix` never writes over or through it), then create the file: (umask 077 && ")
    assert {(c["status"], c["summary"]) for k, c in found.items() if k != "env.required"} == {
        ("skip", f"{env} {why} (see env.required)")}
    code, out = doctor("--compose", str(compose), "env", "--fix", "--yes")
    assert code == 1 and "--fix: nothing doctor can fix automatically" not in out
    assert not (tmp_path / "elsewhere").exists()
    assert (env.is_dir() and list(env.iterdir()) == []) if kind == "directory" else (env.is_symlink() and not env.exists())
    assert sorted(p.name for p in (tmp_path / "auth").iterdir()) == [".env", "docker-compose.yml"]


# --- M5: commands survive a copy-paste into a shell ---------------------------------------------------------------


def run_in_bash(command: str, cwd: Path) -> None:
    # no sudo here (tests run as root): the shim runs the command itself
    done = subprocess.run(["bash", "-c", 'sudo() { "$@"; }\n' + command], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def fixes_of(found: dict[str, dict]) -> dict[str, str]:
    return {cid: m["fix"] for cid, c in found.items() for m in c["messages"] if m["fix"]}


def test_printed_commands_act_on_a_folder_with_a_space_and_a_dollar(tmp_path: Path) -> None:
    folder = tmp_path / "My Auth $HOME"
    compose = official(folder, "AUTHENTIK_TAG=2026.5.6\n")
    env = folder / ".env"
    os.chmod(env, 0o644)
    fixes = fixes_of(checks("--compose", str(compose), "env", "compose.bind-mount-owner"))
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    # env.required: "add it: <command>  (or `authlab doctor --compose FILE --fix`)", one message per key
    required = checks("--compose", str(compose), "env.required")["env.required"]["messages"]
    for message in required:
        command, hint = re.fullmatch(r"add it: (.*)  \(or `(.*)`\)", message["fix"]).groups()  # type: ignore[union-attr]
        assert shlex.split(hint) == ["authlab", "doctor", "--compose", str(compose), "--fix"]
        run_in_bash(command, elsewhere)
    assert dotenv_keys(env) == ["AUTHENTIK_TAG", "PG_PASS", "AUTHENTIK_SECRET_KEY"]
    # env.file-mode: chmod
    assert fixes["env.file-mode"] == f"chmod 600 {shlex.quote(str(env))}"
    run_in_bash(fixes["env.file-mode"], elsewhere)
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    # compose.bind-mount-owner: mkdir && sudo chown
    assert fixes["compose.bind-mount-owner"] == f"mkdir -p {shlex.quote(str(folder / 'data'))} && sudo chown -R 1000:1000 {shlex.quote(str(folder / 'data'))}"
    run_in_bash(fixes["compose.bind-mount-owner"], elsewhere)
    assert (folder / "data").stat().st_uid == (1000 if os.geteuid() == 0 else os.geteuid())
    # nothing landed anywhere else: not in the working folder, not in a folder cut at the space or the `$`
    assert sorted(p.name for p in elsewhere.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["My Auth $HOME", "cwd"]


@pytest.mark.skipif(not shutil.which("openssl"), reason="the printed command runs openssl")
def test_the_printed_create_command_makes_a_private_env_in_the_right_folder(tmp_path: Path) -> None:
    folder = tmp_path / "My Auth $HOME"
    compose = official(folder)
    fix = checks("--compose", str(compose), "env.required")["env.required"]["messages"][0]["fix"]
    command = re.fullmatch(r"create it: (.*)  \(or `.*`\)", fix).group(1)  # type: ignore[union-attr]
    run_in_bash(command, tmp_path)
    env = folder / ".env"
    assert dotenv_keys(env) == ["PG_PASS", "AUTHENTIK_SECRET_KEY"] and stat.S_IMODE(env.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["My Auth $HOME"]
    assert checks("--compose", str(compose), "env.required")["env.required"]["status"] == "ok"


# --- M6: --fix as root leaves the user's files theirs --------------------------------------------------------------


@needs_root
def test_fix_as_root_keeps_owner_group_and_mode_of_the_files_it_rewrites(tmp_path: Path) -> None:
    folder = tmp_path / "auth"
    compose = official(folder, f"AUTHENTIK_SECRET_KEY={KEY}\n")
    env = folder / ".env"
    for path in (folder, compose, env):
        os.chown(path, 1000, 1000)
    os.chmod(env, 0o640)
    compose_mode = stat.S_IMODE(compose.stat().st_mode)
    code, out = doctor("--compose", str(compose), "env.required", "compose.worker-root", "--fix", "--yes")
    assert "fixed: append generated PG_PASS to" in out and "fixed: patch" in out, out
    assert "PG_PASS=" in env.read_text() and "user: root" not in compose.read_text()

    def owner(path: Path) -> tuple[int, int, int]:
        st = path.stat()
        return st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)

    assert (owner(env), owner(compose), owner(folder / "docker-compose.yml.bak")) == (
        (1000, 1000, 0o640), (1000, 1000, compose_mode), (1000, 1000, compose_mode))


@needs_root
def test_fix_as_root_creates_the_missing_env_for_the_compose_files_owner(tmp_path: Path) -> None:
    folder = tmp_path / "auth"
    compose = official(folder)
    os.chown(compose, 1000, 1000)
    assert doctor("--compose", str(compose), "env.required", "--fix", "--yes")[0] == 0
    st = (folder / ".env").stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (1000, 1000, 0o600)


def test_a_env_that_is_a_fifo_never_blocks_doctor(tmp_path: Path) -> None:
    # QA re-check of issue 9: reading it for redaction waited for a writer forever (compose hidden: its own read of the
    # FIFO would end at its 20 s timeout)
    import sys

    compose = official(tmp_path / "auth")
    os.mkfifo(tmp_path / "auth" / ".env")
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin"), "NO_COLOR": "1"}
    proc = subprocess.run([sys.executable, "-m", "authentik_lab", "doctor", "--compose", str(compose), "compose", "env", "--json"],
                          capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    found = {c["id"]: c for c in json.loads(proc.stdout)["data"]["checks"]}
    assert proc.returncode == 1 and found["env.required"]["status"] == "fail", proc.stdout[-2000:]
    assert "is not a regular file" in found["env.required"]["summary"]
