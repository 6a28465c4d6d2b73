"""core.field_shapes: the other release's shape, built once from the server's own field error."""

from __future__ import annotations

from authentik_lab.core.field_shapes import error_texts, reshape
from authentik_lab.core.redirects import RedirectUri

URIS = (RedirectUri("http://localhost:3000/cb?x=1"), RedirectUri(r"http://localhost:\d+/cb", "regex"))
BASE = {"name": "web", "redirect_uris": "http://localhost:3000/cb\\?x=1\nhttp://localhost:\\d+/cb"}


def _no_flow() -> str | None:
    raise AssertionError("the invalidation flow must not be looked up here")


def test_expected_a_list_gives_the_object_form() -> None:
    errors = {"redirect_uris": {"non_field_errors": ['Expected a list of items but got type "str".']}}
    got = reshape(errors, BASE, URIS, _no_flow)
    assert got is not None and got.field == "redirect_uris"
    assert got.payload == {"name": "web", "redirect_uris": [{"matching_mode": "strict", "url": "http://localhost:3000/cb?x=1"},
                                                            {"matching_mode": "regex", "url": r"http://localhost:\d+/cb"}]}


def test_not_a_valid_string_gives_the_escaped_text_form() -> None:
    body = {**BASE, "redirect_uris": [u.to_api() for u in URIS]}
    got = reshape({"redirect_uris": ["Not a valid string."]}, body, URIS, _no_flow)
    assert got is not None and got.payload["redirect_uris"] == "http://localhost:3000/cb\\?x=1\nhttp://localhost:\\d+/cb"


def test_a_required_invalidation_flow_is_added_once_known() -> None:
    got = reshape({"invalidation_flow": ["This field is required."]}, BASE, URIS, lambda: "inv-pk")
    assert got is not None and got.payload == {**BASE, "invalidation_flow": "inv-pk"}
    assert reshape({"invalidation_flow": ["This field is required."]}, BASE, URIS, lambda: None) is None


def test_other_errors_are_left_to_the_caller() -> None:
    assert reshape({"name": ["OAuth2 Provider with this name already exists."]}, BASE, URIS, _no_flow) is None
    assert reshape({"redirect_uris": ["Invalid Regex Pattern: ("]}, BASE, URIS, _no_flow) is None
    assert reshape("Bad Request", BASE, URIS, _no_flow) is None
    assert reshape({"redirect_uris": ["Not a valid string."]}, {"name": "web"}, URIS, _no_flow) is None  # not sent: nothing to reshape


def test_error_texts_flattens_drf_shapes() -> None:
    assert error_texts([{}, {"url": ["a"]}, {"matching_mode": ["b"]}]) == ["a", "b"]
