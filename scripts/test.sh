#!/usr/bin/env bash
# `make test`: every check and test, ending with one line `N passed, N failed`.
#   1. format and lints (both features, warnings are errors), and the query data sqlx compiles against
#      (.sqlx/) checked against the queries and the migrations
#   2. unit, property and #[sqlx::test] tests against a private PostgreSQL (its own cluster and port, so
#      this runs while `make run` serves)
#   3. the release site, started on a fresh database and a free port, driven by the browser journeys
#      in end2end/ (playwright-core + Debian's Chromium)
#   4. the same server's /v1 API fuzzed by schemathesis against its OpenAPI document (scripts/fuzz-api.sh)
#   5. the same server's chat channel (/mcp) driven by the official MCP Python SDK (scripts/mcp-clients.sh)
#   6. the same server's gateway driven by the official OpenAI and Anthropic Python SDKs, forwarding to a fake
#      provider on loopback (scripts/sdk-clients.sh)
#   7. a second server in Stripe mode driven in Chromium against localstripe, a Stripe double
#      (scripts/stripe-journeys.sh)
# Test builds have the `test-hooks` feature (fault points for the crash test); the release site must not.
set -euo pipefail
source "$(dirname "$0")/site-env.sh"
cd "$project"
logs=$(mktemp -d)
server_pid=""
fake_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [[ -n "$fake_pid" ]]; then kill -TERM "$fake_pid" 2>/dev/null || true; fi
  scripts/pg.sh stop test || true
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "tools"
scripts/tools.sh test

step "cargo fmt --check"
cargo fmt --all -- --check

step "clippy (server: ssr) and (browser: hydrate, wasm32)"
cargo clippy -p tollgate-domain -p tollgate-core -p app -p server --all-targets --features app/ssr,server/test-hooks -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

step "PostgreSQL for tests"
scripts/pg.sh start test
DATABASE_URL=$(scripts/pg.sh url test postgres)
export DATABASE_URL

failed_stage=""
step "query data (.sqlx/) matches the queries and the migrations"
scripts/sqlx-prepare.sh --check || failed_stage="stale .sqlx (run scripts/sqlx-prepare.sh)"

step "Rust tests (unit, property, #[sqlx::test])"
cargo test -p tollgate-domain -p tollgate-core -p app -p server --features app/ssr,server/test-hooks 2>&1 | tee "$logs/cargo.log" || failed_stage="cargo test"

step "release site"
build_site
if grep -q TOLLGATE_TEST_HANG_AFTER_CHARGE "$server_bin"; then
  echo "the release binary contains a test hook (the test-hooks feature leaked into it)" >&2
  failed_stage="${failed_stage:+$failed_stage, }release without test hooks"
fi

step "browser journeys"
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
fake_port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
e2e_db=$(scripts/pg.sh fresh test tollgate_e2e)
# The provider the gateway forwards to: a fake one on loopback, a real HTTP upstream (end2end/gateway/).
"$MCP_VENV/bin/python" end2end/gateway/fake_provider.py "$fake_port" >"$logs/fake-provider.log" 2>&1 &
fake_pid=$!
rm -rf end2end/artifacts
# Logged at debug, so the card-data check reads everything the server could have logged. Each browser
# context says it is its own client address (X-Forwarded-For, 127.0.0.1 trusted as the proxy), as people on
# their own networks would be; the node-side API calls all come from 127.0.0.1, so the per-IP card-attempt
# and sign-up limits are raised (the Rust tests check them at their defaults). The webhook journey's receiver
# listens on 127.0.0.1, so loopback endpoints are allowed (sandbox only).
DATABASE_URL="$e2e_db" LEPTOS_SITE_ADDR="127.0.0.1:$port" TOLLGATE_SEED_DEMO=true TOLLGATE_PROCESSOR=sandbox \
  TOLLGATE_TRUSTED_PROXIES=127.0.0.1 TOLLGATE_CARD_ATTEMPTS_PER_IP_10MIN=100000 \
  TOLLGATE_SIGNUPS_PER_IP_HOUR=100000 TOLLGATE_WEBHOOK_ALLOW_LOOPBACK=true RUST_LOG=${RUST_LOG:-debug} \
  TOLLGATE_UPSTREAM_OPENAI_URL="http://127.0.0.1:$fake_port/v1" TOLLGATE_UPSTREAM_OPENAI_KEY=sk-fake-openai \
  TOLLGATE_UPSTREAM_ANTHROPIC_URL="http://127.0.0.1:$fake_port" TOLLGATE_UPSTREAM_ANTHROPIC_KEY=sk-fake-anthropic \
  "$server_bin" >"$logs/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do
  if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "http://127.0.0.1:$port/healthz"; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then cat "$logs/server.log"; echo "server did not start" >&2; exit 1; fi
  sleep 0.2
