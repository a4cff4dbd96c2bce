// Generated from public/audio-out.js by scripts/types.sh; do not edit.
/**
 * audio-out.js — what the page plays: one <audio> element per remote member, created and started
 * inside the join click (browsers that allow playback per element, Safari, then let them play the
 * streams that arrive later), the chosen output device (setSinkId), deafen, a browser that still
 * blocks autoplay (`blocked`, cleared by `resume()` from a click), the page's AudioContext, and
 * each member's volume and "mute for me" (member-volume.js: through Web Audio, up to 200 %), and
 * members a moderator muted (silent here whatever their volume: v1.1, receiver-enforced).
 */
import { MemberGain } from "./member-volume.js";
export type MemberOutput = {
    element: HTMLAudioElement;
    /**
     * null without Web Audio: then the element's volume (≤ 100 %)
     */
    graph: MemberGain | null;
};
export type MemberLevel = {
    volume: number;
    muted: boolean;
};
export type AudioOutOptions = {
    /**
     * Marks the elements (data-voice-channel).
     */
    channelId: string;
    /**
     * Where the <audio> elements go.
     */
    parent: Element | null;
    /**
     * deviceId of the output, null for the default.
     */
    speakerId: string | null;
    onBlocked: (blocked: boolean) => void;
};
/**
 * One remote member's sound.
 * @typedef {Object} MemberOutput
 * @property {HTMLAudioElement} element
 * @property {MemberGain | null} graph  null without Web Audio: then the element's volume (≤ 100 %)
 */
/** A member's volume and "mute for me" in this browser (kept for members not connected yet). */
/** @typedef {{volume: number, muted: boolean}} MemberLevel */
/**
 * @typedef {Object} AudioOutOptions
 * @property {string} channelId            Marks the elements (data-voice-channel).
 * @property {Element | null} parent       Where the <audio> elements go.
 * @property {string | null} speakerId     deviceId of the output, null for the default.
 * @property {(blocked: boolean) => void} onBlocked
 */
export declare class AudioOut {
    options: AudioOutOptions;
    speakerId: string | null;
    /** @type {HTMLAudioElement[]} primed during the click, handed out as tracks arrive */
    pool: HTMLAudioElement[];
    /** @type {Map<string, MemberOutput>} */
    outputs: Map<string, MemberOutput>;
    /** @type {Map<string, MemberLevel>} */
    levels: Map<string, MemberLevel>;
    /** Members a moderator muted (v1.1): played silent whatever their volume here. */
    serverMuted: Set<string>;
    deafened: boolean;
    /** The browser refused to start remote audio without a click (see `resume`). */
    blocked: boolean;
    /** @type {AudioContext | null} also meters the microphone */
    context: AudioContext | null;
    stopped: boolean;
    /** @param {AudioOutOptions} options */
    constructor(options: AudioOutOptions);
    /** Whether this browser can choose the audio output. */
    static canChooseSpeaker(): boolean;
    /** @param {number} count  elements to create and start now, inside the user's gesture */
    prime(count: number): void;
    newElement(): HTMLAudioElement;
    /** After the click, not in it (creating one takes a while): the page has been clicked. */
    startContext(): AudioContext | null;
    /**
     * Plays a member's stream (on their element, or the next primed one).
     * @param {string} userId
     * @param {MediaStream} stream
     */
    attach(userId: string, stream: MediaStream): void;
    /** The member's connection closed: their element goes back to the pool. @param {string} userId */
    detach(userId: string): void;
    /** @param {string} userId @returns {MemberLevel} */
    levelOf(userId: string): MemberLevel;
    /**
     * This browser only, 0..2 (see MemberOutput); kept for a member who connects later.
     * @param {string} userId
     * @param {number} volume
     */
    setVolume(userId: string, volume: number): void;
    /**
     * Silent for this browser only.
     * @param {string} userId
     * @param {boolean} muted
     */
    setMemberMuted(userId: string, muted: boolean): void;
    /**
     * Muted by a moderator: silent for everyone, enforced here (a page that goes on sending is not
     * heard); their volume and "mute for me" are kept for when it is cleared.
     * @param {string} userId
     * @param {boolean} muted
     */
    setServerMuted(userId: string, muted: boolean): void;
    /** @param {string} userId */
    applyLevel(userId: string): void;
    /** The call moved to another channel: the elements are marked with it. @param {string} channelId */
    setChannel(channelId: string): void;
    /** @param {boolean} deafened */
    setDeafened(deafened: boolean): void;
    /** @param {string | null} deviceId */
    setSpeaker(deviceId: string | null): Promise<void>;
    /**
     * Sends an element's sound to the chosen output. Only for an element with a stream: Chromium
     * aborts setSinkId on one whose MediaStream has no track yet.
     * @param {HTMLAudioElement} audio
     */
    applySink(audio: HTMLAudioElement): Promise<void>;
    /**
     * @param {HTMLAudioElement} audio
     * @param {string} userId
     */
    play(audio: HTMLAudioElement, userId: string): void;
    /** Starts what the browser held back; call it from a click. Resolves true when all plays. */
    resume(): Promise<boolean>;
    /** @param {boolean} blocked */
    setBlocked(blocked: boolean): void;
    /** Removes every element and closes the context. */
    stop(): void;
}
