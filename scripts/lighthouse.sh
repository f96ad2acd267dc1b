#!/usr/bin/env bash
# `make lighthouse`: Lighthouse scores (performance, accessibility, best practices, SEO) of the dashboard
# pages signed in as the demo user, and of /login signed out, with the mobile and the desktop presets. A
# benchmark: it prints figures and never fails on a score, only when it cannot measure. The table, with the
# failing audits of every score under 100 (elements, URLs, numbers), also goes to bench/results/lighthouse.md
# (gitignored), and each run's full result to bench/results/lighthouse/*.json (for Lighthouse's viewer).
#
# In order: tools (Debian's Chromium, the npm packages), the release build (incremental), the private `test`
# PostgreSQL cluster (left running if it already was: `make test` and other runs share it) with a fresh
# database of its own, the release server on a free port with the demo account seeded, then
# end2end/lighthouse.mjs (Lighthouse's node API driving one headless Chromium; see there how it signs in).
#
# Settings (environment):
#   LIGHTHOUSE_BUILD=1   0: use the server binary and site as they are (no build_site)
#   LIGHTHOUSE_RUNS=1    runs per page and preset; with more, Lighthouse's median run is reported
#   LIGHTHOUSE_PAGES     only these pages, e.g. "/dashboard/usage" (default: all)
#   CHROMIUM_PATH        the browser (default: `chromium` on PATH)
set -euo pipefail
# site-env.sh: $project, $server_bin, LEPTOS_SITE_ROOT & co., build_site.
source "$(dirname "$0")/site-env.sh"
cd "$project"

results="$project/bench/results"
say() { printf '\033[1m[lighthouse]\033[0m %s\n' "$*"; }
die() { printf '\033[1m[lighthouse]\033[0m %s\n' "$*" >&2; exit 1; }

mkdir -p "$results"
# One run at a time: a second one would drop the first one's database under it.
exec 9>"$results/.lighthouse.lock"
flock -n 9 || die "another lighthouse run is in progress"
server_log="$results/lighthouse-server.log"
server_pid=""
pg_started=""
cleanup() {
  if [[ -n "$server_pid" ]]; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ -n "$pg_started" ]]; then scripts/pg.sh stop test || true; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "tools"
scripts/tools.sh test
if [[ "${LIGHTHOUSE_BUILD:-1}" != 0 ]]; then
  say "release build (incremental: nothing rebuilt without a change)"
  build_site
fi
[[ -x "$server_bin" ]] || die "no server binary at $server_bin (run with LIGHTHOUSE_BUILD=1)"

# The cluster `make test` uses; stopped at the end only if this run started it.
if ! scripts/pg.sh status test; then
  scripts/pg.sh start test
  pg_started=1
fi
database_url=$(scripts/pg.sh fresh test tollgate_lighthouse 2> >(grep -v NOTICE >&2))

port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
base="http://127.0.0.1:$port"
say "server on $base (migrations run at start-up; log in ${server_log#"$project"/})"
DATABASE_URL="$database_url" LEPTOS_SITE_ADDR="127.0.0.1:$port" TOLLGATE_SEED_DEMO=true TOLLGATE_PROCESSOR=sandbox \
  RUST_LOG=${RUST_LOG:-warn} "$server_bin" >"$server_log" 2>&1 &
server_pid=$!
healthy() { node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$base/healthz"; }
for _ in $(seq 120); do
  if healthy; then break; fi
  kill -0 "$server_pid" 2>/dev/null || { tail -n 20 "$server_log" >&2; die "the server stopped"; }
  sleep 0.5
done
healthy || die "the server did not answer /healthz within 60 s"

say "Lighthouse: 6 dashboard pages and /login × mobile and desktop, ${LIGHTHOUSE_RUNS:-1} run(s) each"
# From end2end/, where its node_modules (lighthouse, playwright-core) are.
(cd end2end && BASE_URL="$base" node lighthouse.mjs "$results/lighthouse.md")
