#!/usr/bin/env bash
# A private PostgreSQL cluster for this checkout, used when DATABASE_URL is unset.
#
#   scripts/pg.sh start NAME    start (initdb on first use) the cluster NAME (e.g. dev, test)
#   scripts/pg.sh stop NAME     stop it cleanly (fast shutdown: in-flight transactions roll back)
#   scripts/pg.sh restart NAME  fast shutdown and start again on the same port (tests of database restarts)
#   scripts/pg.sh status NAME   exit 0 when it is running
#   scripts/pg.sh where NAME    print its data directory
#   scripts/pg.sh url NAME DB   print the URL of database DB on it (creating DB if missing)
#   scripts/pg.sh fresh NAME DB drop and re-create DB, then print its URL
#
# Data lives in .data/pg-NAME inside the checkout when the `postgres` user can reach it, else in
# $TMPDIR/tollgate-<hash of the checkout path>/pg-NAME (initdb refuses to run as root, so as root the
# cluster runs as `postgres`, which can't enter a 0700 directory such as one made by mktemp -d).
# It listens on 127.0.0.1 only, on a free port derived from the path (never 5432), with a generated
# password. Data is kept across runs.
set -euo pipefail

cmd=${1:?usage: pg.sh start|stop|url|fresh NAME [DB]}
name=${2:?cluster name}
project=$(cd "$(dirname "$0")/.." && pwd)

bindir=$(pg_config --bindir 2>/dev/null || true)
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[[ -x "$bindir/initdb" ]] || { echo "pg.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

as_owner() {
  # From /, so the postgres user never has to enter a directory it can't (a 0700 checkout).
  if [[ $(id -u) -eq 0 ]]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

reachable() { # can the cluster owner enter $1?
  as_owner test -x "$1"
}

hash=$(printf '%s' "$project" | cksum | cut -d' ' -f1)
if reachable "$project"; then
  base="$project/.data"
else
  base="${TMPDIR:-/tmp}/tollgate-$hash"
fi
root="$base/pg-$name"
data="$root/data"
sock="$root/run"

prepare_dirs() {
  mkdir -p "$root"
  chmod 755 "$base" "$root"
  mkdir -p "$sock"
  if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$root" "$sock"; fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

running() { [[ -f "$data/PG_VERSION" ]] && as_owner "$bindir/pg_ctl" status -D "$data" >/dev/null 2>&1; }

start() {
  prepare_dirs
  if [[ ! -f "$data/PG_VERSION" ]]; then
    head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$root/password"
    chmod 600 "$root/password"
    if [[ $(id -u) -eq 0 ]]; then chown postgres:postgres "$root/password"; fi
    as_owner "$bindir/initdb" -D "$data" -U postgres --pwfile="$root/password" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$root/initdb.log" 2>&1 \
      || { cat "$root/initdb.log" >&2; exit 1; }
    if [[ "$name" == test* ]]; then
      # Throwaway test data: durability is not worth an fsync per commit here.
      printf '%s\n' "fsync = off" "synchronous_commit = off" "full_page_writes = off" >> "$data/postgresql.conf"
    fi
  fi
  if running; then return 0; fi
  # Below 32768: Linux gives outgoing connections local ports from 32768 up (ip_local_port_range), so a
  # port up there can be free when checked and taken by some client's connection a moment later.
  local port=$(( 20000 + hash % 12000 ))
  [[ "$name" == test* ]] && port=$((port + 1))
  local tries=0
  while true; do
    while port_in_use "$port"; do
      port=$((port + 2)); tries=$((tries + 1))
      [[ $tries -lt 100 ]] || { echo "pg.sh: no free port found" >&2; exit 1; }
    done
    echo "$port" > "$root/port"
    if as_owner "$bindir/pg_ctl" start -D "$data" -w -t 60 -l "$root/postgres.log" \
      -o "-p $port -k $sock -c listen_addresses=127.0.0.1" >/dev/null; then
      return 0
    fi
    # Another process bound the port between the check and the start: the next one.
    if tail -n 5 "$root/postgres.log" | grep -q "could not bind" && [[ $tries -lt 100 ]]; then
      port=$((port + 2)); tries=$((tries + 1)); continue
    fi
    tail -n 20 "$root/postgres.log" >&2; exit 1
  done
}

stop() {
  if running; then as_owner "$bindir/pg_ctl" stop -D "$data" -m fast -w >/dev/null; fi
}

admin() { # run psql as the superuser against the postgres database
  PGPASSWORD=$(cat "$root/password") "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$(cat "$root/port")" -U postgres -d postgres "$@"
}

url() {
  local db=${1:?database name}
  running || { echo "pg.sh: cluster $name is not running" >&2; exit 1; }
  if [[ -z $(admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
    admin -c "CREATE DATABASE \"$db\""
  fi
  echo "postgres://postgres:$(cat "$root/password")@127.0.0.1:$(cat "$root/port")/$db"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  restart)
    running || { echo "pg.sh: cluster $name is not running" >&2; exit 1; }
    as_owner "$bindir/pg_ctl" restart -D "$data" -m fast -w -t 60 -l "$root/postgres.log" >/dev/null
    ;;
  status) running ;;
  where) echo "$data" ;;
  url) url "${3:?database name}" ;;
  fresh)
    db=${3:?database name}
    running || { echo "pg.sh: cluster $name is not running" >&2; exit 1; }
    admin -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)"
    url "$db"
    ;;
  *) echo "usage: pg.sh start|stop|restart|status|where|url|fresh NAME [DB]" >&2; exit 2 ;;
esac
