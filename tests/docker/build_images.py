#!/usr/bin/env python3
"""Build the stand-in images the Docker tests run against, or reuse them when they are up to date.

No image registry is reachable here, so the images that the official Authentik compose files name
(postgres, redis, ghcr.io/goauthentik/server) are built locally and tagged with exactly those names:
compose only pulls an image that is missing, so it uses these as they are.

    base      debootstrap'd Debian bookworm rootfs, imported     authlab-standin/base:<hash>
    postgres  Debian PostgreSQL 15, official-like entrypoint     docker.io/library/postgres:{16,12}-alpine
    redis     Debian redis-server                                docker.io/library/redis:alpine
    server    tests/standin behind an `ak` entrypoint            ghcr.io/goauthentik/server:<release> (one per release)

Every image carries the label org.authlab.standin=true and org.authlab.standin.hash=<hash of its inputs>.
A tag whose label matches is reused; a tag that exists WITHOUT org.authlab.standin=true belongs to
someone else (a real image) and is never overwritten unless AUTHLAB_STANDIN_FORCE=1.

Standard library only: it runs before the project is installed. Needs root for debootstrap (first build only).
Environment: AUTHLAB_STANDIN_SRC (stand-in package dir, default tests/standin), AUTHLAB_STANDIN_FORCE,
AUTHLAB_DEBIAN_MIRROR, AUTHLAB_STANDIN_CACHE (default /var/cache/authlab-standin), AUTHLAB_LOG_DIR.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

LABEL = "org.authlab.standin"
HASH_LABEL = "org.authlab.standin.hash"
# Bump when the way the base rootfs is made changes in a way its inputs below do not show.
BASE_RECIPE_VERSION = "1"

SUITE = "bookworm"
BASE_PACKAGES = (
    "python3",
    "python3-cryptography",
    # debootstrap cannot resolve the virtual python3-cffi-backend-api-* that python3-cryptography needs
    "python3-cffi-backend",
    "python3-psycopg2",
    # the stand-in's blueprint import parses YAML, as Authentik does (PyYAML)
    "python3-yaml",
    "postgresql",
    "redis-server",
    "ca-certificates",
    "curl",
    # PID 1 of the server image, as in the real one: forwards SIGTERM so `compose down` is quick.
    "dumb-init",
)

POSTGRES_TAGS = (
    "authlab-standin/postgres:latest",
    "docker.io/library/postgres:16-alpine",
    "docker.io/library/postgres:12-alpine",
)
REDIS_TAGS = ("authlab-standin/redis:latest", "docker.io/library/redis:alpine")
SERVER_NEUTRAL = "authlab-standin/server:latest"
SERVER_REPO = "ghcr.io/goauthentik/server"
# Releases the tests pin; each gets its own thin image because ENV AUTHENTIK_TAG must match the tag.
STANDIN_RELEASES = ("2026.5.6", "2026.2.2", "2025.10.1", "2024.12.3", "2024.2.1")


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value) if value else default


class BuildError(Exception):
    """A build step failed; the message says which and where its log is."""


@dataclass
class Builder:
    log_path: Path
    quiet: bool = False
    force: bool = field(default_factory=lambda: os.environ.get("AUTHLAB_STANDIN_FORCE") == "1")
    rebuilt: list[str] = field(default_factory=list)

    # -- output -----------------------------------------------------------------------------
    def say(self, text: str) -> None:
        if not self.quiet:
            print(f"[standin] {text}", file=sys.stderr, flush=True)

    def _log(self, text: str) -> None:
        with self.log_path.open("a") as fh:
            fh.write(text if text.endswith("\n") else text + "\n")

    def run(self, argv: list[str], *, what: str, stdin=None, env: dict | None = None) -> None:
        """Run a build command, its output into the log; on failure show the log's tail."""
        self._log(f"\n$ {' '.join(argv)}")
        with self.log_path.open("ab") as fh:
            proc = subprocess.run(argv, stdin=stdin, stdout=fh, stderr=subprocess.STDOUT, env=env)
        if proc.returncode != 0:
            tail = self.log_path.read_text(errors="replace").splitlines()[-25:]
            raise BuildError(f"{what} failed (exit {proc.returncode}); log: {self.log_path}\n" + "\n".join(tail))

    # -- docker queries ---------------------------------------------------------------------
    @staticmethod
    def labels(ref: str) -> dict[str, str] | None:
        """Labels of a local image, or None when there is no such image."""
        proc = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{json .Config.Labels}}", ref],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            return None
        return json.loads(proc.stdout.strip() or "null") or {}

    def up_to_date(self, refs: tuple[str, ...] | list[str], digest: str) -> bool:
        return all((self.labels(ref) or {}).get(HASH_LABEL) == digest for ref in refs)

    def guard(self, refs: tuple[str, ...] | list[str]) -> None:
        """Refuse to retag an image that is not ours: it may be a user's real postgres or authentik."""
        foreign = [ref for ref in refs if (lab := self.labels(ref)) is not None and lab.get(LABEL) != "true"]
        if foreign and not self.force:
            raise BuildError(
                "refusing to overwrite image(s) that are not authlab stand-ins (no label "
                f"{LABEL}=true): {', '.join(foreign)}\n"
                "These are probably real images you pulled. Remove or retag them, or set "
                "AUTHLAB_STANDIN_FORCE=1 to let the test suite replace them with stand-ins."
            )
        for ref in foreign:
            self.say(f"AUTHLAB_STANDIN_FORCE=1: replacing non-stand-in image {ref}")


