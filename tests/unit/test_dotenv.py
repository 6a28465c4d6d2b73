"""core/dotenv: read values as compose reads them, merge without disturbing the user's lines."""

from __future__ import annotations

import pytest

from authentik_lab.core import dotenv


def test_parse_plain_quoted_exported_and_commented_lines() -> None:
    text = (
        "# a comment\n"
        "\n"
        "PLAIN=value\n"
        "SPACED = padded  \n"
        'DOUBLE="two words"\n'
        "SINGLE='$literal \\n'\n"
        "export EXPORTED=yes\n"
        "TRAILING=abc # note\n"
        "HASH=abc#def\n"
        "EMPTY=\n"
        "not a line\n"
    )
    assert dotenv.parse(text) == {
        "PLAIN": "value",
        "SPACED": "padded",
        "DOUBLE": "two words",
        "SINGLE": "$literal \\n",
        "EXPORTED": "yes",
        "TRAILING": "abc",
        "HASH": "abc#def",
        "EMPTY": "",
    }


def test_quoted_value_followed_by_a_comment_loses_its_quotes() -> None:
    # this used to return the quotes as part of the value
    assert dotenv.parse('A="x y" # why\nB=\'p q\'   # and why\n') == {"A": "x y", "B": "p q"}


def test_double_quotes_unescape_left_to_right() -> None:
    assert dotenv.parse(r'A="a\\\"b\nc"') == {"A": 'a\\"b\nc'}


def test_last_occurrence_wins() -> None:
    assert dotenv.parse("A=1\nA=2\n") == {"A": "2"}


def test_parse_with_lines_points_at_the_line() -> None:
    assert dotenv.parse_with_lines("# x\nA=1\r\n\r\nB='2'\r\n") == {"A": (2, "1"), "B": (4, "2")}


@pytest.mark.parametrize(
    "value",
    ["simple", "with space", "dollar$VAR", "${X}", "back\\slash", 'quote"d', "it's", "it's $5", "hash#tag", "", "multi\nline", "tab\there"],
)
def test_render_then_parse_round_trips(value: str) -> None:
    text = dotenv.render({"KEY": value})
    assert dotenv.parse(text) == {"KEY": value}


def test_quote_leaves_safe_values_bare_and_keeps_dollar_literal() -> None:
    assert dotenv.quote("Abc-123_x/y+z=") == "Abc-123_x/y+z="
    # in double quotes compose would interpolate $VAR; single quotes are literal
    assert dotenv.quote("p$ss") == "'p$ss'"
    assert dotenv.quote("a b") == '"a b"'


def test_render_with_header() -> None:
    assert dotenv.render({"A": "1", "B": "x y"}, header="first\n\nthird") == '# first\n#\n# third\nA=1\nB="x y"\n'


def test_merge_rewrites_in_place_and_appends_new_keys() -> None:
    text = "# keep me\nA=1\n\nexport B=2 # old comment\nC=3\n"
    assert dotenv.merge(text, {"B": "20", "D": "4 4"}) == '# keep me\nA=1\n\nexport B=20 # old comment\nC=3\nD="4 4"\n'


def test_merge_keeps_crlf_line_endings() -> None:
    assert dotenv.merge("A=1\r\nB=2\r\n", {"A": "9", "C": "3"}) == "A=9\r\nB=2\r\nC=3\r\n"


def test_merge_rewrites_every_occurrence_of_a_duplicated_key() -> None:
    # the last occurrence wins when read, so rewriting only the first one would change nothing
    merged = dotenv.merge("A=1\nB=2\nA=3\n", {"A": "new"})
    assert merged == "A=new\nB=2\nA=new\n"
    assert dotenv.parse(merged)["A"] == "new"


def test_merge_does_not_touch_commented_out_keys() -> None:
    assert dotenv.merge("#A=1\n", {"A": "2"}) == "#A=1\nA=2\n"


def test_merge_of_text_without_final_newline_and_of_empty_text() -> None:
    assert dotenv.merge("A=1", {"B": "2"}) == "A=1\nB=2\n"
    assert dotenv.merge("", {"B": "2"}) == "B=2\n"
    assert dotenv.merge("", {}) == ""


def test_merge_keeps_the_quoting_style_and_inline_comment_of_a_rewritten_line() -> None:
    text = (
        'AUTHENTIK_ISSUER="http://old/application/o/web/"  # old one\n'
        "CLIENT_ID='old-id' # single\n"
        "PLAIN=old   # plain comment\n"
        "BARE=old\n"
    )
    merged = dotenv.merge(text, {"AUTHENTIK_ISSUER": "http://localhost:9000/application/o/web/", "CLIENT_ID": "web-local",
                          "PLAIN": "new", "BARE": "new value"})
    assert merged == (
        'AUTHENTIK_ISSUER="http://localhost:9000/application/o/web/"  # old one\n'
        "CLIENT_ID='web-local' # single\n"
        "PLAIN=new   # plain comment\n"
        'BARE="new value"\n'
    )
    assert dotenv.parse(merged) == {"AUTHENTIK_ISSUER": "http://localhost:9000/application/o/web/", "CLIENT_ID": "web-local",
                             "PLAIN": "new", "BARE": "new value"}


