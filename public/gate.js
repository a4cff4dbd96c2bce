// @ts-check
/**
 * gate.js — voice activity's sensitivity: the outgoing audio is sent only while the microphone's
 * level reaches a threshold in dBFS, and for a short hangover after, so the ends and the gaps of
 * words are not clipped. Pure (time is a parameter), so Node tests it.
 */

export const GATE = Object.freeze({
  /** Default threshold: low enough that any voice passes; silence and hiss do not. */
  DEFAULT_DBFS: -60,
  MIN_DBFS: -100,
  MAX_DBFS: 0,
  HANGOVER_MS: 300,
});

/** RMS (0..1) in dBFS; silence is -Infinity. @param {number} rms */
export function toDbfs(rms) {
  return rms > 0 ? 20 * Math.log10(rms) : -Infinity;
}

/**
 * A threshold a person or a host app asked for, made valid: a finite number within
 * MIN_DBFS..MAX_DBFS. Anything else is refused with a TypeError (never a silent default).
 * @param {unknown} dbfs
 */
export function validThreshold(dbfs) {
  if (typeof dbfs !== "number" || !Number.isFinite(dbfs)) {
    throw new TypeError(`a voice threshold is a number of dBFS (${GATE.MIN_DBFS}..${GATE.MAX_DBFS}), not ${String(dbfs)}`);
  }
  return Math.min(Math.max(dbfs, GATE.MIN_DBFS), GATE.MAX_DBFS);
}

export class ThresholdGate {
  /** @param {number} [thresholdDbfs] */
  constructor(thresholdDbfs = GATE.DEFAULT_DBFS, hangoverMs = GATE.HANGOVER_MS) {
    this.threshold = validThreshold(thresholdDbfs);
    this.hangoverMs = hangoverMs;
    this.lastLoudAt = -Infinity;
    /** Open until the first reading: without a level meter (no Web Audio) nothing is gated. */
    this.open = true;
  }

  /**
   * One level reading; returns whether the audio may be sent now.
   * @param {number} rms  0..1
   * @param {number} now  milliseconds
   */
  step(rms, now) {
    if (toDbfs(rms) >= this.threshold) this.lastLoudAt = now;
    this.open = now - this.lastLoudAt < this.hangoverMs;
    return this.open;
  }
}
