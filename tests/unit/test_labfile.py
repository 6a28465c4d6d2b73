"""authlab.yaml parsing: typed values on success, `file:line:col: key.path: what` for every problem."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from authentik_lab.core.labfile import (
    GroupSpec,
    LabFile,
    LabFileError,
    ProviderSpec,
    ServiceAccountSpec,
    UserSpec,
    parse,
)


def _parse(text: str, **kw):
    return parse(textwrap.dedent(text).lstrip("\n"), **kw)


def _problems(text: str, **kw) -> list[str]:
    with pytest.raises(LabFileError) as info:
        _parse(text, **kw)
    return [str(p) for p in info.value.problems]


def test_full_file_parses_into_typed_specs() -> None:
    lab = _parse(
        """
        version: "2026.5.6"
        port: 9100
        providers:
          - name: web
            preset: nextauth
            app_url: http://localhost:3000
            redirect_uris: [http://localhost:3000/api/auth/callback/authentik]
            offline_access: false
            client_type: public
            consent: explicit
            sub_mode: user_email
            client_id: web-client
            slug: web-app
          - name: api
            redirect_uris: ['http://localhost:80\\d\\d/cb']
            regex: true
        groups:
          - name: testers
        users:
          - username: alice
            email: alice@example.com
            name: Alice Example
            groups: [testers]
            password_env: ALICE_PASSWORD
          - username: bob
            password: generate
        service_accounts:
          - name: ci-bot
        """
    )
    assert lab == LabFile(
        path="authlab.yaml",
        version="2026.5.6",
        port=9100,
        providers=(
            ProviderSpec(
                name="web",
                preset="nextauth",
                app_url="http://localhost:3000",
                redirect_uris=("http://localhost:3000/api/auth/callback/authentik",),
                offline_access=False,
                client_type="public",
                consent="explicit",
                sub_mode="user_email",
                client_id="web-client",
                slug="web-app",
            ),
            ProviderSpec(name="api", redirect_uris=("http://localhost:80\\d\\d/cb",), regex=True),
        ),
        groups=(GroupSpec("testers"),),
        users=(
            UserSpec("alice", email="alice@example.com", name="Alice Example", groups=("testers",), password_env="ALICE_PASSWORD"),
            UserSpec("bob"),
        ),
        service_accounts=(ServiceAccountSpec("ci-bot"),),
    )
    assert lab.provider("api").regex is True
    assert lab.user("bob").display_name == "bob"


def test_unquoted_short_version_is_kept_as_text() -> None:
    # YAML reads 2026.10 as the float 2026.1; the lab file means the release "2026.10"
    assert _parse("version: 2026.10\n").version == "2026.10"


def test_wrong_type_in_a_list_names_line_column_and_key_path() -> None:
    problems = _problems(
        """
        providers:
          - name: web
            redirect_uris:
              - http://localhost:3000/cb
              - {url: x}
        """
    )
    assert problems == ["authlab.yaml:5:9: providers[0].redirect_uris[1]: expected a string, got a mapping"]


def test_unknown_key_suggests_the_close_one() -> None:
    problems = _problems(
        """
        providers:
          - name: web
            redirect_uri: [http://localhost/cb]
        """,
    )
    assert problems == ["authlab.yaml:3:5: providers[0].redirect_uri: unknown key; did you mean 'redirect_uris'?"]


def test_every_problem_is_reported_sorted_by_position_and_the_first_is_the_message() -> None:
    text = """
        port: "9000"
        users:
          - username: alice
            password: hunter2
          - username: alice
            groups: testers
        colour: blue
        """
    with pytest.raises(LabFileError) as info:
        _parse(text, )
    err = info.value
    assert [str(p) for p in err.problems] == [
        "authlab.yaml:1:7: port: expected a whole number, got a string ('9000')",
        "authlab.yaml:4:15: users[0].password: only 'generate' is allowed here; put a fixed password in an environment variable and use password_env",
        "authlab.yaml:5:15: users[1].username: duplicate username 'alice'",
        "authlab.yaml:6:13: users[1].groups: expected a list, got a string ('testers')",
        "authlab.yaml:7:1: colour: unknown key; allowed: version, port, providers, groups, users, service_accounts",
    ]
    assert err.message == "authlab.yaml:1:7: port: expected a whole number, got a string ('9000') (and 4 more problems)"
    assert err.evidence == [str(p) for p in err.problems[1:]]
    assert err.hint == "fix the lab file; nothing was changed on the server"
    assert err.to_dict()["problems"][0] == {"location": "authlab.yaml:1:7", "path": "port", "message": "expected a whole number, got a string ('9000')"}


def test_custom_filename_appears_in_locations() -> None:
    problems = _problems("port: 70000\n", filename="ci/lab.yaml")
    assert problems == ["ci/lab.yaml:1:7: port: must be between 1 and 65535, got 70000"]


@pytest.mark.parametrize(
    ("snippet", "expected"),
    [
        ("providers:\n  - preset: generic\n", "authlab.yaml:2:5: providers[0]: missing required key 'name'"),
        ("providers:\n  - name: web\n    regex: 'yes'\n", "authlab.yaml:3:12: providers[0].regex: expected true or false, got a string ('yes')"),
        ("providers:\n  - name: web\n    client_type: secret\n", "authlab.yaml:3:18: providers[0].client_type: must be one of confidential, public; got 'secret'"),
        ("providers:\n  - name: my app\n", "authlab.yaml:2:11: providers[0].name: use letters, digits, '-' and '_' only; got 'my app'"),
        ("providers:\n  - name: web\n    redirect_uris: [/cb]\n", "authlab.yaml:3:21: providers[0].redirect_uris[0]: expected an absolute http(s) URL, got '/cb'"),
        ("providers:\n  - name: web\n    redirect_uris: ['http://x/cb#frag']\n", "authlab.yaml:3:21: providers[0].redirect_uris[0]: a redirect URL must not contain a fragment (#...): 'http://x/cb#frag'"),
        ("providers:\n  - name: web\n    redirect_uris: ['http://x/.*']\n", "authlab.yaml:3:21: providers[0].redirect_uris[0]: looks like a regular expression; set `regex: true` on the provider for regex matching"),
        ("providers:\n  - name: web\n    regex: true\n    redirect_uris: ['http://x/(']\n", "authlab.yaml:4:21: providers[0].redirect_uris[0]: not a valid regular expression: missing ), unterminated subpattern at position 9"),
        ("users:\n  - username: a\n    password_env: 1PASS\n", "authlab.yaml:3:19: users[0].password_env: expected an environment variable name; got '1PASS'"),
        ("users:\n  - username: a\n    password_env: A\n    password: generate\n", "authlab.yaml:2:5: users[0]: give either password_env or password: generate, not both"),
        ("users:\n  - username: a\n    email: nope\n", "authlab.yaml:3:12: users[0].email: expected an email address; got 'nope'"),
        ("groups:\n  - {name: a}\n  - {name: a}\n", "authlab.yaml:3:12: groups[1].name: duplicate group name 'a'"),
        ("users: [{username: bot}]\nservice_accounts: [{name: bot}]\n", "authlab.yaml:2:27: service_accounts[0].name: 'bot' is also a user's username"),
        ("providers:\n  - {name: a, client_id: same}\n  - {name: b, client_id: same}\n", "authlab.yaml:3:26: providers[1].client_id: duplicate client_id 'same'"),
        ("providers:\n  - {name: a, slug: x}\n  - {name: x}\n", "authlab.yaml:3:12: providers[1].name: duplicate application slug 'x'"),
        ("version: latest\n", "authlab.yaml:1:10: version: expected an Authentik release like 2026.5.6; got 'latest'"),
        ("port: 9000\nport: 9001\n", "authlab.yaml:2:1: port: duplicate key"),
        ("users:\n  - username: true\n", "authlab.yaml:2:15: users[0].username: expected a string, got a boolean (quote it if you mean the word)"),
        ("providers: {name: web}\n", "authlab.yaml:1:12: providers: expected a list, got a mapping"),
        ("- just\n- a list\n", "authlab.yaml:1:1: expected a mapping (key: value), got a list"),
    ],
)
def test_single_problem(snippet: str, expected: str) -> None:
    assert _problems(snippet) == [expected]


def test_preset_is_checked_against_the_known_list_when_given() -> None:
    problems = _problems("providers:\n  - name: web\n    preset: nextjs\n", presets=["nextauth", "generic"])
    assert problems == ["authlab.yaml:3:13: providers[0].preset: must be one of generic, nextauth; got 'nextjs'"]


def test_invalid_yaml_points_at_the_syntax_error() -> None:
    problems = _problems("providers:\n  - name: web\n   bad: [\n")
    assert len(problems) == 1
    assert problems[0].startswith("authlab.yaml:3:")
    assert "not valid YAML" in problems[0]


def test_empty_file_is_an_error() -> None:
    assert _problems("# only a comment\n") == ["authlab.yaml:1:1: the file is empty"]


def test_empty_sections_are_allowed() -> None:
    assert _parse("providers:\nusers: []\n") == LabFile(path="authlab.yaml")


def test_adopt_is_an_opt_in_boolean_per_provider() -> None:
    lab = _parse(
        """
        providers:
          - name: grafana
            adopt: true
          - name: web
        """
    )
    assert [p.adopt for p in lab.providers] == [True, False]
    problems = _problems(
        """
        providers:
          - name: grafana
            adopt: "yes"
        """
    )
    assert len(problems) == 1 and problems[0].startswith("authlab.yaml:3:12: providers[0].adopt: ")


# --- positions kept for later stages (QA3 L7) ---------------------------------------------------------

STAGED = """
    groups:
      - name: testers
    users:
      - username: carol
        groups: [testers, nosuchgroup]
      - username: dave
        password_env: DAVE_PW_UNSET
    service_accounts:
      - name: ci-bot
    """


def test_parsed_file_keeps_the_position_of_every_key_path() -> None:
    lab = _parse(STAGED, filename="bad/b2.yaml")
    assert lab.where("users[0].groups[1]") == "bad/b2.yaml:5:23"
    assert lab.where("users[1].password_env") == "bad/b2.yaml:7:19"
    assert lab.where("users[1].email") == "bad/b2.yaml:6:5"  # not in the file: its nearest parent, the list item
    assert lab.where("nothing[3].here") == "bad/b2.yaml"
    assert LabFile(path="x.yaml").where("users[0]") == "x.yaml"  # built in code: no positions, the file name
    assert lab == dataclasses.replace(lab, locations={})  # positions are not part of what the file says


def test_unknown_group_reference_points_at_the_list_entry() -> None:
    from authentik_lab.core.labfile import unknown_group_refs

    lab = _parse(STAGED, filename="bad/b2.yaml")
    assert [str(p) for p in unknown_group_refs(lab, ["on-server"])] == [
        "bad/b2.yaml:5:23: users[0].groups[1]: user 'carol' names group 'nosuchgroup', which is neither in the file's groups "
        "nor on the server"
    ]
    assert unknown_group_refs(lab, ["nosuchgroup"]) == []  # the server has it: fine


def test_a_plan_item_is_located_at_its_name() -> None:
    lab = _parse(STAGED, filename="bad/b2.yaml")
    assert lab.key_of("service_account", "ci-bot") == "service_accounts[0].name"
    assert lab.located("user", "dave", "user dave: taken") == "bad/b2.yaml:6:15: user dave: taken"
    assert lab.located("provider", "web", "provider web: gone") == "bad/b2.yaml: provider web: gone"


def test_env_names_and_app_dir_parse_into_the_provider_spec() -> None:
    lab = _parse("""
        providers:
          - name: web
            preset: nextauth
            app_dir: ../web
            env_names: {client_id: AUTHENTIK_CLIENT_ID, token_url: AUTHENTIK_TOKEN}
    """)
    assert (lab.providers[0].app_dir, lab.providers[0].env_names) == (
        "../web", (("client_id", "AUTHENTIK_CLIENT_ID"), ("token_url", "AUTHENTIK_TOKEN")))


def test_env_names_problems_name_line_column_and_key_path() -> None:
    problems = _problems("""
        providers:
          - name: web
            env_names:
              clientid: X
              issuer: 9NOPE
              jwks_url: [A]
          - name: api
            env_names: AUTHENTIK_ID
    """)
    assert problems == [
        "authlab.yaml:4:7: providers[0].env_names.clientid: unknown key; did you mean 'client_id'?",
        "authlab.yaml:5:15: providers[0].env_names.issuer: expected an environment variable name; got '9NOPE'",
        "authlab.yaml:6:17: providers[0].env_names.jwks_url: expected a string, got a list",
        "authlab.yaml:8:16: providers[1].env_names: expected a mapping (key: value), got a string ('AUTHENTIK_ID')",
    ]
