"""The refresh-token hint: shown only when offline_access is mapped but the preset's app does not request it."""

from __future__ import annotations

from authentik_lab.cli.provider_output import _preset_note


def test_a_preset_note_about_offline_access_is_the_hint() -> None:
    assert "offline_access" in (_preset_note("nextauth") or "")


def test_a_preset_note_about_something_else_is_not_used_as_the_hint() -> None:
    # authjs's note is about the issuer slash; it must not be shown as a refresh-token hint
    assert _preset_note("authjs") is None
    assert _preset_note("django-allauth") is None
    assert _preset_note(None) is None
