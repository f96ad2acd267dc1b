#!/usr/bin/env bash
# Installs what building and testing Tollgate needs, once per machine; a no-op when all is there.
#   scripts/tools.sh build   the wasm target, wasm-bindgen, npm tools (wasm-opt, esbuild), PostgreSQL
#   scripts/tools.sh test    all of the above plus rustfmt, clippy, sqlx-cli, Debian's Chromium and poppler-utils
# Versions are pinned where the toolchain needs them (see docs/ARCHITECTURE.md "Toolchain"): wasm-bindgen-cli
# equal to Cargo.lock's wasm-bindgen. cargo-leptos is not needed: scripts/build-site.sh builds the site.
set -euo pipefail
mode=${1:-build}
project=$(cd "$(dirname "$0")/.." && pwd)
export PATH="$HOME/.cargo/bin:$PATH"

# The same version as Cargo.lock's sqlx.
SQLX_CLI_VERSION=$(awk '/^name = "sqlx"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$project/Cargo.lock")
source "$project/scripts/site-env.sh" # SCHEMATHESIS_VERSION, SCHEMATHESIS_VENV
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$project/Cargo.lock")

say() { printf '\033[1m[tools]\033[0m %s\n' "$*"; }

apt_updated=""
apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "tools.sh: please install these Debian packages (needs root): $*" >&2; exit 1
  fi
  if [[ -z "$apt_updated" ]]; then apt-get update -qq; apt_updated=1; fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q " $WASM_BINDGEN_VERSION\$"; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (one time, about 3 minutes)"
  # Without --locked: the locked dependency set of this version is no longer complete on crates.io.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

if ! command -v npm >/dev/null; then apt_install nodejs npm; fi
# npm packages: wasm-opt (binaryen) for release builds, playwright-core for the browser tests.
stamp="$project/end2end/node_modules/.installed-from-lock"
if [[ ! -f "$stamp" || "$project/end2end/package-lock.json" -nt "$stamp" ]]; then
  say "npm ci in end2end/"
  (cd "$project/end2end" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$stamp"
fi

pg_bin=$(pg_config --bindir 2>/dev/null || true)
if [[ -z "$pg_bin" || ! -x "$pg_bin/initdb" ]] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install postgresql
fi
# pg_partman keeps `requests` partitioned by month (migration requests_by_month), for the server's version.
pg_bin=$(pg_config --bindir 2>/dev/null || ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
pg_major=$("$pg_bin/postgres" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')
if [[ ! -f "/usr/share/postgresql/$pg_major/extension/pg_partman.control" ]]; then
  apt_install "postgresql-$pg_major-partman"
fi

if [[ "$mode" == test ]]; then
  for component in rustfmt clippy; do
    if ! rustup component list --installed | grep -q "^$component"; then rustup component add "$component"; fi
  done
  if ! command -v chromium >/dev/null; then apt_install chromium; fi
  # pdftotext reads the statements' PDFs back in the tests (server/tests/it/statements.rs).
  if ! command -v pdftotext >/dev/null; then apt_install poppler-utils; fi
  # sqlx-cli checks that the committed query data (.sqlx/) matches the queries (scripts/sqlx-prepare.sh).
  if ! cargo sqlx --version 2>/dev/null | grep -q " $SQLX_CLI_VERSION\$"; then
    say "installing sqlx-cli $SQLX_CLI_VERSION (one time, about 5 minutes)"
    cargo install --locked "sqlx-cli@$SQLX_CLI_VERSION" --no-default-features --features postgres,rustls
  fi
  # schemathesis (PyPI) fuzzes /v1 against its OpenAPI document; kept in a venv outside the clone.
  if ! python3 -m venv --help >/dev/null 2>&1; then apt_install python3 python3-venv; fi
  if ! "$SCHEMATHESIS_VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION\$"; then
    say "installing schemathesis $SCHEMATHESIS_VERSION (one time, about a minute)"
    rm -rf "$SCHEMATHESIS_VENV"
    python3 -m venv "$SCHEMATHESIS_VENV"
    "$SCHEMATHESIS_VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  if ! "$MCP_VENV/bin/python" -c "import mcp, pytest, openai, anthropic, localstripe, sys; \
      from importlib.metadata import version as v; \
      sys.exit(v('mcp') != '$MCP_PYTHON_VERSION' or v('pytest') != '$PYTEST_VERSION' \
        or v('openai') != '$OPENAI_PYTHON_VERSION' or v('anthropic') != '$ANTHROPIC_PYTHON_VERSION' \
        or v('localstripe') != '$LOCALSTRIPE_VERSION')" 2>/dev/null; then
    say "installing the MCP, OpenAI and Anthropic Python SDKs, localstripe and pytest (one time, about a minute)"
    rm -rf "$MCP_VENV"
    python3 -m venv "$MCP_VENV"
    "$MCP_VENV/bin/pip" install --quiet --disable-pip-version-check "mcp==$MCP_PYTHON_VERSION" \
      "pytest==$PYTEST_VERSION" "openai==$OPENAI_PYTHON_VERSION" "anthropic==$ANTHROPIC_PYTHON_VERSION" \
      "localstripe==$LOCALSTRIPE_VERSION"
  fi
fi
