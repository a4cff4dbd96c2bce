// @ts-check
/**
 * sounds.js — short cues synthesised with Web Audio (no files): someone joins or leaves, you mute
 * or unmute, the call is lost. Each cue is a few notes of a soft sine with a quick fade, quiet
 * enough to sit under speech. Switched off in the settings dialog (remembered in preferences.js).
 */

/** @typedef {"join" | "leave" | "mute" | "unmute" | "disconnect"} Cue */

/** Each cue's notes: [frequency Hz, start s, length s]. Rising = arriving/on, falling = leaving/off. */
export const CUES = Object.freeze(/** @type {Record<Cue, [number, number, number][]>} */ ({
  join: [[660, 0, 0.09], [880, 0.09, 0.12]],
  leave: [[880, 0, 0.09], [587, 0.09, 0.14]],
  mute: [[440, 0, 0.08], [330, 0.07, 0.1]],
  unmute: [[523, 0, 0.08], [698, 0.07, 0.1]],
  disconnect: [[587, 0, 0.12], [440, 0.12, 0.12], [294, 0.24, 0.22]],
}));

const VOLUME = 0.12;

export class Sounds {
  /** @param {{enabled: () => boolean}} options */
  constructor(options) {
    this.options = options;
    /** @type {AudioContext | null} made on the first cue (after a click, so it may play) */
    this.context = null;
    /** Cues played so far (newest last, at most 50): what tests and curious people read. */
    /** @type {Cue[]} */
    this.played = [];
  }

  /** @param {Cue} cue */
  play(cue) {
    if (!this.options.enabled()) return;
    const Context = globalThis.AudioContext;
    if (!Context) return;
    try {
      this.context ??= new Context();
      const context = this.context;
      if (context.state === "suspended") context.resume().catch(() => {});
      const start = context.currentTime + 0.01;
      for (const [freq, at, length] of CUES[cue]) {
        const osc = context.createOscillator();
        const gain = context.createGain();
        osc.type = "sine";
        osc.frequency.value = freq;
        // A fade in and out: no clicks.
        gain.gain.setValueAtTime(0, start + at);
        gain.gain.linearRampToValueAtTime(VOLUME, start + at + 0.01);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + at + length);
        osc.connect(gain).connect(context.destination);
        osc.start(start + at);
        osc.stop(start + at + length + 0.02);
      }
      this.played = [...this.played.slice(-49), cue];
    } catch (err) {
      console.warn("[app] no sound cue:", err);
    }
  }
}
