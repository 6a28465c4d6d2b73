"""Env reads in Python settings through `ast`: os.environ, os.getenv, django-environ, and the role from the context."""

from __future__ import annotations

import textwrap

import pytest

from authentik_lab.adapters.app_source import python


def reads(source: str) -> list[tuple[str, int, str, str | None, str, bool]]:
    found = python.extract(textwrap.dedent(source).lstrip("\n").encode(), "settings.py")
    return sorted((r.name, r.line, r.how, r.role, r.evidence, r.auth_file) for r in found)


def test_os_environ_forms_and_dict_keys() -> None:
    assert reads("""
        import os
        from os import environ, getenv as ge
        APPS = [{"client_id": os.environ["A_ID"], "secret": os.environ.get("A_SECRET", ""),
                 "settings": {"server_url": str(environ["A_URL"])}}]
        X = ge("PLAIN") or "x"
        Y = os.getenv("OIDC_OP_JWKS") 
    """) == [
        ("A_ID", 3, "os.environ", "client_id", "key 'client_id'", False),
        ("A_SECRET", 3, "os.environ.get", "client_secret", "key 'secret'", False),
        ("A_URL", 4, "os.environ", "issuer", "key 'server_url'", False),
        ("OIDC_OP_JWKS", 6, "os.getenv", "jwks_url", "name", False),
        ("PLAIN", 5, "os.getenv", None, "", False),
    ]


def test_settings_names_give_the_role_mozilla_django_oidc_style() -> None:
    assert reads("""
        import os
        OIDC_RP_CLIENT_ID = os.environ["RP_ID"]
        OIDC_RP_CLIENT_SECRET = os.environ["RP_PW"]
        OIDC_OP_TOKEN_ENDPOINT = os.environ["TOKEN_AT"]
        SECRET_KEY = os.environ["DJANGO_KEY"]
    """) == [
        ("DJANGO_KEY", 5, "os.environ", None, "", True),
        ("RP_ID", 2, "os.environ", "client_id", "setting OIDC_RP_CLIENT_ID", True),
        ("RP_PW", 3, "os.environ", "client_secret", "setting OIDC_RP_CLIENT_SECRET", True),
        ("TOKEN_AT", 4, "os.environ", "token_url", "setting OIDC_OP_TOKEN_ENDPOINT", True),
    ]


def test_django_environ_instance_calls_and_typed_getters_keyword_arguments() -> None:
    assert reads("""
        from environ import Env
        env = Env()
        oauth.register("authentik", client_id=env("E_ID"), client_secret=env.str("E_SECRET"),
                       server_metadata_url=env.url("E_META"), debug=env.bool("DEBUG"))
        other = {}.get("NOT_ENV")
    """) == [
        ("DEBUG", 4, "environ.Env", None, "", False),
        ("E_ID", 3, "environ.Env", "client_id", "argument client_id", False),
        ("E_META", 4, "environ.Env", "issuer", "argument server_metadata_url", False),
        ("E_SECRET", 3, "environ.Env", "client_secret", "argument client_secret", False),
    ]


def test_a_syntax_error_is_reported_with_its_line() -> None:
    with pytest.raises(python.SyntaxProblem) as exc:
        python.extract(b"import os\nX = os.environ['A'\n", "settings.py")
    assert exc.value.line in (2, 3)
