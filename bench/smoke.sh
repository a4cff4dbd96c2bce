#!/usr/bin/env bash
# A quick run of every benchmark with tiny counts (under 2 minutes), for CI: it checks that the
# benchmarks still run against the current worker and peers. No timing assertions; it fails when
# any benchmark errors. Writes bench/results/<date>-smoke.md and prints it.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$BENCH/../scripts/env.sh"
cd "$ROOT"
bash "$BENCH/setup.sh"
source "$BENCH/../scripts/env.sh" # again: setup may just have installed Node 22 and workerd
[ -n "${BENCH_NO_BUILD:-}" ] || bash scripts/build.sh >/dev/null
export BENCH_COMMAND="bash bench/smoke.sh${*:+ $*}"
export BENCH_SERVER_CPUS="${BENCH_SERVER_CPUS:-1}"
exec timeout 300 taskset -c "${BENCH_DRIVER_CPUS:-0}" node "$BENCH/main.mjs" --smoke "$@"
