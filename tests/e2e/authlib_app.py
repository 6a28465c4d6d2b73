"""A Python app logging in with authlib (PyPI): discovery, authorization code + PKCE, ID token checked against the
JWKS (iss, aud, nonce). Wired only by the env file `authlab provider create --preset generic --env-out` writes.

    python -m tests.e2e.authlib_app ENV_FILE PORT

Routes as in the openid-client app: /login, /callback, /me (200 with the user once logged in).
"""

from __future__ import annotations

import json
import secrets
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client
from authlib.jose import JsonWebKey, jwt

from authentik_lab.core.dotenv import parse

SESSIONS: dict[str, dict] = {}


def make_handler(env: dict[str, str]) -> type[BaseHTTPRequestHandler]:
    issuer, client_id, redirect_uri = env["OIDC_ISSUER"], env["OIDC_CLIENT_ID"], env["OIDC_REDIRECT_URI"]

    def client() -> OAuth2Client:
        return OAuth2Client(client_id, env["OIDC_CLIENT_SECRET"], scope="openid email profile offline_access",
                            redirect_uri=redirect_uri, code_challenge_method="S256")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt: str, *args: object) -> None:
            print(fmt % args, file=sys.stderr)

        def _redirect(self, location: str, cookie: str | None = None) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            if cookie:
                self.send_header("Set-Cookie", cookie)
            self.end_headers()

        def _json(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _session(self) -> dict | None:
            for part in (self.headers.get("Cookie") or "").split(";"):
                name, _, value = part.strip().partition("=")
                if name == "sid":
                    return SESSIONS.get(value)
            return None

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = urlsplit(self.path).path
            if path == "/login":
                meta = httpx.get(env["OIDC_DISCOVERY_URL"], timeout=10).json()
                verifier, nonce, sid = generate_token(48), generate_token(16), secrets.token_urlsafe(16)
                url, state = client().create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier, nonce=nonce)
                SESSIONS[sid] = {"meta": meta, "verifier": verifier, "nonce": nonce, "state": state}
                return self._redirect(url, f"sid={sid}; Path=/; HttpOnly; SameSite=Lax")
            if path == "/callback":
                session = self._session()
                if session is None:
                    return self._redirect("/?error=no_session")
                meta = session["meta"]
                try:
                    oauth = client()
                    token = oauth.fetch_token(meta["token_endpoint"], authorization_response=redirect_uri + "?" + urlsplit(self.path).query,
                                              code_verifier=session["verifier"], state=session["state"])
                    keys = JsonWebKey.import_key_set(httpx.get(meta["jwks_uri"], timeout=10).json())
                    claims = jwt.decode(token["id_token"], keys, claims_options={
                        "iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": client_id},
                        "nonce": {"essential": True, "value": session["nonce"]}})
                    claims.validate()
                except Exception as exc:  # noqa: BLE001 - any failure is the app refusing the callback
                    print(f"callback failed: {type(exc).__name__}: {exc}", file=sys.stderr)
                    return self._redirect(f"/?error={type(exc).__name__}")
                session.update(claims=dict(claims), refresh_token=token.get("refresh_token"))
                return self._redirect("/me")
            if path == "/me":
                session = self._session()
                claims = (session or {}).get("claims")
                if not claims:
                    return self._json(401, {"error": "not logged in"})
                return self._json(200, {"sub": claims["sub"], "email": claims.get("email"), "has_refresh_token": bool(session.get("refresh_token"))})
            error = parse_qs(urlsplit(self.path).query).get("error")
            return self._json(400 if error else 200, {"error": error[0]} if error else {"app": "authlib"})

    return Handler


def main(argv: list[str]) -> int:
    env = parse(Path(argv[1]).read_text())
    server = ThreadingHTTPServer(("127.0.0.1", int(argv[2])), make_handler(env))
    print(f"listening on http://127.0.0.1:{argv[2]}", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
