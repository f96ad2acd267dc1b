#!/usr/bin/env bash
# Drives a running Tollgate's gateway with the official OpenAI and Anthropic Python SDKs (PyPI `openai`,
# `anthropic`), as an agent's code would: end2end/gateway/test_sdks.py, against the fake provider the server
# forwards to (end2end/gateway/fake_provider.py, started by scripts/test.sh). Prints pytest's summary; the
# JUnit report goes to the report folder.
#   scripts/sdk-clients.sh http://127.0.0.1:PORT http://127.0.0.1:FAKE_PORT [report-dir]
set -euo pipefail
source "$(dirname "$0")/site-env.sh"
base=${1:?usage: sdk-clients.sh BASE_URL FAKE_PROVIDER_URL [report-dir]}
fake=${2:?usage: sdk-clients.sh BASE_URL FAKE_PROVIDER_URL [report-dir]}
reports=${3:-$(mktemp -d)}
mkdir -p "$reports"
cd "$project/end2end/gateway"
PYTHONDONTWRITEBYTECODE=1 BASE_URL="$base" FAKE_PROVIDER_URL="$fake" "$MCP_VENV/bin/python" -m pytest \
  -p no:cacheprovider -q --junitxml="$reports/sdks.xml" 2>&1
