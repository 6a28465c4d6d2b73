"""The exported blueprint: tags round-trip, every preset and object kind validates against Authentik's blueprint
schema (2026.2.2), references are by natural keys, and no secret is ever written."""

from __future__ import annotations

import json
import textwrap
from typing import Any

import pytest

from authentik_lab.core.dialect import Dialect
from authentik_lab.core.export import blueprint as bp
from authentik_lab.core.export import blueprint_yaml as by
from authentik_lab.core.labfile import parse
from authentik_lab.core.presets import PRESETS
from authentik_lab.services.export import blueprint_document

EVERY_KIND = """
version: "2026.2.2"
providers:
{providers}
groups: [{{name: testers}}, {{name: "ops team"}}]
users:
  - {{username: alice, email: alice@example.com, name: Alice Example, groups: [testers, "ops team"]}}
  - {{username: bob, password_env: BOB_PASSWORD, groups: [staff-on-server]}}
  - {{username: carol}}
service_accounts: [{{name: ci-bot}}, {{name: "Deploy Bot"}}]
"""

# each preset once, plus every provider option that changes the blueprint
PROVIDERS = "\n".join(f"  - {{name: p-{name}, preset: {name}}}" for name in PRESETS) + """
  - {name: fixed, preset: generic, client_id: fixed-id, redirect_uris: ["http://localhost:9999/cb", "http://127.0.0.1:9999/cb"]}
  - {name: pattern, preset: generic, regex: true, redirect_uris: ['https?://localhost:\\d+/cb']}
  - {name: spa, preset: authjs, client_type: public, consent: explicit, offline_access: false, sub_mode: user_email, slug: spa-app}
  - {name: taken, preset: grafana, adopt: true}
"""


def lab_every_kind():
    return parse(textwrap.dedent(EVERY_KIND).format(providers=PROVIDERS), presets=sorted(PRESETS))


# the primary key type of each model a tag can point at (Authentik's models: uuid pks, int for users and providers)
PK = {
    bp.FLOW: "00000000-0000-4000-8000-000000000001",
    bp.SCOPE_MAPPING: "00000000-0000-4000-8000-000000000002",
    bp.CERTIFICATE: "00000000-0000-4000-8000-000000000003",
    bp.GROUP: "00000000-0000-4000-8000-000000000004",
    bp.TOKEN: "00000000-0000-4000-8000-000000000005",
    bp.APPLICATION: "00000000-0000-4000-8000-000000000006",
    bp.USER: 7,
    bp.PROVIDER: 8,
}


def placeholders(value: Any, document: dict) -> Any:
    """Replace each tag by a value of the type it resolves to on a server (what the schema describes)."""
    models = {e["id"]: e["model"] for e in document["entries"] if "id" in e}
    if isinstance(value, by.Tag):
        if value.name == "Find":
            return PK[value.value[0]]
        if value.name == "KeyOf":
            return PK[models[value.value]]
        if value.name == "Env":
            return "from-the-environment"
        if value.name == "Context":
            return document["context"][value.value]
    if isinstance(value, dict):
        return {k: placeholders(v, document) for k, v in value.items()}
    if isinstance(value, list):
        return [placeholders(v, document) for v in value]
    return value


