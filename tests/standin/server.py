"""The HTTP server process: context (state, clock, persistence), request handling, control plane."""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import api, boot, flows, oidc, pages, store
from .util import Clock, Dialect, gen_id, log, set_logger
from .web import HTML, Request, Resp, empty, json_resp, session_cookie


class Ctx:
    def __init__(self, version: str, worker_delay: float, no_worker: bool, backend, env: dict, db_mode: bool = False) -> None:
        self.version = version
        self.d = Dialect(version)
        self.base_offset = float(env.get("STANDIN_CLOCK_OFFSET") or 0)
        self.clock = Clock(self.base_offset)
        self.worker_delay = worker_delay
        self.no_worker = no_worker
        self.backend = backend
        self.env = env
        self.db_mode = db_mode
        self.lock = threading.RLock()
        self.state: dict | None = None
        self.requests: list[dict] = []
        self.started = time.monotonic()
        self.last_doc: str | None = None
        self.api_routes = api.routes(self)
        self.last_marker_check = 0.0
        self.boot_scale = boot.scale_from(env)
        # monotonic times: Django answers from live_at on (the router's 502/503 before), ready from ready_at on
        self.live_at: float | None = None
        self.ready_at: float | None = None

    # -- state lifecycle
    def load_or_init(self) -> bool:
        """Load the state, or create an empty one (the migrations of an empty database). True when it existed.

        Nothing of the bootstrap is created here: akadmin and its token come from the worker's pass (boot.PHASES).
        """
        loaded = self.backend.load()
        if loaded:
            self.state = loaded
            log("State loaded", backend=self.backend.kind, worker_done=loaded.get("worker_done"))
        else:
            self.state = store.empty_state(self.version)
        self.persist(force=True)
        return bool(loaded)

    def boot_plan(self, warm: bool) -> boot.BootPlan:
        return boot.plan(self.boot_scale, self.worker_delay, warm)

    def schedule_boot(self, plan: boot.BootPlan, start: float) -> None:
        self.live_at = start + plan.migrate
        self.ready_at = self.live_at + plan.ready_after
        if plan.migrate:
            log("Migrating", seconds=round(plan.migrate, 2))

    def apply_phase(self, phase: str, env: dict | None = None) -> None:
        if self.state is None:
            return
        store.apply_phase(self.state, phase, self.d, self.clock, self.env if env is None else env)
        self.persist()

    def django_up(self) -> bool:
        return self.live_at is not None and time.monotonic() >= self.live_at

    def persist(self, force: bool = False) -> None:
        if self.state is None or self.backend.kind == "memory":
            return
        doc = json.dumps(self.state)
        if force or doc != self.last_doc:
            self.backend.save(doc)
            self.last_doc = doc

    def worker_done(self) -> None:
        if self.state is not None and not self.state.get("worker_done"):
            self.apply_phase("done")

    def check_marker(self, force: bool = False) -> None:
        """DB mode: apply the phases the worker process has reported (one row per phase, in order)."""
        if not self.db_mode or self.state is None or self.state.get("worker_done"):
            return
        now = time.monotonic()
        if not force and now - self.last_marker_check < 0.25:
            return
        self.last_marker_check = now
        try:
            reported = self.backend.phases()
        except Exception as exc:  # connection dropped: readiness goes 503 until reconnect
            self.backend.mark_down(exc)
            return
        for phase in boot.PHASE_NAMES:
            if phase in reported:
                self.apply_phase(phase, reported[phase])

    def ready(self) -> bool:
        if self.state is None or self.ready_at is None or time.monotonic() < self.ready_at:
            return False
        return self.backend.connected if self.db_mode else True

    # -- helpers used by handlers
    def issuer(self, req: Request, p: dict, app: dict | None) -> str | None:
        if p.get("issuer_mode") == "global":
            return f"{req.base}/"
        if not app:
            return None
        return f"{req.base}/application/o/{app['slug']}/"

    def session(self, req: Request):
        """Return (session dict, session id, Set-Cookie header); creates the session when needed."""
        sid = req.cookies.get("authentik_session")
        sessions = self.state["sessions"]
        if not sid or sid not in sessions:
            sid = gen_id(32)
            sessions[sid] = {"user": None, "plans": {}}
        return sessions[sid], sid, session_cookie("authentik_session", sid)

    def session_for(self, req: Request, create: bool = False):
        sid = req.cookies.get("authentik_session")
        if sid and sid in self.state["sessions"]:
            return self.state["sessions"][sid]
        if create:
            return self.session(req)[0]
        return None


