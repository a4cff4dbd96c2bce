#!/usr/bin/env bash
# What the quality bench needs: Debian's espeak-ng and sox (reference speech), Chromium and coturn
# (scripts/setup.sh --test installs those two), and PESQ with numpy/scipy from PyPI in a venv at
# bench/quality/.venv. Quick when already installed.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
missing=()
for tool in espeak-ng sox; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[quality] apt-get install ${missing[*]}"
  apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v chromium >/dev/null || ! command -v turnserver >/dev/null; then
  bash "$HERE/../../scripts/setup.sh" --test
fi
if ! "$HERE/.venv/bin/python" -c "import pesq, numpy, scipy" 2>/dev/null; then
  echo "[quality] python venv with pesq, numpy, scipy (bench/quality/.venv)"
  python3 -m venv "$HERE/.venv"
  "$HERE/.venv/bin/pip" install --quiet "pesq==0.0.4" "numpy==2.4.6" "scipy==1.17.1"
fi
