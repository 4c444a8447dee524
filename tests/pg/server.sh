#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests, from Debian's postgresql
# package: a new cluster (initdb) in a temporary directory, password
# authentication, listening on 127.0.0.1 only, on a free port.
#
#   tests/pg/server.sh available     exit 0 when the server binaries are installed
#   tests/pg/server.sh start DIR     makes the cluster in DIR (empty or absent),
#                                    starts it, prints its URL on stdout
#   tests/pg/server.sh stop DIR      stops it and removes DIR
#
# As root the server runs as the `postgres` user (PostgreSQL refuses to run
# as root); otherwise as the calling user.
set -euo pipefail

bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
  done
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v initdb)"; return 0; }
  return 1
}

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd=${1:-}
dir=${2:-}
case "$cmd" in
  available)
    bindir >/dev/null
    ;;
  start)
    [ -n "$dir" ] || { echo "usage: $0 start DIR" >&2; exit 2; }
    bin=$(bindir) || { echo "server.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
    if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
      echo "server.sh: running as root needs the 'postgres' user (made by the postgresql package)" >&2; exit 1
    fi
    mkdir -p "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir"
    chmod 700 "$dir"
    password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
    printf '%s\n' "$password" >"$dir/pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$dir/pwfile"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" -A scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      as_owner "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pwfile" -A scram-sha-256 \
        -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    # a free port: try a few, the server refuses one in use
    for try in 1 2 3 4 5 6 7 8 9 10; do
      port=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
      if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
           -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
           start >/dev/null 2>&1; then
        echo "$port" >"$dir/port"
        echo "postgresql://postgres:$password@127.0.0.1:$port/postgres"
        exit 0
      fi
      grep -q "already in use\|could not bind" "$dir/server.log" 2>/dev/null || break
    done
    echo "server.sh: the server did not start:" >&2
    tail -n 20 "$dir/server.log" >&2 2>/dev/null || true
    exit 1
    ;;
  stop)
    [ -n "$dir" ] || { echo "usage: $0 stop DIR" >&2; exit 2; }
    if [ -d "$dir/data" ] && bin=$(bindir); then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 available | start DIR | stop DIR" >&2
    exit 2
    ;;
esac
