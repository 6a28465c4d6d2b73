"""The pure rules of database snapshots: identity, metadata, when one may be restored."""

from __future__ import annotations

import json

import pytest

from authentik_lab.core import snapshot as core

IDENT = core.Identity("2026.5.6", "ghcr.io/goauthentik/server:2026.5.6", "sha256:aaa", "docker.io/library/postgres:16-alpine",
                      "sha256:bbb", "0123456789ab")
SECRETS = {"AUTHENTIK_SECRET_KEY": "k" * 50, "AUTHENTIK_BOOTSTRAP_TOKEN": "tok", "AUTHENTIK_BOOTSTRAP_PASSWORD": "pw"}


def test_the_key_changes_with_every_part_of_the_identity() -> None:
    keys = {IDENT.key}
    for field in ("release", "server_image_id", "database_image_id", "template"):
        other = core.Identity(**{**IDENT.__dict__, field: IDENT.__dict__[field] + "x"})
        keys.add(other.key)
    assert len(keys) == 5
    assert IDENT.key.startswith("2026.5.6-") and len(IDENT.key) == len("2026.5.6-") + 16
    # a tag alone is not identity: the same tag on another image id is another snapshot
    retagged = core.Identity(**{**IDENT.__dict__, "server_image": "other/name:2026.5.6"})
    assert retagged.key == IDENT.key


def test_meta_round_trips_and_rejects_what_it_cannot_trust() -> None:
    meta = core.Meta(IDENT, "2026-11-29T23:00:00Z", "authentik", "authentik", SECRETS, {"database.dump": 1234})
    again = core.parse_meta(meta.to_json())
    assert again == meta and again.secrets == SECRETS
    raw = json.loads(meta.to_json())
    for broken, reason in (
        ("not json", "not JSON"),
        (json.dumps({**raw, "authlab_snapshot": 99}), "known format"),
        (json.dumps({**raw, "key": "2026.5.6-0000000000000000"}), "does not match"),
        (json.dumps({**raw, "secrets": {"AUTHENTIK_BOOTSTRAP_TOKEN": "t"}}), "no AUTHENTIK_SECRET_KEY"),
        (json.dumps({k: v for k, v in raw.items() if k != "pg_user"}), "lacks"),
    ):
        with pytest.raises(core.BadSnapshot, match=reason):
            core.parse_meta(broken)


def test_restored_only_into_an_empty_database_of_the_same_identity() -> None:
    meta = core.Meta(IDENT, "t", "authentik", "authentik", SECRETS)
    assert core.restorable(meta, IDENT, database_exists=False) is None
    assert "exists already" in core.restorable(meta, IDENT, database_exists=True)
    other = core.Identity(**{**IDENT.__dict__, "release": "2026.2.2"})
    assert "other images" in core.restorable(meta, other, database_exists=False)


def test_env_updates_name_only_the_values_that_differ() -> None:
    meta = core.Meta(IDENT, "t", "authentik", "authentik", SECRETS)
    current = {"AUTHENTIK_SECRET_KEY": "k" * 50, "AUTHENTIK_BOOTSTRAP_TOKEN": "new", "PG_PASS": "p"}
    assert core.env_updates(meta, current) == {"AUTHENTIK_BOOTSTRAP_TOKEN": "tok", "AUTHENTIK_BOOTSTRAP_PASSWORD": "pw"}
    assert core.wanted_secrets({**SECRETS, "PG_PASS": "p", "AUTHENTIK_BOOTSTRAP_EMAIL": ""}) == SECRETS


def test_prune_and_list_survive_what_a_killed_save_or_a_broken_folder_leaves(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    import os
    import time as _time

    from authentik_lab.services import snapshot

    monkeypatch.setenv("AUTHLAB_CACHE_DIR", str(tmp_path))
    root = tmp_path / "snapshots"
    good = root / IDENT.key
    good.mkdir(parents=True)
    (good / "meta.json").write_text(core.Meta(IDENT, "t", "authentik", "authentik", SECRETS).to_json())
    (good / "database.dump").write_bytes(b"PGDMP")
    broken = root / "2026.5.6-broken"
    broken.mkdir()
    (broken / "meta.json").symlink_to(tmp_path / "gone")  # a dangling link: unusable, listing must not crash
    old_tmp = root / ".new-abc"
    old_tmp.mkdir()
    os.utime(old_tmp, (_time.time() - 7200, _time.time() - 7200))
    fresh_tmp = root / ".new-def"
    fresh_tmp.mkdir()  # maybe a save running right now: left alone

    listed = {s.key: s.problem for s in snapshot.list_snapshots()}
    assert listed[IDENT.key] is None and listed["2026.5.6-broken"]

    class Engine:
        def image_id(self, ref: str) -> str:
            return {"ghcr.io/goauthentik/server:2026.5.6": "sha256:aaa", "docker.io/library/postgres:16-alpine": "sha256:bbb"}[ref]

    removed = {s.key for s in snapshot.prune(Engine())}
    assert removed == {"2026.5.6-broken", ".new-abc"}
    assert good.is_dir() and fresh_tmp.is_dir() and not old_tmp.exists()
    assert {s.key for s in snapshot.prune(Engine(), everything=True)} == {IDENT.key}
