// @ts-check
/**
 * input-mode.js — when our microphone is sent: voice activity (while the level passes the
 * threshold, gate.js) or push-to-talk (while a key is held, and a short release delay after, so
 * the last word is not cut). Mute always wins, and so does a moderator's mute (v1.1). The result is one boolean, applied as
 * `track.enabled` (the receivers follow within ~100 ms). Pure (timers injectable), so Node tests it.
 */
import { ThresholdGate, validThreshold } from "./gate.js";

/** @typedef {"voice_activity" | "push_to_talk"} InputMode */

export const INPUT_MODES = Object.freeze(/** @type {InputMode[]} */ (["voice_activity", "push_to_talk"]));

export const PUSH_TO_TALK = Object.freeze({
  RELEASE_MS: 200,
  /** The key left of 1 (` on US layouts): typed rarely, used by no button, far from WASD. */
  DEFAULT_KEY: "Backquote",
});

/** @param {unknown} mode @returns {InputMode} */
export function validInputMode(mode) {
  if (mode === "voice_activity" || mode === "push_to_talk") return mode;
  throw new TypeError(`an input mode is "voice_activity" or "push_to_talk", not ${String(mode)}`);
}

/**
 * Whether the microphone is sent.
 * @param {{mode: InputMode, muted: boolean, talking: boolean, gateOpen: boolean, serverMuted?: boolean}} s
 *   `talking`: push-to-talk held (or within its release delay); `gateOpen`: voice activity;
 *   `serverMuted`: a moderator muted us (v1.1), which nothing here overrides
 */
export function shouldSend(s) {
  if (s.muted || s.serverMuted) return false;
  return s.mode === "push_to_talk" ? s.talking : s.gateOpen;
}

/**
 * @typedef {Object} Timers
 * @property {(fn: () => void, ms: number) => unknown} set
 * @property {(id: unknown) => void} clear
 */
const REAL_TIMERS = /** @type {Timers} */ ({
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (id) => clearTimeout(/** @type {ReturnType<typeof setTimeout>} */ (id)),
});

/** The key (or a host app's hotkey): talking from the press until RELEASE_MS after the release. */
export class PushToTalk {
  /**
   * @param {() => void} changed
   * @param {Timers} [timers]
   */
  constructor(changed, timers = REAL_TIMERS, releaseMs = PUSH_TO_TALK.RELEASE_MS) {
    this.changed = changed;
    this.timers = timers;
    this.releaseMs = releaseMs;
    this.talking = false;
    /** @type {unknown} */
    this.timer = undefined;
  }

  /** @param {boolean} pressed */
  set(pressed) {
    if (pressed) {
      this.cancel();
      if (this.talking) return;
      this.talking = true;
      this.changed();
    } else if (this.talking && this.timer === undefined) {
      this.timer = this.timers.set(() => {
        this.timer = undefined;
        this.talking = false;
        this.changed();
      }, this.releaseMs);
    }
  }

  cancel() {
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
  }
}

/**
 * The input mode, push-to-talk, the threshold gate and mute together: calls `apply(sending)`
 * whenever whether the microphone is sent changes.
 */
export class InputControl {
  /**
   * @param {{mode?: InputMode, thresholdDbfs?: number, muted?: boolean, apply: (sending: boolean) => void,
   *   timers?: Timers}} options
   */
  constructor(options) {
    this.mode = validInputMode(options.mode ?? "voice_activity");
    this.muted = options.muted ?? false;
    /** A moderator muted us: nothing is sent, whatever the mode, the key or our own mute say. */
    this.serverMuted = false;
    this.apply = options.apply;
    this.gate = new ThresholdGate(options.thresholdDbfs);
    this.ptt = new PushToTalk(() => this.refresh(), options.timers);
    this.sending = this.compute();
  }

  compute() {
    return shouldSend({
      mode: this.mode, muted: this.muted, talking: this.ptt.talking, gateOpen: this.gate.open, serverMuted: this.serverMuted,
    });
  }

  refresh() {
    const sending = this.compute();
    if (sending === this.sending) return;
    this.sending = sending;
    this.apply(sending);
  }

  /** @param {unknown} mode */
  setMode(mode) {
    this.mode = validInputMode(mode);
    this.ptt.set(false);
    this.ptt.cancel();
    this.ptt.talking = false;
    this.refresh();
  }

  /** @param {boolean} pressed */
  setPushToTalk(pressed) {
    this.ptt.set(!!pressed);
  }

  /** @param {unknown} dbfs */
  setThreshold(dbfs) {
    this.gate.threshold = validThreshold(dbfs);
  }

  /** @param {boolean} muted */
  setMuted(muted) {
    this.muted = muted;
    this.refresh();
  }

  /** @param {boolean} serverMuted */
  setServerMuted(serverMuted) {
    this.serverMuted = serverMuted;
    this.refresh();
  }

  /**
   * One microphone reading (RMS 0..1).
   * @param {number} rms
   * @param {number} now
   */
  level(rms, now) {
    this.gate.step(rms, now);
    this.refresh();
  }

  stop() {
    this.ptt.cancel();
  }
}
