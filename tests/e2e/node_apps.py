"""Install and build the e2e apps once, outside the checkout, keyed on what they are made of.

    python -m tests.e2e.node_apps install    # `npm ci` only when package-lock.json changed; prints the folder
    python -m tests.e2e.node_apps build      # also `next build`, only when the lockfile or an app source changed

Layout under the cache root (`$AUTHLAB_E2E_CACHE`, else `$XDG_CACHE_HOME/authlab-e2e`, else `~/.cache/authlab-e2e`):

    npm-<lock hash>/node_modules                       one `npm ci` per lockfile
    npm-<lock hash>/next-<hash>/nextauth-app/.next     the Next.js app's sources, built (`next build`) once per hash
    npm-<lock hash>/src-<hash>/                        a copy of the other apps' sources (nothing to build)

Apps run from the copies, so Node finds `node_modules` in a parent folder and the checkout never gets a node_modules
or .next folder. A folder is used only once its `.complete` marker exists; an interrupted install or build is
redone. A file lock makes parallel runs wait for each other instead of installing twice. Older `npm-*` folders
are removed after a successful install (one `node_modules` is about 400 MB).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

APPS = Path(__file__).resolve().parent / "apps"
LOCKFILES = ("package.json", "package-lock.json")
# what a build depends on besides node_modules; everything else in apps/ is ignored
SOURCE_SUFFIXES = (".js", ".mjs", ".cjs", ".json", ".jsx")
SKIP_DIRS = {"node_modules", ".next"}
MIN_NODE = (20, 9)


class NodeMissing(RuntimeError):
    """node or npm is not on PATH: the e2e tests skip with this reason."""


def cache_root() -> Path:
    explicit = os.environ.get("AUTHLAB_E2E_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "authlab-e2e"


def tools() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        missing = " and ".join(n for n, p in (("node", node), ("npm", npm)) if not p)
        raise NodeMissing(f"{missing} not found on PATH (install Node.js >= 20.9 with npm to run the e2e tests)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    numbers = tuple(int(n) for n in version.lstrip("v").split(".")[:2] if n.isdigit())
    if numbers < MIN_NODE:
        # `node --env-file` (how the apps get their wiring) needs 20.6, Next.js 15 and package.json engines 20.9
        raise NodeMissing(f"node {version} is older than {'.'.join(map(str, MIN_NODE))} (the e2e apps need it)")
    return node, npm


def _digest(paths: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(paths):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def lock_hash() -> str:
    return _digest([APPS / name for name in LOCKFILES], APPS)


def sources() -> list[Path]:
    out = []
    for path in APPS.rglob("*"):
        if path.is_file() and path.suffix in SOURCE_SUFFIXES and not SKIP_DIRS & set(path.relative_to(APPS).parts):
            out.append(path)
    return out


def source_hash() -> str:
    return _digest(sources(), APPS)


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run(argv: list[str], cwd: Path, log: Path, what: str) -> None:
    env = {**os.environ, "NEXT_TELEMETRY_DISABLED": "1", "npm_config_update_notifier": "false", "npm_config_fund": "false",
           "npm_config_audit": "false"}
    with open(log, "w") as out:
        code = subprocess.run(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env).returncode
    if code != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise RuntimeError(f"{what} failed (exit {code}) in {cwd}; log {log}:\n{tail}")


def install(report=print) -> Path:
    """The folder holding node_modules for the current lockfile; runs `npm ci` only when it is missing."""
    _, npm = tools()
    root = cache_root()
    target = root / f"npm-{lock_hash()}"
    if (target / ".complete").exists():
        return target
    with _locked(root):
        if (target / ".complete").exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in LOCKFILES:
            shutil.copy2(APPS / name, target / name)
        started = time.monotonic()
        _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], target, root / "npm-ci.log", "npm ci")
        (target / ".complete").write_text(f"{time.monotonic() - started:.1f}\n")
        report(f"npm ci in {target} took {time.monotonic() - started:.1f}s")
        for old in root.glob("npm-*"):
            if old.is_dir() and old != target:
                shutil.rmtree(old, ignore_errors=True)
    return target


NEXT_APP = "nextauth-app"


@dataclass(frozen=True)
class Layout:
    modules: Path  # holds node_modules
    next_app: Path  # the built Next.js app (`next start` runs here)
    apps: Path  # a copy of the other apps' sources (no build step)


def _copy_sources(target: Path, keep) -> None:
    for path in sources():
        rel = path.relative_to(APPS)
        if rel.as_posix() in LOCKFILES or not keep(rel):
            continue
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target / rel)


def _is_next(rel: Path) -> bool:
    return rel.parts[0] == NEXT_APP


def _prune(parent: Path, pattern: str, keep: Path) -> None:
    for old in parent.glob(pattern):
        if old.is_dir() and old != keep:
            shutil.rmtree(old, ignore_errors=True)


def build(report=print) -> Layout:
    """node_modules, the Next.js app built (`next build` once per lockfile + its own sources), the other apps copied."""
    node, _ = tools()
    modules = install(report)
    next_dir = modules / f"next-{_digest([p for p in sources() if _is_next(p.relative_to(APPS))], APPS)}"
    apps_dir = modules / f"src-{_digest([p for p in sources() if not _is_next(p.relative_to(APPS))], APPS)}"
    if not (apps_dir / ".complete").exists():
        with _locked(cache_root()):
            shutil.rmtree(apps_dir, ignore_errors=True)
            _copy_sources(apps_dir, lambda rel: not _is_next(rel))
            (apps_dir / ".complete").write_text("copied\n")
            _prune(modules, "src-*", apps_dir)
    if not (next_dir / ".complete").exists():
        with _locked(cache_root()):
            if not (next_dir / ".complete").exists():
                shutil.rmtree(next_dir, ignore_errors=True)
                _copy_sources(next_dir, _is_next)
                started = time.monotonic()
                next_bin = modules / "node_modules" / "next" / "dist" / "bin" / "next"
                _run([node, str(next_bin), "build"], next_dir / NEXT_APP, cache_root() / "next-build.log", "next build")
                (next_dir / ".complete").write_text(f"{time.monotonic() - started:.1f}\n")
                report(f"next build in {next_dir} took {time.monotonic() - started:.1f}s")
                _prune(modules, "next-*", next_dir)
    return Layout(modules, next_dir / NEXT_APP, apps_dir)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "build"
    if command not in ("install", "build"):
        print("usage: python -m tests.e2e.node_apps install|build", file=sys.stderr)
        return 2
    try:
        if command == "install":
            path = install(lambda m: print(m, file=sys.stderr))
        else:
            path = build(lambda m: print(m, file=sys.stderr)).modules
    except NodeMissing as exc:
        print(f"skipped: {exc}", file=sys.stderr)
        return 0
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
