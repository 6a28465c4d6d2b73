"""App wiring judged by the framework's documented default when the app leaves its URL unset (issue 9, section 4),
against a real stand-in Authentik holding the provider."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import write_tree
from tests.integration.test_doctor_cli import at, make_provider, standin  # noqa: F401 - the stand-in fixture

pytestmark = pytest.mark.usefixtures("_in_tmp")


@pytest.fixture
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def redirect_check(s, *args: str) -> dict:  # noqa: ANN001
    return at(s, "provider.redirect-uris", *args)["provider.redirect-uris"]


def test_grafana_without_root_url_is_judged_by_grafanas_default(standin, tmp_path: Path) -> None:  # noqa: ANN001, F811
    provider = make_provider(standin, "grafana", redirect="http://localhost:3001/login/generic_oauth")
    write_tree(tmp_path, {".env": f"GF_AUTH_GENERIC_OAUTH_ENABLED=true\nGF_AUTH_GENERIC_OAUTH_CLIENT_ID={provider['client_id']}\n"})
    found = redirect_check(standin)
    assert found["status"] == "fail"
    assert found["summary"] == ("grafana: the app's callback http://localhost:3000/login/generic_oauth is not allowed: the registered URI "
                                "differs only by port (3001 vs 3000) (GF_SERVER_ROOT_URL is unset in .env, so Grafana generic OAuth uses "
                                "its default http://localhost:3000/)")
    assert found["messages"][0]["fix"].startswith("set GF_SERVER_ROOT_URL to the URL the app really serves, or register exactly "
                                                  "http://localhost:3000/login/generic_oauth")
    # the root URL set: the app says where it runs, and that matches
    write_tree(tmp_path, {".env": f"GF_SERVER_ROOT_URL=http://localhost:3001/\nGF_AUTH_GENERIC_OAUTH_CLIENT_ID={provider['client_id']}\n"})
    assert redirect_check(standin)["status"] == "ok"


def test_grafanas_default_root_url_follows_its_http_port(standin, tmp_path: Path) -> None:  # noqa: ANN001, F811
    # one more input of the kind: root_url unset but GF_SERVER_HTTP_PORT moves the default to :3001
    provider = make_provider(standin, "grafana", redirect="http://localhost:3001/login/generic_oauth")
    write_tree(tmp_path, {".env": f"GF_SERVER_HTTP_PORT=3001\nGF_AUTH_GENERIC_OAUTH_CLIENT_ID={provider['client_id']}\n"})
    assert redirect_check(standin)["status"] == "ok"
    write_tree(tmp_path, {".env": f"GF_SERVER_HTTP_PORT=3002\nGF_AUTH_GENERIC_OAUTH_CLIENT_ID={provider['client_id']}\n"})
    assert redirect_check(standin)["summary"].endswith("uses its default http://localhost:3002/)")


def test_nextauth_v4_without_nextauth_url_uses_localhost_3000(standin, tmp_path: Path) -> None:  # noqa: ANN001, F811
    # one more input of the kind: NextAuth v4 falls back to http://localhost:3000 unless it trusts the request's host
    provider = make_provider(standin, "web", redirect="http://localhost:4000/api/auth/callback/authentik")
    write_tree(tmp_path, {".env.local": f"NEXTAUTH_SECRET=s\nAUTHENTIK_ID={provider['client_id']}\n"})
    found = redirect_check(standin)
    assert found["status"] == "fail"
    assert found["summary"].startswith("web: the app's callback http://localhost:3000/api/auth/callback/authentik is not allowed")
    assert found["summary"].endswith("(NEXTAUTH_URL is unset in .env.local, so NextAuth.js v4 (next-auth@4, built-in Authentik provider) "
                                     "uses its default http://localhost:3000)")
    # AUTH_TRUST_HOST: the callback comes from the request's host, which no file tells: nothing to judge
    write_tree(tmp_path, {".env.local": f"NEXTAUTH_SECRET=s\nAUTH_TRUST_HOST=true\nAUTHENTIK_ID={provider['client_id']}\n"})
    assert redirect_check(standin)["status"] == "ok"
