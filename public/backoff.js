// @ts-check
/**
 * backoff.js — how long to wait before trying again: doubling from a first wait up to a cap,
 * optionally shortened by a random share (jitter) so that many pages dropped at once (a deploy)
 * do not all come back in the same millisecond. Pure: the random source is a parameter.
 */

/**
 * @typedef {Object} Backoff
 * @property {number} firstMs  The wait before the first retry.
 * @property {number} maxMs    No wait is longer.
 * @property {number} [jitter] 0..1: each wait is cut by up to this share of itself (0 = exact).
 */

/**
 * The wait before retry number `attempt` (0 for the first retry).
 * @param {number} attempt
 * @param {Backoff} policy
 * @param {() => number} [random]  uniform in [0, 1)
 */
export function backoffDelay(attempt, policy, random = Math.random) {
  const n = Math.max(0, Math.floor(attempt));
  // 2 ** n overflows to Infinity for huge n; Math.min caps it either way.
  const base = Math.min(policy.firstMs * 2 ** n, policy.maxMs);
  const jitter = Math.min(Math.max(policy.jitter ?? 0, 0), 1);
  return base * (1 - jitter * random());
}

/**
 * ICE restarts after a failure: the first at once, then 1, 2, 4, 8 s (and 8 s from then on).
 * @type {Backoff}
 */
export const ICE_RESTART_BACKOFF = Object.freeze({ firstMs: 1000, maxMs: 8000 });

/** The wait before ICE restart number `restarts + 1` of a failed peer. */
export function iceRestartDelay(/** @type {number} */ restarts) {
  return restarts === 0 ? 0 : backoffDelay(restarts - 1, ICE_RESTART_BACKOFF);
}

/**
 * The lobby socket's reconnects: within 500 ms first, doubling to 10 s, with jitter.
 * @type {Backoff}
 */
export const LOBBY_BACKOFF = Object.freeze({ firstMs: 500, maxMs: 10_000, jitter: 0.5 });
