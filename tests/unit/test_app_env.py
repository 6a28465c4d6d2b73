"""core.app_env: the app's variables from Authentik's answers, merged without disturbing the file."""

from __future__ import annotations

from authentik_lab.core.app_env import AppFacts, env_values, merge_env_text, redact, secret_names
from authentik_lab.core.presets import get_preset
from authentik_lab.core.urls import OidcEndpoints

EP = OidcEndpoints.expected("http://localhost:9000", "my-app")


def facts(**kw) -> AppFacts:
    base = dict(
        client_id="cid", client_secret="s" * 128, endpoints=EP, app_url="http://localhost:3000",
        redirect_uri="http://localhost:3000/api/auth/callback/authentik", scopes=("openid", "email", "profile"),
    )
    base.update(kw)
    return AppFacts(**base)


def test_nextauth_values() -> None:
    values = env_values(get_preset("nextauth"), facts(), {}, new_secret=lambda: "generated")
    assert values == {
        "AUTHENTIK_ID": "cid",
        "AUTHENTIK_SECRET": "s" * 128,
        "AUTHENTIK_ISSUER": "http://localhost:9000/application/o/my-app",
        "NEXTAUTH_URL": "http://localhost:3000",
        "NEXTAUTH_SECRET": "generated",
        "AUTHENTIK_TOKEN_URL": "http://localhost:9000/application/o/token/",
    }


def test_authjs_keeps_the_trailing_slash() -> None:
    values = env_values(get_preset("authjs"), facts(), {}, new_secret=lambda: "g")
    assert values["AUTH_AUTHENTIK_ISSUER"] == "http://localhost:9000/application/o/my-app/"


def test_generated_secrets_are_kept() -> None:
    values = env_values(get_preset("nextauth"), facts(), {"NEXTAUTH_SECRET": "keep-me"}, new_secret=lambda: "new")
    assert values["NEXTAUTH_SECRET"] == "keep-me"


def test_public_clients_get_no_secret_variable() -> None:
    values = env_values(get_preset("oauth2-proxy"), facts(client_secret=None, scopes=("openid", "email")), {}, new_secret=lambda: "c" * 32)
    assert "OAUTH2_PROXY_CLIENT_SECRET" not in values
    assert values["OAUTH2_PROXY_SCOPE"] == "openid email"
    assert values["OAUTH2_PROXY_PROVIDER"] == "oidc"
    assert values["OAUTH2_PROXY_REDIRECT_URL"] == "http://localhost:3000/api/auth/callback/authentik"


def test_spring_and_allauth_forms() -> None:
    spring = env_values(get_preset("spring"), facts(scopes=("openid", "email"), provider_id="corp"), {})
    assert spring["SPRING_SECURITY_OAUTH2_CLIENT_REGISTRATION_CORP_SCOPE"] == "openid,email"
    assert spring["SPRING_SECURITY_OAUTH2_CLIENT_PROVIDER_CORP_ISSUER_URI"] == EP.issuer
    allauth = env_values(get_preset("django-allauth"), facts(), {})
    assert allauth["AUTHENTIK_SERVER_URL"] == "http://localhost:9000/application/o/my-app/.well-known/openid-configuration"


def test_merge_keeps_comments_order_and_other_keys() -> None:
    text = "# my app\nDATABASE_URL=postgres://x\nAUTHENTIK_ID=old\n\n# end\n"
    merged, added, changed = merge_env_text(text, {"AUTHENTIK_ID": "new", "AUTHENTIK_SECRET": "s p"})
    assert merged == '# my app\nDATABASE_URL=postgres://x\nAUTHENTIK_ID=new\n\n# end\nAUTHENTIK_SECRET="s p"\n'
    assert added == ["AUTHENTIK_SECRET"] and changed == ["AUTHENTIK_ID"]
    again, added2, changed2 = merge_env_text(merged, {"AUTHENTIK_ID": "new"})
    assert again == merged and added2 == [] and changed2 == []


def test_redact_and_secret_names() -> None:
    assert redact("abcdefghijklmnopqrstuvwxyz") == "abcd…wxyz"
    assert redact("short") == "••••"
    assert redact(None) == ""
    assert secret_names(get_preset("nextauth")) == {"AUTHENTIK_SECRET", "NEXTAUTH_SECRET"}


def test_oauth2_proxy_accepts_unverified_emails_only_when_the_claim_says_false() -> None:
    flag = "OAUTH2_PROXY_INSECURE_OIDC_ALLOW_UNVERIFIED_EMAIL"
    proxy = get_preset("oauth2-proxy")
    assert flag not in env_values(proxy, facts(), {}, new_secret=lambda: "x" * 32)
    assert env_values(proxy, facts(email_verified=False), {}, new_secret=lambda: "x" * 32)[flag] == "true"
    # other frameworks have no such switch: nothing is written for them
    assert set(env_values(get_preset("nextauth"), facts(email_verified=False), {}, new_secret=lambda: "g")) == set(
        env_values(get_preset("nextauth"), facts(), {}, new_secret=lambda: "g"))


def test_an_apps_secret_with_a_dollar_is_kept_as_written() -> None:
    # compose's interpolation is for the lab's .env; an app's file keeps `$` (a kept secret is written back as read)
    from authentik_lab.core import dotenv

    text = "NEXTAUTH_SECRET=abc$def\n"
    values = env_values(get_preset("nextauth"), facts(), dotenv.parse(text, interpolate=False), new_secret=lambda: "new")
    assert values["NEXTAUTH_SECRET"] == "abc$def"
    new_text, added, changed = merge_env_text(text, {"NEXTAUTH_SECRET": "abc$def"})
    # not reported as changed; written in single quotes, which every dotenv reads literally
    assert (new_text, changed) == ("NEXTAUTH_SECRET='abc$def'\n", [])
