#!/usr/bin/env bash
# README command 2: set up and run every test — host unit tests, the worker in workerd
# (miniflare), and the page in Chromium (inside a loopback-only network namespace).
# A missing tool is a failure, never a skip.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
bash scripts/setup.sh --test || { echo "setup failed" >&2; exit 1; }
# Again: setup may just have installed Node 22 into .tools/.
source "$(dirname "$0")/env.sh"

failed=()
stage() {
  local name=$1; shift
  printf '\n\033[1m== %s\033[0m\n' "$name"
  local start=$SECONDS
  if "$@"; then
    echo "-- $name: ok ($((SECONDS - start)) s)"
  else
    echo "-- $name: FAILED ($((SECONDS - start)) s)"
    failed+=("$name")
  fi
}

stage "format and lints (cargo fmt --check; clippy -D warnings, host and wasm32)" \
  bash -c 'cargo fmt --check && cargo clippy --quiet --all-targets -- -D warnings &&
    cargo clippy --quiet --target wasm32-unknown-unknown --lib -- -D warnings'
stage "host unit tests (cargo test)" cargo test --quiet
stage "page unit tests (node --test: reasons, voice activity, backoff, negotiation, rosters)" \
  node --test tests/unit/*.test.mjs
stage "build the worker" bash scripts/build.sh
stage "worker size" bash scripts/size.sh
stage "integration tests (workerd via miniflare)" \
  node --test --test-concurrency=1 --test-timeout=120000 tests/integration/*.test.mjs
stage "self-hosted: integration suite on bare workerd via scripts/serve.sh, static files, restarts" \
  bash tests/integration-workerd/run.sh
stage "TURN tests (real coturn, provider APIs on loopback, deployment files)" \
  node --test --test-concurrency=1 --test-timeout=120000 tests/turn/*.test.mjs
stage "fault and load tests (crashes, half-open sockets, floods, churn, 200 channels, secrets)" \
  node --test --test-concurrency=1 --test-timeout=180000 tests/faults/*.test.mjs tests/load/*.test.mjs
stage "end-to-end tests (Chromium, loopback namespace)" bash tests/e2e/run.sh
stage "self-hosted: the end-to-end core call on bare workerd (two users talk, double join, move, leave)" \
  env E2E_SERVER=workerd bash tests/e2e/run.sh tests/e2e/voice.test.mjs tests/e2e/voice-bar.test.mjs
stage "benchmark smoke run (every benchmark, tiny counts, no timing assertions)" \
  env BENCH_NO_BUILD=1 bash bench/smoke.sh
stage "voice quality smoke (bench/quality: one short scored call at 10 % loss, no thresholds)" bash bench/quality/run.sh --smoke

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all test stages passed"
