"""Small helpers: clock, ids, version dialects, logging. Stdlib only."""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import secrets
import string
import sys
import time
import uuid

ALNUM = string.ascii_letters + string.digits


class Clock:
    """Server clock with an adjustable offset (STANDIN_CLOCK_OFFSET + fault clock_offset)."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def now(self) -> float:
        return time.time() + self.offset

    def iso(self, delta: float = 0.0) -> str:
        t = _dt.datetime.fromtimestamp(self.now() + delta, tz=_dt.timezone.utc)
        return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def gen_id(length: int = 40) -> str:
    return "".join(secrets.choice(ALNUM) for _ in range(length))


def new_uuid() -> str:
    return str(uuid.uuid4())


def is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def vtuple(version: str) -> tuple[int, int, int]:
    nums = [int(n) for n in re.findall(r"\d+", version)[:3]]
    while len(nums) < 3:
        nums.append(0)
    return tuple(nums)  # type: ignore[return-value]


# The object form of redirect_uris came with the CVE-2024-52289 fix in 2024.8.5, 2024.10.3 and 2024.12.0.
_OBJECT_FORM_RANGES = (((2024, 8, 5), (2024, 9, 0)), ((2024, 10, 3), (2024, 11, 0)), ((2024, 12, 0), (9999, 0, 0)))


class Dialect:
    """What differs between Authentik releases (from the OpenAPI schemas and issues 9/16, see NOTES.md)."""

    def __init__(self, version: str) -> None:
        self.version = version
        v = vtuple(version)
        self.v = v
        self.scope_path = "propertymappings/provider/scope" if v >= (2024, 8, 0) else "propertymappings/scope"
        self.has_invalidation_flow = v >= (2024, 10, 0)
        self.redirect_uris_list = any(lo <= v < hi for lo, hi in _OBJECT_FORM_RANGES)
        # the string form: every line is a full-match regex (literal compare when it does not compile)
        self.legacy_regex = not self.redirect_uris_list
        self.jwt_federation = v >= (2024, 12, 0)
        self.encryption_key = v >= (2024, 8, 0)
        self.logout_fields = v >= (2025, 10, 0)
        self.entitlements = v >= (2024, 12, 0)
        self.app_icon_urls = v >= (2025, 12, 0)
        self.email_verified = not (v >= (2025, 10, 0))
        # an anonymous authorize goes through /flows/-/default/authentication/ (2024.x; 2026.2.2 goes straight on)
        self.default_flow_view = v < (2025, 2, 0)
        # requesting offline_access appends a consent stage, even on the implicit-consent flow
        self.offline_access_consent = v < (2025, 4, 0)
        self.key_type_field = "key_type" if v >= (2026, 2, 0) else "private_key_type"


def parse_validity(text: str, default: float) -> float:
    """'hours=1;minutes=2' -> seconds."""
    units = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "microseconds": 1e-6, "milliseconds": 1e-3}
    total = 0.0
    found = False
    for part in (text or "").split(";"):
        if "=" not in part:
            continue
        k, _, val = part.partition("=")
        k = k.strip()
        if k not in units:
            continue
        try:
            total += float(val) * units[k]
            found = True
        except ValueError:
            continue
    return total if found else default


_log_name = "standin"


def set_logger(name: str) -> None:
    global _log_name
    _log_name = name


def log(event: str, level: str = "info", **kw: object) -> None:
    rec = {"event": event, "level": level, "logger": _log_name, "timestamp": _dt.datetime.now(_dt.timezone.utc).isoformat(), "pid": os.getpid()}
    rec.update(kw)
    try:
        sys.stderr.write(json.dumps(rec, default=str) + "\n")
        sys.stderr.flush()
    except Exception:
        pass


def log_raw(line: str) -> None:
    try:
        sys.stderr.write(line.rstrip("\n") + "\n")
        sys.stderr.flush()
    except Exception:
        pass
