"""Which compose findings doctor may promise to `--fix`: only those a patch of the named file is known to change.

A finding the report marks "(authlab doctor --fix can do this)" must be one `--fix` really changes (QA of issue 9,
M8): `--fix` patches the main compose file's text, so a setting from an override file or a `.env` value, a file with
overrides merged on top, or a port whose address comes from `.env` gets a note saying where to edit instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from authentik_lab.core.checks import CheckResult
from authentik_lab.services.doctor.facts import Facts

# which `compose patch` change kinds (core.compose_patch) answer each compose check
PATCH_KINDS = {"compose.worker-root": {"user"}, "compose.docker-socket": {"docker_socket"},
               "compose.public-ports": {"port"}, "compose.localtime": {"time_mount"}}


def patchable_only(facts: Facts, results: Sequence[CheckResult]) -> list[CheckResult]:
    """Keep a compose-patch fix only where patching the named file is known to change what the check found (QA of
    issue 9). Not when the finding is absent from that file's text (it comes from an override file or a `.env`
    value), not when override files are merged on top (they may set it again), and not for a published port whose
    address comes from a `.env` variable (prefixing 127.0.0.1 to `0.0.0.0:9000` breaks the file). Such results lose
    the promise and say where to edit instead."""
    import dataclasses

    from authentik_lab.core.checks import Message

    wanted = [r for r in results if r.fixable is not None and r.fixable.kind == "compose-patch" and r.status in ("warn", "fail")]
    if not wanted:
        return list(results)
    kinds = {file: _patch_kinds(Path(file)) for file in {r.fixable.target for r in wanted}}  # type: ignore[union-attr]
    merged, address_vars = _merged_files(facts), _port_address_vars(facts)
    out = []
    for r in results:
        if r in wanted:
            main = r.fixable.target  # type: ignore[union-attr]
            why = None
            if not (kinds[main] & PATCH_KINDS.get(r.id, set())):
                why = (f"this is not written in {main} itself (it comes from an override file or a value in .env), so `--fix` "
                       "cannot change it: edit it where it is set")
            elif merged:
                why = (f"{', '.join(merged)} {'is' if len(merged) == 1 else 'are'} merged on top of {main}, and `--fix` patches "
                       f"only {main}: edit the file that sets it (`authlab compose patch FILE` works on each)")
            elif r.id == "compose.public-ports" and address_vars:
                why = (f"the published address comes from {', '.join(address_vars)} in .env: set it to 127.0.0.1:PORT there "
                       "(`--fix` would put 127.0.0.1 in front of that address and break the file)")
            if why:
                r = dataclasses.replace(r, fixable=None, messages=r.messages + (Message("info", why),))
        out.append(r)
    return out


def _merged_files(facts: Facts) -> list[str]:
    """The override files merged on top of the main compose file (none for a lab)."""
    from authentik_lab.services.doctor.effective import setup

    try:
        return list(setup(facts).files[1:])
    except Exception:  # noqa: BLE001 - no compose file: nothing is merged
        return []


def _port_address_vars(facts: Facts) -> list[str]:
    """Variables in the main file's published ports whose value holds an address (`0.0.0.0:9000`)."""
    import re

    try:
        doc, env = facts.file_doc(), facts.interp_env()
    except Exception:  # noqa: BLE001 - an unreadable file promises nothing anyway
        return []
    found = []
    for spec in (doc.get("services") or {}).values():
        for entry in (spec or {}).get("ports") or [] if isinstance(spec, dict) else []:
            for name in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", str(entry)):
                if ":" in (env.get(name) or "") and name not in found:
                    found.append(name)
    return found


def _patch_kinds(path: Path) -> set[str]:
    from authentik_lab.core.compose_patch import PatchOptions
    from authentik_lab.core.rootless import UserMapping
    from authentik_lab.services.compose_patch import patch_compose_file

    try:  # the folder advice is not wanted here: a plain mapping keeps the engine out of it
        result = patch_compose_file(path, PatchOptions(bind_localhost=True, drop_time_mounts=True), write=False,
                                    mapping=UserMapping)
    except Exception:  # noqa: BLE001 - an unreadable file: the compose checks report it; nothing is patchable
        return set()
    return {c.kind for c in result.changes}
