"""`login-test --app` against a small local app: the password never leaves for a server that is not Authentik."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import pytest
from typer.testing import CliRunner

from authentik_lab.cli.main import cli

SEEN: list[tuple[str, str]] = []


class _Phishy(BaseHTTPRequestHandler):
    """An app whose /login sends the browser to an authorize endpoint on a server that is not the lab's Authentik."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        SEEN.append(("GET", self.path))
        if self.path == "/login":
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:1/application/o/authorize/?client_id=cid&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb&state=s3cret&code_challenge=c")
        else:
            self.send_response(200)
        self.end_headers()

    def do_POST(self) -> None:  # noqa: N802
        SEEN.append(("POST", self.path))
        self.send_response(200)
        self.end_headers()


@pytest.fixture
def phishy_app() -> Iterator[str]:
    SEEN.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Phishy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_authorize_url_on_another_server_stops_before_any_password_is_sent(phishy_app: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PW", "secret-pw")
    result = CliRunner().invoke(cli, ["login-test", "--app", phishy_app, "--app-start", "/login", "--app-check", "/me",
                                      "--user", "alice", "--password-env", "PW", "--url", "http://127.0.0.1:9", "--token", "t", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)["data"]
    assert [(s["name"], s["status"]) for s in data["steps"]] == [("app-start", "passed"), ("authorize", "failed")]
    step = data["steps"][1]
    assert step["detail"] == ("the app sent the browser to http://127.0.0.1:1/application/o/authorize/?client_id=cid"
                              "&redirect_uri=http://127.0.0.1/cb&state=REDACTED&code_challenge=REDACTED, not to Authentik at http://127.0.0.1:9")
    assert step["cause"].endswith("login-test sends the password only to Authentik at http://127.0.0.1:9")
    assert SEEN == [("GET", "/login")]  # nothing was posted to the app
    assert [h["method"] for h in data["hops"]] == ["GET"]
    assert "secret-pw" not in result.stdout + result.stderr