def test_merge_falls_back_when_the_old_quotes_cannot_hold_the_new_value() -> None:
    # a single quote inside single quotes cannot be written; escaped double quotes can
    merged = dotenv.merge("K='old'  # keep\nD=\"a \\\"b\\\"\" # c\n", {"K": "it's", "D": 'x "y" $z'})
    assert merged == "K=\"it's\"  # keep\nD=\"x \\\"y\\\" \\$z\" # c\n"
    assert dotenv.parse(merged) == {"K": "it's", "D": 'x "y" $z'}


# --- what compose reads that a line-by-line `KEY=value` reader missed (QA H1) ----------------------------------


def test_yaml_style_lines_and_a_byte_order_mark_are_keys_as_for_compose() -> None:
    text = "\ufeffPG_PASS: yamlstylepass\nexport B :  spaced  \nC:tight\nD: a=b # note\nE=a:b\n"
    assert dotenv.parse(text) == {"PG_PASS": "yamlstylepass", "B": "spaced", "C": "tight", "D": "a=b", "E": "a:b"}
    assert dotenv.parse_with_lines(text)["PG_PASS"] == (1, "yamlstylepass")


def test_quoted_values_span_lines_and_what_follows_the_quote_is_the_next_statement() -> None:
    text = 'CERT="-----BEGIN\nPG_PASS=not-a-key\n-----END"\nA=\'x\' B=after\n'
    assert dotenv.parse(text) == {"CERT": "-----BEGIN\nPG_PASS=not-a-key\n-----END", "A": "x", "B": "after"}
    assert dotenv.parse_with_lines(text)["A"] == (4, "x")


def test_only_space_hash_starts_an_inline_comment_and_an_empty_value_before_one_is_the_comment() -> None:
    assert dotenv.parse("A=x\t#tab\nB=x #c\nC= # note\n") == {"A": "x\t#tab", "B": "x", "C": "# note"}


def test_double_quotes_keep_unknown_escapes_and_single_quotes_unescape_only_the_quote() -> None:
    assert dotenv.parse('A="a\\qb\\tc"\nB=\'x\\\'y\\n\'\n') == {"A": "a\\qb\tc", "B": "x'y\\n"}


def test_values_interpolate_the_environment_first_then_the_keys_above() -> None:
    text = "BASE=b\nA=$BASE-${MISSING:-d}\nB=${HOME}\nC='$BASE'\nD=a$$b\nE=$1\nHOME\nLONE\n"
    assert dotenv.parse(text) == {"BASE": "b", "A": "b-d", "B": "", "C": "$BASE", "D": "a$b", "E": "$1"}
    assert dotenv.parse(text, {"HOME": "/h", "BASE": "shell"}) == {
        "BASE": "b", "A": "shell-d", "B": "/h", "C": "$BASE", "D": "a$b", "E": "$1", "HOME": "/h"}


def test_statements_compose_refuses_are_skipped_and_the_rest_still_read() -> None:
    assert dotenv.parse('BAD KEY=1\nA="unterminated\nB@=2\nC=3\nLAST_WITHOUT_NEWLINE') == {"C": "3"}


def test_merge_rewrites_a_yaml_style_line_in_place_and_appends_nothing() -> None:
    text = "\ufeffPG_PASS: old # keep\r\nexport K : 'v'\r\nEMPTY:\r\n"
    merged = dotenv.merge(text, {"PG_PASS": "new", "K": "it's", "EMPTY": "set"})
    assert merged == "\ufeffPG_PASS: new # keep\r\nexport K : \"it's\"\r\nEMPTY: set\r\n"
    assert dotenv.parse(merged) == {"PG_PASS": "new", "K": "it's", "EMPTY": "set"}


def test_merge_replaces_a_value_that_spans_lines_whole() -> None:
    merged = dotenv.merge('A="one\ntwo" # c\nB=1\n', {"A": "x y"})
    assert merged == 'A="x y" # c\nB=1\n'


def test_merge_of_an_empty_value_writes_it_after_the_separator_not_after_the_carriage_return() -> None:
    assert dotenv.merge("A=\r\nB=2\r\n", {"A": "1"}) == "A=1\r\nB=2\r\n"


def test_a_value_ending_in_a_backslash_is_not_put_in_single_quotes() -> None:
    # `'abc\'` would escape its own closing quote: compose refuses the file
    assert dotenv.quote("abc\\") == '"abc\\\\"'
    assert dotenv.parse(dotenv.render({"K": "abc\\", "L": "$x\\"})) == {"K": "abc\\", "L": "$x\\"}


def test_without_interpolation_a_dollar_stays_as_written() -> None:
    # for an app's env file, which compose never reads
    text = 'A=$B\nB="x\\$y$$z"\nC=\'$c\'\n'
    assert dotenv.parse(text, interpolate=False) == {"A": "$B", "B": "x$y$$z", "C": "$c"}
    assert dotenv.parse(text) == {"A": "", "B": "x$y$z", "C": "$c"}


def test_unterminated_names_the_key_and_line_of_a_quote_that_never_closes() -> None:
    from authentik_lab.core.dotenv import unterminated

    text = "A=1\nPG_PASS=\"abc\nB='x'\nC='open\n"
    assert unterminated(text) == {"PG_PASS": 2, "C": 4}  # each statement whose quote never closes
    assert unterminated("A=1\nB='ok'\n") == {}
