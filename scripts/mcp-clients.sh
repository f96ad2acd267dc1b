#!/usr/bin/env bash
# Drives a running Tollgate's chat channel (/mcp) with the official MCP Python SDK (PyPI `mcp`), as a chat
# app would: end2end/mcp/test_python_sdk.py, one fresh account per test. Prints pytest's summary; the
# JUnit report goes to the report folder.
#   scripts/mcp-clients.sh http://127.0.0.1:PORT [report-dir]
set -euo pipefail
source "$(dirname "$0")/site-env.sh"
base=${1:?usage: mcp-clients.sh BASE_URL [report-dir]}
reports=${2:-$(mktemp -d)}
mkdir -p "$reports"
cd "$project/end2end/mcp"
PYTHONDONTWRITEBYTECODE=1 BASE_URL="$base" "$MCP_VENV/bin/python" -m pytest -p no:cacheprovider -q \
  --junitxml="$reports/python-sdk.xml" 2>&1
