"""Walk an app's folder and collect its env reads (JS/TS through tree-sitter, Python through ast) and dependencies.

Dependency folders and build output are never entered (node_modules, virtualenvs, .next, dist, ...), nor is any
hidden folder. A file that cannot contain an env read (no `env` bytes for JS/TS, no `environ`/`getenv` for Python)
is not parsed: the parser decides what a read is, the byte test only skips files that certainly have none.
Files that do not parse are reported as notes and their reads ignored; nothing here raises for a bad source file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from authentik_lab.core.app_source.model import Dependencies, EnvRead, ProviderUse, ScanResult

SKIP_DIRS = frozenset({
    "node_modules", "bower_components", "jspm_packages", "venv", "env", "__pycache__", "site-packages", "dist", "build",
    "out", "coverage", "target", "vendor",
})
JS_EXTS = (".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx")
PY_EXTS = (".py",)
MAX_FILES = 50_000  # a home directory by mistake: stop, say so
MAX_BYTES = 1_000_000  # minified bundles and generated files carry no wiring


def source_files(root: Path) -> tuple[list[tuple[str, str, str]], list[str]]:
    """(absolute path, path relative to root with '/', extension) of the app's source files, sorted by relative path,
    and notes about limits reached. Plain strings and os.scandir: Path objects per file cost more than the parse."""
    out: list[tuple[str, str, str]] = []
    notes: list[str] = []
    stack = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            if is_dir:
                if name[0] != "." and name not in SKIP_DIRS:
                    stack.append((entry.path, prefix + name + "/"))
                continue
            ext = os.path.splitext(name)[1]
            if (ext in JS_EXTS and not name.endswith((".d.ts", ".min.js"))) or ext in PY_EXTS:
                out.append((entry.path, prefix + name, ext))
                if len(out) >= MAX_FILES:
                    notes.append(f"stopped after {MAX_FILES} source files in {root}: pass --app-dir with the app's own folder")
                    return sorted(out, key=lambda f: f[1]), notes
    return sorted(out, key=lambda f: f[1]), notes


def scan(root: Path) -> ScanResult:
    from authentik_lab.adapters.app_source import js, python

    files, notes = source_files(root)
    reads: list[EnvRead] = []
    providers: list[ProviderUse] = []
    modules: set[str] = set()
    parsed = 0
    for path, rel, ext in files:
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            notes.append(f"{rel}: not read ({exc.strerror or exc}); its variables are not known")
            continue
        if len(data) > MAX_BYTES:
            continue
        try:
            if ext in PY_EXTS:
                if b"environ" not in data and b"getenv" not in data:
                    continue
                parsed += 1
                reads.extend(python.extract(data, rel))
            else:
                if b"env" not in data and b"/providers/authentik" not in data:
                    continue
                parsed += 1
                found, uses, mods = js.extract(data, rel, ext)
                reads.extend(found)
                providers.extend(uses)
                modules.update(mods)
        except (js.SyntaxProblem, python.SyntaxProblem) as exc:
            notes.append(f"{rel}:{exc.line}: does not parse ({exc}); the variables it reads are not known")
        except (RecursionError, ValueError) as exc:  # a pathological file must not stop the scan
            notes.append(f"{rel}: not parsed ({type(exc).__name__}); the variables it reads are not known")
    return ScanResult(str(root), tuple(reads), tuple(providers), frozenset(modules), tuple(notes), len(files), parsed)


def dependencies(root: Path) -> Dependencies:
    """package.json (dependencies + devDependencies, and versions installed in node_modules), requirements*.txt and
    pyproject.toml ([project] dependencies, Poetry's table). Unreadable files count as absent."""
    npm: dict[str, str] = {}
    installed: dict[str, str] = {}
    python: set[str] = set()
    seen: list[str] = []
    pkg = root / "package.json"
    if pkg.is_file():
        try:
            doc = json.loads(pkg.read_text(encoding="utf-8"))
            for section in ("dependencies", "devDependencies"):
                npm.update({k: str(v) for k, v in (doc.get(section) or {}).items()})
            seen.append("package.json")
        except (OSError, ValueError, AttributeError):
            pass
        for name in ("next-auth",):
            meta = root / "node_modules" / name / "package.json"
            try:
                installed[name] = str(json.loads(meta.read_text(encoding="utf-8")).get("version", ""))
            except (OSError, ValueError, AttributeError):
                continue
    for req in sorted(root.glob("requirements*.txt")):
        try:
            python.update(_requirement_names(req.read_text(encoding="utf-8").splitlines()))
            seen.append(req.name)
        except OSError:
            continue
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        try:
            doc = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            lines = list((doc.get("project") or {}).get("dependencies") or [])
            poetry = ((doc.get("tool") or {}).get("poetry") or {}).get("dependencies") or {}
            python.update(_requirement_names(lines))
            python.update(_normalise(k) for k in poetry if k != "python")
            seen.append("pyproject.toml")
        except (OSError, ValueError, AttributeError):
            pass
    return Dependencies(npm, frozenset(python), tuple(seen), installed)


def _normalise(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def _requirement_names(lines: list[str]) -> set[str]:
    from packaging.requirements import InvalidRequirement, Requirement

    out: set[str] = set()
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text or text.startswith("-"):
            continue  # options (-r other.txt, -e .) name no distribution here
        try:
            out.add(_normalise(Requirement(text).name))
        except InvalidRequirement:
            continue
    return out