done
(cd end2end && SERVER_LOG="$logs/server.log" SERVER_BIN="$server_bin" E2E_DATABASE_URL="$e2e_db" BASE_URL="http://127.0.0.1:$port" node --test --test-concurrency=1 --test-reporter=spec --test-reporter-destination=stdout --test-reporter=tap --test-reporter-destination="$logs/e2e.tap" tests/) \
  || failed_stage="${failed_stage:+$failed_stage, }browser journeys"

step "API fuzzing (schemathesis against /v1/openapi.json)"
fuzz_passed=0; fuzz_failed=0
if scripts/fuzz-api.sh "http://127.0.0.1:$port" "$logs/schemathesis"; then fuzz_passed=1; else
  fuzz_failed=1; failed_stage="${failed_stage:+$failed_stage, }API fuzzing"
fi
step "MCP clients (the official Python SDK against /mcp)"
scripts/mcp-clients.sh "http://127.0.0.1:$port" "$logs/mcp" | tee "$logs/mcp.log" \
  || failed_stage="${failed_stage:+$failed_stage, }MCP clients"

step "SDK clients (the official OpenAI and Anthropic Python SDKs against the gateway)"
scripts/sdk-clients.sh "http://127.0.0.1:$port" "http://127.0.0.1:$fake_port" "$logs/sdks" | tee "$logs/sdks.log" \
  || failed_stage="${failed_stage:+$failed_stage, }SDK clients"

kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=""
kill -TERM "$fake_pid" 2>/dev/null || true; fake_pid=""

step "Stripe journeys (a server in Stripe mode against localstripe, in Chromium)"
scripts/stripe-journeys.sh "$server_bin" "$logs/stripe" || failed_stage="${failed_stage:+$failed_stage, }Stripe journeys"
if [[ -n "$failed_stage" ]]; then echo "--- server log (tail)"; tail -n 40 "$logs/server.log"; fi
# Why each failed journey failed, last, so the end of the output (all a CI summary may keep) says it.
for tap in "$logs/e2e.tap" "$logs/stripe/stripe.tap"; do
  if grep -q '^ *not ok' "$tap" 2>/dev/null; then
    echo "--- failed browser journeys ($(basename "$tap"))"
    awk '/^ *not ok/ {show = 1; n = 0} /^ *(ok|# )/ {show = 0} show && n++ < 30 && !/^ *(at |stack:)/' "$tap"
  fi
done

cargo_passed=$(grep -Eo '^test result: [a-zA-Z]+\. [0-9]+ passed' "$logs/cargo.log" | awk '{s += $4} END {print s + 0}')
cargo_failed=$(grep -Eo '[0-9]+ failed;' "$logs/cargo.log" | awk '{s += $1} END {print s + 0}')
e2e_passed=$(awk '/^# pass /{print $3}' "$logs/e2e.tap" | tail -n 1)
e2e_failed=$(awk '/^# fail /{print $3}' "$logs/e2e.tap" | tail -n 1)
stripe_passed=$(awk '/^# pass /{print $3}' "$logs/stripe/stripe.tap" 2>/dev/null | tail -n 1)
stripe_failed=$(awk '/^# fail /{print $3}' "$logs/stripe/stripe.tap" 2>/dev/null | tail -n 1)
mcp_passed=$({ grep -Eo '[0-9]+ passed' "$logs/mcp.log" || true; } | tail -n 1 | awk '{print $1}')
mcp_failed=$({ grep -Eo '[0-9]+ (failed|error)' "$logs/mcp.log" || true; } | awk '{s += $1} END {print s + 0}')
sdk_passed=$({ grep -Eo '[0-9]+ passed' "$logs/sdks.log" || true; } | tail -n 1 | awk '{print $1}')
sdk_failed=$({ grep -Eo '[0-9]+ (failed|error)' "$logs/sdks.log" || true; } | awk '{s += $1} END {print s + 0}')
passed=$((cargo_passed + ${e2e_passed:-0} + ${stripe_passed:-0} + fuzz_passed + ${mcp_passed:-0} + ${sdk_passed:-0}))
failed=$((cargo_failed + ${e2e_failed:-0} + ${stripe_failed:-0} + fuzz_failed + mcp_failed + sdk_failed))
if [[ -n "$failed_stage" && $failed -eq 0 ]]; then failed=1; fi
echo
echo "Rust: $cargo_passed passed, $cargo_failed failed; browser: ${e2e_passed:-0} passed, ${e2e_failed:-0} failed; Stripe journeys: ${stripe_passed:-0} passed, ${stripe_failed:-0} failed; API fuzzing: $([[ $fuzz_failed -eq 0 ]] && echo passed || echo failed); MCP Python SDK: ${mcp_passed:-0} passed, $mcp_failed failed; OpenAI/Anthropic SDKs: ${sdk_passed:-0} passed, $sdk_failed failed"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
