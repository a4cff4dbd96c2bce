//! The impairment relay's models, pure and seeded so a run can be repeated: a PRNG, random
//! (Bernoulli) loss, Gilbert-Elliott bursty loss, and delay with uniform jitter. The relay
//! (impair.mjs) asks one `Impairment` per flow what to do with each packet.
import { prng } from "../../tests/lib/random.mjs";

export { prng };

/**
 * One impairment profile, as the bench prints it.
 * @typedef {Object} Profile
 * @property {string} name
 * @property {number} [loss]        Random loss, 0..1 (each packet on its own).
 * @property {{p: number, r: number, lossGood?: number, lossBad?: number}} [burst]
 *   Gilbert-Elliott: p = P(good → bad), r = P(bad → good) per packet; loss in each state
 *   (defaults 0 and 1). Mean loss = p/(p+r)·lossBad + r/(p+r)·lossGood; mean burst = 1/r packets.
 * @property {number} [delayMs]     Added one-way delay.
 * @property {number} [jitterMs]    ± uniform around delayMs (packets may reorder, as on a real path).
 */

/** The long-run loss rate of a profile (what a stats check compares with). @param {Profile} profile */
export function meanLoss(profile) {
  if (profile.burst) {
    const { p, r, lossGood = 0, lossBad = 1 } = profile.burst;
    return (p / (p + r)) * lossBad + (r / (p + r)) * lossGood;
  }
  return profile.loss ?? 0;
}

/**
 * What happens to each packet of one flow: dropped, or delivered after `delayMs`.
 * @param {Profile} profile
 * @param {number} seed
 */
export function impairment(profile, seed) {
  const random = prng(seed);
  let bad = false;
  return {
    /** @returns {{drop: boolean, delayMs: number}} */
    next() {
      let drop = false;
      if (profile.burst) {
        const { p, r, lossGood = 0, lossBad = 1 } = profile.burst;
        bad = bad ? random() >= r : random() < p;
        drop = random() < (bad ? lossBad : lossGood);
      } else if (profile.loss) {
        drop = random() < profile.loss;
      }
      const jitter = profile.jitterMs ? (random() * 2 - 1) * profile.jitterMs : 0;
      return { drop, delayMs: Math.max(0, (profile.delayMs ?? 0) + jitter) };
    },
  };
}
