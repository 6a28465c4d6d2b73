#!/bin/bash
# Stand-in for the entrypoint of the official postgres image, on Debian's PostgreSQL 15.
# It keeps the behaviour authlab depends on:
#   * POSTGRES_PASSWORD is required to initialise, POSTGRES_USER / POSTGRES_DB are honoured;
#   * the cluster is initialised only when the data directory is empty, so a password changed
#     in .env after the volume exists really fails with "password authentication failed";
#   * TCP clients must authenticate with a password (scram-sha-256), the local socket trusts
#     (the compose healthcheck runs pg_isready inside the container);
#   * listens on all interfaces, port 5432, and runs as the postgres user.
set -Eeuo pipefail

export PGDATA="${PGDATA:-/var/lib/postgresql/data}"

say() { printf '%s\n' "$*" >&2; }

# `docker run IMAGE -c fsync=off` means "postgres -c fsync=off", as in the official image.
if [[ $# -eq 0 || "${1:0:1}" == "-" ]]; then
    set -- postgres "$@"
fi
if [[ "$1" != "postgres" ]]; then
    exec "$@"
fi
shift

if [[ "$(id -u)" == "0" ]]; then
    # A fresh bind mount or volume may be owned by root: hand it to postgres, then drop root.
    mkdir -p "$PGDATA" /var/run/postgresql
    find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
    chmod 700 "$PGDATA"
    chown postgres:postgres /var/run/postgresql
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" postgres "$@"
fi

if [[ ! -s "$PGDATA/PG_VERSION" ]]; then
    auth_method="${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}"
    if [[ -z "${POSTGRES_PASSWORD:-}" && "$auth_method" != "trust" ]]; then
        say "Error: Database is uninitialized and superuser password is not specified."
        say "       Set POSTGRES_PASSWORD to a non-empty value for the superuser"
        say "       (or POSTGRES_HOST_AUTH_METHOD=trust to allow connections without a password)."
        exit 1
    fi
    db_user="${POSTGRES_USER:-postgres}"
    db_name="${POSTGRES_DB:-$db_user}"

    pwfile="$(mktemp)"
    printf '%s\n' "${POSTGRES_PASSWORD:-}" >"$pwfile"
    # --no-sync: the data goes to a throwaway test volume; initdb is several times faster.
    initdb --pgdata="$PGDATA" --username="$db_user" --pwfile="$pwfile" \
        --encoding=UTF8 --locale=C.UTF-8 --auth-local=trust --auth-host="$auth_method" \
        --no-sync >/dev/null
    rm -f "$pwfile"
    printf '\nhost all all all %s\n' "$auth_method" >>"$PGDATA/pg_hba.conf"
    printf "\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

    if [[ "$db_name" != "postgres" ]]; then
        # Single-user mode runs as the bootstrap superuser whatever its name; no temporary
        # server to start and stop; -F (no fsync) because the cluster is fresh and throwaway.
        printf 'CREATE DATABASE "%s" OWNER "%s";\n' "${db_name//\"/\"\"}" "${db_user//\"/\"\"}" |
            postgres --single -F -j -D "$PGDATA" template1 >/dev/null
    fi
    say "PostgreSQL init process complete; ready for start up."
else
    say "PostgreSQL Database directory appears to contain a database; Skipping initialization"
fi

exec postgres -D "$PGDATA" "$@"
