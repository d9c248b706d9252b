#!/usr/bin/env bash
# System programs the tests drive for real, from Debian's packages, installed when missing:
# a PostgreSQL server (tests/admin: the production homeserver), Redis and nginx
# (tests/admin/test_workers: the homeserver split into worker processes), tmux (tests/tui: the
# real client in a terminal), systemd-analyze (tests/admin: the systemd units), libfaketime
# (tests/reliability: a homeserver's clock an hour off) and Node with npm (tests/interop:
# matrix-js-sdk as an officer's client, Node 20 or newer). Needs
# root (or sudo) only when something is missing. With CI=true the tests fail, not skip,
# when one of them is still missing.
set -euo pipefail
missing=()
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || command -v pg_ctl >/dev/null \
    || missing+=(postgresql)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v tmux >/dev/null || missing+=(tmux)
command -v systemd-analyze >/dev/null || missing+=(systemd)
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || missing+=(faketime)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (Debian packages) for the tests"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
