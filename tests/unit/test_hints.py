"""Hints after `--compose FILE` name that file (issue 11.10): the one rule every command's hints go through."""

from __future__ import annotations

from authentik_lab.core.hints import for_compose_file


def test_lifecycle_commands_get_the_compose_option() -> None:
    text = ("`authlab status` shows each container; `authlab logs worker` shows why; start over with "
            "`authlab down --volumes` (deletes all lab data) and `authlab up`")
    assert for_compose_file(text, "docker-compose.yml") == (
        "`authlab status --compose docker-compose.yml` shows each container; "
        "`authlab logs worker --compose docker-compose.yml` shows why; start over with "
        "`authlab down --volumes --compose docker-compose.yml` (deletes all lab data) and `authlab up --compose docker-compose.yml`")


def test_compose_patch_names_the_file_and_paths_are_quoted() -> None:
    assert for_compose_file("`authlab compose patch FILE` does it", "my auth/compose.yml") == \
        "`authlab compose patch 'my auth/compose.yml'` does it"
    assert for_compose_file("`authlab status --compose FILE` lists them", "c.yml") == "`authlab status --compose c.yml` lists them"


def test_without_a_compose_file_or_for_other_commands_nothing_changes() -> None:
    text = "`authlab logs server`; `authlab init` fills it; `authlab apply`; authlab up (not a command in backticks)"
    assert for_compose_file(text, None) == text
    assert for_compose_file("`authlab init` fills it; `authlab apply`", "c.yml") == "`authlab init` fills it; `authlab apply`"
    assert for_compose_file("`authlab logs --compose other.yml`", "c.yml") == "`authlab logs --compose other.yml`"
    assert for_compose_file(None, "c.yml") is None
