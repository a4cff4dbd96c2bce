#!/usr/bin/env bash
# The self-hosted path in CI: the integration suite (tests/integration/) against scripts/serve.sh
# (bare workerd, CROMULENT_TARGET=workerd makes tests/lib's startWorker start it), then this
# folder's tests (static files, secrets, variables, restarts on the same data directory).
#
# Skipped on workerd, with the reason: the tests that force a Durable Object into hibernation
# (their names all say "hibernat…"). They call miniflare's unsafeEvictDurableObject, which bare
# workerd has no equivalent of (it hibernates an idle object by itself after ~10 s, not on
# demand); they keep running under miniflare in the integration stage.
set -uo pipefail
source "$(dirname "$0")/../../scripts/env.sh"
cd "$ROOT"
echo "[workerd] skipping the forced-hibernation tests (no workerd equivalent of miniflare's unsafeEvictDurableObject)"
status=0
CROMULENT_TARGET=workerd node --test --test-concurrency=1 --test-timeout=120000 --test-skip-pattern=hibernat \
  tests/integration/*.test.mjs || status=1
node --test --test-concurrency=1 --test-timeout=120000 tests/integration-workerd/*.test.mjs || status=1
exit $status
