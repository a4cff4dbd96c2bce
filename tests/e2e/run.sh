#!/usr/bin/env bash
# End-to-end browser tests: Chromium (playwright-core) and Firefox (firefox-esr through
# puppeteer-core over WebDriver BiDi) against `wrangler dev`, all inside a
# network namespace that has only loopback, so WebRTC gathers 127.0.0.1 candidates and nothing
# leaves the machine. Usage: bash tests/e2e/run.sh [test files...]   (as root)
# Environment: E2E_PORT (8787), E2E_SCREENSHOT_DIR (docs/screenshots), E2E_KEEP_LOGS=1.
# Tests that need another configuration (TURN) start their own wrangler dev on 8788/8789 and
# coturn (helpers.mjs: startWorker, startCoturn), inside the same namespace.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck source=../../scripts/env.sh
source scripts/env.sh

fail() { echo "e2e: $*" >&2; exit 1; }

if [ -z "${CV_E2E_IN_NETNS:-}" ]; then
  # Outside the namespace: check the tools (a missing one is a failure, never a skip), build
  # while the package registries are reachable, then re-enter this script in a fresh namespace.
  for tool in unshare ip ss curl node setsid stdbuf turnserver; do
    command -v "$tool" >/dev/null || fail "missing tool: $tool"
  done
  CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
  [ -x "$CHROMIUM" ] || fail "missing Chromium at $CHROMIUM (apt-get install chromium)"
  [ -d node_modules/playwright-core ] || fail "missing node_modules/playwright-core (npm ci)"
  FIREFOX="${FIREFOX_PATH:-/usr/bin/firefox-esr}"
  [ -x "$FIREFOX" ] || fail "missing Firefox at $FIREFOX (apt-get install firefox-esr)"
  [ -d node_modules/puppeteer-core ] || fail "missing node_modules/puppeteer-core (npm ci)"
  command -v pulseaudio >/dev/null || fail "missing tool: pulseaudio (apt-get install pulseaudio)"
  [ -x node_modules/.bin/wrangler ] || fail "missing node_modules/.bin/wrangler (npm ci)"
  echo "e2e: building the worker"
  bash scripts/build.sh >/dev/null || fail "scripts/build.sh failed"
  export CV_E2E_IN_NETNS=1
  exec unshare -n -- bash "${BASH_SOURCE[0]}" "$@"
fi

# Inside the namespace: loopback only.
ip link set lo up
[ "$(ip -o link show | grep -vc ': lo:')" = 0 ] || fail "the namespace has more than loopback"

PORT="${E2E_PORT:-8787}"
AUTH_SECRET="e2e-only-secret-0123456789abcdef0123456789abcdef"
BASE_URL="http://127.0.0.1:$PORT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cv-e2e.XXXXXX")"
LOG="$WORK/wrangler.log"
wrangler_pid=""
node_pid=""
pulse_pid=""

# Stops a process group we started (setsid made each child the leader of its own group).
stop_group() {
  local pid="$1"
  [ -n "$pid" ] || return 0
  kill -TERM -- "-$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 -- "-$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_group "$node_pid"
  # Extra workers a test started (helpers.mjs startWorker) and could not stop itself.
  for pgid_file in "$WORK"/*.pgid; do
    [ -f "$pgid_file" ] && stop_group "$(cat "$pgid_file")"
  done
  stop_group "$wrangler_pid"
  [ -n "$pulse_pid" ] && kill "$pulse_pid" 2>/dev/null || true
  if [ "$status" != 0 ] && [ -f "$LOG" ]; then
    echo "e2e: last lines of the wrangler log ($LOG):" >&2
    tail -n 40 "$LOG" >&2 || true
  fi
  if [ -z "${E2E_KEEP_LOGS:-}" ] && [ "$status" = 0 ]; then rm -rf "$WORK"; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A sound server with a null sink: headless Firefox runs no Web Audio without one (no levels, so
# no speaking ring). Ours alone: its socket lives in this run's own XDG_RUNTIME_DIR.
export XDG_RUNTIME_DIR="$WORK/xdg"
mkdir -m 700 -p "$XDG_RUNTIME_DIR"
pulseaudio -D -n --exit-idle-time=-1 --load=module-native-protocol-unix --load=module-null-sink \
  >"$WORK/pulseaudio.log" 2>&1 || fail "pulseaudio did not start: $(cat "$WORK/pulseaudio.log")"
pulse_pid="$(cat "$XDG_RUNTIME_DIR/pulse/pid")"

# An empty env file instead of a developer's .dev.vars: the run depends on nothing local.
: >"$WORK/e2e.env"
if [ "${E2E_SERVER:-wrangler}" = workerd ]; then
  # The self-hosted path: bare workerd through scripts/serve.sh, its data directory in $WORK.
  echo "e2e: starting scripts/serve.sh (bare workerd) on $BASE_URL (log: $LOG)"
  AUTH_SECRET="$AUTH_SECRET" RECONNECT_GRACE_SECS=2 setsid bash scripts/serve.sh \
    --listen "127.0.0.1:$PORT" --data "$WORK/state" >"$LOG" 2>&1 </dev/null &
else
  echo "e2e: starting wrangler dev on $BASE_URL (log: $LOG)"
  setsid npx wrangler dev --port "$PORT" --ip 127.0.0.1 \
    --env-file "$WORK/e2e.env" \
    --var "AUTH_SECRET:$AUTH_SECRET" \
    --var RECONNECT_GRACE_SECS:2 \
    --persist-to "$WORK/state" \
    --show-interactive-dev-session=false \
    >"$LOG" 2>&1 </dev/null &
fi
wrangler_pid=$!

ready=""
for _ in $(seq 1 360); do
  if curl -fsS --max-time 2 "$BASE_URL/api/health" >/dev/null 2>&1; then ready=1; break; fi
  kill -0 "$wrangler_pid" 2>/dev/null || fail "wrangler dev exited before it was ready"
  sleep 0.5
done
[ -n "$ready" ] || fail "wrangler dev was not ready after 180 s"
echo "e2e: server ready: $(curl -fsS "$BASE_URL/api/health")"

if [ "$#" -gt 0 ]; then files=("$@"); else files=(tests/e2e/*.test.mjs); fi
set +e
E2E_BASE_URL="$BASE_URL" E2E_AUTH_SECRET="$AUTH_SECRET" E2E_RUN_DIR="$WORK" setsid node --test --test-concurrency=1 --test-timeout=180000 "${files[@]}" &
node_pid=$!
wait "$node_pid"
status=$?
node_pid=""
set -e
exit "$status"
