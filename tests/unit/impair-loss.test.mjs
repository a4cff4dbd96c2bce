// The quality bench's impairment models (bench/quality/loss.mjs): seeded, so a run repeats, and
// their statistics match the profile they claim.
import assert from "node:assert/strict";
import { test } from "node:test";
import { impairment, meanLoss, prng } from "../../bench/quality/loss.mjs";

/** Drops and delays of `n` packets. */
function run(profile, seed, n = 50_000) {
  const impair = impairment(profile, seed);
  return Array.from({ length: n }, () => impair.next());
}

/** Lengths of the runs of consecutive drops. */
function bursts(packets) {
  const lengths = [];
  let current = 0;
  for (const { drop } of packets) {
    if (drop) current += 1;
    else if (current > 0) {
      lengths.push(current);
      current = 0;
    }
  }
  return lengths;
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

test("the same seed gives the same sequence, another seed another one", () => {
  const a = prng(42);
  const b = prng(42);
  const c = prng(43);
  const first = Array.from({ length: 100 }, () => a());
  assert.deepEqual(first, Array.from({ length: 100 }, () => b()));
  assert.notDeepEqual(first, Array.from({ length: 100 }, () => c()));
  assert.ok(first.every((x) => x >= 0 && x < 1));
});

test("random loss drops the profile's share of packets, one at a time", () => {
  for (const loss of [0.05, 0.2, 0.3]) {
    const packets = run({ name: "random", loss }, 7);
    const rate = packets.filter((p) => p.drop).length / packets.length;
    assert.ok(Math.abs(rate - loss) < 0.01, `loss ${loss}: measured ${rate}`);
    // Bernoulli: mean burst 1/(1-loss).
    assert.ok(Math.abs(mean(bursts(packets)) - 1 / (1 - loss)) < 0.05);
  }
});

test("no loss drops nothing and adds no delay", () => {
  const packets = run({ name: "clean" }, 1, 5000);
  assert.ok(packets.every((p) => !p.drop && p.delayMs === 0));
});

test("Gilbert-Elliott loss has the stationary mean and bursts of 1/r packets", () => {
  const profile = { name: "bursty", burst: { p: 0.05, r: 0.25 } };
  assert.ok(Math.abs(meanLoss(profile) - 1 / 6) < 1e-9);
  const packets = run(profile, 11, 200_000);
  const rate = packets.filter((p) => p.drop).length / packets.length;
  assert.ok(Math.abs(rate - meanLoss(profile)) < 0.015, `measured ${rate}`);
  assert.ok(Math.abs(mean(bursts(packets)) - 4) < 0.3, `mean burst ${mean(bursts(packets))}`);
});

test("jitter stays within ± jitterMs of the delay and spreads over the range", () => {
  const packets = run({ name: "jitter", delayMs: 40, jitterMs: 30 }, 3, 20_000);
  const delays = packets.map((p) => p.delayMs);
  assert.ok(delays.every((d) => d >= 10 && d <= 70));
  assert.ok(Math.abs(mean(delays) - 40) < 1);
  assert.ok(Math.min(...delays) < 11 && Math.max(...delays) > 69);
  assert.ok(packets.every((p) => !p.drop));
});
