#!/usr/bin/env bash
# Runs a throwaway PostgreSQL 15 cluster for tests, from Debian's postgresql-15 package.
#
#   scripts/start-postgres.sh [start]   creates the cluster if needed, starts it if it is not
#                                       running, and prints its admin URL on stdout
#   scripts/start-postgres.sh stop      stops the cluster and keeps its files (start reuses them)
#   scripts/start-postgres.sh destroy   stops the cluster and deletes its folder
#   scripts/start-postgres.sh url       prints the admin URL of a running cluster
#
# The cluster lives in $ROSTER_PG_DIR (default /tmp/roster-pg), listens only on 127.0.0.1 on a
# port that was free when the cluster was created (or $ROSTER_PG_PORT), and trusts every
# loopback connection: use it for tests only. Its admin URL is
# postgresql://postgres@127.0.0.1:PORT/postgres, for example:
#   export ROSTER_TEST_PG_ADMIN_URL=$(bash scripts/start-postgres.sh)
# Run as root, the server runs as the `postgres` user, because PostgreSQL refuses to run as
# root; run as another user, it runs as that user.
set -euo pipefail

pg_dir=${ROSTER_PG_DIR:-/tmp/roster-pg}
pg_bin=${ROSTER_PG_BIN:-/usr/lib/postgresql/15/bin}
data_dir="$pg_dir/data"
log_file="$pg_dir/server.log"

fail() {
  echo "start-postgres.sh: $*" >&2
  exit 1
}

# Runs a PostgreSQL program as the user that owns the cluster.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

admin_url() {
  local port
  port=$(sed -n 's/^port = \([0-9]*\)$/\1/p' "$data_dir/postgresql.auto.conf" | tail -n 1)
  [ -n "$port" ] || fail "no port in $data_dir/postgresql.auto.conf"
  echo "postgresql://postgres@127.0.0.1:$port/postgres"
}

is_running() {
  [ -f "$data_dir/PG_VERSION" ] && as_owner "$pg_bin/pg_ctl" -D "$data_dir" status >/dev/null 2>&1
}

create_cluster() {
  [ -x "$pg_bin/initdb" ] || fail "$pg_bin/initdb not found; run scripts/install-deps.sh"
  mkdir -p "$pg_dir"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || fail "the postgres user does not exist; install postgresql-15"
    chown postgres: "$pg_dir"
  fi
  chmod 700 "$pg_dir"
  as_owner "$pg_bin/initdb" -D "$data_dir" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$pg_dir/initdb.log" 2>&1 ||
    fail "initdb failed; see $pg_dir/initdb.log"
  local port=${ROSTER_PG_PORT:-$(free_port)}
  # fsync and synchronous_commit are off because the cluster is thrown away after the tests.
  as_owner tee -a "$data_dir/postgresql.auto.conf" >/dev/null <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$pg_dir'
max_connections = 300
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
EOF
  as_owner tee "$data_dir/pg_hba.conf" >/dev/null <<EOF
local all all trust
host all all 127.0.0.1/32 trust
EOF
}

start() {
  if ! [ -f "$data_dir/PG_VERSION" ]; then
    create_cluster
  fi
  if ! is_running; then
    as_owner "$pg_bin/pg_ctl" -D "$data_dir" -l "$log_file" -w -t 60 start >/dev/null ||
      fail "PostgreSQL did not start; see $log_file"
  fi
  admin_url
}

stop() {
  if is_running; then
    as_owner "$pg_bin/pg_ctl" -D "$data_dir" -m fast -w -t 60 stop >/dev/null
  fi
}

command=${1:-start}
case "$command" in
  start) start ;;
  stop) stop ;;
  destroy)
    stop
    rm -rf "$pg_dir"
    ;;
  url)
    is_running || fail "no PostgreSQL cluster is running in $pg_dir"
    admin_url
    ;;
  *) fail "unknown command \"$command\"; use start, stop, destroy or url" ;;
esac
