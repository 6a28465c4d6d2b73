"""Small app source trees in the styles people really write, for the app-wiring tests (tests/integration and unit).

Each app: files, the preset its dependencies name, and the variable name per role its code reads. Line numbers in
`where` are the lines of the read in the file as written here (dedented, leading newline dropped).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class App:
    id: str
    files: dict[str, str]
    preset: str
    names: dict[str, str]  # role -> name the code reads (or the framework infers)
    where: dict[str, str] = field(default_factory=dict)  # name -> origin text provider create prints


NEXT4_PKG = '{"name": "web", "dependencies": {"next": "14.2.3", "next-auth": "^4.24.5"}}'

NEXTAUTH_TUTORIAL = App(
    "nextauth-tutorial",
    {
        "package.json": NEXT4_PKG,
        "pages/api/auth/[...nextauth].ts": """
            import NextAuth, { type NextAuthOptions } from "next-auth";
            import AuthentikProvider from "next-auth/providers/authentik";

            async function refreshAccessToken(token: any) {
              const response = await fetch(process.env.AUTHENTIK_TOKEN!, {
                method: "POST",
                body: new URLSearchParams({ grant_type: "refresh_token", refresh_token: token.refreshToken }),
              });
              return { ...token, ...(await response.json()) };
            }

            export const authOptions: NextAuthOptions = {
              providers: [
                AuthentikProvider({
                  clientId: process.env.AUTHENTIK_CLIENT_ID as string,
                  clientSecret: process.env.AUTHENTIK_CLIENT_SECRET as string,
                  issuer: process.env.AUTHENTIK_ISSUER,
                }),
              ],
              secret: process.env.NEXTAUTH_SECRET,
            };
            export default NextAuth(authOptions);
        """,
        "components/Header.tsx": """
            export function Header() {
              return <header>{process.env.NEXT_PUBLIC_SITE_NAME}</header>;
            }
        """,
    },
    "nextauth",
    {"client_id": "AUTHENTIK_CLIENT_ID", "client_secret": "AUTHENTIK_CLIENT_SECRET", "issuer": "AUTHENTIK_ISSUER",
     "token_url": "AUTHENTIK_TOKEN", "callback_base": "NEXTAUTH_URL"},
    {"AUTHENTIK_CLIENT_ID": "read in pages/api/auth/[...nextauth].ts:15",
     "AUTHENTIK_CLIENT_SECRET": "read in pages/api/auth/[...nextauth].ts:16",
     "AUTHENTIK_ISSUER": "read in pages/api/auth/[...nextauth].ts:17",
     "AUTHENTIK_TOKEN": "read in pages/api/auth/[...nextauth].ts:5",
     "NEXTAUTH_URL": "next-auth v4 reads it"},
)

NEXTAUTH_DESTRUCTURED = App(
    "nextauth-destructured",
    {
        "package.json": NEXT4_PKG,
        "src/lib/auth.js": """
            import Authentik from "next-auth/providers/authentik";

            const { AK_CLIENT, AK_SECRET_VALUE: clientSecret, AK_ISSUER_URL } = process.env;

            export const authOptions = {
              providers: [Authentik({ clientId: AK_CLIENT, clientSecret, issuer: AK_ISSUER_URL })],
            };
        """,
    },
    "nextauth",
    {"client_id": "AK_CLIENT", "client_secret": "AK_SECRET_VALUE", "issuer": "AK_ISSUER_URL", "callback_base": "NEXTAUTH_URL"},
    {"AK_CLIENT": "read in src/lib/auth.js:3", "AK_SECRET_VALUE": "read in src/lib/auth.js:3", "AK_ISSUER_URL": "read in src/lib/auth.js:3"},
)

AUTHJS_INFERRED = App(
    "authjs-inferred",
    {
        "package.json": '{"dependencies": {"next": "15.0.0", "next-auth": "5.0.0-beta.25"}}',
        "auth.ts": """
            import NextAuth from "next-auth";
            import Authentik from "next-auth/providers/authentik";

            export const { handlers, signIn, signOut, auth } = NextAuth({
              providers: [Authentik],
            });
        """,
        "app/api/auth/[...nextauth]/route.ts": """
            import { handlers } from "@/auth";
            export const { GET, POST } = handlers;
        """,
    },
    "authjs",
    {"client_id": "AUTH_AUTHENTIK_ID", "client_secret": "AUTH_AUTHENTIK_SECRET", "issuer": "AUTH_AUTHENTIK_ISSUER"},
    {"AUTH_AUTHENTIK_ID": "Auth.js infers it for the Authentik provider at auth.ts:5 (clientId omitted)"},
)

AUTHJS_PARTLY_EXPLICIT = App(
    "authjs-partly-explicit",
    {
        "package.json": '{"dependencies": {"next": "15.0.0", "next-auth": "beta"}}',
        "auth.config.ts": """
            import type { NextAuthConfig } from "next-auth";
            import Authentik from "next-auth/providers/authentik";

            export default {
              providers: [
                Authentik({
                  issuer: process.env.IDP_ISSUER_URL,
                  authorization: { params: { scope: "openid email profile offline_access" } },
                }),
              ],
            } satisfies NextAuthConfig;
        """,
    },
    "authjs",
    {"client_id": "AUTH_AUTHENTIK_ID", "client_secret": "AUTH_AUTHENTIK_SECRET", "issuer": "IDP_ISSUER_URL"},
    {"IDP_ISSUER_URL": "read in auth.config.ts:7"},
)

SVELTEKIT_STATIC = App(
    "sveltekit-static",
    {
        "package.json": '{"devDependencies": {"@sveltejs/kit": "^2.5.0", "@auth/sveltekit": "^1.4.2"}}',
        "src/hooks.server.ts": """
            import { SvelteKitAuth } from "@auth/sveltekit";
            import Authentik from "@auth/sveltekit/providers/authentik";
            import { AUTHENTIK_CLIENT_ID, AUTHENTIK_CLIENT_SECRET, AUTHENTIK_ISSUER } from "$env/static/private";

            export const { handle, signIn, signOut } = SvelteKitAuth({
              providers: [
                Authentik({ clientId: AUTHENTIK_CLIENT_ID, clientSecret: AUTHENTIK_CLIENT_SECRET, issuer: AUTHENTIK_ISSUER }),
              ],
            });
        """,
        "src/routes/+page.svelte": "<h1>{data.session?.user?.name}</h1>\n",
    },
    "sveltekit",
    {"client_id": "AUTHENTIK_CLIENT_ID", "client_secret": "AUTHENTIK_CLIENT_SECRET", "issuer": "AUTHENTIK_ISSUER"},
    {"AUTHENTIK_CLIENT_ID": "read in src/hooks.server.ts:3"},
)

SVELTEKIT_DYNAMIC = App(
    "sveltekit-dynamic",
    {
        "package.json": '{"dependencies": {"@auth/sveltekit": "1.4.2"}}',
        "src/auth.js": """
            import { SvelteKitAuth } from "@auth/sveltekit";
            import Authentik from "@auth/sveltekit/providers/authentik";
            import { env } from "$env/dynamic/private";

            export const { handle } = SvelteKitAuth(async () => ({
              providers: [Authentik({ clientId: env.SSO_CLIENT_ID, clientSecret: env.SSO_CLIENT_SECRET, issuer: env.SSO_ISSUER })],
            }));
        """,
    },
    "sveltekit",
    {"client_id": "SSO_CLIENT_ID", "client_secret": "SSO_CLIENT_SECRET", "issuer": "SSO_ISSUER"},
    {"SSO_ISSUER": "read in src/auth.js:6"},
)

HONO_WORKER = App(
    "hono-worker",
    {
        "package.json": '{"dependencies": {"hono": "^4.4.0", "jose": "^5.6.0"}}',
        "wrangler.toml": 'name = "api"\n',
        "src/index.ts": """
            import { Hono } from "hono";
            import { createRemoteJWKSet, jwtVerify } from "jose";

            type Bindings = { JWKS_URL: string; TOKEN_ISSUER: string };
            const app = new Hono<{ Bindings: Bindings }>();

            app.use("/api/*", async (c, next) => {
              const jwks = createRemoteJWKSet(new URL(c.env.JWKS_URL));
              const token = c.req.header("Authorization")?.replace("Bearer ", "") ?? "";
              await jwtVerify(token, jwks, { issuer: c.env.TOKEN_ISSUER });
              await next();
            });

            export default app;
        """,
    },
    "hono",
    {"jwks_url": "JWKS_URL", "issuer": "TOKEN_ISSUER"},
    {"JWKS_URL": "read in src/index.ts:8", "TOKEN_ISSUER": "read in src/index.ts:10"},
)

HONO_ADAPTER = App(
    "hono-adapter",
    {
        "package.json": '{"dependencies": {"hono": "4.4.0", "jose": "5.6.0"}}',
        "src/verify.ts": """
            import { env } from "hono/adapter";
            import { createRemoteJWKSet, jwtVerify } from "jose";
            import type { Context } from "hono";

            export async function verify(c: Context, token: string) {
              const { AK_JWKS, AK_ISSUER } = env<{ AK_JWKS: string; AK_ISSUER: string }>(c);
              return jwtVerify(token, createRemoteJWKSet(new URL(AK_JWKS)), { issuer: AK_ISSUER });
            }
        """,
    },
    "hono",
    {"jwks_url": "AK_JWKS", "issuer": "AK_ISSUER"},
    {"AK_JWKS": "read in src/verify.ts:6"},
)

DJANGO_SETTINGS = App(
    "django-settings",
    {
        "requirements.txt": "Django>=5.0\ndjango-allauth[socialaccount]==65.0.2  # login\n",
        "mysite/settings.py": """
            import os
            from pathlib import Path

            BASE_DIR = Path(__file__).resolve().parent.parent
            SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "dev")
            DEBUG = os.getenv("DEBUG") == "1"

            SOCIALACCOUNT_PROVIDERS = {
                "openid_connect": {
                    "APPS": [
                        {
                            "provider_id": "authentik",
                            "name": "Authentik",
                            "client_id": os.environ["OIDC_CLIENT_ID"],
                            "secret": os.environ["OIDC_CLIENT_SECRET"],
                            "settings": {"server_url": os.environ["OIDC_ISSUER"]},
                        }
                    ]
                }
            }
        """,
        "manage.py": "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'mysite.settings')\n",
    },
    "django-allauth",
    {"client_id": "OIDC_CLIENT_ID", "client_secret": "OIDC_CLIENT_SECRET", "issuer": "OIDC_ISSUER"},
    {"OIDC_CLIENT_ID": "read in mysite/settings.py:14", "OIDC_ISSUER": "read in mysite/settings.py:16"},
)

DJANGO_ENVIRON = App(
    "django-environ",
    {
        "pyproject.toml": '[project]\nname = "site"\nversion = "0"\ndependencies = ["django>=5", "django-allauth>=65", "django-environ"]\n',
        "config/settings/base.py": """
            import environ

            env = environ.Env(DEBUG=(bool, False))

            SOCIALACCOUNT_PROVIDERS = {
                "openid_connect": {
                    "APPS": [
                        dict(
                            provider_id="authentik",
                            client_id=env("AUTHENTIK_KEY_ID"),
                            secret=env.str("AUTHENTIK_KEY_SECRET"),
                            settings={"server_url": env.url("AUTHENTIK_DISCOVERY")},
                        )
                    ]
                }
            }
        """,
    },
    "django-allauth",
    {"client_id": "AUTHENTIK_KEY_ID", "client_secret": "AUTHENTIK_KEY_SECRET", "issuer": "AUTHENTIK_DISCOVERY"},
    {"AUTHENTIK_KEY_ID": "read in config/settings/base.py:10"},
)

APPS = (NEXTAUTH_TUTORIAL, NEXTAUTH_DESTRUCTURED, AUTHJS_INFERRED, AUTHJS_PARTLY_EXPLICIT, SVELTEKIT_STATIC, SVELTEKIT_DYNAMIC,
        HONO_WORKER, HONO_ADAPTER, DJANGO_SETTINGS, DJANGO_ENVIRON)