def not_found(ctx: Ctx) -> Resp:
    return Resp(404, pages.not_found(ctx.version), HTML)


def control(ctx: Ctx, req: Request) -> Resp:
    path = req.path
    if path == "/_standin/requests":
        if req.method == "DELETE":
            ctx.requests.clear()
            return empty(204)
        return json_resp(200, ctx.requests)
    if path == "/_standin/info" and req.method == "GET":
        st = ctx.state or {}
        return json_resp(200, {"version": ctx.version, "worker_done": bool(st.get("worker_done")), "phases_done": list(st.get("phases_done") or []), "ready": ctx.ready(), "db_mode": ctx.db_mode, "clock_offset": ctx.clock.offset})
    if path == "/_standin/fault" and req.method == "POST":
        try:
            data = json.loads(req.body or b"{}")
        except ValueError:
            return json_resp(400, {"error": "body must be JSON"})
        if not isinstance(data, dict):
            return json_resp(400, {"error": "body must be a JSON object"})
        if ctx.state is None:
            return json_resp(503, {"error": "state not loaded (database unreachable?)"})
        applied = []
        st = ctx.state
        for key, val in data.items():
            if key == "clock_offset":
                ctx.clock.offset = ctx.base_offset + float(val)
            elif key == "delete_flow":
                st["flows"].pop(val, None)
            elif key == "delete_mapping":
                for pk in [pk for pk, m in st["mappings"].items() if m["managed"] == val]:
                    del st["mappings"][pk]
            elif key == "delete_certificate":
                if val:
                    for pk in [pk for pk, c in st["certs"].items() if c["name"] == store.CERT_NAME]:
                        del st["certs"][pk]
            elif key == "worker_done":
                if val:
                    ctx.worker_done()
            else:
                return json_resp(400, {"error": f"unknown fault {key!r}", "known": ["clock_offset", "delete_flow", "delete_mapping", "delete_certificate", "worker_done"]})
            applied.append(key)
        return json_resp(200, {"applied": applied})
    return json_resp(404, {"error": "unknown control-plane endpoint"})


def handle(ctx: Ctx, req: Request) -> Resp:
    path = req.path
    if path.startswith("/_standin/"):
        return control(ctx, req)
    if not ctx.django_up():
        # the router answers while the backend migrates (real-boot-2026.2.2: live 502, the rest 503)
        return empty(502 if path == "/-/health/live/" else 503)
    if path == "/-/health/live/":
        return empty(200)
    if path == "/-/health/ready/":
        return empty(200 if ctx.ready() else 503)
    if ctx.state is None or (ctx.db_mode and not ctx.backend.connected):
        return empty(503)
    ctx.check_marker()
    if path.startswith(("/api/v3/flows/executor/", "/if/flow/", "/flows/-/default/")):
        r = flows.dispatch(ctx, req)
        return r if r is not None else not_found(ctx)
    if path.startswith("/api/v3/"):
        r = api.dispatch(ctx, req)
        return r if r is not None else not_found(ctx)
    if path.startswith("/application/o/"):
        r = oidc.dispatch(ctx, req)
        return r if r is not None else not_found(ctx)
    if path == "/":
        return Resp(302, b"", HTML, [("Location", "/if/flow/default-authentication-flow/?next=%2F")])
    return not_found(ctx)


