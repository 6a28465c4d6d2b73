#!/bin/bash
# Stand-in for the entrypoint of the official redis image, on Debian's redis-server.
# compose passes only options (`--save 60 1 --loglevel warning`), which mean "redis-server <options>".
set -Eeuo pipefail

if [[ $# -eq 0 || "${1:0:1}" == "-" || "$1" == *.conf ]]; then
    set -- redis-server "$@"
fi
if [[ "$1" != "redis-server" ]]; then
    exec "$@"
fi

if [[ "$(id -u)" == "0" ]]; then
    find . \! -user redis -exec chown redis '{}' +
    exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

shift
# Without a config file the official image turns protected mode off so that other containers on
# the compose network can connect; Debian's binary keeps it on unless told otherwise.
if [[ $# -eq 0 || "$1" != *.conf ]]; then
    set -- --protected-mode no "$@"
fi
exec redis-server "$@"
