"""Request/response plumbing shared by the handlers."""

from __future__ import annotations

import json
import urllib.parse
from http.cookies import SimpleCookie

VARY = "Accept-Language, Cookie"
HTML = "text/html; charset=utf-8"
JSON = "application/json"


class Request:
    def __init__(self, method: str, target: str, headers, body: bytes) -> None:
        self.method = method.upper()
        self.target = target
        path, _, query = target.partition("?")
        self.path = path
        self.raw_query = query
        self.query = urllib.parse.parse_qs(query, keep_blank_values=True)
        self.headers = headers
        self.body = body
        self.host = headers.get("Host") or "localhost"
        proto = (headers.get("X-Forwarded-Proto") or "http").split(",")[0].strip()
        self.scheme = proto if proto in ("http", "https") else "http"
        self.cookies: dict[str, str] = {}
        raw = headers.get("Cookie")
        if raw:
            c = SimpleCookie()
            try:
                c.load(raw)
            except Exception:
                c = SimpleCookie()
            self.cookies = {k: m.value for k, m in c.items()}

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"

    def q(self, name: str, default: str | None = None) -> str | None:
        vals = self.query.get(name)
        return vals[0] if vals else default

    def content_type(self) -> str:
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def json(self):
        if not self.body:
            return None
        return json.loads(self.body.decode("utf-8"))

    def form(self) -> dict[str, str]:
        if self.content_type() != "application/x-www-form-urlencoded":
            return {}
        parsed = urllib.parse.parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k: v[0] for k, v in parsed.items()}


class Resp:
    def __init__(self, status: int, body: bytes | str = b"", ctype: str | None = HTML, headers: list[tuple[str, str]] | None = None) -> None:
        self.status = status
        self.body = body.encode("utf-8") if isinstance(body, str) else body
        self.headers: list[tuple[str, str]] = []
        if ctype and status != 204:
            self.headers.append(("Content-Type", ctype))
        for h in headers or []:
            self.headers.append(h)

    def add(self, name: str, value: str) -> "Resp":
        self.headers.append((name, value))
        return self


def json_resp(status: int, obj, allow: str | None = None, headers: list[tuple[str, str]] | None = None) -> Resp:
    hs = list(headers or [])
    if allow:
        hs.append(("Allow", allow))
    return Resp(status, json.dumps(obj), JSON, hs)


def empty(status: int, allow: str | None = None) -> Resp:
    r = Resp(status, b"", HTML if status != 204 else None)
    if allow:
        r.add("Allow", allow)
    return r


def redirect(location: str, status: int = 302) -> Resp:
    return Resp(status, b"", HTML, [("Location", location)])


class ApiError(Exception):
    def __init__(self, status: int, body) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


def session_cookie(name: str, value: str, max_age: int | None = None, http_only: bool = True) -> tuple[str, str]:
    parts = [f"{name}={value}"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if http_only:
        parts.append("HttpOnly")
    parts.append("Path=/")
    parts.append("SameSite=Lax")
    return ("Set-Cookie", "; ".join(parts))
