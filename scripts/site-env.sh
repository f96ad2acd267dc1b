# Sourced by run.sh and test.sh: where scripts/build-site.sh puts the server binary and the site, and how to
# (re)build them only when a source changed.
project=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$project/target}
case "$target_dir" in /*) ;; *) target_dir="$project/$target_dir" ;; esac
# The binary goes in the cargo target dir (CI keeps that outside the clone as a cache), the site (css, js,
# wasm) in Cargo.toml's `site-root`, relative to the project.
server_bin="$target_dir/release/tollgate"
export LEPTOS_SITE_ROOT="$project/target/site"
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_OUTPUT_NAME=tollgate
export LEPTOS_ENV=PROD
export PATH="$HOME/.cargo/bin:$project/end2end/node_modules/.bin:$PATH"
# schemathesis for `make test`'s API fuzzing, in a venv outside the clone (installed by tools.sh).
SCHEMATHESIS_VERSION=4.32.5
SCHEMATHESIS_VENV=${SCHEMATHESIS_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/tollgate/schemathesis-$SCHEMATHESIS_VERSION}
# The official MCP Python SDK (and pytest) for `make test`'s chat-channel tests (end2end/mcp/), the
# official OpenAI and Anthropic SDKs for the gateway's (end2end/gateway/), and localstripe, the Stripe double
# the Stripe journeys run against (end2end/stripe/), likewise, in one venv: test tools only, never shipped.
MCP_PYTHON_VERSION=2.3.0
PYTEST_VERSION=8.4.2
OPENAI_PYTHON_VERSION=3.63.0
ANTHROPIC_PYTHON_VERSION=2.17.0
LOCALSTRIPE_VERSION=1.15.10
MCP_VENV=${MCP_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/tollgate/mcp-$MCP_PYTHON_VERSION}

# Builds the release site unless it is newer than every source file (a second `make run` starts at once).
build_site() {
  local stamp="$LEPTOS_SITE_ROOT/.built-from-sources"
  if [[ -f "$stamp" && -x "$server_bin" && "$(cat "$stamp")" == "$server_bin" ]] &&
    [[ -z $(find "$project"/{app,core,domain,frontend,server,style,public,migrations} "$project"/Cargo.toml "$project"/Cargo.lock "$project"/scripts/echarts-entry.js \
      -newer "$stamp" -not -name echarts.min.js -print -quit 2>/dev/null) ]] &&
    [[ ! "$project/scripts/build-site.sh" -nt "$stamp" ]]; then
    echo "site is up to date (no source changed since the last build)"
    return 0
  fi
  # The stamp carries the build's start time: a file edited during the build is newer, so it rebuilds next time.
  local started
  started=$(date +%s.%N)
  # ECharts comes from the npm package pinned in end2end/package.json (never a CDN, never committed), bundled
  # with only the parts the charts use (scripts/echarts-entry.js).
  NODE_PATH="$project/end2end/node_modules" "$project/end2end/node_modules/.bin/esbuild" \
    "$project/scripts/echarts-entry.js" --bundle --minify --format=iife --target=es2019 --legal-comments=eof \
    --log-level=warning --outfile="$project/public/echarts.min.js"
  "$project/scripts/build-site.sh" || return
  echo "$server_bin" > "$stamp"
  touch -d "@$started" "$stamp"
}
