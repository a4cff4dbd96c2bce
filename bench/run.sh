#!/usr/bin/env bash
# The full benchmark run (bench/README.md): builds the worker, installs the pinned peers, runs
# every benchmark (about 25 minutes on 2 cores), writes bench/results/<date>.md (+ .json) and
# prints the table. Driver on CPU 0, servers on CPU 1 (BENCH_DRIVER_CPUS / BENCH_SERVER_CPUS).
# Extra arguments go to main.mjs (e.g. --only relay,join --rounds 5).
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$BENCH/../scripts/env.sh"
cd "$ROOT"
bash "$BENCH/setup.sh"
source "$BENCH/../scripts/env.sh" # again: setup may just have installed Node 22 and workerd
[ -n "${BENCH_NO_BUILD:-}" ] || bash scripts/build.sh >/dev/null
export BENCH_COMMAND="${BENCH_COMMAND:-bash bench/run.sh${*:+ $*}}"
export BENCH_SERVER_CPUS="${BENCH_SERVER_CPUS:-1}"
# BENCH_TIMEOUT (seconds; smoke.sh sets it) bounds the whole run.
exec ${BENCH_TIMEOUT:+timeout "$BENCH_TIMEOUT"} taskset -c "${BENCH_DRIVER_CPUS:-0}" node "$BENCH/main.mjs" "$@"
