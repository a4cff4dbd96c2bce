#!/usr/bin/env bash
# Prints the worker's upload size as `wrangler deploy --dry-run` reports it (no login needed).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
npx wrangler deploy --dry-run --outdir "$out" 2>&1 | grep -E "Total Upload" | sed 's/^/worker size: /'
