"""adapters.browser: one cookie jar per origin, cookies deleted the way servers delete them, hops redacted."""

from __future__ import annotations

import httpx

from authentik_lab.adapters.browser import Browser, Hop


def test_cookies_stay_with_their_origin_and_hops_hide_secrets() -> None:
    seen: list[tuple[str, str]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url.netloc.decode()), request.headers.get("cookie", "")))
        if request.url.path == "/set":
            return httpx.Response(302, headers=[("location", "/cb?code=abc&state=xyz"), ("set-cookie", "sid=1; Path=/; HttpOnly"),
                                                ("set-cookie", "csrf=t0k; Path=/; SameSite=Lax")])
        if request.url.path == "/drop":
            return httpx.Response(200, headers=[("set-cookie", "csrf=; Path=/; Max-Age=0")])
        return httpx.Response(200)

    with Browser(transport=httpx.MockTransport(answer)) as browser:
        browser.request("GET", "http://localhost:3000/set")
        browser.request("GET", "http://localhost:9000/other")
        browser.request("GET", "http://localhost:3000/drop")
        browser.request("GET", "http://localhost:3000/after")
        hops = list(browser.hops)
    assert seen == [("localhost:3000", ""), ("localhost:9000", ""), ("localhost:3000", "sid=1; csrf=t0k"), ("localhost:3000", "sid=1")]
    assert hops[0] == Hop("http://localhost:3000", "GET", "http://localhost:3000/set", 302,
                          "http://localhost:3000/cb?code=REDACTED&state=REDACTED")