def make_handler(ctx: Ctx):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        def version_string(self):
            return "authentik-standin"

        def setup(self) -> None:
            super().setup()
            try:  # headers and body are separate writes: avoid Nagle/delayed-ACK stalls on keep-alive
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass

        def _run(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            req = Request(self.command, self.path, self.headers, body)
            with ctx.lock:
                try:
                    resp = handle(ctx, req)
                except Exception:
                    log("Unhandled error", level="error", path=req.path, exc=traceback.format_exc())
                    resp = Resp(500, b"<h1>Server Error (500)</h1>", HTML)
                if not req.path.startswith("/_standin/"):
                    ctx.requests.append({"method": req.method, "path": req.path, "query": req.raw_query, "status": resp.status})
                try:
                    ctx.persist()
                except Exception as exc:
                    if ctx.db_mode:
                        ctx.backend.mark_down(exc)
                    else:
                        log("State save failed", level="error", error=str(exc))
            self.send_response(resp.status)
            has_vary = False
            for k, v in resp.headers:
                self.send_header(k, v)
                has_vary = has_vary or k.lower() == "vary"
            if not has_vary:
                self.send_header("Vary", "Accept-Language, Cookie")
            self.send_header("Content-Length", str(len(resp.body)))
            self.end_headers()
            if self.command != "HEAD" and resp.body:
                self.wfile.write(resp.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _run

        def date_time_string(self, timestamp=None):  # noqa: D401 - clock offset applies to the Date header
            return formatdate(ctx.clock.now() if timestamp is None else timestamp, usegmt=True)

        def log_message(self, fmt, *args):  # one JSON line per request, like authentik's access log
            if os.environ.get("STANDIN_ACCESS_LOG", "1") != "0":
                log("request", path=self.path.split("?")[0], method=self.command, status=args[1] if len(args) > 1 else None, host=self.headers.get("Host") if self.headers else None)

    return Handler


def serve(host: str, port: int, version: str, worker_delay: float, no_worker: bool, state_file: str | None, env: dict) -> int:
    set_logger("authentik.standin.server")
    if not env.get("AUTHENTIK_SECRET_KEY"):
        log("Secret key missing, set AUTHENTIK_SECRET_KEY (https://goauthentik.io/docs/installation/)", level="error")
        return 1
    db_mode = bool(env.get("AUTHENTIK_POSTGRESQL__HOST"))
    if db_mode:
        from .db import DbBackend

        backend = DbBackend(env)
    elif state_file:
        backend = store.FileBackend(state_file)
    else:
        backend = store.MemoryBackend()
    ctx = Ctx(version, worker_delay, no_worker, backend, env, db_mode=db_mode)
    log("Starting authentik stand-in server", version=version, mode="db" if db_mode else backend.kind, worker_delay=worker_delay, no_worker=no_worker)
    if not db_mode:
        with ctx.lock:
            warm = ctx.load_or_init()
            plan = ctx.boot_plan(warm)
            ctx.schedule_boot(plan, time.monotonic())
            if not no_worker and not ctx.state.get("worker_done") and plan.pass_length == 0:
                ctx.worker_done()  # a worker delay of 0: every object before the first request
        if not no_worker and not ctx.state.get("worker_done") and plan.pass_length > 0:
            threading.Thread(target=worker_pass, args=(ctx, plan), name="standin-worker", daemon=True).start()
    else:
        threading.Thread(target=db_loop, args=(ctx,), name="standin-db", daemon=True).start()
    try:
        httpd = ThreadingHTTPServer((host, port), make_handler(ctx))
    except OSError as exc:
        log("Failed to bind", level="error", host=host, port=port, error=str(exc))
        return 1
    httpd.daemon_threads = True
    real_port = httpd.server_address[1]
    shown_host = host if ":" not in host else f"[{host}]"
    sys.stdout.write(f"standin listening on http://{shown_host}:{real_port}\n")
    sys.stdout.flush()

    def stop(signum, frame):  # noqa: ARG001
        log("Shutting down", signal=signum)
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        httpd.server_close()
    return 0


def worker_pass(ctx: Ctx, plan: boot.BootPlan) -> None:
    """Process mode: the worker's first pass, in the real order, timed from readiness."""
    for phase, at in plan.phase_at:
        delay = (ctx.ready_at or time.monotonic()) + at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        with ctx.lock:
            ctx.apply_phase(phase)


def db_first_boot(ctx: Ctx) -> None:
    """DB mode, first connection: migrate (slowly on an empty database), then tell the worker (a `migrated` row)."""
    existed = ctx.backend.load() is not None and ctx.backend.migrated()
    plan = ctx.boot_plan(warm=existed)
    start = time.monotonic()
    ctx.schedule_boot(plan, start)
    log("Migration needs to be applied" if not existed else "No migrations to apply")
    time.sleep(max(0.0, plan.migrate))
    with ctx.lock:
        ctx.load_or_init()
        ctx.backend.set_migrated()
        ctx.check_marker(force=True)


def db_loop(ctx: Ctx) -> None:
    backend = ctx.backend
    while True:
        if not backend.connected:
            if backend.connect():
                try:
                    if ctx.state is None:
                        db_first_boot(ctx)
                    else:
                        with ctx.lock:
                            ctx.persist(force=True)
                except Exception as exc:
                    backend.mark_down(exc)
            else:
                time.sleep(1.0)
                continue
        with ctx.lock:
            try:
                backend.ping()
                ctx.check_marker()
            except Exception as exc:
                backend.mark_down(exc)
        time.sleep(0.5)
