"""The API choke point's retries: safe requests are retried with capped backoff, a create whose answer was lost is
re-read by natural key before it is sent again, and a create that loses a uniqueness race converges."""

from __future__ import annotations

import json

import httpx
import pytest

from authentik_lab.adapters.authentik_api import AuthentikApi, backoff
from authentik_lab.errors import ApiError
from authentik_lab.services import authentik_objects as ak


def _api(handler, sleeps: list[float] | None = None, retries: int = 3) -> AuthentikApi:  # noqa: ANN001
    return AuthentikApi("http://authentik.test", "t", transport=httpx.MockTransport(handler), retries=retries,
                        sleep=(sleeps.append if sleeps is not None else lambda s: None))


def test_a_get_is_retried_through_502_503_504_with_capped_jittered_backoff() -> None:
    answers = [502, 503, 504, 200]
    sleeps: list[float] = []
    api = _api(lambda r: httpx.Response(answers.pop(0), json={"ok": True}), sleeps)
    assert api.get("core/users/") == {"ok": True}
    assert api.requests_made == 4
    assert [0.1 <= sleeps[0] <= 0.2, 0.2 <= sleeps[1] <= 0.4, 0.4 <= sleeps[2] <= 0.8] == [True, True, True]
    assert all(backoff(n) <= 2.0 for n in range(1, 20))


def test_a_get_gives_up_after_its_retries_with_the_status() -> None:
    api = _api(lambda r: httpx.Response(503, text="<html>starting</html>"), retries=2)
    with pytest.raises(ApiError) as info:
        api.get("core/users/")
    assert (info.value.status, api.requests_made) == (503, 3)


def test_a_post_whose_answer_was_lost_is_not_sent_again_when_the_re_read_finds_it() -> None:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        if request.method == "POST":
            raise httpx.ReadError("connection reset by peer")  # landed on the server, answer lost
        return httpx.Response(200, json={"results": [{"pk": 7, "name": "web"}]})

    api = _api(handler)
    found = api.request("POST", "providers/oauth2/", json={"name": "web"}, reread=lambda: {"pk": 7, "name": "web"})
    assert found == {"pk": 7, "name": "web"} and sent == ["POST"]


def test_a_post_is_sent_again_when_the_re_read_finds_nothing() -> None:
    answers = [httpx.Response(503), httpx.Response(201, json={"pk": 1})]
    reads: list[int] = []
    api = _api(lambda r: answers.pop(0))
    assert api.request("POST", "core/groups/", json={"name": "g"}, reread=lambda: reads.append(1)) == {"pk": 1}
    assert (reads, api.requests_made) == ([1], 2)


def test_a_post_without_a_re_read_is_never_sent_twice_unless_nothing_reached_the_server() -> None:
    api = _api(lambda r: (_ for _ in ()).throw(httpx.ReadTimeout("slow")))
    with pytest.raises(ApiError, match="cannot reach Authentik"):
        api.request("POST", "core/groups/", json={"name": "g"})
    assert api.requests_made == 1
    refused = [httpx.ConnectError("refused"), None]

    def handler(request: httpx.Request) -> httpx.Response:
        failure = refused.pop(0)
        if failure:
            raise failure
        return httpx.Response(201, json={"pk": 2})

    api = _api(handler)
    assert api.request("POST", "core/groups/", json={"name": "g"}) == {"pk": 2} and api.requests_made == 2


def test_a_delete_whose_answer_was_lost_and_then_is_gone_succeeded() -> None:
    answers = [httpx.Response(504), httpx.Response(404, json={"detail": "Not found."})]
    api = _api(lambda r: answers.pop(0))
    assert api.request("DELETE", "core/groups/5/") is None
    with pytest.raises(ApiError):  # a DELETE of something that never existed is still an error
        _api(lambda r: httpx.Response(404, json={"detail": "Not found."})).request("DELETE", "core/groups/5/")


def test_a_create_that_loses_a_uniqueness_race_converges_on_the_winner() -> None:
    clash = {"name": ["provider with this name already exists."]}  # captures-2026.2.2/030
    api = _api(lambda r: httpx.Response(400, json=clash))
    assert ak.create(api, "providers/oauth2/", {"name": "web"}, lambda: {"pk": 3, "name": "web"}) == ({"pk": 3, "name": "web"}, False)
    with pytest.raises(ApiError) as info:  # a 400 about something else: nothing to converge on
        ak.create(api, "providers/oauth2/", {"name": "web"}, lambda: None)
    assert info.value.field_errors == [("name", "provider with this name already exists.")]
    made = _api(lambda r: httpx.Response(201, json=json.loads(r.content)))
    assert ak.create(made, "core/groups/", {"name": "g"}, lambda: None) == ({"name": "g"}, True)
