#!/usr/bin/env bash
# TypeScript declarations for the client module, generated from its JSDoc: public/voice.js and
# every module it imports → public/types/*.d.ts (committed and served, so a host app fetches
# /types/voice.d.ts). tests/unit/types.test.mjs regenerates them into a temporary folder and
# fails when the committed files differ: run this after changing the module's JSDoc.
# Usage: bash scripts/types.sh [out-dir]   (default public/types)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
OUT="${1:-public/types}"
TSC="$ROOT/node_modules/.bin/tsc"
[ -x "$TSC" ] || { echo "types.sh: missing $TSC (npm ci)" >&2; exit 1; }
mkdir -p "$OUT"
rm -f "$OUT"/*.d.ts
# --noCheck: emit only; type-checking the page is not this script's job (and would make the
# declarations depend on it). --rootDir keeps the files flat, as the modules are served.
"$TSC" --allowJs --declaration --emitDeclarationOnly --noCheck --skipLibCheck \
  --target es2022 --module es2022 --moduleResolution bundler --lib es2022,dom,dom.iterable \
  --newLine lf --rootDir public --outDir "$OUT" public/voice.js
for file in "$OUT"/*.d.ts; do
  { echo "// Generated from public/$(basename "$file" .d.ts).js by scripts/types.sh; do not edit."; cat "$file"; } >"$file.tmp"
  mv "$file.tmp" "$file"
done
