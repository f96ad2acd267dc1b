#!/usr/bin/env bash
# Fuzzes the /v1 JSON API of a running Tollgate with schemathesis, as an agent's tools would meet it:
# a fresh account and a real spend key (with "Allow adding funds", no rate limit), then every operation of
# /v1/openapi.json with generated valid and invalid input. Fails on any 5xx and on any answer the document
# doesn't describe (status, content type, headers, body schema), and when invalid input is accepted.
#   scripts/fuzz-api.sh http://127.0.0.1:PORT [report-dir]
# The inputs come from a fixed seed, so `make test` is repeatable; FUZZ_SEED=<number> explores others
# (every run prints its seed), FUZZ_MAX_EXAMPLES raises the examples per operation.
set -euo pipefail
source "$(dirname "$0")/site-env.sh"
base=${1:?usage: fuzz-api.sh BASE_URL [report-dir]}
reports=${2:-$(mktemp -d)}
jar=$(mktemp)
trap 'rm -f "$jar"' EXIT

email="fuzz-$(date +%s)-$RANDOM@example.test"
status=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -b "$jar" -X POST "$base/api/signup" \
  -H "Origin: $base" -H 'Accept: text/html' --data-urlencode "email=$email" \
  --data-urlencode "password=fuzzing-password-1" --data-urlencode next=)
[[ "$status" == 302 ]] || { echo "fuzz-api: sign-up answered $status" >&2; exit 1; }
page=$(curl -s -c "$jar" -b "$jar" -X POST "$base/dashboard/keys" -H "Origin: $base" -H 'Accept: text/html' \
  --data-urlencode name=schemathesis --data-urlencode allow_funding=on --data-urlencode daily_funding_limit=10000 \
  --data-urlencode rate_limit=)
key=$(grep -Eo 'tg_sk_[A-Za-z0-9_-]{20,}' <<<"$page" | head -n 1)
[[ -n "$key" ]] || { echo "fuzz-api: no key in the Keys page's answer" >&2; exit 1; }

# Run from the report folder: schemathesis keeps what it found under ./.schemathesis, never in the clone.
# One worker: with two, CPython 3.11's ast.parse (hypothesis describing its strategies) raced in threads
# and failed the run with "AST constructor recursion depth mismatch", an error of the tool, not of the API.
mkdir -p "$reports"
cd "$reports"
"$SCHEMATHESIS_VENV/bin/schemathesis" run "$base/v1/openapi.json" \
  --header "Authorization: Bearer $key" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection \
  --phases examples,coverage,fuzzing \
  --max-examples "${FUZZ_MAX_EXAMPLES:-150}" \
  --workers 1 \
  --suppress-health-check too_slow \
  --generation-database none \
  --seed "${FUZZ_SEED:-20261201}" \
  --report junit --report-dir "$reports" \
  --no-color
