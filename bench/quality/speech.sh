#!/usr/bin/env bash
# The reference speech: four Harvard sentences in four espeak-ng voices, 0.4 s of
# silence between them, 48 kHz mono 16-bit WAV (what Chromium's fake microphone plays; PESQ-WB
# gets it at 16 kHz after the recording). Usage: bash speech.sh OUT.wav
set -euo pipefail
out="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
i=0
while IFS='|' read -r voice text; do
  i=$((i + 1))
  espeak-ng -v "$voice" -s 150 -w "$tmp/$i.raw.wav" "$text"
  sox "$tmp/$i.raw.wav" -r 48000 -c 1 -b 16 "$tmp/$i.wav" pad 0 0.4
done <<'SENTENCES'
en-us|The birch canoe slid on the smooth planks.
en-gb|It is easy to tell the depth of a well.
en-us+f3|Rice is often served in round bowls.
en-gb-x-rp+m3|The hogs were fed chopped corn and garbage.
SENTENCES
sox "$tmp"/[0-9].wav "$out" gain -n -3
