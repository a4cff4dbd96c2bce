// Generated from public/member-volume.js by scripts/types.sh; do not edit.
/**
 * member-volume.js — one remote member's sound through Web Audio, so this browser can set their
 * volume from 0 to 200 % (an <audio> element's volume stops at 100 %) or mute them for itself:
 *
 *     received stream → source ─┬→ analyser (what arrives)
 *                               └→ gain → analyser (what is played)
 *                                      └→ MediaStreamDestination → the member's <audio> element
 *
 * The <audio> element stays the last step, so the chosen output device (setSinkId), deafen and
 * the autoplay handling work as before. Chromium delivers a remote WebRTC track to Web Audio only
 * while a media element plays it too: a muted, detached <audio> does that.
 */
/** The volume a person or a host app asked for, made valid (0..2); anything else is a TypeError. */
export declare function validGain(/** @type {unknown} */ gain: unknown): number;
export declare class MemberGain {
    keepAlive: HTMLAudioElement;
    source: MediaStreamAudioSourceNode;
    gain: GainNode;
    received: AnalyserNode;
    played: AnalyserNode;
    destination: MediaStreamAudioDestinationNode;
    samples: Float32Array<ArrayBuffer>;
    /**
     * @param {AudioContext} context
     * @param {MediaStream} stream  the member's received audio
     */
    constructor(context: AudioContext, stream: MediaStream);
    /** What the member's <audio> element plays. */
    get stream(): MediaStream;
    /**
     * @param {number} volume  0..2
     * @param {boolean} muted  muted for this browser
     */
    set(volume: number, muted: boolean): void;
    /** dBFS of what arrives and of what is played (after the volume). */
    levels(): {
        received: number;
        played: number;
    };
    close(): void;
}
