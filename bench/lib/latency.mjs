// Latency histograms (HdrHistogram, microsecond resolution). Medians over rounds and the tests'
// percentiles are tests/lib/stats.mjs.
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
