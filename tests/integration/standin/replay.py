"""Replays the 133 captured Authentik 2026.2.2 exchanges against the stand-in, in order, with id translation.

Ids the real server generated (flow/mapping/cert UUIDs, provider/user pks, client ids, hashed user ids, kid...)
are learned from the responses as they are compared; later requests use the stand-in's equivalents.
Placeholders (<bootstrap-token>, <client-secret-128>, <authorization-code>, <token>...) are filled in the same way.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from pathlib import Path

import httpx

ID_KEYS = {
    "pk", "uuid", "client_id", "policybindingmodel_ptr_id", "user_uid", "kid", "sub", "aud", "azp",
    "authorization_flow", "invalidation_flow", "signing_key", "stages", "property_mappings", "groups",
}
VOLATILE = {
    "client_secret", "key", "token", "date_joined", "last_updated", "password_change_date", "expires", "avatar",
    "pending_user_avatar", "fingerprint_sha256", "fingerprint_sha1", "cert_expiry", "expression", "sentry_dsn",
    "system_permissions", "jti", "exp", "iat", "auth_time", "sid", "at_hash", "request_id", "n", "x5c", "x5t",
    "x5t#S256", "refresh_token", "cache_count", "last_login",
}
INT_KINDS = {"provider": "provider", "user": "user", "user_pk": "user", "users": "user", "num_pk": "group_num"}


def load(captures: Path) -> list[tuple[int, str, dict]]:
    out = []
    for f in sorted(captures.glob("[0-9][0-9][0-9]-*.json")):
        out.append((int(f.name[:3]), f.name, json.loads(f.read_text())))
    return out


def html_text(body: str) -> str:
    body = re.sub(r"<!--.*?-->", " ", body, flags=re.S)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return " ".join(body.split())


def jwt_parts(token: str) -> tuple[dict, dict]:
    def dec(s: str) -> dict:
        return json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))

    h, p, _ = token.split(".")
    return dec(h), dec(p)


class Replayer:
    def __init__(self, standin) -> None:
        self.s = standin
        self.ids: dict[str, str] = {}  # capture string id -> stand-in id
        self.ints: dict[tuple[str, int], int] = {}  # (kind, capture int) -> stand-in int
        self.place: dict[str, str] = {
            "<bootstrap-token>": standin.bootstrap_token,
            "<password>": standin.bootstrap_password,
            "<test-user-password>": "test-user-password-1",
        }
        self.secrets: dict[str, str] = {}  # stand-in client_id -> secret
        self.access_by_jti: dict[str, str] = {}
        self.access_by_capture: dict[int, str] = {}
        self.refresh_tokens: list[str] = []
        self.last_code: str | None = None
        self.jar = httpx.Client(base_url=standin.url, follow_redirects=False, timeout=15)
        self.anon = httpx.Client(base_url=standin.url, follow_redirects=False, timeout=15)
        self.errors: list[str] = []
        self.num = 0

    def close(self) -> None:
        self.jar.close()
        self.anon.close()

    # ---------------------------------------------------------------- request translation
    def tr_str(self, s: str) -> str:
        for cap, ours in sorted(self.ids.items(), key=lambda kv: -len(kv[0])):
            if len(cap) >= 20 and cap in s:
                s = s.replace(cap, ours)
        for ph, val in self.place.items():
            s = s.replace(ph, val)
        return s

    def tr_int(self, kind: str, v):
        if isinstance(v, int) and not isinstance(v, bool):
            return self.ints.get((kind, v), v)
        return v

    def tr_body(self, obj, key: str | None = None):
        if isinstance(obj, dict):
            if set(obj) == {"raw", "jwt_header", "jwt_payload"}:
                return self.access_by_jti[obj["jwt_payload"]["jti"]]
            return {k: self.tr_body(v, k) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.tr_body(v, key) for v in obj]
        if isinstance(obj, str):
            if obj == "<authorization-code>":
                return self.last_code
            if obj == "<refresh-token-128>":
                return self.refresh_tokens[0] if self.num in (79, 80) else self.refresh_tokens[-1]
            if obj == "<base64(username:app-password-token)>":
                return base64.b64encode(f"capture-sa:{self.place['<app-password-token>']}".encode()).decode()
            return self.tr_str(obj)
        if key in INT_KINDS:
            return self.tr_int(INT_KINDS[key], obj)
        return obj

    def tr_path(self, path: str) -> str:
        path = re.sub(r"/providers/oauth2/(\d+)/", lambda m: f"/providers/oauth2/{self.tr_int('provider', int(m.group(1)))}/", path)
        path = re.sub(r"/core/users/(\d+)/", lambda m: f"/core/users/{self.tr_int('user', int(m.group(1)))}/", path)
        return self.tr_str(path)

    def build(self, req: dict) -> tuple[str, str, dict, bytes | None]:
        headers = {}
        for k, v in req["headers"].items():
            if k == "Cookie":
                continue
            headers[k] = v
        auth = headers.get("Authorization", "")
        body = self.tr_body(req.get("body"))
        m = re.fullmatch(r"Basic base64\((.*?):(.*)\)", auth)
        if m:
            cid = self.tr_str(m.group(1))
            secret = self.secrets.get(cid, "") if m.group(2) == "<client-secret-128>" else m.group(2)
            headers["Authorization"] = "Basic " + base64.b64encode(f"{cid}:{secret}".encode()).decode()
        elif auth == "Bearer <token>":
            tok = self.access_by_capture[111] if self.num == 118 else self.access_by_capture["latest"]
            headers["Authorization"] = f"Bearer {tok}"
        elif auth:
            headers["Authorization"] = self.tr_str(auth)
        if isinstance(body, dict) and body.get("client_secret") == "<client-secret-128>":
            body["client_secret"] = self.secrets[body["client_id"]]
        content = None
        if req.get("body") is not None:
            if req.get("body_encoding") == "application/x-www-form-urlencoded":
                content = urllib.parse.urlencode(body).encode()
            else:
                content = json.dumps(body).encode()
        return req["method"], self.tr_path(req["path"]), headers, content

    # ---------------------------------------------------------------- comparison
    def err(self, where: str, msg: str) -> None:
        self.errors.append(f"{self.num:03d} {where}: {msg}")

    def same_id(self, where: str, cap, ours) -> None:
        if isinstance(cap, str):
            known = self.ids.get(cap)
            if known is None:
                if cap in self.ids.values() and cap != ours:
                    self.err(where, f"id {cap!r} collides")
                self.ids[cap] = ours
            elif known != ours:
                self.err(where, f"id {cap!r} maps to {known!r}, got {ours!r}")

    def same_int(self, where: str, kind: str, cap, ours) -> None:
        known = self.ints.get((kind, cap))
        if known is None:
            self.ints[(kind, cap)] = ours
        elif known != ours:
            self.err(where, f"{kind} {cap} maps to {known}, got {ours}")

    def compare(self, cap, ours, where: str = "body", key: str | None = None, parent: dict | None = None) -> None:
        if isinstance(cap, dict) and set(cap) == {"raw", "jwt_header", "jwt_payload"}:
            if not isinstance(ours, str) or ours.count(".") != 2:
                self.err(where, f"expected a JWT, got {ours!r}")
                return
            h, p = jwt_parts(ours)
            self.compare(cap["jwt_header"], h, where + ".header")
            self.compare(cap["jwt_payload"], p, where + ".payload")
            if key == "access_token":
                self.access_by_jti[cap["jwt_payload"]["jti"]] = ours
                self.access_by_capture[self.num] = ours
                self.access_by_capture["latest"] = ours  # type: ignore[index]
            return
        if isinstance(cap, dict):
            if not isinstance(ours, dict):
                self.err(where, f"expected object, got {type(ours).__name__}")
                return
            if set(cap) != set(ours):
                self.err(where, f"keys differ: missing {sorted(set(cap) - set(ours))}, extra {sorted(set(ours) - set(cap))}")
            if "client_id" in ours and "client_secret" in ours and isinstance(ours["client_secret"], str):
                self.secrets[ours["client_id"]] = ours["client_secret"]
            for k in cap:
                if k in ours:
                    self.compare(cap[k], ours[k], f"{where}.{k}", k, cap)
            return
        if isinstance(cap, list):
            if not isinstance(ours, list) or len(cap) != len(ours):
                self.err(where, f"expected list of {len(cap)}, got {ours!r}"[:300])
                return
            for i, (c, o) in enumerate(zip(cap, ours)):
                self.compare(c, o, f"{where}[{i}]", key, parent)
            return
        if key == "refresh_token" and isinstance(ours, str):
            self.refresh_tokens.append(ours)
        if isinstance(cap, str) and cap.startswith("<") and cap.endswith(">") and " " not in cap:
            if not isinstance(ours, str) or not ours:
                self.err(where, f"expected a value for {cap}, got {ours!r}")
            elif cap not in ("<client-secret-128>", "<refresh-token-128>", "<authorization-code>", "<token>"):
                self.place[cap] = ours
            return
        if key in VOLATILE or (key == "uid" and isinstance(cap, str) and len(cap) == 40):
            if (cap is None) != (ours is None):
                self.err(where, f"expected {cap!r}-like value, got {ours!r}")
            return
        if isinstance(cap, bool) or cap is None:
            if cap != ours:
                self.err(where, f"expected {cap!r}, got {ours!r}")
            return
        if isinstance(cap, int):
            kind = None
            if key in INT_KINDS:
                kind = INT_KINDS[key]
            elif key == "pk" and parent is not None:
                kind = "user" if "username" in parent else ("provider" if "client_id" in parent or "component" in parent else None)
            if kind:
                self.same_int(where, kind, cap, ours)
            elif cap != ours:
                self.err(where, f"expected {cap!r}, got {ours!r}")
            return
        if isinstance(cap, str):
            if key in ID_KEYS or (key == "uid" and len(cap) == 64):
                self.same_id(where, cap, ours)
                return
            expected = self.tr_str(cap)
            if expected != ours:
                self.err(where, f"expected {expected!r}, got {ours!r}")
            return
        if cap != ours:
            self.err(where, f"expected {cap!r}, got {ours!r}")

    def compare_location(self, cap: str, ours: str | None) -> None:
        if ours is None:
            self.err("Location", f"missing (expected {cap!r})")
            return
        m = re.search(r"[?&]code=([^&]+)", ours)
        if m:
            self.last_code = urllib.parse.unquote(m.group(1))
            if len(self.last_code) != 32:
                self.err("Location", f"code should have 32 chars: {self.last_code!r}")
            ours = ours.replace(m.group(1), "<authorization-code>")
        expected = self.tr_str(cap)
        if expected != ours:
            self.err("Location", f"expected {expected!r}, got {ours!r}")

    def check(self, resp: httpx.Response, cap: dict) -> None:
        if resp.status_code != cap["status"]:
            self.err("status", f"expected {cap['status']}, got {resp.status_code}: {resp.text[:300]}")
            return
        ch = cap["headers"]
        if ch.get("Content-Type") != resp.headers.get("Content-Type"):
            self.err("Content-Type", f"expected {ch.get('Content-Type')!r}, got {resp.headers.get('Content-Type')!r}")
        for h in ("WWW-Authenticate", "Access-Control-Allow-Origin", "Cache-Control", "Allow"):
            if ch.get(h) != resp.headers.get(h):
                self.err(h, f"expected {ch.get(h)!r}, got {resp.headers.get(h)!r}")
        if "Location" in ch:
            self.compare_location(ch["Location"], resp.headers.get("Location"))
        want_cookies = set(ch.get("Set-Cookie", []))
        got_cookies = {c.split("=", 1)[0] for c in resp.headers.get_list("Set-Cookie")}
        if want_cookies != got_cookies:
            self.err("Set-Cookie", f"expected {sorted(want_cookies)}, got {sorted(got_cookies)}")
        for name, attrs in (ch.get("Set-Cookie-attributes (values omitted)") or {}).items():
            raw = next((c for c in resp.headers.get_list("Set-Cookie") if c.startswith(name + "=")), "")
            got_attrs = sorted(a.strip().split("=")[0] for a in raw.split(";")[1:])
            if got_attrs != sorted(a.strip().split("=")[0] for a in attrs.split(";")):
                self.err("Set-Cookie", f"{name} attributes {attrs!r} vs {raw!r}")
        body = cap.get("body")
        if isinstance(body, (dict, list)):
            try:
                ours = resp.json()
            except ValueError:
                self.err("body", f"not JSON: {resp.text[:200]!r}")
                return
            self.compare(body, ours)
        elif "body_text_excerpt" in cap:
            got = html_text(resp.text)
            if got != cap["body_text_excerpt"]:
                self.err("html", f"expected text {cap['body_text_excerpt']!r}, got {got!r}")
        elif body == "" and resp.content:
            self.err("body", f"expected empty body, got {resp.text[:200]!r}")

    # ---------------------------------------------------------------- state the capture run had but did not record
    def setup_before(self, num: int) -> None:
        s = self.s
        if num == 1:
            # an application "demo" existed before the capture run (045 shows it)
            pm = self._mapping_pks(["openid", "email", "profile", "offline_access"])
            prov = self._provider("demo-provider", pm, signing=True)
            st, _ = s.api("POST", "/api/v3/core/applications/", {"name": "Demo", "slug": "demo", "provider": prov["pk"]})
            assert st == 201
        if num == 99:
            pm = self._mapping_pks(["openid", "email", "profile"])
            prov = self._provider("capture-provider-nooffline", pm, signing=True)
            self.ints[("provider", 14)] = prov["pk"]
            s.api("POST", "/api/v3/core/applications/", {"name": "capture-nooffline", "slug": "capture-nooffline", "provider": prov["pk"]})
        if num == 102:
            pm = self._mapping_pks(["openid", "email", "profile", "offline_access"])
            prov = self._provider("capture-provider-hs256", pm, signing=False)
            self.ints[("provider", 15)] = prov["pk"]
            s.api("POST", "/api/v3/core/applications/", {"name": "capture-hs256", "slug": "capture-hs256", "provider": prov["pk"]})

    def _mapping_pks(self, scopes: list[str]) -> list[str]:
        _, body = self.s.api("GET", "/api/v3/propertymappings/provider/scope/?page_size=100")
        by = {m["scope_name"]: m["pk"] for m in body["results"]}
        return [by[x] for x in scopes]

    def _provider(self, name: str, pm: list[str], signing: bool) -> dict:
        s = self.s
        _, flows = s.api("GET", "/api/v3/flows/instances/?page_size=100")
        by = {f["slug"]: f["pk"] for f in flows["results"]}
        _, certs = s.api("GET", "/api/v3/crypto/certificatekeypairs/?has_key=true")
        body = {
            "name": name,
            "authorization_flow": by["default-provider-authorization-implicit-consent"],
            "invalidation_flow": by["default-provider-invalidation-flow"],
            "redirect_uris": [{"matching_mode": "strict", "url": "http://localhost:3000/api/auth/callback/authentik"}],
            "property_mappings": pm,
            "signing_key": certs["results"][0]["pk"] if signing else None,
        }
        st, prov = s.api("POST", "/api/v3/providers/oauth2/", body)
        assert st == 201, prov
        self.secrets[prov["client_id"]] = prov["client_secret"]
        return prov

    # ---------------------------------------------------------------- run
    def run(self, captures: list[tuple[int, str, dict]]) -> list[str]:
        for num, name, cap in captures:
            self.num = num
            self.setup_before(num)
            req = cap["request"]
            try:
                method, path, headers, content = self.build(req)
            except KeyError as exc:
                self.err("request", f"cannot translate ({exc}); earlier step failed?")
                continue
            use_jar = "Cookie" in req["headers"]
            if use_jar:
                resp = self.jar.request(method, path, headers=headers, content=content)
            else:
                self.anon.cookies.clear()
                resp = self.anon.request(method, path, headers=headers, content=content)
                if not any(c.name == "authentik_session" for c in self.jar.cookies.jar):
                    for k, v in resp.cookies.items():
                        self.jar.cookies.set(k, v, domain="127.0.0.1")
            self.check(resp, cap["response"])
        return self.errors
