"""Database snapshots of a freshly booted lab: what identifies one, what it carries, when it may be used. Pure.

Why: a real first boot spends about 2 minutes migrating an empty database and applying every blueprint
(real-boot-2026.2.2: ready at ~100 s, the worker's objects 15-35 s later); the same database after `down` is ready in
about 14 s. A dump taken right after the first boot and restored into the next empty database turns every later
first boot into a warm one.

Safety rules, enforced here:
* a snapshot is keyed by the exact images (server and database image ids, not tags) and the compose template it
  was made with, so a snapshot of another release, another build or another layout never matches;
* it is restored only into a database that does not exist yet (never over data);
* the lab's .env takes the snapshot's AUTHENTIK_SECRET_KEY and bootstrap values: the restored database was
  encrypted with that key and holds that token, so the "another token" diagnosis can never fire after a restore.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

FORMAT = 1
DUMP_FILE = "database.dump"  # pg_dump --format=custom
CERTS_FILE = "certs.tar.gz"  # the certs volume's files, when there are any
META_FILE = "meta.json"
# What the database depends on: the key that encrypted it and the bootstrap values it was created with.
SECRET_KEYS = ("AUTHENTIK_SECRET_KEY", "AUTHENTIK_BOOTSTRAP_PASSWORD", "AUTHENTIK_BOOTSTRAP_TOKEN", "AUTHENTIK_BOOTSTRAP_EMAIL")


@dataclass(frozen=True)
class Identity:
    """What must be equal for a snapshot to be restored: the release, both images (by id) and the template."""

    release: str
    server_image: str
    server_image_id: str
    database_image: str
    database_image_id: str
    template: str  # sha256 prefix of the compose template text authlab rendered the lab from

    @property
    def key(self) -> str:
        raw = "|".join((self.release, self.server_image_id, self.database_image_id, self.template))
        return f"{self.release}-{hashlib.sha256(raw.encode()).hexdigest()[:16]}"


def template_digest(template_text: str) -> str:
    return hashlib.sha256(template_text.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Meta:
    identity: Identity
    created: str  # ISO 8601, UTC
    pg_user: str
    pg_db: str
    secrets: dict[str, str] = field(repr=False, default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)  # file name -> size in bytes

    def to_json(self) -> str:
        ident = self.identity
        return json.dumps({
            "authlab_snapshot": FORMAT, "key": ident.key, "release": ident.release,
            "server_image": ident.server_image, "server_image_id": ident.server_image_id,
            "database_image": ident.database_image, "database_image_id": ident.database_image_id,
            "template": ident.template, "created": self.created, "pg_user": self.pg_user, "pg_db": self.pg_db,
            "secrets": self.secrets, "files": self.files,
        }, indent=1) + "\n"


class BadSnapshot(ValueError):
    """The snapshot's metadata is unreadable or incomplete: it must be discarded, never restored."""


def parse_meta(text: str) -> Meta:
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise BadSnapshot(f"meta.json is not JSON: {exc}") from None
    if not isinstance(raw, dict) or raw.get("authlab_snapshot") != FORMAT:
        raise BadSnapshot("meta.json is not an authlab snapshot of a known format")
    try:
        ident = Identity(*(str(raw[k]) for k in ("release", "server_image", "server_image_id", "database_image",
                                                 "database_image_id", "template")))
        secrets = {k: str(v) for k, v in dict(raw["secrets"]).items() if k in SECRET_KEYS}
        meta = Meta(ident, str(raw["created"]), str(raw["pg_user"]), str(raw["pg_db"]), secrets,
                    {str(k): int(v) for k, v in dict(raw.get("files") or {}).items()})
    except (KeyError, TypeError, ValueError) as exc:
        raise BadSnapshot(f"meta.json lacks {exc}") from None
    if raw.get("key") != ident.key:
        raise BadSnapshot("meta.json's key does not match its contents")
    if not secrets.get("AUTHENTIK_SECRET_KEY"):
        raise BadSnapshot("meta.json has no AUTHENTIK_SECRET_KEY: the database cannot be decrypted without it")
    return meta


def restorable(meta: Meta, wanted: Identity, database_exists: bool) -> str | None:
    """None when `meta` may be restored for `wanted`, else the reason it may not."""
    if database_exists:
        return "the lab's database exists already (a snapshot is only restored into an empty one)"
    if meta.identity != wanted:
        return f"it was made for other images or another template (release {meta.identity.release})"
    return None


def env_updates(meta: Meta, current: Mapping[str, str]) -> dict[str, str]:
    """The .env values to take from the snapshot: only those that differ (names are reported, never values)."""
    return {k: v for k, v in meta.secrets.items() if current.get(k) != v}


def wanted_secrets(env: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(env[k]) for k in SECRET_KEYS if env.get(k)}
