"""core.release_facts: one table, release range -> fact with its source; core.dialect reads it by exact release."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from authentik_lab.core import release_facts as rf
from authentik_lab.core.dialect import Dialect
from authentik_lab.core.templates import layout_for


@pytest.mark.parametrize("fact", sorted(rf.FACTS))
def test_every_fact_covers_every_release_once_and_names_its_source(fact: str) -> None:
    rows = rf.rows(fact)
    assert rows[0].since is None and rows[-1].before is None
    for a, b in zip(rows, rows[1:]):
        assert a.before == b.since, f"{fact}: gap or overlap between {a.releases} and {b.releases}"
        assert a.value != b.value, f"{fact}: two neighbouring rows say the same"
    assert all(r.source.strip() for r in rows)


def test_every_row_belongs_to_a_described_fact() -> None:
    assert {r.fact for r in rf.TABLE} == set(rf.FACTS)
    with pytest.raises(KeyError):
        rf.rows("no-such-fact")


@pytest.mark.parametrize(
    ("version", "objects"),
    [("2024.2.0", False), ("2024.8.0", False), ("2024.8.4", False), ("2024.8.5", True), ("2024.8.9", True),
     ("2024.10.0", False), ("2024.10.2", False), ("2024.10.3", True), ("2024.10.5", True),
     ("2024.12.0", True), ("2025.2.4", True), ("2026.5.6", True)],
)
def test_redirect_uris_form_is_decided_by_the_patch_release(version: str, objects: bool) -> None:
    d = Dialect.for_version(version)
    assert d.redirect_uris_as_objects is objects
    assert d.legacy_regex_redirects is (not objects)  # the string form is the full-regex matching
    assert "CVE 2024 52289" in d.source("redirect_uris_form")


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("2024.6.3", ("propertymappings/scope/", False, "jwks_sources", True, True, "/media", True, "16-alpine", "default-flow-view", "private_key_type")),
        ("2024.10.5", ("propertymappings/provider/scope/", True, "jwks_sources", True, True, "/media", True, "16-alpine", "default-flow-view", "private_key_type")),
        ("2025.2.4", ("propertymappings/provider/scope/", True, "jwt_federation_sources", True, True, "/media", True, "16-alpine", "flow-interface", "private_key_type")),
        ("2025.4.0", ("propertymappings/provider/scope/", True, "jwt_federation_sources", False, True, "/media", True, "16-alpine", "flow-interface", "private_key_type")),
        ("2025.8.4", ("propertymappings/provider/scope/", True, "jwt_federation_sources", False, True, "/media", True, "16-alpine", "flow-interface", "private_key_type")),
        ("2025.10.0", ("propertymappings/provider/scope/", True, "jwt_federation_sources", False, False, "/media", False, "16-alpine", "flow-interface", "private_key_type")),
        ("2025.12.1", ("propertymappings/provider/scope/", True, "jwt_federation_sources", False, False, "/data", False, "16-alpine", "flow-interface", "private_key_type")),
        ("2026.5.6", ("propertymappings/provider/scope/", True, "jwt_federation_sources", False, False, "/data", False, "16-alpine", "flow-interface", "key_type")),
    ],
)
def test_dialect_reads_each_fact_from_the_table(version: str, expected: tuple) -> None:
    d = Dialect.for_version(version)
    got = (d.scope_mapping_path, d.requires_invalidation_flow, d.jwks_field, d.offline_access_adds_consent, d.email_verified_default,
           d.data_mount, d.has_redis, d.postgres_tag, d.anonymous_authorize_redirect, d.certificate_key_type_field)
    assert got == expected


def test_the_other_scope_mapping_path_is_the_fallback() -> None:
    assert Dialect.for_version("2024.6.0").other_scope_mapping_path == "propertymappings/provider/scope/"
    assert Dialect.for_version("2026.5.6").other_scope_mapping_path == "propertymappings/scope/"


def test_compose_layouts_come_from_the_same_table() -> None:
    for version in ("2024.2.1", "2025.8.4", "2025.10.1", "2025.12.0", "2026.5.6"):
        d, layout = Dialect.for_version(version), layout_for(version)
        assert (layout.redis, layout.postgres_tag) == (d.has_redis, d.postgres_tag)
        # the lab keeps its volume at /media even where the official file mounts /data (see layout_for)
        assert layout.storage_mount == "/media"
    assert layout_for("2024.2.1").postgres_tag == "12-alpine"
    assert layout_for("2025.10.1").template == "current.yml.tmpl" and layout_for("2025.8.4").template == "redis.yml.tmpl"


def test_row_ranges_read_as_releases() -> None:
    by_value = {r.value: r.releases for r in rf.rows("scope_mapping_path")}
    assert by_value == {"propertymappings/scope/": "before 2024.8.0", "propertymappings/provider/scope/": "2024.8.0+"}
    assert [r.releases for r in rf.rows("redirect_uris_form")][:2] == ["before 2024.8.5", "2024.8.5 up to 2024.9.0 (excluded)"]
    assert all(set(rec) == {"fact", "releases", "value", "source", "meaning"} for rec in rf.as_records())


def test_bad_release_numbers_are_value_errors() -> None:
    assert rf.parse_version("v2024.10") == (2024, 10, 0)
    assert rf.parse_version("2024.10.5-rc1") == (2024, 10, 5)
    with pytest.raises(ValueError, match="not an Authentik release number"):
        Dialect.for_version("latest")


# --- cross-checked against the OpenAPI schema files in ../shared/authentik -----------------------------


def _schema(shared: Path, name: str) -> dict:
    path = shared / name
    if not path.is_file():
        pytest.skip(f"{name} not in {shared}")
    return yaml.safe_load(path.read_text())


# each schema file describes the release it names (client-go caveat in FACTS §0: only the first patch of it)
@pytest.mark.parametrize("name", ["schema-2023.10.7.yml", "schema-2024.6.0.yml", "schema-2024.10.0.yml", "schema-2024.12.0.yml",
                                  "schema-2025.10.4.yml", "schema-2026.2.2.yml"])
def test_api_facts_agree_with_the_schema_of_that_release(shared_authentik: Path, name: str) -> None:
    doc = _schema(shared_authentik, name)
    d = Dialect.for_version(name[len("schema-"):-len(".yml")])
    schemas = doc["components"]["schemas"]
    request = schemas["OAuth2ProviderRequest"]
    assert (request["properties"]["redirect_uris"]["type"] == "array") is d.redirect_uris_as_objects
    assert ("invalidation_flow" in request.get("required", [])) is d.requires_invalidation_flow
    assert d.jwks_field in request["properties"]
    assert f"/{d.scope_mapping_path}" in doc["paths"] and f"/{d.other_scope_mapping_path}" not in doc["paths"]
    assert d.certificate_key_type_field in schemas["CertificateKeyPair"]["properties"]
