// Seeded randomness for tests and benchmarks that must repeat a run: the same seed gives the same
// sequence (the churn test's schedule, the quality bench's packet loss).

/** mulberry32: a small, fast 32-bit PRNG returning numbers in [0, 1). @param {number} seed */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
