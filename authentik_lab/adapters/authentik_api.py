"""The Authentik HTTP API: one request path, one paginator, typed errors.

Every call goes through `_request` (auth header, timeouts, safe retries, error mapping) and every
list through `paginate`. Higher-level operations live in services; this module only speaks HTTP.
"""

from __future__ import annotations

import functools
import random
import ssl
import time
from typing import Any, Callable, Iterator

import httpx

from authentik_lab.errors import ApiError, AuthError, NotFoundError

API_PREFIX = "/api/v3"
# While Authentik starts, the Go router answers 502/503/504 before gunicorn is up.
RETRY_STATUSES = frozenset({502, 503, 504})
IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
# What callers of `raw()` catch, so services need not know the HTTP library: NO_ANSWER is "not up yet" (refused,
# reset, timed out); EXCHANGE_FAILED also covers exchanges that went wrong otherwise (redirect loops, bad encoding).
NO_ANSWER = (httpx.TransportError,)
EXCHANGE_FAILED = (httpx.HTTPError,)


@functools.lru_cache(maxsize=1)
def tls_context() -> "ssl.SSLContext":
    """httpx's default verifying TLS context, built once per process: loading the CA bundle takes ~50-200 ms, and
    `apply`/`ci` open several clients (one per provider reconcile)."""
    return httpx.create_ssl_context()


def backoff(attempt: int, cap: float = 2.0) -> float:
    """Seconds to wait before attempt `attempt + 1`: 0.2 s doubling per attempt, capped, with jitter (half to full)
    so that several clients that failed together do not retry in lockstep."""
    return min(cap, 0.2 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)


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
            verify=tls_context(),
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

    def raw(self, method: str, path: str, *, anonymous: bool = False, resend: Callable[[], bool] | None = None,
            **kw: Any) -> httpx.Response:
        """One HTTP exchange with safe retries and capped, jittered backoff; no status mapping (health probes,
        OIDC endpoints).

        `anonymous` leaves the token out: Authentik's API authenticates a Bearer header before any view runs,
        so a refused token would turn even a public endpoint (the flow executor) into a 403.

        Retried: a connection that never reached the server (any method); a reset, timeout or cut-off answer, and
        502/503/504 from a restarting router, for methods that are idempotent (GET, HEAD, OPTIONS, PUT, PATCH,
        DELETE: authlab's PATCH bodies set absolute values). A POST is sent again only when `resend()` says so
        (the caller re-read by natural key and found nothing): it may have landed before the answer was lost.
        When `resend()` says no, the failure is returned/raised as it came.
        """
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
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                # nothing reached the server, so even a POST is safe to send again
                if attempt > self.retries:
                    raise
            except (httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                if attempt > self.retries or not self._may_resend(method, resend):
                    raise
            else:
                if response.status_code not in RETRY_STATUSES or attempt > self.retries or not self._may_resend(method, resend):
                    return response
                response.close()
            self._sleep(backoff(attempt))

    @staticmethod
    def _may_resend(method: str, resend: Callable[[], bool] | None) -> bool:
        if method in IDEMPOTENT:
            return resend() if resend is not None else True
        return resend is not None and resend()

    def request(self, method: str, path: str, *, params: dict | None = None, json: Any = None,
                reread: Callable[[], Any] | None = None, idempotent: bool = False) -> Any:
        """An API call under /api/v3: returns the decoded JSON body (None for 204), raises typed errors.

        `reread` (for a create) looks the object up by its natural key and returns it or None. When a POST's
        answer is lost (reset, timeout, 502/503/504) it is called before the POST is sent again: an object that
        is found is returned as the result, so a create that landed is never made twice. `idempotent` marks a
        POST that may simply be sent again (e.g. set_password). A DELETE whose answer was lost and whose retry
        then finds nothing (404) has succeeded.
        """
        full = path if path.startswith(API_PREFIX) else f"{API_PREFIX}/{path.lstrip('/')}"
        landed: list[Any] = []
        lost: list[bool] = []

        def resend() -> bool:
            lost.append(True)
            if method in IDEMPOTENT or idempotent:
                return True
            if reread is None:
                return False
            found = reread()
            if found is not None:
                landed.append(found)
                return False
            return True

        try:
            response = self.raw(method, full, params=params, json=json, resend=resend)
        except httpx.HTTPError as exc:
            if landed:
                return landed[0]
            raise ApiError(
                f"cannot reach Authentik at {self.base_url}: {exc}",
                method,
                full,
                None,
                hint="is it running? `authlab status` shows the lab; check --url",
            ) from exc
        if landed:
            return landed[0]
        if method == "DELETE" and response.status_code == 404 and lost:
            return None
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