# -- hashing ------------------------------------------------------------------------------------
def tree_files(root: Path) -> list[Path]:
    skip_dirs = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in skip_dirs)
        for name in sorted(filenames):
            if not name.endswith((".pyc", ".pyo")):
                out.append(Path(dirpath) / name)
    return out


def digest_of(*parts: str | Path) -> str:
    """sha256 over strings and files/trees (path names relative to each tree, contents, exec bit)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, Path):
            files = tree_files(part) if part.is_dir() else [part]
            base = part if part.is_dir() else part.parent
            for f in files:
                h.update(f"F {f.relative_to(base)} {os.access(f, os.X_OK)}\n".encode())
                h.update(f.read_bytes())
        else:
            h.update(f"S {part}\n".encode())
    return h.hexdigest()


# -- base rootfs --------------------------------------------------------------------------------
def _append_unique(path: Path, key: str, line: str) -> None:
    text = path.read_text() if path.exists() else ""
    if not any(row.split(":", 1)[0] == key for row in text.splitlines()):
        path.write_text(text + ("" if text.endswith("\n") or not text else "\n") + line + "\n")


def _ids(rootfs: Path, user: str) -> tuple[int, int]:
    for row in (rootfs / "etc/passwd").read_text().splitlines():
        fields = row.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise BuildError(f"user {user} missing from the debootstrap rootfs")


def finish_rootfs(rootfs: Path) -> None:
    """Users, directories and trimming that every stand-in image shares."""
    etc = rootfs / "etc"
    _append_unique(etc / "passwd", "root", "root:x:0:0:root:/root:/bin/bash")
    _append_unique(etc / "group", "root", "root:x:0:")
    _append_unique(etc / "group", "authentik", "authentik:x:1000:")
    _append_unique(etc / "passwd", "authentik", "authentik:x:1000:1000:authentik:/home/authentik:/bin/bash")
    _append_unique(etc / "shadow", "authentik", "authentik:!:19000:0:99999:7:::")
    pg_uid, pg_gid = _ids(rootfs, "postgres")
    _ids(rootfs, "redis")  # fail early if the package did not create it

    # The package's postinst created a default cluster (config + data): the entrypoint makes its own.
    for leftover in ("var/lib/postgresql/15", "etc/postgresql/15"):
        shutil.rmtree(rootfs / leftover, ignore_errors=True)
    for trim in ("usr/share/doc", "usr/share/man", "usr/share/info", "var/cache/apt", "var/lib/apt/lists"):
        shutil.rmtree(rootfs / trim, ignore_errors=True)
    (rootfs / "var/cache/apt").mkdir(parents=True, exist_ok=True)
    (rootfs / "var/lib/apt/lists").mkdir(parents=True, exist_ok=True)

    def mkdir(rel: str, uid: int, gid: int, mode: int) -> None:
        p = rootfs / rel
        p.mkdir(parents=True, exist_ok=True)
        os.chown(p, uid, gid)
        os.chmod(p, mode)

    mkdir("var/lib/postgresql", pg_uid, pg_gid, 0o755)
    mkdir("var/lib/postgresql/data", pg_uid, pg_gid, 0o700)
    mkdir("run/postgresql", pg_uid, pg_gid, 0o2777)
    mkdir("home/authentik", 1000, 1000, 0o755)
    # Authentik's folders belong to authentik, as in the real image (redis' entrypoint chowns its /data).
    for rel in ("data", "media", "certs", "templates", "blueprints/custom"):
        mkdir(rel, 1000, 1000, 0o755)
    # Left behind by debootstrap; docker manages these per container.
    for rel in ("etc/hostname", "etc/resolv.conf"):
        with contextlib.suppress(FileNotFoundError):
            (rootfs / rel).unlink()


def _stop_chroot_processes(rootfs: Path) -> None:
    """Package scripts may have started daemons inside the chroot; end those (and only those)."""
    real = os.path.realpath(rootfs)
    for pid_dir in Path("/proc").iterdir():
        if not pid_dir.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if os.readlink(pid_dir / "root") == real:
                os.kill(int(pid_dir.name), 9)


def _unmount_below(rootfs: Path) -> None:
    real = os.path.realpath(rootfs)
    mounts = [line.split()[1] for line in Path("/proc/mounts").read_text().splitlines()]
    for mnt in sorted((m for m in mounts if m == real or m.startswith(real + "/")), reverse=True):
        subprocess.run(["umount", "-l", mnt], check=False)


def build_base(b: Builder) -> str:
    recipe = inspect.getsource(finish_rootfs)
    digest = digest_of("base", BASE_RECIPE_VERSION, SUITE, *BASE_PACKAGES, recipe)
    ref = f"authlab-standin/base:{digest[:12]}"
    if b.up_to_date([ref], digest):
        b.say(f"base image {ref} up to date")
        return ref
    if shutil.which("debootstrap") is None:
        raise BuildError("debootstrap is not installed (apt-get install debootstrap), needed for the first build")
    if os.geteuid() != 0:
        raise BuildError("building the base image needs root (debootstrap); run tests/run.sh as root")
    cache = _env_path("AUTHLAB_STANDIN_CACHE", Path("/var/cache/authlab-standin"))
    debs = cache / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    mirror = os.environ.get("AUTHLAB_DEBIAN_MIRROR", "http://deb.debian.org/debian")
    t0 = time.monotonic()
    b.say(f"building base image {ref} (debootstrap {SUITE}, about a minute)")
    work = Path(tempfile.mkdtemp(prefix="authlab-standin-rootfs-", dir="/var/tmp"))
    rootfs = work / "rootfs"
    try:
        try:
            b.run(
                [
                    "debootstrap",
                    "--variant=minbase",
                    f"--include={','.join(BASE_PACKAGES)}",
                    f"--cache-dir={debs}",
                    SUITE,
                    str(rootfs),
                    mirror,
                ],
                what="debootstrap",
            )
        except BuildError:
            dlog = rootfs / "debootstrap" / "debootstrap.log"
            if dlog.exists():
                b._log("--- debootstrap.log ---\n" + dlog.read_text(errors="replace"))
            raise
        finally:
            _stop_chroot_processes(rootfs)
            _unmount_below(rootfs)
        finish_rootfs(rootfs)
        b.say(f"  debootstrap done in {time.monotonic() - t0:.0f}s, importing")
        tar = subprocess.Popen(
            ["tar", "-C", str(rootfs), "--numeric-owner", "--xattrs", "-c", "."], stdout=subprocess.PIPE
        )
        try:
            b.run(
                [
                    "docker",
                    "import",
                    "--change",
                    f"LABEL {LABEL}=true {HASH_LABEL}={digest}",
                    "--change",
                    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8",
                    "--change",
                    'CMD ["/bin/bash"]',
                    "-",
                    ref,
                ],
                what="docker import",
                stdin=tar.stdout,
            )
        finally:
            if tar.stdout:
                tar.stdout.close()
            if tar.wait() != 0:
                raise BuildError(f"tar of the rootfs failed (exit {tar.returncode})")
    finally:
        _unmount_below(rootfs)
        shutil.rmtree(work, ignore_errors=True)
    b.rebuilt.append(ref)
    b.say(f"  base image ready in {time.monotonic() - t0:.0f}s")
    return ref


# -- thin images --------------------------------------------------------------------------------
def docker_build(b: Builder, context: Path, refs: tuple[str, ...] | list[str], digest: str, base: str) -> None:
    argv = ["docker", "build", "--quiet", "--build-arg", f"BASE={base}"]
    argv += ["--label", f"{LABEL}=true", "--label", f"{HASH_LABEL}={digest}"]
    for ref in refs:
        argv += ["-t", ref]
    env = {**os.environ, "DOCKER_BUILDKIT": "0"}  # the legacy builder: no buildx needed
    b.run([*argv, str(context)], what=f"docker build {refs[0]}", env=env)
    b.rebuilt.extend(refs)


def build_simple(b: Builder, name: str, refs: tuple[str, ...], base: str) -> None:
    src = HERE / name
    digest = digest_of(name, base, src)
    if b.up_to_date(refs, digest):
        b.say(f"{name} stand-in up to date ({', '.join(refs[1:])})")
        return
    b.guard(refs)
    t0 = time.monotonic()
    docker_build(b, src, refs, digest, base)
    b.say(f"built {name} stand-in in {time.monotonic() - t0:.1f}s: {', '.join(refs)}")


def standin_source() -> Path:
    src = _env_path("AUTHLAB_STANDIN_SRC", REPO / "tests" / "standin")
    if not (src / "__main__.py").is_file():
        raise BuildError(
            f"the stand-in server package is missing: {src}/__main__.py not found "
            "(set AUTHLAB_STANDIN_SRC to build from another directory)"
        )
    return src


def build_server(b: Builder, base: str, releases: tuple[str, ...]) -> None:
    src = standin_source()
    digest = digest_of("server", base, HERE / "server", src)
    per_release = {f"{SERVER_REPO}:{rel}": (rel, digest_of("server-release", digest, rel)) for rel in releases}
    if b.up_to_date([SERVER_NEUTRAL], digest) and all(b.up_to_date([r], d) for r, (_, d) in per_release.items()):
        b.say(f"server stand-in up to date ({', '.join(releases)})")
        return
    b.guard([SERVER_NEUTRAL, *per_release])
    t0 = time.monotonic()
    if not b.up_to_date([SERVER_NEUTRAL], digest):
        with tempfile.TemporaryDirectory(prefix="authlab-standin-ctx-") as tmp:
            ctx = Path(tmp)
            shutil.copy2(HERE / "server" / "Dockerfile", ctx / "Dockerfile")
            shutil.copy2(HERE / "server" / "ak", ctx / "ak")
            shutil.copytree(src, ctx / "standin", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            docker_build(b, ctx, [SERVER_NEUTRAL], digest, base)
    for ref, (rel, rel_digest) in per_release.items():
        if b.up_to_date([ref], rel_digest):
            continue
        with tempfile.TemporaryDirectory(prefix="authlab-standin-ctx-") as tmp:
            ctx = Path(tmp)
            (ctx / "Dockerfile").write_text(f"ARG BASE\nFROM ${{BASE}}\nENV AUTHENTIK_TAG={rel}\n")
            docker_build(b, ctx, [ref], rel_digest, SERVER_NEUTRAL)
    b.say(f"built server stand-in in {time.monotonic() - t0:.1f}s: {SERVER_REPO}:{{{','.join(releases)}}}")


def prune(b: Builder, base: str) -> None:
    """Drop what earlier builds left: untagged stand-in layers and older base images."""
    proc = subprocess.run(
        ["docker", "images", "authlab-standin/base", "--format", "{{.Repository}}:{{.Tag}}"],
        capture_output=True,
        text=True,
    )
    old = [ref for ref in proc.stdout.split() if ref != base]
    if old:
        subprocess.run(["docker", "rmi", *old], capture_output=True)
    subprocess.run(
        ["docker", "image", "prune", "-f", "--filter", f"label={LABEL}=true"], capture_output=True
    )


@contextlib.contextmanager
def build_lock():
    """Serialise concurrent builds (two pytest sessions, run.sh + an IDE run)."""
    lock_path = Path(tempfile.gettempdir()) / "authlab-standin-build.lock"
    with lock_path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def image_refs(releases: tuple[str, ...] = STANDIN_RELEASES) -> list[str]:
    return [*POSTGRES_TAGS, *REDIS_TAGS, SERVER_NEUTRAL, *(f"{SERVER_REPO}:{r}" for r in releases)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quiet", "-q", action="store_true", help="print only errors")
    parser.add_argument("--list", action="store_true", help="print the image references this builds, then exit")
    parser.add_argument(
        "--release",
        action="append",
        metavar="TAG",
        help=f"Authentik release tag to provide (repeatable; default: {' '.join(STANDIN_RELEASES)})",
    )
    args = parser.parse_args(argv)
    releases = tuple(args.release) if args.release else STANDIN_RELEASES
    if args.list:
        print("\n".join(image_refs(releases)))
        return 0

    log_dir = _env_path("AUTHLAB_LOG_DIR", Path(tempfile.gettempdir()) / "authlab-test-logs")
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / "build-images.log"
    if log_path.exists() and log_path.stat().st_size > 5_000_000:
        log_path.unlink()  # appended to on every rebuild; keep it from growing without bound
    b = Builder(log_path=log_path, quiet=args.quiet)
    t0 = time.monotonic()
    try:
        if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
            raise BuildError("the Docker engine does not answer (`docker info` fails); start dockerd first")
        with build_lock():
            base = build_base(b)
            build_simple(b, "postgres", POSTGRES_TAGS, base)
            build_simple(b, "redis", REDIS_TAGS, base)
            build_server(b, base, releases)
            if b.rebuilt:
                prune(b, base)
    except BuildError as exc:
        print(f"[standin] ERROR: {exc}", file=sys.stderr)
        return 1
    b.say(f"images ready in {time.monotonic() - t0:.1f}s" + ("" if b.rebuilt else " (all reused)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
