// @ts-check
/**
 * voice-activity.js — whether the local member speaks, from the microphone's level, and when to
 * tell the others. Pure (time is a parameter; the one timer is injectable), so Node tests it.
 */

/**
 * Voice activity: the microphone's RMS level (0..1) must reach `START` to count as speaking, and
 * stays speaking while it is above `KEEP`; speaking ends after `HANGOVER_MS` below `KEEP` (so
 * the gaps between words do not flicker). At most one `speaking` message per `MIN_SEND_MS`.
 */
export const VOICE_ACTIVITY = Object.freeze({
  START: 0.03,
  KEEP: 0.012,
  HANGOVER_MS: 600,
  SAMPLE_MS: 50,
  MIN_SEND_MS: 300,
});

/** Speaking or not, one level reading at a time. */
export class VoiceActivity {
  constructor(thresholds = VOICE_ACTIVITY) {
    this.thresholds = thresholds;
    this.speaking = false;
    this.lastLoudAt = -Infinity;
  }

  /**
   * Takes one reading; returns whether the member speaks now.
   * @param {number} level  RMS, 0..1
   * @param {number} now    milliseconds (performance.now())
   */
  step(level, now) {
    const t = this.thresholds;
    if (level >= (this.speaking ? t.KEEP : t.START)) this.lastLoudAt = now;
    this.speaking = now - this.lastLoudAt < t.HANGOVER_MS;
    return this.speaking;
  }

  /** Silent at once (muted): no hangover. */
  reset() {
    this.speaking = false;
    this.lastLoudAt = -Infinity;
  }
}

/**
 * What to do about telling the others: nothing (they know, or there is nothing worth saying),
 * send now, or wait until the rate limit allows.
 * @param {{told: boolean | null, toldAt: number, speaking: boolean, now: number}} s
 *   `told`: what they were last told (null: nothing since joining or since a newcomer came).
 * @returns {{send: false, waitMs: number} | {send: true}}
 */
export function speakingPlan(s) {
  // Nothing said yet and not speaking: silence is what everyone assumes.
  if (s.told === s.speaking || (s.told === null && !s.speaking)) return { send: false, waitMs: 0 };
  const wait = s.toldAt + VOICE_ACTIVITY.MIN_SEND_MS - s.now;
  return wait > 0 ? { send: false, waitMs: wait } : { send: true };
}

/**
 * Sends `speaking` only on change and at most once per `MIN_SEND_MS` (a change in between is
 * sent when the time is up).
 */
export class SpeakingReporter {
  /**
   * @param {(speaking: boolean) => void} send
   * @param {() => number} [now]
   */
  constructor(send, now = () => performance.now()) {
    this.sendMsg = send;
    this.now = now;
    /** @type {boolean | null} */
    this.told = null;
    this.toldAt = -Infinity;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
  }

  /** @param {() => boolean | null} current  whether we speak, or null when we may not say */
  report(current) {
    const speaking = current();
    if (speaking === null) return;
    const plan = speakingPlan({ told: this.told, toldAt: this.toldAt, speaking, now: this.now() });
    if (plan.send) {
      this.told = speaking;
      this.toldAt = this.now();
      this.sendMsg(speaking);
    } else if (plan.waitMs > 0 && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.report(current);
      }, plan.waitMs);
    }
  }

  /** A newcomer knows nothing of us: say it again. */
  forget() {
    this.told = null;
  }

  /** Muted: the others drop our ring on `member_updated`; nothing is pending. */
  silenced() {
    this.stop();
    this.told = false;
  }

  stop() {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/**
 * Who speaks in the call — others from `member_speaking`, us from the microphone at once — and
 * telling the others about us.
 */
export class Speakers {
  /**
   * @param {{emit: (userId: string, speaking: boolean) => void, send: (speaking: boolean) => void,
   *   mayTell: () => boolean}} options  `mayTell`: joined, not over, not muted
   */
  constructor(options) {
    this.options = options;
    /** @type {Set<string>} members speaking right now */
    this.who = new Set();
    this.activity = new VoiceActivity();
    this.reporter = new SpeakingReporter(options.send);
  }

  /**
   * @param {string} userId
   * @param {boolean} speaking
   */
  set(userId, speaking) {
    if (this.who.has(userId) === speaking) return;
    if (speaking) this.who.add(userId);
    else this.who.delete(userId);
    this.options.emit(userId, speaking);
  }

  /**
   * One microphone reading.
   * @param {number} level
   * @param {number} now
   * @param {boolean} muted
   * @param {string | null} selfId  null until joined
   */
  level(level, now, muted, selfId) {
    const was = this.activity.speaking;
    if (muted) this.activity.reset();
    const speaking = muted ? false : this.activity.step(level, now);
    if (speaking === was) return;
    if (selfId) this.set(selfId, speaking);
    this.tell();
  }

  tell() {
    this.reporter.report(() => (this.options.mayTell() ? this.activity.speaking : null));
  }

  /** We joined as `selfId`: our ring if we already speak, and the others learn it. */
  joined(/** @type {string} */ selfId) {
    if (this.activity.speaking) this.set(selfId, true);
    this.tell();
  }

  /** Speaking is relayed, not stored: a newcomer learns that we talk only if we say it again. */
  newcomer() {
    if (!this.activity.speaking) return;
    this.reporter.forget();
    this.tell();
  }

  /** Muted means silent: no ring, nothing about our voice sent. */
  muted(/** @type {string | null} */ selfId) {
    this.activity.reset();
    if (selfId) this.set(selfId, false);
    this.reporter.silenced();
  }

  stop() {
    this.reporter.stop();
    this.who.clear();
  }
}

/**
 * Talking while muted (the page shows "You are muted"): voice activity on the microphone's level
 * while nothing is sent because of mute. `changed` is called when it starts and when it ends.
 */
export class MutedTalk {
  /** @param {(talking: boolean) => void} changed */
  constructor(changed) {
    this.changed = changed;
    this.activity = new VoiceActivity();
    this.talking = false;
  }

  /**
   * @param {number} level
   * @param {number} now
   * @param {boolean} muted  muted and not deafened (a deafened person is not expected to talk)
   */
  level(level, now, muted) {
    if (!muted) this.activity.reset();
    const talking = muted && this.activity.step(level, now);
    if (talking === this.talking) return;
    this.talking = talking;
    this.changed(talking);
  }
}
