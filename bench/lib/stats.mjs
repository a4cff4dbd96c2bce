// Latency histograms (HdrHistogram, microsecond resolution) and the median-of-rounds helpers.
import * as hdr from "hdr-histogram-js";

/** A histogram of latencies recorded in milliseconds (stored as microseconds, 3 digits). */
export class Latency {
  constructor() {
    this.h = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
  }
  record(ms) {
    this.h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }
  get count() {
    return this.h.totalCount;
  }
  /** The p-th percentile in ms (NaN when empty). */
  p(q) {
    return this.h.totalCount === 0 ? NaN : this.h.getValueAtPercentile(q) / 1000;
  }
  summary() {
    return { n: this.count, p50: this.p(50), p99: this.p(99), max: this.count ? this.h.maxValue / 1000 : NaN };
  }
  reset() {
    this.h.reset();
  }
}

export function median(values) {
  const v = values.filter((x) => typeof x === "number" && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** Median of each numeric field over a list of round results (objects with the same keys). */
export function medianOf(rounds) {
  const out = {};
  for (const key of Object.keys(rounds[0] ?? {})) {
    const vals = rounds.map((r) => r[key]);
    out[key] = typeof vals[0] === "number" ? median(vals) : vals[0];
  }
  return out;
}
