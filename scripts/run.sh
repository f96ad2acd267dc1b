#!/usr/bin/env bash
# `make run`: install what is missing, start a private PostgreSQL unless DATABASE_URL is set, build the
# release site (incremental: nothing rebuilt without a change), seed the demo account and serve on
# LEPTOS_SITE_ADDR (default 127.0.0.1:3000). Ctrl-C stops the server and then the private database.
set -euo pipefail
source "$(dirname "$0")/site-env.sh"
cd "$project"

# On a new machine the server's compile (minutes of CPU) runs while the tools download and install (mostly
# network and disk); build_site below then finds it done, or waits for cargo's lock until it is.
early_build=""
if [[ ! -x "$server_bin" ]] && command -v cargo >/dev/null; then
  mkdir -p "$target_dir"
  echo "compiling the server while the tools install (log: $target_dir/early-server-build.log)"
  scripts/build-site.sh server >"$target_dir/early-server-build.log" 2>&1 &
  early_build=$!
  # Stopped with the script (a background job of a script ignores Ctrl-C).
  trap 'kill "$early_build" 2>/dev/null || true' EXIT
fi
scripts/tools.sh build
if [[ -n "$early_build" ]]; then wait "$early_build" || echo "the early server compile failed; building it again below"; fi

own_db=""
if [[ -z "${DATABASE_URL:-}" ]]; then
  # Stop the cluster on exit only if this run started it (another `make run` may be using it).
  if ! scripts/pg.sh status dev; then own_db=1; fi
  scripts/pg.sh start dev
  DATABASE_URL=$(scripts/pg.sh url dev tollgate)
  export DATABASE_URL
fi

server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [[ -n "$own_db" ]]; then scripts/pg.sh stop dev; echo "stopped the private PostgreSQL (its data stays in $(scripts/pg.sh where dev))"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build_site

export LEPTOS_SITE_ADDR=${LEPTOS_SITE_ADDR:-127.0.0.1:3000}
export TOLLGATE_SEED_DEMO=${TOLLGATE_SEED_DEMO:-true}
# The sandbox card processor (test cards, no real money) runs only when asked for by name.
export TOLLGATE_PROCESSOR=${TOLLGATE_PROCESSOR:-sandbox}
echo "Tollgate: http://$LEPTOS_SITE_ADDR  (demo: demo@tollgate.test / demo-password-1)"
"$server_bin" &
server_pid=$!
wait "$server_pid"
