"""Small helpers for the stand-in tests: an httpx client, a headless login, PKCE, JWT verification."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import urllib.parse

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

CALLBACK = "http://localhost:3000/api/auth/callback/authentik"


def client(s, token: str | None = None) -> httpx.Client:
    headers = {"Accept": "application/json"}
    if token is not False:
        headers["Authorization"] = f"Bearer {token or s.bootstrap_token}"
    return httpx.Client(base_url=s.url, headers=headers, follow_redirects=False, timeout=15)


def b64url_decode(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def jwt_decode(token: str) -> tuple[dict, dict, bytes, bytes]:
    h, p, sig = token.split(".")
    return json.loads(b64url_decode(h)), json.loads(b64url_decode(p)), f"{h}.{p}".encode(), b64url_decode(sig)


def verify_rs256(token: str, jwks: dict) -> dict:
    header, payload, signing_input, sig = jwt_decode(token)
    assert header["alg"] == "RS256"
    key = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    n = int.from_bytes(b64url_decode(key["n"]), "big")
    e = int.from_bytes(b64url_decode(key["e"]), "big")
    rsa.RSAPublicNumbers(e, n).public_key().verify(sig, signing_input, padding.PKCS1v15(), hashes.SHA256())
    return payload


def verify_hs256(token: str, secret: str) -> dict:
    header, payload, signing_input, sig = jwt_decode(token)
    assert header == {"alg": "HS256", "typ": "JWT"}
    assert hmac.compare_digest(hmac.new(secret.encode(), signing_input, hashlib.sha256).digest(), sig)
    return payload


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def objects(api: httpx.Client, version_path: str = "propertymappings/provider/scope") -> dict:
    flows = {f["slug"]: f["pk"] for f in api.get("/api/v3/flows/instances/", params={"page_size": 100}).json()["results"]}
    maps = {m["scope_name"]: m["pk"] for m in api.get(f"/api/v3/{version_path}/", params={"page_size": 100}).json()["results"]}
    certs = api.get("/api/v3/crypto/certificatekeypairs/", params={"has_key": "true"}).json()["results"]
    return {"flows": flows, "maps": maps, "cert": certs[0]["pk"] if certs else None}


def make_app(api: httpx.Client, slug: str, scopes=("openid", "email", "profile", "offline_access"), signing=True, redirect=CALLBACK, **extra) -> dict:
    o = objects(api)
    body = {
        "name": f"{slug}-provider",
        "authorization_flow": o["flows"]["default-provider-authorization-implicit-consent"],
        "invalidation_flow": o["flows"]["default-provider-invalidation-flow"],
        "redirect_uris": [{"matching_mode": "strict", "url": redirect}],
        "property_mappings": [o["maps"][x] for x in scopes],
        "signing_key": o["cert"] if signing else None,
    }
    body.update(extra)
    r = api.post("/api/v3/providers/oauth2/", json=body)
    assert r.status_code == 201, r.text
    prov = r.json()
    r = api.post("/api/v3/core/applications/", json={"name": slug.title(), "slug": slug, "provider": prov["pk"]})
    assert r.status_code == 201, r.text
    return prov


def login(s, browser: httpx.Client, username: str, password: str, authorize_params: dict) -> str:
    """Headless: authorize -> flow executor (identification, password, user-login) -> authorize again. Returns the code."""
    r = browser.get("/application/o/authorize/", params=authorize_params)
    assert r.status_code == 302, r.text
    loc = r.headers["Location"]
    if loc.startswith("/flows/-/default/authentication/?next="):  # 2024.x: the default-flow view, then the flow interface
        r = browser.get(loc)
        assert r.status_code == 302, r.text
        loc = r.headers["Location"]
    assert loc.startswith("/if/flow/default-authentication-flow/?")
    query = urllib.parse.urlsplit(loc).query
    ex = f"/api/v3/flows/executor/default-authentication-flow/?query={urllib.parse.quote(query, safe='')}"
    hdr = {"Accept": "application/json"}
    ch = browser.get(ex, headers=hdr).json()
    assert ch["component"] == "ak-stage-identification", ch
    r = browser.post(ex, json={"component": "ak-stage-identification", "uid_field": username}, headers=hdr)
    assert r.status_code == 302
    ch = browser.get(ex, headers=hdr).json()
    assert ch["component"] == "ak-stage-password", ch
    r = browser.post(ex, json={"component": "ak-stage-password", "password": password}, headers=hdr)
    assert r.status_code == 302, r.text
    for _ in range(5):
        r = browser.get(ex, headers=hdr)
        if r.status_code == 200:
            break
    body = r.json()
    assert body["component"] == "xak-flow-redirect", body
    r = browser.get(body["to"])
    assert r.status_code == 302, r.text
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)
    return q["code"][0]
