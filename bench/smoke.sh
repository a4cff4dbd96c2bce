#!/usr/bin/env bash
# A quick run of every benchmark with tiny counts (under 2 minutes), for CI: it checks that the
# benchmarks still run against the current worker and peers. No timing assertions; it fails when
# any benchmark errors. Writes bench/results/<date>-smoke.md and prints it. The same steps as
# run.sh (setup, build, pinning), with --smoke and a 300 s limit.
set -euo pipefail
export BENCH_COMMAND="bash bench/smoke.sh${*:+ $*}"
export BENCH_TIMEOUT=300
exec bash "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/run.sh" --smoke "$@"
