// Generated from public/backoff.js by scripts/types.sh; do not edit.
/**
 * backoff.js — how long to wait before trying again: doubling from a first wait up to a cap,
 * optionally shortened by a random share (jitter) so that many pages dropped at once (a deploy)
 * do not all come back in the same millisecond. Pure: the random source is a parameter.
 */
export type Backoff = {
    /**
     * The wait before the first retry.
     */
    firstMs: number;
    /**
     * No wait is longer.
     */
    maxMs: number;
    /**
     * 0..1: each wait is cut by up to this share of itself (0 = exact).
     */
    jitter?: number;
};
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
export declare function backoffDelay(attempt: number, policy: Backoff, random?: () => number): number;
/**
 * ICE restarts after a failure: the first at once, then 1, 2, 4, 8 s (and 8 s from then on).
 * @type {Backoff}
 */
export declare const ICE_RESTART_BACKOFF: Backoff;
/** The wait before ICE restart number `restarts + 1` of a failed peer. */
export declare function iceRestartDelay(/** @type {number} */ restarts: number): number;
/**
 * The lobby socket's reconnects: within 500 ms first, doubling to 10 s, with jitter.
 * @type {Backoff}
 */
export declare const LOBBY_BACKOFF: Backoff;
