"""A browser without a browser for `login-test --app`: one cookie jar per origin, redirects never followed
automatically, and every exchange written down as a hop (origin, method, path, status, location) with
secret query values redacted.

Authentik's own origin is served by the `OidcClient` the flow-executor steps already use (its httpx client
holds Authentik's cookies); every other origin (the app) gets its own jar here. Cookies are kept per origin
by name, as a browser does for the `Path=/` cookies these frameworks set (session, CSRF, state, PKCE).
"""

from __future__ import annotations

from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any, Callable

import httpx

from authentik_lab.core.app_login import origin_of, redact_url
from authentik_lab.errors import AuthlabError


class Unreachable(AuthlabError):
    """An origin did not answer (connection refused, timeout): the caller turns it into a failed step."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{origin_of(url)} does not answer ({reason})")
        self.url = url


@dataclass(frozen=True)
class Hop:
    origin: str
    method: str
    url: str  # redacted
    status: int
    location: str = ""  # redacted

    def to_dict(self) -> dict[str, Any]:
        return {"origin": self.origin, "method": self.method, "url": self.url, "status": self.status, "location": self.location}


class Browser:
    def __init__(self, *, timeout: float = 20.0, on_hop: Callable[[Hop], None] | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.http = httpx.Client(timeout=httpx.Timeout(timeout, connect=5.0), follow_redirects=False, transport=transport,
                                 headers={"User-Agent": "authlab login-test --app"})
        self.jars: dict[str, dict[str, str]] = {}
        self.hops: list[Hop] = []
        self.on_hop = on_hop

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def record(self, method: str, url: str, response: httpx.Response) -> None:
        location = response.headers.get("location", "")
        if location:
            location = redact_url(str(httpx.URL(url).join(location)))
        hop = Hop(origin_of(url), method, redact_url(url), response.status_code, location)
        self.hops.append(hop)
        if self.on_hop:
            self.on_hop(hop)

    def cookies(self, url: str) -> dict[str, str]:
        return self.jars.setdefault(origin_of(url), {})

    def request(self, method: str, url: str, *, data: dict[str, str] | None = None, accept: str = "*/*") -> httpx.Response:
        jar = self.cookies(url)
        headers = {"Accept": accept}
        if jar:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        try:
            response = self.http.request(method, url, data=data, headers=headers)
        except httpx.HTTPError as exc:
            raise Unreachable(url, str(exc) or type(exc).__name__) from exc
        self.http.cookies.clear()  # httpx keeps its own host-wide jar; cookies here live only in the per-origin jars
        self._store(jar, response)
        self.record(method, url, response)
        return response

    @staticmethod
    def _store(jar: dict[str, str], response: httpx.Response) -> None:
        for header in response.headers.get_list("set-cookie"):
            parsed = SimpleCookie()
            try:
                parsed.load(header)
            except CookieError:
                continue
            for name, morsel in parsed.items():
                expired = morsel["max-age"] in ("0", "-1") or (not morsel.value and bool(morsel["expires"]))
                if expired:
                    jar.pop(name, None)
                else:
                    jar[name] = morsel.value
