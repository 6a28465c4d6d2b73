"""app.code-env (pure): code reads vs the app's env files, with values to add from the server's view."""

from __future__ import annotations

import pytest

from authentik_lab.core.checks import Skip
from authentik_lab.core.doctor.app_code import CodeRead, CodeView, check_code_env
from authentik_lab.core.doctor.app_env import AppEnvFile, ProviderRef, ServerView

SERVER = ServerView("http://localhost:9000", frozenset({"web", "api"}),
                    (ProviderRef("web", "web-id", "web-secret", "web"), ProviderRef("api", "api-id", "api-secret", "api")))


def code(*reads: CodeRead, read_names: tuple[str, ...] = (), form: str | None = "without-slash", notes: tuple[str, ...] = ()) -> CodeView:
    return CodeView(".", reads, frozenset(read_names) | {r.name for r in reads}, "nextauth", 12, notes, form)


def env(path: str, **values: str) -> AppEnvFile:
    return AppEnvFile(path, {k: (i + 1, v) for i, (k, v) in enumerate(values.items())})


ID = CodeRead("client_id", "AUTHENTIK_CLIENT_ID", "read in auth.ts:12")
ISS = CodeRead("issuer", "AUTHENTIK_ISSUER", "read in auth.ts:14")
TOKEN = CodeRead("token_url", "AUTHENTIK_TOKEN", "read in auth.ts:5")
BASE = CodeRead("callback_base", "NEXTAUTH_URL", "next-auth v4 reads it")


def test_missing_reads_fail_with_the_value_of_the_provider_whose_client_id_the_file_holds() -> None:
    # (a base URL the framework reads by itself only warns: it falls back to the request's host in development)
    files = [env(".env.local", AUTHENTIK_ID="api-id", AUTHENTIK_ISSUER="x", NEXTAUTH_SECRET="s")]
    outcome = check_code_env(code(ID, ISS, TOKEN, BASE), files, SERVER)
    assert outcome.status == "fail"
    assert [(m.level, m.text, m.fix) for m in outcome.messages] == [
        ("fail", "auth.ts:12: reads AUTHENTIK_CLIENT_ID (client_id), which no env file defines", "add AUTHENTIK_CLIENT_ID=api-id to .env.local"),
        ("fail", "auth.ts:5: reads AUTHENTIK_TOKEN (token_url), which no env file defines",
         "add AUTHENTIK_TOKEN=http://localhost:9000/application/o/token/ to .env.local"),
        ("warn", "NEXTAUTH_URL (callback_base) is not defined: next-auth v4 reads it",
         "add NEXTAUTH_URL=<your app's base URL, e.g. http://localhost:3000> to .env.local"),
        ("warn", ".env.local:1: AUTHENTIK_ID is defined but no code reads it", "rename it to AUTHENTIK_CLIENT_ID (read in auth.ts:12)"),
        ("info", "`authlab provider create NAME --env-out FILE` writes every name the code reads", None),
    ]
    assert outcome.summary == "auth.ts:12: reads AUTHENTIK_CLIENT_ID (client_id), which no env file defines (+3 more)"
    assert check_code_env(code(BASE), [], SERVER).status == "warn"


def test_the_issuer_value_is_in_the_frameworks_form_and_provider_wins_by_name() -> None:
    outcome = check_code_env(code(ISS), [], SERVER, provider_name="web")
    assert outcome.messages[0].fix == "add AUTHENTIK_ISSUER=http://localhost:9000/application/o/web to .env.local"
    unknown = check_code_env(code(ISS), [], SERVER)  # two providers, no hint which: a placeholder, not a guess
    assert unknown.messages[0].fix == "add AUTHENTIK_ISSUER=<issuer: `authlab provider show NAME`> to .env.local"


def test_all_defined_is_ok_with_notes_kept_and_framework_names_never_warned() -> None:
    files = [env(".env", AUTHENTIK_CLIENT_ID="web-id", AUTHENTIK_ISSUER="i", AUTHENTIK_TOKEN="t", NEXTAUTH_URL="u",
                 NEXTAUTH_SECRET="s", DATABASE_URL="d", AUTH_TRUST_HOST="1")]
    outcome = check_code_env(code(ID, ISS, TOKEN, BASE, notes=("bad.ts:3: does not parse",)), files, SERVER)
    assert (outcome.status, [m.level for m in outcome.messages]) == ("ok", ["info"])
    assert outcome.summary == "every OIDC variable the code reads is defined (4 in .)"


def test_an_unread_authentik_variable_warns_even_when_nothing_is_missing() -> None:
    files = [env(".env", AUTHENTIK_CLIENT_ID="web-id", OIDC_ISSUER="x")]
    outcome = check_code_env(code(ID), files, SERVER)
    assert (outcome.status, outcome.messages[0].text, outcome.messages[0].fix) == (
        "warn", ".env:2: OIDC_ISSUER is defined but no code reads it", "remove it, or read it in the code (no file under . does)")


def test_no_oidc_reads_in_the_code_is_a_skip_with_the_count_scanned() -> None:
    with pytest.raises(Skip, match=r"no code in \. reads OIDC variables \(12 source files scanned\)"):
        check_code_env(code(), [env(".env", A="1")], SERVER)


def test_an_unread_twin_of_a_defined_variable_names_the_one_the_code_reads() -> None:
    files = [env(".env", AUTHENTIK_ID="x", AUTHENTIK_CLIENT_ID="web-id")]
    outcome = check_code_env(code(ID), files, SERVER)
    assert (outcome.status, outcome.messages[0].fix) == (
        "warn", "remove it: the code reads AUTHENTIK_CLIENT_ID for the client id (read in auth.ts:12)")


def test_the_token_url_is_known_without_knowing_the_provider() -> None:
    outcome = check_code_env(code(TOKEN), [], SERVER)  # two providers: only the shared token endpoint is certain
    assert outcome.messages[0].fix == "add AUTHENTIK_TOKEN=http://localhost:9000/application/o/token/ to .env.local"
