"""Property-based tests (hypothesis) for the two edits authlab makes to files people own: `compose patch` keeps every
byte it does not mean to remove and is idempotent; the env-file merge leaves every other line alone, and every
value it writes reads back exactly as given (quoting round-trips)."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from authentik_lab.core import dotenv
from authentik_lab.core.app_env import merge_env_text
from authentik_lab.core.compose_patch import patch_compose_text

SETTINGS = settings(max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
COMMENT_TEXT = st.text(alphabet=string.ascii_letters + string.digits + " .,:;!?-_/()'\"#=", max_size=30)
ROOT_FORMS = ("root", '"root"', "'root'", "0", "'0'", '"0"', "0:0", "root:root")


@st.composite
def compose_files(draw) -> tuple[str, str]:  # noqa: ANN001
    """(a compose file in the official layout with random comments, quoting, indentation and line endings,
    the exact text the patch must produce: the same minus Authentik's `user: root` and docker socket lines)."""
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    ind = " " * draw(st.sampled_from([2, 4]))
    item = draw(st.sampled_from(["", ind]))  # list items at the key's indentation or indented
    lines: list[tuple[str, bool]] = [("services:", False)]

    def service(name: str, image: str, user: bool, socket: bool, authentik: bool) -> None:
        lines.append((f"{ind}{name}:", False))
        lines.append((f"{ind * 2}image: {image}", False))
        if user:
            form = draw(st.sampled_from(ROOT_FORMS))
            tail = draw(st.sampled_from(["", "  # runs as root"]))
            lines.append((f"{ind * 2}user: {form}{tail}", authentik))
        lines.append((f"{ind * 2}volumes:", False))
        if socket:
            quote = draw(st.sampled_from(["", '"', "'"]))
            lines.append((f"{ind * 2}{item}- {quote}/var/run/docker.sock:/var/run/docker.sock{quote}", authentik))
        lines.append((f"{ind * 2}{item}- ./data:/data", False))

    tag = draw(st.sampled_from(["2026.2.2", "${AUTHENTIK_TAG:-2025.10.1}"]))
    service("postgresql", "docker.io/library/postgres:16-alpine", draw(st.booleans()), False, authentik=False)
    service("server", f"${{AUTHENTIK_IMAGE:-ghcr.io/goauthentik/server}}:{tag}", draw(st.booleans()), draw(st.booleans()), authentik=True)
    service("worker", f"ghcr.io/goauthentik/server:{tag}", draw(st.booleans()), draw(st.booleans()), authentik=True)
    lines += [("volumes:", False), (f"{ind}database:", False), (f"{ind * 2}driver: local", False)]
    # comments anywhere (full-line, any indentation) and blank lines: they must all survive
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(1, len(lines)))
        extra = draw(st.one_of(st.just(""), COMMENT_TEXT.map(lambda t: draw(st.sampled_from(["", ind, ind * 2])) + "#" + t.rstrip())))
        lines.insert(at, (extra, False))
    text = nl.join(line for line, _ in lines) + nl
    expected = nl.join(line for line, removed in lines if not removed) + nl
    return text, expected


@SETTINGS
@given(compose_files())
def test_compose_patch_removes_only_what_it_means_to_and_is_idempotent(case: tuple[str, str]) -> None:
    text, expected = case
    once = patch_compose_text(text)
    assert once.text == expected  # every other byte (comments, quotes, indentation, CRLF, the postgres user) kept
    twice = patch_compose_text(once.text)
    assert twice.text == once.text and not twice.changes


KEYS = st.from_regex(r"[A-Z][A-Z0-9_]{0,8}", fullmatch=True)
SAFE_VALUES = st.text(alphabet=string.ascii_letters + string.digits + "_./:@%+=,~-", max_size=20)
ANY_VALUES = st.text(alphabet=string.ascii_letters + string.digits + " _./:@%+=,~-#$'\"\\!&*(){}[]<>?;|`\t\n", max_size=24)


@st.composite
def env_lines(draw) -> str:  # noqa: ANN001
    """One line of a hand-written env file: a comment, a blank, or KEY=value in one of the ways people write it."""
    kind = draw(st.sampled_from(["comment", "blank", "plain", "single", "double", "export", "inline"]))
    key, value = draw(KEYS), draw(SAFE_VALUES)
    if kind == "comment":
        return "#" + draw(COMMENT_TEXT).rstrip()
    if kind == "blank":
        return ""
    if kind == "single":
        return f"{key}='{value} x'"
    if kind == "double":
        return f'{key}="{value} $HOME"'
    if kind == "export":
        return f"export {key}={value}"
    if kind == "inline":
        return f"{key}={value or 'v'}  # {draw(COMMENT_TEXT).strip()}"
    return f"{key}={value}"


@SETTINGS
@given(st.lists(env_lines(), max_size=12), st.dictionaries(KEYS, ANY_VALUES, max_size=5), st.sampled_from(["\n", "\r\n"]))
def test_env_merge_touches_only_its_keys_and_values_read_back_exactly(lines: list[str], updates: dict[str, str], nl: str) -> None:
    text = nl.join(lines) + nl if lines else ""
    merged, added, changed = merge_env_text(text, updates)
    # what the file now says is the old content with the updates on top: every written value reads back exactly
    assert dotenv.parse(merged) == {**dotenv.parse(text), **updates}
    # every line that does not set an updated key is byte for byte where it was
    old, new = text.splitlines(), merged.splitlines()
    assert len(new) == len(old) + len(added)
    from authentik_lab.core.dotenv_read import scan

    updated = {e.line for e in scan(text) if e.key in updates}  # the lines (1-based) that set an updated key
    for number, (before, after) in enumerate(zip(old, new), start=1):
        if number not in updated:
            assert after == before
    assert set(added) == {k for k in updates if k not in dotenv.parse(text)}
    # merging the same values again changes nothing
    assert merge_env_text(merged, updates) == (merged, [], [])


@SETTINGS
@given(ANY_VALUES)
def test_a_quoted_value_reads_back_as_written(value: str) -> None:
    assert dotenv.parse(f"K={dotenv.quote(value)}\n") == {"K": value}
