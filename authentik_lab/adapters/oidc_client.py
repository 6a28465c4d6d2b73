"""A browser-like HTTP client for the OIDC side of Authentik: cookie jar, no automatic redirects.

Authentik keeps the login state (the flow plan) in the `authentik_session` cookie, so the authorize call,
every flow-executor call and the final authorize must share one cookie jar, exactly as a browser does.
Redirects are never followed automatically: each 302 is a step the caller inspects (the last one points at
the app's redirect URI, which must not be fetched). Every exchange goes through `_send`, which also keeps
a short trace for error evidence (paths only: no codes, tokens or passwords).
"""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import quote, urljoin, urlsplit

import httpx

from authentik_lab.errors import ApiError

JSON = "application/json"


class OidcClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        on_response: Callable[[str, str, httpx.Response], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.on_response = on_response  # (method, absolute URL, response): `login-test --app` lists every hop
        self.http = httpx.Client(
            base_url=self.base_url,
            headers={"User-Agent": "authlab login-test"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
            follow_redirects=False,
        )
        self.trace: list[str] = []

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "OidcClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, url: str, **kw: Any) -> httpx.Response:
        target = self.absolute(url)
        try:
            response = self.http.request(method, target, **kw)
        except httpx.HTTPError as exc:
            raise ApiError(
                f"cannot reach Authentik at {self.base_url}: {exc}",
                method,
                urlsplit(target).path,
                None,
                hint="is it running? `authlab status` shows the lab; check --url",
            ) from exc
        self.trace.append(f"{method} {urlsplit(target).path} -> {response.status_code}")
        if self.on_response is not None:
            self.on_response(method, target, response)
        return response

    def absolute(self, url: str) -> str:
        """Authentik's Locations and `to` values are relative (`/if/flow/...`); resolve them against the base."""
        return urljoin(self.base_url + "/", url)

    # --- operations --------------------------------------------------------------------------------

    def get(self, url: str, accept: str = "*/*") -> httpx.Response:
        return self._send("GET", url, headers={"Accept": accept})

    def get_json(self, url: str) -> tuple[int, Any]:
        response = self.get(url, accept=JSON)
        return response.status_code, _body(response)

    def executor_url(self, flow_slug: str, query: str) -> str:
        # the executor takes the flow page's own query string, URL-encoded, as `query=` (capture 061)
        return f"/api/v3/flows/executor/{flow_slug}/?query={quote(query, safe='')}"

    def executor(self, url: str, body: dict | None = None) -> httpx.Response:
        """GET (no body) or POST a stage response; the answer is a challenge (200) or a 302 back to the executor."""
        if body is None:
            return self._send("GET", url, headers={"Accept": JSON})
        return self._send("POST", url, json=body, headers={"Accept": JSON})

    def token(self, url: str, form: dict[str, str], basic: tuple[str, str] | None = None) -> tuple[int, Any]:
        """The token endpoint reads form bodies only (a JSON body is `unsupported_grant_type`, capture 078)."""
        auth = httpx.BasicAuth(*basic) if basic else None
        response = self._send("POST", url, data=form, auth=auth, headers={"Accept": JSON})
        return response.status_code, _body(response)


def _body(response: httpx.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return response.text[:2000]


def page_text(response: httpx.Response) -> str:
    """The visible text of an HTML error page (e.g. "Redirect URI Error"), tags stripped."""
    import re

    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", response.text)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split())
