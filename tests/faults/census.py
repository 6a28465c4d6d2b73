"""What exists on the stand-in, counted by natural key: the suite's measure of objects lost or duplicated."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.standin.harness import Standin


def _all(server: Standin, path: str) -> list[dict]:
    out, page = [], 1
    while True:
        status, body = server.api("GET", f"{path}{'&' if '?' in path else '?'}page={page}&page_size=100")
        assert status == 200, (path, status, body)
        out += body["results"]
        nxt = body.get("pagination", {}).get("next") or 0
        if not nxt:
            return out
        page = nxt


def census(server: Standin) -> dict[str, Counter]:
    return {
        "provider": Counter(p["name"] for p in _all(server, "/api/v3/providers/oauth2/")),
        "application": Counter(a["slug"] for a in _all(server, "/api/v3/core/applications/?superuser_full_list=true")),
        "group": Counter(g["name"] for g in _all(server, "/api/v3/core/groups/?include_users=false")),
        "user": Counter(u["username"] for u in _all(server, "/api/v3/core/users/")),
    }


def lost_or_duplicated(server: Standin, expected: dict[str, list[str]]) -> list[str]:
    """Each expected (kind, name) that exists 0 or 2+ times, as 'kind name xN'."""
    found = census(server)
    return [f"{kind} {name} x{found[kind][name]}" for kind, names in expected.items() for name in names if found[kind][name] != 1]


def half_written(folder: Path) -> list[str]:
    """Temp files an atomic write would leave if it stopped half-way (`.NAME.xxxx.tmp`)."""
    return sorted(str(p) for p in Path(folder).rglob(".*.tmp"))
