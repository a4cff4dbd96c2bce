#!/usr/bin/env bash
# Runs the built worker on bare `workerd serve` — no wrangler, no inspector, nothing downloaded.
# The config is generated from wrangler.toml at every start (scripts/serve.mjs); the Durable
# Objects' SQLite files live in the data directory, so a restart on the same directory keeps the
# rosters and the members in their grace period.
#
#   scripts/serve.sh [--listen HOST:PORT] [--data DIR]
#
# Environment: LISTEN (default 127.0.0.1:8787), DATA_DIR (default ./data), CROMULENT_BUILD_DIR
# (default build/), the secrets (AUTH_SECRET, TURN_SECRET, …) and any variable of wrangler.toml's
# [vars] or the README's configuration table (PUBLIC_ORIGIN, ALLOWED_ORIGINS, TURN_PROVIDER, …).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/env.sh"
workerd="${WORKERD_BIN:-$ROOT/node_modules/workerd/bin/workerd}"
[ -x "$workerd" ] || { echo "serve: $workerd is missing (npm ci installs it)" >&2; exit 64; }
config="$(node "$ROOT/scripts/serve.mjs" "$@")"
# exec: workerd gets the signals (docker stop sends SIGTERM) and is PID 1 in the container.
exec "$workerd" serve "$config"
