#!/usr/bin/env bash
# Tollgate in Stripe mode, driven in Chromium against localstripe (PyPI; a stateful Stripe double with a
# Stripe.js double, a test tool only, in the test venv): end2end/stripe/. Starts localstripe and a server of
# its own on a fresh database with test keys pointing at the double, registers the server's
# /webhooks/stripe with it, runs the journeys, and stops both. Prints node's test summary; the TAP report
# goes to the log folder.
#   scripts/stripe-journeys.sh SERVER_BIN LOG_DIR
set -euo pipefail
source "$(dirname "$0")/site-env.sh"
cd "$project"
server_bin=${1:?usage: stripe-journeys.sh SERVER_BIN LOG_DIR}
logs=${2:?usage: stripe-journeys.sh SERVER_BIN LOG_DIR}
mkdir -p "$logs"
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }
stripe_pid="" server_pid=""
stop() {
  if [[ -n "$server_pid" ]]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [[ -n "$stripe_pid" ]]; then kill -TERM "$stripe_pid" 2>/dev/null || true; wait "$stripe_pid" 2>/dev/null || true; fi
}
trap stop EXIT
up() { # up URL PID: waits until URL answers (or PID ends)
  for _ in $(seq 1 150); do
    if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$1"; then return 0; fi
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

stripe_port=$(free_port)
stripe="http://127.0.0.1:$stripe_port"
# From scratch: nothing from an earlier run (localstripe otherwise reloads its last state).
(cd "$logs" && exec "$MCP_VENV/bin/localstripe" --port "$stripe_port" --from-scratch) >"$logs/localstripe.log" 2>&1 &
stripe_pid=$!
up "$stripe/js.stripe.com/v3/" "$stripe_pid" || { cat "$logs/localstripe.log"; echo "localstripe did not start" >&2; exit 1; }

port=$(free_port)
base="http://127.0.0.1:$port"
webhook_secret=whsec_tollgate_journeys
db=$(scripts/pg.sh fresh test tollgate_e2e_stripe)
DATABASE_URL="$db" LEPTOS_SITE_ADDR="127.0.0.1:$port" TOLLGATE_PROCESSOR=stripe \
  STRIPE_SECRET_KEY=sk_test_tollgate_journeys STRIPE_PUBLISHABLE_KEY=pk_test_tollgate_journeys \
  STRIPE_WEBHOOK_SECRET="$webhook_secret" STRIPE_API_BASE="$stripe" STRIPE_JS_URL="$stripe/js.stripe.com/v3/" \
  TOLLGATE_TRUSTED_PROXIES=127.0.0.1 TOLLGATE_CARD_ATTEMPTS_PER_IP_10MIN=100000 TOLLGATE_SIGNUPS_PER_IP_HOUR=100000 \
  RUST_LOG=${RUST_LOG:-debug} "$server_bin" >"$logs/stripe-server.log" 2>&1 &
server_pid=$!
up "$base/healthz" "$server_pid" || { tail -n 40 "$logs/stripe-server.log"; echo "the Stripe-mode server did not start" >&2; exit 1; }
# Stripe's events about payments go to the server, signed with its webhook secret.
node -e '
  fetch(process.argv[1], { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ url: process.argv[2], secret: process.argv[3] }) })
    .then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
  "$stripe/_config/webhooks/tollgate" "$base/webhooks/stripe" "$webhook_secret"

cd end2end
SERVER_LOG="$logs/stripe-server.log" E2E_DATABASE_URL="$db" BASE_URL="$base" node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$logs/stripe.tap" ${STRIPE_JOURNEYS:-stripe/}
