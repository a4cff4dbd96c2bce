#!/usr/bin/env bash
# Builds floor-rs (src/lib.rs: a benchmark floor, never shipped) offline with local tools, as
# scripts/build.sh builds the worker: build/index.js and build/index_bg.wasm, from its own target/
# so it never races the main build. Does nothing when build/ is newer than every source file.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/../../../scripts/env.sh"
cd "$HERE"
stale=0
for out in build/index.js build/index_bg.wasm; do
  if [ ! -f "$out" ] || [ -n "$(find Cargo.toml Cargo.lock build.sh src -newer "$out" -print -quit)" ]; then
    stale=1
  fi
done
[ "$stale" = 1 ] || exit 0
export CARGO_TARGET_DIR="$HERE/target"
export WASM_BINDGEN_BIN="$HOME/.cargo/bin/wasm-bindgen"
export ESBUILD_BIN="$ROOT/node_modules/.bin/esbuild"
# wasm-opt is skipped, as scripts/build.sh skips it (it shrank nothing on top of the profile).
exec worker-build --release --no-opt
