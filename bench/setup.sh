#!/usr/bin/env bash
# What the benchmarks need besides the project's own setup (scripts/setup.sh --test: Node 22,
# wrangler, workerd, Chromium, coturn): the peers and the driver's libraries at the versions
# pinned in bench/package-lock.json, from the npm registry. Quick when already installed.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$BENCH/../scripts/env.sh"
cd "$ROOT"
if [ ! -x node_modules/.bin/workerd ] || [ ! -x node_modules/.bin/wrangler ] || ! command -v turnserver >/dev/null \
   || ! command -v chromium >/dev/null; then
  bash scripts/setup.sh --test
fi
command -v taskset >/dev/null || { echo "bench: taskset (util-linux) is missing" >&2; exit 1; }
if [ ! -d "$BENCH/node_modules" ] || [ "$BENCH/package-lock.json" -nt "$BENCH/node_modules/.package-lock.json" ]; then
  echo "[bench] npm ci --prefix bench"
  npm ci --prefix "$BENCH" --silent --no-audit --no-fund
fi
bash "$BENCH/quality/setup.sh" # espeak-ng, sox and PESQ for bench/quality
