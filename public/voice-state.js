// @ts-check
/**
 * voice-state.js — our own mute and deafen as plain data. Deafen silences every remote member and
 * mutes us; undeafen gives back the mute we had before; unmuting while deafened undeafens too (you
 * cannot talk without hearing). Pure, so Node tests it.
 */

/**
 * @typedef {Object} VoiceState
 * @property {boolean} muted
 * @property {boolean} deafened
 * @property {boolean} mutedBeforeDeafen  What undeafening restores.
 */

/**
 * The state to start from: deafened implies muted.
 * @param {{muted?: boolean, deafened?: boolean}} options
 * @returns {VoiceState}
 */
export function initialVoiceState(options) {
  const deafened = options.deafened ?? false;
  const muted = options.muted ?? false;
  return { muted: muted || deafened, deafened, mutedBeforeDeafen: muted };
}

/**
 * @param {VoiceState} s
 * @param {boolean} muted
 * @returns {VoiceState}
 */
export function withMuted(s, muted) {
  // Already silent: stay muted after undeafening.
  if (muted && s.deafened) return { ...s, mutedBeforeDeafen: true };
  if (muted === s.muted) return s;
  return { muted, deafened: false, mutedBeforeDeafen: muted };
}

/**
 * @param {VoiceState} s
 * @param {boolean} deafened
 * @returns {VoiceState}
 */
export function withDeafened(s, deafened) {
  if (deafened === s.deafened) return s;
  if (deafened) return { muted: true, deafened: true, mutedBeforeDeafen: s.muted };
  return { muted: s.mutedBeforeDeafen, deafened: false, mutedBeforeDeafen: s.mutedBeforeDeafen };
}
