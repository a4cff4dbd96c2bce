// Small statistics over samples (milliseconds, or per-round results): percentiles for the fault
// and load tests' reports, medians over benchmark rounds. (The benchmarks' latency histograms are
// HdrHistogram, in bench/lib/latency.mjs.)

/** The `p`-th percentile (0–100) of `values`, nearest rank; NaN when empty. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** `{n, p50, p99, max}` of millisecond samples, rounded to 0.1 ms. */
export function summary(values) {
  const r = (x) => Math.round(x * 10) / 10;
  return { n: values.length, p50: r(percentile(values, 50)), p99: r(percentile(values, 99)), max: r(Math.max(...values)) };
}

/** The median of the finite numbers in `values` (the mean of the middle two when even); NaN when none. */
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
