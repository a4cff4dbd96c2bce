#!/usr/bin/env bash
# README command 1: set up, build and serve on http://localhost:8787 with wrangler dev (workerd).
# Creates a git-ignored .dev.vars with a random AUTH_SECRET the first time.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
# Again: setup may just have installed Node 22 into .tools/.
source "$(dirname "$0")/env.sh"
if [ ! -f .dev.vars ] || ! grep -q '^AUTH_SECRET=' .dev.vars; then
  echo "AUTH_SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '=+/\n')" >> .dev.vars
  echo "[dev] wrote a random AUTH_SECRET to .dev.vars (git-ignored)"
fi
exec npx wrangler dev --port "${PORT:-8787}" --ip "${IP:-127.0.0.1}" "$@"
