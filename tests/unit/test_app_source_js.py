"""Env reads in JavaScript/TypeScript through tree-sitter: each syntax, the role from its context, provider uses."""

from __future__ import annotations

import textwrap

import pytest

from authentik_lab.adapters.app_source import js


def reads(source: str, ext: str = ".ts") -> list[tuple[str, int, str, str | None, str, bool]]:
    found, _, _ = js.extract(textwrap.dedent(source).lstrip("\n").encode(), "f" + ext, ext)
    return sorted((r.name, r.line, r.how, r.role, r.evidence, r.in_provider) for r in found)


def test_process_env_dot_subscript_and_fallbacks_take_the_option_key_as_role() -> None:
    assert reads("""
        import Authentik from "next-auth/providers/authentik";
        export default {
          providers: [Authentik({
            clientId: process.env.AK_ID!,
            clientSecret: (process.env["AK_SECRET"] ?? "") as string,
            issuer: process.env.AK_ISS || "http://localhost:9000/application/o/x",
          })],
          secret: process.env.NEXTAUTH_SECRET,
        };
    """) == [
        ("AK_ID", 4, "process.env", "client_id", "option clientId", True),
        ("AK_ISS", 6, "process.env", "issuer", "option issuer", True),
        ("AK_SECRET", 5, "process.env", "client_secret", "option clientSecret", True),
        ("NEXTAUTH_SECRET", 8, "process.env", None, "", False),
    ]


def test_calls_give_roles_by_position_and_fetch_reads_a_token_name_as_the_token_url() -> None:
    assert reads("""
        import * as client from "openid-client";
        import { createRemoteJWKSet } from "jose";
        const config = await client.discovery(new URL(process.env.OP_URL), process.env.RP_ID, process.env.RP_SECRET);
        const jwks = createRemoteJWKSet(new URL(import.meta.env.KEYS));
        await fetch(process.env.AUTHENTIK_TOKEN, { method: "POST" });
        await fetch(process.env.API_BASE);
    """, ".mjs") == [
        ("API_BASE", 6, "process.env", None, "", False),
        ("AUTHENTIK_TOKEN", 5, "process.env", "token_url", "fetch()", False),
        ("KEYS", 4, "import.meta.env", "jwks_url", "createRemoteJWKSet()", False),
        ("OP_URL", 3, "process.env", "issuer", "discovery()", False),
        ("RP_ID", 3, "process.env", "client_id", "discovery()", False),
        ("RP_SECRET", 3, "process.env", "client_secret", "discovery()", False),
    ]


def test_bindings_take_the_role_of_their_use_and_are_reported_where_the_variable_is_named() -> None:
    assert reads("""
        import { ISSUER_A } from "$env/static/private";
        import { CID as id } from "$env/static/public";
        const { CSECRET, OTHER: jwksUri } = process.env;
        const clientSecret = CSECRET;
        const tokenEndpoint = process.env.TOK;
        export const cfg = { issuer: ISSUER_A, clientId: id, jwksUri, tokenEndpoint };
    """) == [
        ("CID", 2, "$env/static/public", "client_id", "option clientId", False),
        ("CSECRET", 3, "process.env", "client_secret", "binding clientSecret", False),
        ("ISSUER_A", 1, "$env/static/private", "issuer", "option issuer", False),
        ("OTHER", 3, "process.env", "jwks_url", "option jwksUri", False),
        ("TOK", 5, "process.env", "token_url", "option tokenEndpoint", False),
    ]


def test_dynamic_env_and_hono_are_reads_only_when_imported_from_their_module() -> None:
    assert reads("""
        import { env } from "$env/dynamic/private";
        export const x = { issuer: env.DYN_ISSUER };
    """) == [("DYN_ISSUER", 2, "$env/dynamic", "issuer", "option issuer", False)]
    assert reads("""
        const env = { A: 1 };
        export const x = { issuer: env.NOT_ENV };
    """) == []
    assert reads("""
        import { env } from "hono/adapter";
        app.get("/", (c) => jwtVerify(t, keys, { issuer: env(c).H_ISS }));
        app.get("/x", (c) => c.json({ base: c.env.H_BASE }));
    """) == [("H_BASE", 3, "c.env", None, "", False), ("H_ISS", 2, "env(c)", "issuer", "option issuer", False)]


def test_deno_env_get_is_one_read_with_its_real_name() -> None:
    assert reads('const issuer = Deno.env.get("D_ISSUER");\nexport default { issuer };\n') == [
        ("D_ISSUER", 1, "Deno.env", "issuer", "option issuer", False)]


def test_jsx_and_tsx_parse_with_their_grammars() -> None:
    assert reads("export const A = () => <a href={process.env.NEXT_PUBLIC_URL}>x</a>;\n", ".jsx") == [
        ("NEXT_PUBLIC_URL", 1, "process.env", None, "", False)]
    assert reads("export const A = (p: {n: number}) => <b>{process.env.T as string}</b>;\n", ".tsx") == [
        ("T", 1, "process.env", None, "", False)]


def test_provider_uses_record_which_options_are_given() -> None:
    src = textwrap.dedent("""
        import NextAuth from "next-auth";
        import Authentik from "next-auth/providers/authentik";
        import { options } from "./opts";
        export const a = NextAuth({ providers: [Authentik] });
        export const b = NextAuth({ providers: [Authentik({ id: "corp-sso", issuer: process.env.I })] });
        export const c = NextAuth({ providers: [Authentik({ ...options })] });
        export const d = NextAuth({ providers: [Authentik(options)] });
    """).lstrip("\n").encode()
    _, uses, modules = js.extract(src, "auth.ts", ".ts")
    assert [(u.line, u.options, u.provider_id) for u in uses] == [
        (4, frozenset(), None), (5, frozenset({"id", "issuer"}), "corp-sso"), (6, None, None), (7, None, None)]
    assert modules == {"next-auth", "next-auth/providers/authentik", "./opts"}


def test_a_syntax_error_is_reported_with_its_line_never_a_partial_result() -> None:
    with pytest.raises(js.SyntaxProblem) as exc:
        js.extract(b"const ok = 1;\nconst a = { clientId: process.env.X,\n", "bad.ts", ".ts")
    assert exc.value.line == 2
