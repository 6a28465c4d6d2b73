"""core.redaction: values of the .env files and the values compose echoes are hidden in compose's messages."""

from __future__ import annotations

from authentik_lab.core.redaction import HIDDEN, env_values, redact_text


def test_env_values_are_read_even_from_a_file_compose_refuses() -> None:
    text = ('# PG_PASS=commented-out\nexport A=plainVALUE\nPG_PASS="myDBpasswordLEAK\nKEY=${abcSECRET\n'
            "Q='quoted value'\nN=1\nC=before #comment\ncontinued-line-of-a-value\n")
    assert env_values(text) == {"plainVALUE", '"myDBpasswordLEAK', "myDBpasswordLEAK", "${abcSECRET", "'quoted value'",
                                "quoted value", "before #comment", "before", "continued-line-of-a-value"}


def test_redaction_hides_values_compose_echoes_after_its_phrases() -> None:
    # compose 2.40's own words; the quoted value may be anything, so it is hidden whether or not it is known
    assert redact_text('failed to read /p/.env: line 3: unterminated quoted value "anyTHING', []) == (
        f"failed to read /p/.env: line 3: unterminated quoted value {HIDDEN}")
    assert redact_text("failed to read /p/.env: line 2: unterminated quoted value 'single", []) == (
        f"failed to read /p/.env: line 2: unterminated quoted value {HIDDEN}")
    assert redact_text('failed to read /p/.env: Invalid template: "${abc"\nnext line', []) == (
        f"failed to read /p/.env: Invalid template: {HIDDEN}\nnext line")
    assert redact_text("invalid interpolation format for services.s.environment.B.\nYou may need to escape any $ with another $.\n"
                       "${inlineVALUE", []) == (
        f"invalid interpolation format for services.s.environment.B.\nYou may need to escape any $ with another $.\n{HIDDEN}")


def test_redaction_hides_every_known_value_but_not_the_paths_doctor_names() -> None:
    values = {"notaPORTleak", "authentik", "abc"}  # "abc": too short to hide without hiding ordinary words
    text = "validating /home/u/authentik/docker-compose.yml: invalid hostPort: notaPORTleak (abc) in authentik"
    assert redact_text(text, values, keep=["/home/u/authentik/docker-compose.yml"]) == (
        f"validating /home/u/authentik/docker-compose.yml: invalid hostPort: {HIDDEN} (abc) in {HIDDEN}")
    assert redact_text("a longer secretVALUE and its prefix secretV", {"secretV", "secretVALUE"}) == (
        f"a longer {HIDDEN} and its prefix {HIDDEN}")
    assert redact_text("nothing to hide", set()) == "nothing to hide"


def test_a_name_after_a_dollar_inside_a_value_is_a_fragment_of_it_and_hidden() -> None:
    # QA re-check of issue 9: compose warns `The "secretLEAKtail9" variable is not set` for PG_PASS=Xy7$secretLEAKtail9
    from authentik_lab.core.redaction import env_values, redact_text

    values = env_values("PG_PASS=Xy7$secretLEAKtail9\nOTHER=$sEcReTLEAK9x\nHOST=db\nURL=postgres://$HOST/x\nP=${UNDEF_X}\n")
    assert {"secretLEAKtail9", "sEcReTLEAK9x"} <= values
    assert not {"HOST", "UNDEF_X"} & values  # a name the file defines, or one written ${NAME}, is a reference
    text = 'The "secretLEAKtail9" variable is not set. The "sEcReTLEAK9x" variable is not set. Defaulting to a blank string.'
    assert redact_text(text, values) == ('The "<hidden>" variable is not set. The "<hidden>" variable is not set. '
                                         "Defaulting to a blank string.")
