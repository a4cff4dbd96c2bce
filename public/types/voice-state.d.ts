// Generated from public/voice-state.js by scripts/types.sh; do not edit.
/**
 * voice-state.js — our own mute and deafen as plain data. Deafen silences every remote member and
 * mutes us; undeafen gives back the mute we had before; unmuting while deafened undeafens too (you
 * cannot talk without hearing). Pure, so Node tests it.
 */
export type VoiceState = {
    muted: boolean;
    deafened: boolean;
    /**
     * What undeafening restores.
     */
    mutedBeforeDeafen: boolean;
};
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
export declare function initialVoiceState(options: {
    muted?: boolean;
    deafened?: boolean;
}): VoiceState;
/**
 * @param {VoiceState} s
 * @param {boolean} muted
 * @returns {VoiceState}
 */
export declare function withMuted(s: VoiceState, muted: boolean): VoiceState;
/**
 * @param {VoiceState} s
 * @param {boolean} deafened
 * @returns {VoiceState}
 */
export declare function withDeafened(s: VoiceState, deafened: boolean): VoiceState;
