"""The Authentik HTTP API: one request path, one paginator, typed errors.

Every call goes through `_request` (auth header, timeouts, safe retries, error mapping) and every
list through `paginate`. Higher-level operations live in services; this module only speaks HTTP.
"""

from __future__ import annotations

import random
import time
from typing import Any, Callable, Iterator

import httpx

from authentik_lab.errors import ApiError, AuthError, NotFoundError

API_PREFIX = "/api/v3"
# While Authentik starts, the Go router answers 502/503/504 before gunicorn is up.
RETRY_STATUSES = frozenset({502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# What callers of `raw()` catch, so services need not know the HTTP library: NO_ANSWER is "not up yet" (refused,
# reset, timed out); EXCHANGE_FAILED also covers exchanges that went wrong otherwise (redirect loops, bad encoding).
NO_ANSWER = (httpx.TransportError,)
EXCHANGE_FAILED = (httpx.HTTPError,)


class AuthentikApi:
    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        host_header: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.retries = retries
        self._sleep = sleep
        headers = {"Accept": "application/json", "User-Agent": "authlab"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if host_header:
            headers["Host"] = host_header
        self.http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
            follow_redirects=False,
        )
        self.requests_made = 0

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "AuthentikApi":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the choke point -------------------------------------------------------------------------

    def raw(self, method: str, path: str, *, anonymous: bool = False, **kw: Any) -> httpx.Response:
        """One HTTP exchange with safe retries; no status mapping (health probes, OIDC endpoints).

        `anonymous` leaves the token out: Authentik's API authenticates a Bearer header before any view runs,
        so a refused token would turn even a public endpoint (the flow executor) into a 403."""
        attempt = 0
        while True:
            attempt += 1
            try:
                self.requests_made += 1
                if anonymous:
                    request = self.http.build_request(method, path, **kw)
                    request.headers.pop("Authorization", None)
                    response = self.http.send(request)
                else:
                    response = self.http.request(method, path, **kw)
            except httpx.ConnectError:
                # nothing reached the server, so even a POST is safe to send again
                if attempt > self.retries:
                    raise
            except (httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ReadError):
                if method not in IDEMPOTENT or attempt > self.retries:
                    raise
            else:
                if response.status_code not in RETRY_STATUSES or method not in IDEMPOTENT or attempt > self.retries:
                    return response
            self._sleep(min(2.0, 0.2 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2))

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None) -> Any:
        """An API call under /api/v3: returns the decoded JSON body (None for 204), raises typed errors."""
        full = path if path.startswith(API_PREFIX) else f"{API_PREFIX}/{path.lstrip('/')}"
        try:
            response = self.raw(method, full, params=params, json=json)
        except httpx.HTTPError as exc:
            raise ApiError(
                f"cannot reach Authentik at {self.base_url}: {exc}",
                method,
                full,
                None,
                hint="is it running? `authlab status` shows the lab; check --url",
            ) from exc
        return self._decode(method, full, response)

    def _decode(self, method: str, path: str, response: httpx.Response) -> Any:
        status = response.status_code
        body: Any
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text[:500]
        if 200 <= status < 300:
            return body
        detail = body.get("detail") if isinstance(body, dict) else None
        if status in (401, 403):
            raise AuthError(
                f"{method} {path}: {status} {detail or 'forbidden'}",
                method,
                path,
                status,
                body,
                hint="the API token is wrong, expired or lacks permission: check --token / AUTHENTIK_TOKEN "
                "(a lab uses AUTHENTIK_BOOTSTRAP_TOKEN from its .env)",
            )
        if status == 404:
            raise NotFoundError(f"{method} {path}: not found{f' ({detail})' if detail else ''}", method, path, status, body)
        if status == 400:
            raise ApiError(f"{method} {path}: Authentik rejected the request", method, path, status, body)
        raise ApiError(f"{method} {path}: HTTP {status}{f' ({detail})' if detail else ''}", method, path, status, body)

    # --- helpers ---------------------------------------------------------------------------------

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def get_optional(self, path: str, **params: Any) -> Any | None:
        try:
            return self.get(path, **params)
        except NotFoundError:
            return None

    def paginate(self, path: str, page_size: int = 100, **params: Any) -> Iterator[dict]:
        """Walk every page; Authentik's `pagination.next` is a page number (0 = no more)."""
        page = 1
        while True:
            body = self.get(path, page=page, page_size=page_size, **params)
            yield from body.get("results", [])
            nxt = (body.get("pagination") or {}).get("next") or 0
            if not nxt or nxt == page:
                return
            page = int(nxt)

    def list(self, path: str, **params: Any) -> list[dict]:
        return list(self.paginate(path, **params))
