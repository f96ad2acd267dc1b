#!/usr/bin/env bash
# Builds the release site and server: what `cargo leptos build --release` does for this workspace's
# `[[workspace.metadata.leptos]]` (Cargo.toml), with the tools `scripts/tools.sh` installs, so a first
# `make run` doesn't compile cargo-leptos (docs/ARCHITECTURE.md "Toolchain"). Called by `build_site`
# (scripts/site-env.sh), which sets LEPTOS_SITE_ROOT, LEPTOS_SITE_PKG_DIR, LEPTOS_OUTPUT_NAME and PATH.
#   scripts/build-site.sh          the site, then the server
#   scripts/build-site.sh server   only the server, with the same settings (run.sh starts it while the
#                                  tools install, so the compile and the downloads overlap)
#
# The output is cargo-leptos's, file for file: the wasm bundle and its loader, the stylesheet, public/, each
# bundle file named with the base64url MD5 of its bytes, and those hashes in hash.txt beside the server
# binary (where Leptos reads them at start-up). The wasm comes out byte for byte the same; the loader and
# the stylesheet are minified by esbuild (cargo-leptos links swc and lightningcss), so their hashes differ.
set -euo pipefail
project=$(cd "$(dirname "$0")/.." && pwd)
cd "$project"
target_dir=${CARGO_TARGET_DIR:-$project/target}
case "$target_dir" in /*) ;; *) target_dir="$project/$target_dir" ;; esac

out=${LEPTOS_OUTPUT_NAME:-tollgate}
site=${LEPTOS_SITE_ROOT:-$project/target/site}
pkg="$site/${LEPTOS_SITE_PKG_DIR:-pkg}"
# cargo-leptos's places: the wasm build's own target dir (so its artefacts never evict the server's), and
# the hash file beside the server binary.
front_target="$target_dir/front"
wasm="$front_target/wasm32-unknown-unknown/wasm-release/frontend.wasm"
hash_file="$target_dir/release/hash.txt"

# What cargo-leptos gives both builds. The values are part of cargo's fingerprints (LEPTOS_OUTPUT_NAME is
# read at compile time, RUSTFLAGS decides leptos' `erase_components`): different ones rebuild everything.
export LEPTOS_OUTPUT_NAME=$out LEPTOS_SITE_ROOT=$site LEPTOS_SITE_PKG_DIR=${LEPTOS_SITE_PKG_DIR:-pkg}
export LEPTOS_SITE_ADDR=${LEPTOS_SITE_ADDR:-127.0.0.1:3000} LEPTOS_RELOAD_PORT=3001
export LEPTOS_LIB_DIR=frontend LEPTOS_BIN_DIR=server
export LEPTOS_JS_MINIFY=true LEPTOS_HASH_FILES=true LEPTOS_HASH_FILE_NAME=hash.txt
# `always-erase-components`: each component's view is one type-erased view (docs/BENCHMARKS.md, P4).
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }--cfg erase_components"

say() { printf '\033[1m[site]\033[0m %s\n' "$*"; }
build_server() {
  say "compiling the server (release)"
  cargo build --package=server --bin=tollgate --no-default-features --release
}
if [[ "${1:-}" == server ]]; then
  say "compiling the server (release)"
  exec cargo build --package=server --bin=tollgate --no-default-features --release
fi

# 1. The browser's bundle: the wasm (profile wasm-release: size-optimized, LTO), its JS glue, and wasm-opt.
say "compiling the browser bundle (frontend, wasm32, profile wasm-release)"
cargo build --package=frontend --lib --target-dir="$front_target" --target=wasm32-unknown-unknown \
  --no-default-features --profile=wasm-release

rm -rf "$site"
mkdir -p "$pkg"
wasm-bindgen --target=web --out-name="$out" --out-dir="$pkg" "$wasm"
mv "$pkg/${out}_bg.wasm" "$pkg/$out.wasm"
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int "$pkg/$out.wasm" -o "$pkg/$out.wasm"
esbuild "$pkg/$out.js" --minify --format=esm --log-level=warning --outfile="$pkg/$out.min.js"
mv "$pkg/$out.min.js" "$pkg/$out.js"

# 2. The stylesheet, minified for the browsers Cargo.toml's `browserquery` ("defaults") names today (the
# same prefixes as cargo-leptos's lightningcss adds); and public/ as it is.
esbuild style/main.css --minify --target=chrome109,edge120,firefox115,safari15.6,ios15.6 --log-level=warning \
  --outfile="$pkg/$out.css"
cp -R public/. "$site/"

# 3. Every bundle file named with its content's hash, so browsers may keep it for a year (docs/ARCHITECTURE.md
# "Static files and caching"). The JS loader names none of the others (Leptos gives it the wasm's address).
node -e '
  const fs = require("fs"), path = require("path"), crypto = require("crypto");
  const [pkg, out, hashFile] = process.argv.slice(1);
  const hashes = {};
  for (const name of fs.readdirSync(pkg)) {
    const hash = crypto.createHash("md5").update(fs.readFileSync(path.join(pkg, name))).digest("base64url");
    const dot = name.lastIndexOf(".");
    fs.renameSync(path.join(pkg, name), path.join(pkg, `${name.slice(0, dot)}.${hash}${name.slice(dot)}`));
    hashes[name] = hash;
  }
  fs.mkdirSync(path.dirname(hashFile), { recursive: true });
  fs.writeFileSync(hashFile, `js: ${hashes[out + ".js"]}\nwasm: ${hashes[out + ".wasm"]}\ncss: ${hashes[out + ".css"]}\n`);
' "$pkg" "$out" "$hash_file"

# 4. The server, last (it embeds nothing of the site; it reads hash.txt when it starts).
build_server
