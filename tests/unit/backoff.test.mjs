// Backoff: doubling from the first wait to the cap, jitter only ever shortens a wait, within bounds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { LOBBY_BACKOFF, backoffDelay, iceRestartDelay } from "../../public/backoff.js";

test("waits double from the first one and stop at the cap", () => {
  const policy = { firstMs: 500, maxMs: 10_000 };
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 50, 5000].map((n) => backoffDelay(n, policy)),
    [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
});

test("ICE restarts come at once, then after 1, 2, 4 and 8 s, and every 8 s from then on", () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map(iceRestartDelay), [0, 1000, 2000, 4000, 8000, 8000, 8000]);
});

test("jitter keeps each wait between (1 - jitter) and 1 times the exact one", () => {
  for (let attempt = 0; attempt < 8; attempt++) {
    const exact = backoffDelay(attempt, { ...LOBBY_BACKOFF, jitter: 0 });
    assert.equal(backoffDelay(attempt, LOBBY_BACKOFF, () => 0), exact, "random 0: the exact wait");
    const shortest = backoffDelay(attempt, LOBBY_BACKOFF, () => 0.999999);
    assert.ok(shortest >= exact * (1 - LOBBY_BACKOFF.jitter) && shortest <= exact);
    for (let i = 0; i < 200; i++) {
      const wait = backoffDelay(attempt, LOBBY_BACKOFF);
      assert.ok(wait > exact * (1 - LOBBY_BACKOFF.jitter) - 1e-9 && wait <= exact, `${wait} within bounds of ${exact}`);
      assert.ok(wait <= LOBBY_BACKOFF.maxMs, "never past the cap");
    }
  }
  assert.ok(backoffDelay(0, LOBBY_BACKOFF) <= 500, "the first retry comes within 500 ms");
});

test("odd input stays sane: negative attempts count as the first, jitter is clamped to 0..1", () => {
  assert.equal(backoffDelay(-3, { firstMs: 100, maxMs: 1000 }), 100);
  assert.equal(backoffDelay(0, { firstMs: 100, maxMs: 1000, jitter: 5 }, () => 0.5), 50);
  assert.equal(backoffDelay(0, { firstMs: 100, maxMs: 1000, jitter: -1 }, () => 0.5), 100);
});
