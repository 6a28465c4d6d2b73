"""A small HTTP proxy in front of the stand-in Authentik that breaks exchanges on a schedule.

Every request the client sends is numbered (1, 2, ...); `schedule(n, method, path)` names the fault for it, or
None to pass it through. Faults, as a flaky network or a restarting Authentik produces them:

  reset-before  the connection is reset before the request reaches the server (nothing happened there)
  reset-after   the request reaches the server, then the connection is reset: the write landed, the answer is lost
  502/503/504   the router answers itself (Authentik's Go router does while gunicorn restarts); nothing forwarded
  latency       the answer comes LATENCY seconds late
  truncate      the server's answer is cut off half-way through the body, then the connection is closed

`on_request(n, method, path)` is called for every request before anything is forwarded (the interrupt harness
uses it to signal the client at a chosen request). Stdlib only; one upstream connection per request.
"""

from __future__ import annotations

import http.client
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable
from urllib.parse import urlsplit

FAULTS = ("reset-before", "reset-after", "502", "503", "504", "latency", "truncate")
LATENCY = 0.3
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}

Schedule = Callable[[int, str, str], "str | None"]


def every(k: int, kinds: tuple[str, ...] = FAULTS, offset: int = 0) -> Schedule:
    """A fault on every k-th request, cycling through `kinds`: deterministic, so a failure reproduces."""

    def schedule(n: int, method: str, path: str) -> str | None:
        if (n + offset) % k:
            return None
        return kinds[((n + offset) // k - 1) % len(kinds)]

    return schedule


@dataclass
class FaultProxy:
    upstream: str
    schedule: Schedule = field(default=lambda n, m, p: None)
    on_request: Callable[[int, str, str], None] | None = None
    count: int = 0
    injected: dict[str, int] = field(default_factory=dict)
    log: list[tuple[int, str, str, str | None]] = field(default_factory=list)  # (n, method, path, fault)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        parts = urlsplit(self.upstream)
        self._up = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def faults(self) -> int:
        return sum(self.injected.values())

    def _next(self, method: str, path: str) -> tuple[int, str | None]:
        with self._lock:
            self.count += 1
            n = self.count
        fault = self.schedule(n, method, path)
        with self._lock:
            self.log.append((n, method, path, fault))
            if fault:
                self.injected[fault] = self.injected.get(fault, 0) + 1
        return n, fault

    def forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self._up, timeout=30)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for k, v in headers:
                if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                    conn.putheader(k, v)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, [(k, v) for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP and k.lower() != "content-length"], data
        finally:
            conn.close()


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt: str, *args: object) -> None:
            pass

        def handle(self) -> None:
            try:
                super().handle()
            except (OSError, ValueError):
                pass  # a connection this proxy reset on purpose

        def finish(self) -> None:
            try:
                super().finish()
            except (OSError, ValueError):
                pass

        def _reset(self) -> None:
            self.close_connection = True
            try:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()  # linger 0: the peer sees a reset (ECONNRESET), not a clean close
            except OSError:
                pass

        def _send(self, status: int, headers: list[tuple[str, str]], body: bytes, cut: bool = False) -> None:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command == "HEAD":
                return
            if cut:
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self._reset()
                return
            self.wfile.write(body)

        def _run(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            n, fault = proxy._next(self.command, self.path)
            if proxy.on_request is not None:
                proxy.on_request(n, self.command, self.path)
            if fault == "reset-before":
                return self._reset()
            if fault in ("502", "503", "504"):
                page = f"<html><body>{fault} upstream unavailable</body></html>".encode()
                return self._send(int(fault), [("Content-Type", "text/html")], page)
            if fault == "latency":
                time.sleep(LATENCY)
            status, headers, data = proxy.forward(self.command, self.path, list(self.headers.items()), body)
            if fault == "reset-after" or (fault == "truncate" and len(data) < 2):
                return self._reset()
            self._send(status, headers, data, cut=fault == "truncate")

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _run

    return Handler
