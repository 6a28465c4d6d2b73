"""Which preset an app's dependencies say it needs (pure: the dependency lists in, a preset name and why out).

Rules, most specific first (package names from each project's install docs):
  @auth/sveltekit -> sveltekit; next-auth 5 (published as next-auth@beta) or @auth/nextjs / @auth/core without
  another framework -> authjs; next-auth 4 -> nextauth; hono with jose or @hono/oidc-auth -> hono;
  django-allauth -> django-allauth. Two rules matching means the app is not one framework: nothing is inferred.
"""

from __future__ import annotations

from dataclasses import dataclass

from authentik_lab.core.app_source.model import Dependencies


@dataclass(frozen=True)
class Inferred:
    preset: str | None
    reason: str  # what was seen, for the note printed to the user


def major(spec: str) -> int | None:
    """The major version an npm range names (`^4.24.5` -> 4, `5.0.0-beta.25` -> 5, `beta` -> None)."""
    text = spec.strip().lstrip("^~>=<v ").split("||")[0].strip()
    digits = ""
    for ch in text:
        if not ch.isdigit():
            break
        digits += ch
    return int(digits) if digits else None


def _next_auth_major(deps: Dependencies) -> tuple[int | None, str]:
    installed = deps.installed.get("next-auth")
    if installed and major(installed) is not None:
        return major(installed), f"next-auth {installed} (installed)"
    spec = deps.npm.get("next-auth", "")
    if spec.strip().lower() == "beta":  # v5 is published under the beta dist-tag
        return 5, "next-auth@beta"
    return major(spec), f"next-auth {spec}"


def infer_preset(deps: Dependencies) -> Inferred:
    npm, py = deps.npm, deps.python
    where = " and ".join(deps.files) or "no dependency file"
    found: list[tuple[str, str]] = []
    if "@auth/sveltekit" in npm:
        found.append(("sveltekit", f"@auth/sveltekit {npm['@auth/sveltekit']}"))
    if "next-auth" in npm:
        v, seen = _next_auth_major(deps)
        if v == 4:
            found.append(("nextauth", seen))
        elif v is not None and v >= 5:
            found.append(("authjs", seen))
        else:
            return Inferred(None, f"{seen} in {where}: cannot tell v4 from v5 (install it, or pass --preset nextauth|authjs)")
    elif not found and ("@auth/nextjs" in npm or "@auth/core" in npm):
        name = "@auth/nextjs" if "@auth/nextjs" in npm else "@auth/core"
        found.append(("authjs", f"{name} {npm[name]}"))
    if "hono" in npm and ("jose" in npm or "@hono/oidc-auth" in npm):
        other = "@hono/oidc-auth" if "@hono/oidc-auth" in npm else "jose"
        found.append(("hono", f"hono + {other}"))
    if "django-allauth" in py:
        found.append(("django-allauth", "django-allauth"))
    if not found:
        return Inferred(None, f"no known framework among the dependencies in {where}")
    if len(found) > 1:
        return Inferred(None, f"several frameworks in {where} ({', '.join(f'{p}: {s}' for p, s in found)}); pass --preset")
    preset, seen = found[0]
    return Inferred(preset, f"{seen} in {where}")
