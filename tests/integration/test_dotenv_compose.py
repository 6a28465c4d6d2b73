"""core/dotenv reads a `.env` as docker compose does: each case is checked against the real `docker compose config`.

For every word of the text that could name a variable, a compose file asks compose to interpolate `[${KEY-<unset>}]`;
authlab's parse of the same text must give the same value, or leave the key out exactly when compose has it unset.
Compose needs no engine here.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from authentik_lab.core import dotenv
from tests.conftest import skip_without_docker

ENVIRON = {"SHELL_ONLY": "from-the-shell", "INHERITED": "inherited-value"}

CASES = {
    # the QA report's file: a YAML-style line and a byte order mark
    "yaml-style-and-bom": (
        "\ufeffPG_PASS: yamlstylepass\n"
        "AUTHENTIK_SECRET_KEY=abc\n"
        "SPACED_COLON :  padded value  \n"
        "NO_SPACE:tight\n"
        "export EXPORTED_COLON: exp\n"
        "COLON_IN_VALUE=a:b\n"
        "EQUALS_AFTER_COLON: a=b\n"
        "QUOTED_COLON: 'single q'\n"
    ),
    "export-and-blanks": (
        "export A=1\n"
        "export  B=2\n"
        "export\tC=3\n"
        "   D=4\n"
        "E\t=\t5\n"
        "exportF=6\n"
        "F = padded  \n"
    ),
    "quotes": (
        "SINGLE='$literal \\n'\n"
        "SINGLE_ESCAPED='x\\'y'\n"
        "DOUBLE=\"two words\"\n"
        "DOUBLE_ESCAPES=\"a\\tb\\nc\\\\d\\\"e\\$f\\qg\"\n"
        "QUOTED_COMMENT=\"x y\" # why\n"
        "QUOTED_TIGHT=\"x\"#c\n"
        "MULTI=\"first\n"
        "NOT_A_KEY=inside\"\n"
        "AFTER_QUOTE='a' TRAILING=seen\n"
        "LEADING= \"lead space\"\n"
        "MIDDLE=val\"with\"q\n"
    ),
    "inline-comments": (
        "# FULL_LINE=commented\n"
        "   # INDENTED=commented\n"
        "HASH=abc#def\n"
        "SPACE_HASH=abc #def\n"
        "TAB_HASH=abc\t#def\n"
        "ONLY_COMMENT= # note\n"
        "TWO=a #b #c\n"
        "EMPTY=\n"
        "EMPTY_COLON:\n"
    ),
    "crlf": "\ufeffPG_PASS=crlf\r\nQUOTED=\"q\"\r\nYAML: y\r\nEMPTY=\r\nCOMMENTED=v # c\r\n\r\nLAST=end\r\n",
    "interpolation": (
        "BASE=base\n"
        "REF=$BASE-x\n"
        "BRACED=pre${BASE}post\n"
        "DEFAULT=${UNSET_HERE:-dflt}\n"
        "NESTED=${UNSET_HERE:-${BASE}}\n"
        "ALT=${BASE:+alt}\n"
        "DOLLARS=a$$b\n"
        "LONE=ab$\n"
        "DIGIT=a$1b\n"
        "SHELL_WINS=$SHELL_ONLY\n"
        "UNSET=x${NOPE_NOT_SET}y\n"
        "DQ=\"$BASE and \\$BASE\"\n"
        "SQ='$BASE'\n"
        "INHERITED\n"
        "NOT_INHERITED\n"
        "DUP=first\n"
        "DUP=second\n"
    ),
}


@pytest.fixture(scope="module")
def compose_bin() -> list[str]:
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        skip_without_docker("`docker compose` (v2) is not installed; tests/run.sh installs it")
    return [docker, "compose"]


def compose_reads(compose_bin: list[str], folder: Path, keys: list[str]) -> dict[str, str | None]:
    """key -> the value compose interpolates from `folder/.env` (None: unset)."""
    lines = ["services:", "  probe:", "    image: alpine", "    environment:"]
    lines += [f'      {k}: "[${{{k}-<unset>}}]"' for k in keys]
    (folder / "compose.yml").write_text("\n".join(lines) + "\n")
    env = {"PATH": os.environ["PATH"], "HOME": str(folder), **ENVIRON}
    done = subprocess.run([*compose_bin, "-f", "compose.yml", "config", "--format", "json"], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)["services"]["probe"]["environment"]
    # `config` writes a literal `$` as `$$`
    return {k: None if v == "[<unset>]" else v.replace("$$", "$")[1:-1] for k, v in got.items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_authlab_reads_each_key_as_compose_does(compose_bin: list[str], tmp_path: Path, case: str) -> None:
    text = CASES[case]
    (tmp_path / ".env").write_bytes(text.encode())
    ours = dotenv.parse(text, ENVIRON)
    # every word of the text that could be a name (so a key only one side sees shows up), and every key authlab sees
    keys = sorted({*re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text), *ours} - set(ENVIRON))
    assert len(keys) > len(ours)
    theirs = compose_reads(compose_bin, tmp_path, keys)
    assert {k: ours.get(k) for k in keys} == theirs


def test_the_cases_hold_what_the_report_named() -> None:
    # the comparison above is only as good as its cases: keep the tricky forms in them
    assert dotenv.parse(CASES["yaml-style-and-bom"])["PG_PASS"] == "yamlstylepass"
    assert dotenv.parse(CASES["crlf"]) == {"PG_PASS": "crlf", "QUOTED": "q", "YAML": "y", "EMPTY": "", "COMMENTED": "v",
                                           "LAST": "end"}
    assert dotenv.parse(CASES["quotes"])["MULTI"] == "first\nNOT_A_KEY=inside"
    assert dotenv.parse(CASES["interpolation"], ENVIRON)["SHELL_WINS"] == "from-the-shell"
