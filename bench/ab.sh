#!/usr/bin/env bash
# A/B of builds of the worker under one profile load, alternating, medians of server CPU per unit:
#   bash bench/ab.sh <load> <seconds> <rounds> <build-dir>... (load: join | relay-ice | relay-sdp)
# Each run is `node bench/profile.mjs ours <load> <seconds>` without perf (PROFILE_PERF=0), the
# driver on CPU 0 and the server on CPU 1; "partyserver" as a build dir runs PartyServer instead.
# Run nothing else meanwhile: on this 2-core VM one run moves by ±15 %, medians of ≥ 5 settle it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/env.sh"
cd "$ROOT"
load="$1" secs="$2" rounds="$3"
shift 3
declare -A all
for ((r = 1; r <= rounds; r++)); do
  for build in "$@"; do
    kind=ours dir="$build"
    [ "$build" = partyserver ] && kind=partyserver dir=""
    line=$(BENCH_BUILD_DIR="$dir" PROFILE_PERF=0 taskset -c "${BENCH_DRIVER_CPUS:-0}" \
      node bench/profile.mjs "$kind" "$load" "$secs" 2>&1 | grep -m1 "server CPU")
    us=$(sed -E 's/.*server CPU ([0-9.]+) µs.*/\1/' <<<"$line")
    all[$build]="${all[$build]:-} $us"
    echo "round $r  $build  $us µs"
  done
done
for build in "$@"; do
  median=$(tr ' ' '\n' <<<"${all[$build]}" | grep . | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
  echo "median  $build  $median µs  (${all[$build]# })"
done
