"""Start the stand-in as a real subprocess on a free port and talk to its control plane (stdlib only).

    from tests.standin.harness import run_standin
    with run_standin(version="2024.6.0", worker_delay=0) as s:
        s.wait_worker()
        status, body = s.api("GET", "/api/v3/admin/version/")
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

_PKG = Path(__file__).resolve().parent


def _module_and_cwd() -> tuple[str, str]:
    parent = _PKG.parent
    if parent.name == "tests" and (parent / "__init__.py").exists():
        return f"tests.{_PKG.name}", str(parent.parent)
    return _PKG.name, str(parent)


@dataclass
class Standin:
    url: str
    port: int
    proc: subprocess.Popen
    bootstrap_token: str
    bootstrap_password: str
    version: str
    log_path: str
    env: dict = field(default_factory=dict)

    # -- control plane
    def _call(self, method: str, path: str, body: object | None = None, headers: dict | None = None) -> tuple[int, object]:
        data = None
        hs = {"Accept": "application/json"}
        hs.update(headers or {})
        if body is not None:
            data = json.dumps(body).encode()
            hs["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hs)
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                raw = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            raw = e.read()
            status = e.code
        try:
            return status, json.loads(raw) if raw else None
        except ValueError:
            return status, raw.decode("utf-8", "replace")

    def requests(self) -> list[dict]:
        return self._call("GET", "/_standin/requests")[1]  # type: ignore[return-value]

    def clear_requests(self) -> None:
        self._call("DELETE", "/_standin/requests")

    def fault(self, **kw) -> dict:
        status, body = self._call("POST", "/_standin/fault", kw)
        if status != 200:
            raise RuntimeError(f"fault {kw} rejected: {status} {body}")
        return body  # type: ignore[return-value]

    def info(self) -> dict:
        return self._call("GET", "/_standin/info")[1]  # type: ignore[return-value]

    def wait_worker(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.info().get("worker_done"):
                return
            time.sleep(0.05)
        raise TimeoutError("stand-in worker objects did not appear")

    # -- convenience for tests (API with the bootstrap token, urllib, no redirects followed)
    def api(self, method: str, path: str, body: object | None = None, token: str | None = None) -> tuple[int, object]:
        return self._call(method, path, body, {"Authorization": f"Bearer {token or self.bootstrap_token}"})

    def logs(self) -> str:
        try:
            return Path(self.log_path).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc.stdout:
            self.proc.stdout.close()


def start_standin(
    version: str = "2026.5.6",
    worker_delay: float = 0.0,
    no_worker: bool = False,
    env: dict | None = None,
    state_file: str | None = None,
    host: str = "127.0.0.1",
    startup_timeout: float = 20.0,
) -> Standin:
    """Start a stand-in subprocess (caller must .stop() it). env values of None remove that variable."""
    full = dict(os.environ)
    for k in list(full):
        if k.startswith("AUTHENTIK_") or k.startswith("STANDIN_"):
            del full[k]
    full.update(
        {
            "AUTHENTIK_SECRET_KEY": secrets.token_urlsafe(40),
            "AUTHENTIK_BOOTSTRAP_PASSWORD": "pw-" + secrets.token_urlsafe(12),
            "AUTHENTIK_BOOTSTRAP_TOKEN": secrets.token_urlsafe(45),
            "AUTHENTIK_BOOTSTRAP_EMAIL": "akadmin@example.com",
            "STANDIN_ACCESS_LOG": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    for k, v in (env or {}).items():
        if v is None:
            full.pop(k, None)
        else:
            full[k] = str(v)
    module, cwd = _module_and_cwd()
    python = os.environ.get("STANDIN_PYTHON") or sys.executable  # e.g. an interpreter with Debian's older cryptography
    cmd = [python, "-m", module, "server", "--host", host, "--port", "0", "--version", version, "--worker-delay", str(worker_delay)]
    if no_worker:
        cmd.append("--no-worker")
    if state_file:
        cmd += ["--state-file", str(state_file)]
    fd, log_path = tempfile.mkstemp(prefix="standin-", suffix=".log")
    logf = os.fdopen(fd, "w")
    proc = subprocess.Popen(cmd, cwd=cwd, env=full, stdout=subprocess.PIPE, stderr=logf, text=True)
    logf.close()
    line_box: list[str] = []

    def reader() -> None:
        assert proc.stdout is not None
        line_box.append(proc.stdout.readline())

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    t.join(startup_timeout)
    line = line_box[0] if line_box else ""
    if not line.startswith("standin listening on "):
        proc.kill()
        proc.wait(timeout=5)
        raise RuntimeError(f"stand-in did not start (exit {proc.returncode}): {Path(log_path).read_text(errors='replace')[-2000:]}")
    url = line.split("listening on ", 1)[1].strip()
    port = int(url.rsplit(":", 1)[1])
    return Standin(
        url=url,
        port=port,
        proc=proc,
        bootstrap_token=full.get("AUTHENTIK_BOOTSTRAP_TOKEN", ""),
        bootstrap_password=full.get("AUTHENTIK_BOOTSTRAP_PASSWORD", ""),
        version=version,
        log_path=log_path,
        env=full,
    )


@contextlib.contextmanager
def run_standin(
    version: str = "2026.5.6",
    worker_delay: float = 0.0,
    no_worker: bool = False,
    env: dict | None = None,
    state_file: str | None = None,
    host: str = "127.0.0.1",
    startup_timeout: float = 20.0,
) -> Iterator[Standin]:
    s = start_standin(version=version, worker_delay=worker_delay, no_worker=no_worker, env=env, state_file=state_file, host=host, startup_timeout=startup_timeout)
    try:
        yield s
    finally:
        s.stop()
        with contextlib.suppress(OSError):
            os.unlink(s.log_path)
