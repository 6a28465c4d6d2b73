"""core.app_login: the app's login route per preset, redaction of hops, and the causes named per failure."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli
from authentik_lab.core.app_login import (
    AppFlow, ProviderFacts, app_flow, callback_cause, issuer_cause, redact_url, redirect_uri_cause, refresh_cause,
)
from authentik_lab.errors import UsageError

FACTS = ProviderFacts("web", "cid", "http://localhost:9000/application/o/web/",
                      ("http://localhost:3000/api/auth/callback/authentik",), True, "RS256")


def test_app_flows_per_preset() -> None:
    assert app_flow("nextauth") == AppFlow("nextauth", "authjs", base="/api/auth", provider_id="authentik")
    assert app_flow("sveltekit", provider_id="corp").describe() == "GET /auth/csrf, POST /auth/signin/corp, GET /auth/session"
    assert app_flow("authjs", base="/auth/").base == "/auth"
    assert app_flow("oauth2-proxy") == AppFlow("oauth2-proxy", "start", start="/oauth2/start?rd=%2F", check="/oauth2/userinfo")
    assert app_flow("grafana").describe() == "GET /login/generic_oauth, then GET /api/user must answer 200"
    assert app_flow("generic", start="/login", check="http://localhost:8080/me").check == "http://localhost:8080/me"


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"preset": "generic"}, "--preset generic needs --app-start URL and --app-check URL"),
    ({"preset": "nextauth", "start": "/login"}, "--app-start/--app-check do not apply to --preset nextauth"),
    ({"preset": "grafana", "provider_id": "x"}, "--app-base/--provider-id do not apply to --preset grafana"),
    ({"preset": "authjs", "base": "auth"}, "--app-base 'auth' must be a path starting with /"),
    ({"preset": "spring"}, "--preset spring: login-test --app does not know how a spring app starts a login"),
    ({"preset": "rails"}, "unknown preset 'rails'"),
])
def test_unusable_combinations_name_the_option(kwargs: dict, message: str) -> None:
    preset = kwargs.pop("preset")
    with pytest.raises(UsageError) as caught:
        app_flow(preset, **kwargs)
    assert caught.value.message == message


def test_redaction_keeps_names_and_drops_secret_values() -> None:
    url = ("http://localhost:9000/application/o/authorize/?client_id=cid&redirect_uri=http%3A%2F%2Flocalhost%3A3000%2Fcb"
           "&scope=openid+offline_access&state=s3cr3t&nonce=n1&code_challenge=abc&code_challenge_method=S256")
    assert redact_url(url) == (
        "http://localhost:9000/application/o/authorize/?client_id=cid&redirect_uri=http://localhost:3000/cb"
        "&scope=openid+offline_access&state=REDACTED&nonce=REDACTED&code_challenge=REDACTED&code_challenge_method=S256")
    assert redact_url("http://app/cb?code=abc&state=x#access_token=t&token_type=Bearer") == \
        "http://app/cb?code=REDACTED&state=REDACTED#access_token=REDACTED&token_type=Bearer"
    assert redact_url("http://app/api/auth/error?error=OAuthSignin") == "http://app/api/auth/error?error=OAuthSignin"


def test_issuer_cause_gives_the_form_each_framework_needs() -> None:
    nextauth = issuer_cause("nextauth", FACTS)
    assert nextauth.hint == "set AUTHENTIK_ISSUER=http://localhost:9000/application/o/web (exactly; `authlab provider create --preset nextauth --env-out FILE` writes it)"
    assert "NextAuth v4 appends /.well-known/openid-configuration" in nextauth.cause
    authjs = issuer_cause("authjs", FACTS)
    assert authjs.hint.startswith("set AUTH_AUTHENTIK_ISSUER=http://localhost:9000/application/o/web/ (exactly;")
    assert "byte for byte" in authjs.cause
    assert issuer_cause("nextauth", None).hint == "compare the app's issuer with `authlab provider show NAME`"


def test_redirect_uri_cause_spots_another_provider_id() -> None:
    cause = redirect_uri_cause("http://localhost:3000/api/auth/callback/corp", FACTS, app_flow("nextauth"))
    assert cause.cause.endswith("the provider id differs (the app's is 'corp', the provider was made for 'authentik')")
    assert cause.hint == "`authlab provider create web --preset nextauth --provider-id corp` (or rename the app's provider id)"
    other_port = redirect_uri_cause("http://localhost:4000/api/auth/callback/authentik", FACTS, app_flow("nextauth"))
    assert other_port.cause == ("redirect URI mismatch: the app sent redirect_uri=http://localhost:4000/api/auth/callback/authentik, "
                                "the provider 'web' allows http://localhost:3000/api/auth/callback/authentik")


def test_callback_cause_prefers_what_the_server_proves() -> None:
    hs = ProviderFacts(**{**FACTS.__dict__, "signing_alg": "HS256"})
    assert callback_cause(app_flow("nextauth"), "OAuthCallback", hs, "http://localhost:9000", "http://localhost:9000").cause.startswith(
        "signature: the provider 'web' has no signing key")
    host = callback_cause(app_flow("nextauth"), "OAuthCallback", FACTS, "http://127.0.0.1:9000", "http://localhost:9000")
    assert host.cause.startswith("iss mismatch (host): the app reaches Authentik as http://127.0.0.1:9000")
    assert callback_cause(app_flow("nextauth"), "OAuthCallback", FACTS, "http://localhost:9000", "http://localhost:9000").cause.startswith(
        "the app rejected the callback (error=OAuthCallback): iss mismatch (host or trailing slash)")


def test_refresh_cause_only_when_asked_and_not_mapped() -> None:
    unmapped = ProviderFacts(**{**FACTS.__dict__, "offline_access": False})
    assert refresh_cause("nextauth", True, unmapped).hint.startswith("`authlab doctor --fix provider.scopes`")
    assert refresh_cause("nextauth", False, unmapped) is None
    assert refresh_cause("nextauth", True, FACTS) is None


@pytest.mark.parametrize(("args", "message"), [
    (["--preset", "nextauth"], "--preset needs --app URL"),
    (["--app-start", "/login"], "--app-start needs --app URL"),
    ([], "login-test needs --provider NAME (or --app URL to log in through your app)"),
    (["--app", "http://localhost:3000"], "--app needs --preset (nextauth, authjs, sveltekit, oauth2-proxy, grafana, generic)"),
    (["--app", "http://localhost:3000", "--preset", "nextauth", "--redirect-uri", "http://x/cb"],
     "--redirect-uri does not apply with --app: the app sends its own"),
    (["--app", "localhost:3000", "--preset", "nextauth", "--user", "u", "--password-env", "PW"], "--app 'localhost:3000' is not an http(s) URL"),
    (["--app", "http://localhost:3000", "--app-check", "/me", "--user", "u", "--password-env", "PW"],
     "--preset generic needs --app-start URL and --app-check URL"),
])
def test_bad_input_exits_2_naming_the_option(args: list[str], message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW", "secret-pw")
    result = CliRunner().invoke(cli, ["login-test", *args, "--json"])
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert (doc["ok"], doc["error"]["type"], doc["error"]["message"]) == (False, "UsageError", message)
    assert "secret-pw" not in result.stdout + result.stderr


def test_an_app_that_does_not_answer_fails_the_first_step(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("PW", "secret-pw")
    result = CliRunner().invoke(cli, ["login-test", "--app", f"http://127.0.0.1:{port}", "--preset", "nextauth", "--user", "u",
                                      "--password-env", "PW", "--url", "http://127.0.0.1:9", "--token", "t", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)["data"]
    assert data["failed_step"] == "app-start"
    assert data["steps"][0]["detail"].startswith(f"http://127.0.0.1:{port} does not answer (")
    assert (data["steps"][0]["cause"], data["steps"][0]["hint"]) == (
        f"the app is not running at http://127.0.0.1:{port}", "start the app first (and check the port in --app)")
    assert data["hops"] == []
