#!/usr/bin/env bash
# The query data sqlx's `query!` macros compile against (`.sqlx/`, committed; docs/ARCHITECTURE.md "Queries
# checked at compile time"), made from a fresh database with every migration applied:
#   scripts/sqlx-prepare.sh           rewrite .sqlx/ (after changing a query or adding a migration)
#   scripts/sqlx-prepare.sh --check   fail when .sqlx/ is stale (`make test` runs this)
# Uses the private test cluster (scripts/pg.sh), started if needed; needs sqlx-cli (scripts/tools.sh test).
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
cd "$project"
export PATH="$HOME/.cargo/bin:$PATH"
check=()
if [[ "${1:-}" == --check ]]; then check=(--check); fi

scripts/pg.sh start test >/dev/null
url=$(scripts/pg.sh fresh test tollgate_sqlx_prepare)
sqlx migrate run --source migrations --database-url "$url" >/dev/null
# The crates whose server code holds queries, with the features that compile it.
DATABASE_URL="$url" cargo sqlx prepare --workspace "${check[@]}" -- \
  -p tollgate-core -p app -p server --features app/ssr
