"""DB mode (inside Docker): the whole state is one JSON document in PostgreSQL. psycopg2 is imported lazily."""

from __future__ import annotations

import datetime as _dt

from .util import log, log_raw

STATE_TABLE = "standin_state"
MARKER_TABLE = "standin_worker"


def db_settings(env: dict) -> dict:
    return {
        "host": env.get("AUTHENTIK_POSTGRESQL__HOST"),
        "dbname": env.get("AUTHENTIK_POSTGRESQL__NAME") or "authentik",
        "user": env.get("AUTHENTIK_POSTGRESQL__USER") or "authentik",
        "password": env.get("AUTHENTIK_POSTGRESQL__PASSWORD") or "",
        "port": int(env.get("AUTHENTIK_POSTGRESQL__PORT") or 5432),
        "connect_timeout": 3,
    }


def log_db_error(exc: BaseException, what: str = "PostgreSQL connection failed, retrying...") -> None:
    text = str(exc).strip() or exc.__class__.__name__
    log(what, level="warning", error=text, error_class=exc.__class__.__name__)
    ts = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    for line in text.splitlines():
        if line.strip():
            log_raw(f"{ts} [error] django.db: {line.strip()}")


class DbBackend:
    kind = "db"

    def __init__(self, env: dict) -> None:
        self.settings = db_settings(env)
        self.conn = None
        self.connected = False

    def connect(self) -> bool:
        try:
            import psycopg2  # noqa: PLC0415 - DB mode only
        except ImportError as exc:
            log_db_error(exc, "psycopg2 is not installed; DB mode needs it")
            return False
        try:
            conn = psycopg2.connect(**self.settings)
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (id integer PRIMARY KEY, doc text NOT NULL, updated timestamptz NOT NULL DEFAULT now())")
                cur.execute(f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (key text PRIMARY KEY, value text, updated timestamptz NOT NULL DEFAULT now())")
        except Exception as exc:
            log_db_error(exc)
            self.connected = False
            return False
        self.conn = conn
        self.connected = True
        log("PostgreSQL connection successful", host=self.settings["host"], dbname=self.settings["dbname"])
        return True

    def mark_down(self, exc: BaseException) -> None:
        if self.connected:
            log_db_error(exc, "PostgreSQL connection lost")
        self.connected = False
        try:
            if self.conn is not None:
                self.conn.close()
        except Exception:
            pass
        self.conn = None

    def ping(self) -> None:
        if not self.connected or self.conn is None:
            raise RuntimeError("not connected")
        with self.conn.cursor() as cur:
            cur.execute("SELECT 1")

    def load(self):
        import json

        with self.conn.cursor() as cur:
            cur.execute(f"SELECT doc FROM {STATE_TABLE} WHERE id = 1")
            row = cur.fetchone()
        return json.loads(row[0]) if row else None

    def save(self, doc: str) -> None:
        if not self.connected or self.conn is None:
            raise RuntimeError("database not connected")
        with self.conn.cursor() as cur:
            cur.execute(
                f"INSERT INTO {STATE_TABLE} (id, doc, updated) VALUES (1, %s, now()) ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc, updated = now()",
                (doc,),
            )

    # -- the worker's reports: one row per phase of its first pass, and the server's `migrated` row
    def _markers(self) -> dict[str, str]:
        if not self.connected or self.conn is None:
            return {}
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT key, value FROM {MARKER_TABLE}")
            return {k: v for k, v in cur.fetchall()}

    def _set(self, key: str, value: str) -> None:
        with self.conn.cursor() as cur:
            cur.execute(
                f"INSERT INTO {MARKER_TABLE} (key, value, updated) VALUES (%s, %s, now()) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated = now()",
                (key, value),
            )

    def migrated(self) -> bool:
        return "migrated" in self._markers()

    def set_migrated(self) -> None:
        self._set("migrated", "true")

    def phases(self) -> dict[str, dict]:
        """{phase: the environment the worker applied it with} for every phase the worker reported."""
        import json

        out = {}
        for key, value in self._markers().items():
            if key.startswith("phase:"):
                out[key[len("phase:"):]] = json.loads(value or "{}")
        return out

    def report_phase(self, phase: str, env: dict) -> None:
        import json

        self._set(f"phase:{phase}", json.dumps(env))