@pytest.fixture(scope="module")
def schema_validator():
    from tests.conftest import SHARED_AUTHENTIK

    path = SHARED_AUTHENTIK / "blueprint-schema-2026.2.2.json"
    if not path.is_file():
        pytest.skip(f"reference data not found at {path}")
    import jsonschema

    schema = json.loads(path.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def test_every_preset_and_object_kind_validates_against_the_blueprint_schema(schema_validator) -> None:
    lab = lab_every_kind()
    document = blueprint_document(lab, Dialect.for_version("2026.2.2"), "authlab")
    # through the YAML text, as Authentik reads it
    reloaded = by.load(by.dump(document))
    assert reloaded == document
    concrete = placeholders(reloaded, reloaded)
    errors = sorted(schema_validator.iter_errors(concrete), key=lambda e: list(e.path))
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    kinds = {e["model"] for e in document["entries"]}
    assert kinds == {bp.GROUP, bp.USER, bp.TOKEN, bp.PROVIDER, bp.APPLICATION}
    assert len([e for e in document["entries"] if e["model"] == bp.PROVIDER]) == len(PRESETS) + 4


def test_a_wrong_entry_fails_the_schema_so_the_check_is_real(schema_validator) -> None:
    document = blueprint_document(lab_every_kind(), Dialect.for_version("2026.2.2"), "authlab")
    concrete = placeholders(document, document)
    concrete["entries"][0]["attrs"]["is_superuser"] = "no"
    assert list(schema_validator.iter_errors(concrete))


def test_references_are_natural_keys_never_ids() -> None:
    document = blueprint_document(lab_every_kind(), Dialect.for_version("2026.5.6"), "authlab")
    by_id = {e["id"]: e for e in document["entries"]}
    web = by_id["provider-p-nextauth"]["attrs"]
    assert web["authorization_flow"] == by.find(bp.FLOW, ("slug", "default-provider-authorization-implicit-consent"))
    assert web["invalidation_flow"] == by.find(bp.FLOW, ("slug", "default-provider-invalidation-flow"))
    assert web["signing_key"] == by.find(bp.CERTIFICATE, ("name", "authentik Self-signed Certificate"))
    assert web["property_mappings"] == [
        by.find(bp.SCOPE_MAPPING, ("managed", f"goauthentik.io/providers/oauth2/scope-{s}")) for s in ("openid", "email", "profile", "offline_access")
    ]
    assert (web["client_type"], web["sub_mode"], web["issuer_mode"]) == ("confidential", "hashed_user_id", "per_provider")
    assert web["redirect_uris"] == by.context("p-nextauth.redirect_uris")
    assert document["context"]["p-nextauth.redirect_uris"] == [{"matching_mode": "strict", "url": "http://localhost:3000/api/auth/callback/authentik"}]
    assert by_id["application-p-nextauth"] == {
        "model": bp.APPLICATION, "id": "application-p-nextauth",
        "identifiers": {"slug": "p-nextauth", "meta_publisher": "authlab"},
        "attrs": {"name": "p-nextauth", "provider": by.key_of("provider-p-nextauth"), "meta_launch_url": by.context("p-nextauth.launch_url")},
    }
    spa = by_id["provider-spa"]["attrs"]
    assert spa["authorization_flow"] == by.find(bp.FLOW, ("slug", "default-provider-authorization-explicit-consent"))
    assert (spa["client_type"], spa["sub_mode"], len(spa["property_mappings"])) == ("public", "user_email", 3)
    assert by_id["application-spa-app"]["identifiers"]["slug"] == "spa-app"
    assert document["context"]["pattern.redirect_uris"] == [{"matching_mode": "regex", "url": "https?://localhost:\\d+/cb"}]
    assert by_id["provider-fixed"]["attrs"]["client_id"] == "fixed-id"
    assert "client_id" not in web and "client_secret" not in json.dumps(by.dump(document))
    # adopt: the application is matched by slug alone and marked by the attrs
    assert by_id["application-taken"]["identifiers"] == {"slug": "taken"}
    assert by_id["application-taken"]["attrs"]["meta_publisher"] == "authlab"
    # groups of the file by !KeyOf, a group only the server has by !Find
    assert by_id["user-alice"]["attrs"]["groups"] == [by.key_of("group-ops team"), by.key_of("group-testers")]
    assert by_id["user-bob"]["attrs"]["groups"] == [by.find(bp.GROUP, ("name", "staff-on-server"))]
    assert by_id["user-alice"]["identifiers"] == {"username": "alice", "attributes": {"authlab.managed": True}}
    assert by_id["group-testers"]["identifiers"] == {"name": "testers", "attributes": {"authlab.managed": True}}
    token = by_id["app-password-Deploy Bot"]
    assert token["identifiers"] == {"identifier": "service-account-deploy-bot-password"}
    assert token["attrs"] == {"intent": "app_password", "user": by.key_of("service-account-Deploy Bot"), "expiring": False}


def test_passwords_only_by_env_and_never_a_value() -> None:
    lab = lab_every_kind()
    document = blueprint_document(lab, Dialect.for_version("2026.5.6"), "authlab")
    users = {e["identifiers"]["username"]: e["attrs"] for e in document["entries"] if e["model"] == bp.USER}
    assert users["bob"]["password"] == by.env("BOB_PASSWORD")
    assert "password" not in users["alice"] and "password" not in users["carol"]
    assert all("authlab.password" not in a["attributes"] for a in users.values())
    # apply --blueprint: no password tags, fingerprints kept
    quiet = blueprint_document(lab, Dialect.for_version("2026.5.6"), "authlab", passwords=False, fingerprints={"alice": "pbkdf2_sha256$1$s$x"})
    users = {e["identifiers"]["username"]: e["attrs"] for e in quiet["entries"] if e["model"] == bp.USER}
    assert "password" not in users["bob"]
    assert users["alice"]["attributes"] == {"authlab.managed": True, "authlab.password": "pbkdf2_sha256$1$s$x"}


@pytest.mark.parametrize(("version", "invalidation", "uris"), [
    ("2024.2.1", False, "http://localhost:3000/api/auth/callback/authentik"),
    ("2024.10.0", True, "http://localhost:3000/api/auth/callback/authentik"),
    ("2024.12.0", True, [{"matching_mode": "strict", "url": "http://localhost:3000/api/auth/callback/authentik"}]),
    ("2026.5.6", True, [{"matching_mode": "strict", "url": "http://localhost:3000/api/auth/callback/authentik"}]),
])
def test_release_dialect(version: str, invalidation: bool, uris: Any) -> None:
    lab = parse("providers: [{name: web, preset: nextauth}]\n", presets=sorted(PRESETS))
    document = blueprint_document(lab, Dialect.for_version(version), "authlab")
    attrs = document["entries"][0]["attrs"]
    assert ("invalidation_flow" in attrs) is invalidation
    assert document["context"]["web.redirect_uris"] == uris


def test_tags_round_trip_and_read_like_authentiks_own_files() -> None:
    document = {"a": by.find("authentik_flows.flow", ("slug", "x")), "b": by.key_of("provider-web"),
                "c": by.context("k", by.env("E")), "d": [by.env("X"), by.key_of("a b: c")]}
    text = by.dump(document)
    assert text == (
        "a: !Find [authentik_flows.flow, [slug, x]]\n"
        "b: !KeyOf provider-web\n"
        "c: !Context [k, !Env E]\n"
        "d:\n- !Env X\n- !KeyOf 'a b: c'\n"
    )
    assert by.load(text) == document
    with pytest.raises(Exception, match="Format"):
        by.load("a: !Format [x]\n")


def test_service_account_identifier_follows_djangos_slugify() -> None:
    assert bp.app_password_identifier("ci-bot") == "service-account-ci-bot-password"
    assert bp.app_password_identifier("Deploy  Bot!") == "service-account-deploy-bot-password"
    assert bp.app_password_identifier("über_bot") == "service-account-uber_bot-password"
