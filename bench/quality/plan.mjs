//! What the quality bench runs: the impairment profiles (loss.mjs) and the audio variants (what
//! the page does to the call). `ours` is read from public/audio-codec.js, so the bench measures
//! exactly what the page ships; the other variants are the alternatives each setting was chosen
//! against (`--variants` picks them).
import { OPUS_FMTP, PREFER_RED, PTIME_MS } from "../../public/audio-codec.js";

/** @type {import("./loss.mjs").Profile[]} */
export const PROFILES = [
  { name: "0%" },
  { name: "5%", loss: 0.05 },
  { name: "10%", loss: 0.1 },
  { name: "20%", loss: 0.2 },
  { name: "30%", loss: 0.3 },
  // Gilbert-Elliott: 14.3 % mean loss in bursts of 3.3 packets (66 ms) on average.
  { name: "bursty", burst: { p: 0.05, r: 0.3 } },
  { name: "jitter", delayMs: 40, jitterMs: 30 },
];

/**
 * @typedef {Object} Variant
 * @property {string} name
 * @property {boolean} [red]              RED first (setCodecPreferences on both ends)
 * @property {Record<string, number>} [fmtp]  Opus fmtp set in both local descriptions
 * @property {number | null} [ptime]      a=ptime in both local descriptions
 * @property {number | null} [jitterBufferTarget]  ms, on the receiver
 */

/** @type {Variant[]} */
export const VARIANTS = [
  { name: "defaults" },
  { name: "ours", red: PREFER_RED, fmtp: OPUS_FMTP, ptime: PTIME_MS },
  // The alternatives, for choosing (bash bench/quality/run.sh --variants ...):
  { name: "red", red: true },
  { name: "red+fec", red: true, fmtp: { useinbandfec: 1 } },
  { name: "fec-off", fmtp: { useinbandfec: 0 } },
  { name: "red+dtx", red: true, fmtp: { useinbandfec: 1, usedtx: 1 } },
  { name: "red+24k", red: true, fmtp: { useinbandfec: 1, maxaveragebitrate: 24000 } },
  { name: "red+48k", red: true, fmtp: { useinbandfec: 1, maxaveragebitrate: 48000 } },
  { name: "red+ptime40", red: true, fmtp: { useinbandfec: 1 }, ptime: 40 },
  { name: "red+jb60", red: true, fmtp: { useinbandfec: 1 }, jitterBufferTarget: 60 },
];

/** @param {string[]} names @param {{name: string}[]} all */
export function pick(names, all) {
  return names.map((n) => {
    const found = all.find((x) => x.name === n);
    if (!found) throw new Error(`unknown name ${n}; known: ${all.map((x) => x.name).join(", ")}`);
    return found;
  });
}
