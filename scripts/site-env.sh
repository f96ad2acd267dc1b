# Sourced by run.sh and test.sh: where cargo-leptos puts the server binary and the site, whether or not
# CARGO_TARGET_DIR points outside the checkout (CI keeps its build cache there).
project=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$project/target}
case "$target_dir" in /*) ;; *) target_dir="$project/$target_dir" ;; esac
server_bin="$target_dir/release/tollgate"
export LEPTOS_SITE_ROOT="$target_dir/site"
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_OUTPUT_NAME=tollgate
export LEPTOS_ENV=PROD
export PATH="$HOME/.cargo/bin:$project/end2end/node_modules/.bin:$PATH"
