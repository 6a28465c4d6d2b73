"""What doctor learns about the Authentik server: its URL, the token to use, and GETs against it (each once)."""

from __future__ import annotations

import time
from typing import Any

from authentik_lab.core.checks import Skip
from authentik_lab.core.doctor.provider import Fetched
from authentik_lab.services.doctor.facts_files import FileFacts

LIVE_PATH, READY_PATH, ME_PATH, CONFIG_PATH = "/-/health/live/", "/-/health/ready/", "/api/v3/core/users/me/", "/api/v3/root/config/"
NO_URL = "no Authentik URL (no lab here: pass --url and --token, or --compose FILE)"


class ServerFacts(FileFacts):
    def base_url(self) -> str | None:
        def find() -> str | None:
            from authentik_lab.services.connection import canonical_url

            lab = self.lab()
            if self.opts.url:
                # the same normalisation and notes as every other command that takes --url
                base = canonical_url(self.opts.url, lab.url if lab else None)
                self.url_notes = base.notes
                return base.url
            if lab:
                return lab.url
            port = self.compose_http_port()
            return f"http://localhost:{port}" if port else None

        return self.once("base_url", find)

    def compose_http_port(self) -> int | None:
        if not self.compose_path():
            return None
        try:
            ports = self.published_ports()
        except Exception:  # noqa: BLE001 - a broken compose file is reported by the compose checks
            return None
        return ports[0] if ports else None

    def published_ports(self) -> list[int]:
        """Host ports the Authentik server publishes for its HTTP port 9000."""
        from authentik_lab.core.compose_patch import split_port
        from authentik_lab.core.doctor.compose import authentik_services, interpolate

        out = []
        for svc in authentik_services(self.compose_doc()):
            if svc.role != "server":
                continue
            for entry in svc.spec.get("ports") or []:
                if isinstance(entry, dict):
                    host, target = entry.get("published"), entry.get("target")
                else:
                    parts = [interpolate(p, self.interp_env()) for p in split_port(str(entry))]
                    host, target = (parts[-2], parts[-1]) if len(parts) >= 2 else (None, parts[0])
                if str(target).split("/")[0] == "9000" and host and str(host).isdigit():
                    out.append(int(host))
        return out

    def token_source(self) -> tuple[str | None, str | None]:
        """(token, where it came from). The lab's bootstrap token goes only to the lab's own URL: never send
        a secret to another server just because --url pointed there."""
        if self.opts.token:
            return self.opts.token, "--token"
        lab = self.lab()
        if lab and lab.bootstrap_token and self._own_url(lab.url):
            return lab.bootstrap_token, "bootstrap token"
        if self.compose_path() and not lab:
            try:
                value = self.env_lines().get("AUTHENTIK_BOOTSTRAP_TOKEN", (0, ""))[1]
            except Skip:
                value = ""
            port = self.compose_http_port()
            if value and (not self.opts.url or (port and self._own_url(f"http://localhost:{port}"))):
                return value, "bootstrap token"
        return None, None

    def _own_url(self, url: str) -> bool:
        from authentik_lab.core.urls import same_origin

        base = self.base_url()
        return not self.opts.url or bool(base and (same_origin(base, url) or same_origin(base, url.replace("localhost", "127.0.0.1"))))

    def api(self) -> Any:
        url = self.base_url()
        if not url:
            raise Skip(NO_URL)
        return self.once("api", lambda: self.app.api(url, self.token_source()[0], timeout=5.0, retries=1))

    def fetch(self, path: str, key: str | None = None) -> Fetched:
        """One GET (no status mapping), remembered; connection errors become a status of None."""

        def get() -> Fetched:
            api = self.api()
            url = f"{api.base_url}{path}"
            before = time.time()
            try:
                response = api.raw("GET", path)
            except Exception as exc:  # noqa: BLE001 - httpx errors: the check reports them
                return Fetched(url, None, error=f"{type(exc).__name__}: {exc}")
            try:
                body = response.json() if response.content else None
            except ValueError:
                body = None
            return Fetched(url, response.status_code, body, error=None,
                           headers={"Date": response.headers.get("Date", ""), "_before": before, "_after": time.time()})

        return self.once(key or f"GET {path}", get)

    def flows_applied(self) -> bool | None:
        """Does the flow executor find default-authentication-flow? Asked without the token (a refused token would
        make it a 403); None when the server cannot be asked."""
        from authentik_lab.core.readiness import AUTH_FLOW_EXECUTOR

        def get() -> bool | None:
            try:
                return self.api().raw("GET", AUTH_FLOW_EXECUTOR, anonymous=True).status_code == 200
            except Exception:  # noqa: BLE001 - httpx errors: unknown
                return None

        return self.once("flows_applied", get)

    def require_api(self) -> Any:
        """The API, when it answers and accepts the token; otherwise Skip naming the check that explains why."""
        live = self.fetch(LIVE_PATH)
        if live.status is None:
            raise Skip("Authentik cannot be reached (see http.live)")
        token, _ = self.token_source()
        if not token:
            raise Skip("no API token (pass --token, or use a lab with AUTHENTIK_BOOTSTRAP_TOKEN)")
        if self.fetch(ME_PATH).status != 200:
            raise Skip("the API token is not accepted (see http.token)")
        return self.api()
