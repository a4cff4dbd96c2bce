// Generated from public/input-mode.js by scripts/types.sh; do not edit.
/**
 * input-mode.js — when our microphone is sent: voice activity (while the level passes the
 * threshold, gate.js) or push-to-talk (while a key is held, and a short release delay after, so
 * the last word is not cut). Mute always wins, and so does a moderator's mute (v1.1). The result is one boolean, applied as
 * `track.enabled` (the receivers follow within ~100 ms). Pure (timers injectable), so Node tests it.
 */
import { ThresholdGate } from "./gate.js";
export type InputMode = "voice_activity" | "push_to_talk";
/** @typedef {"voice_activity" | "push_to_talk"} InputMode */
export declare const INPUT_MODES: readonly InputMode[];
export declare const PUSH_TO_TALK: Readonly<{
    RELEASE_MS: 200;
    /** The key left of 1 (` on US layouts): typed rarely, used by no button, far from WASD. */
    DEFAULT_KEY: "Backquote";
}>;
/** @param {unknown} mode @returns {InputMode} */
export declare function validInputMode(mode: unknown): InputMode;
/**
 * Whether the microphone is sent.
 * @param {{mode: InputMode, muted: boolean, talking: boolean, gateOpen: boolean, serverMuted?: boolean}} s
 *   `talking`: push-to-talk held (or within its release delay); `gateOpen`: voice activity;
 *   `serverMuted`: a moderator muted us (v1.1), which nothing here overrides
 */
export declare function shouldSend(s: {
    mode: InputMode;
    muted: boolean;
    talking: boolean;
    gateOpen: boolean;
    serverMuted?: boolean;
}): boolean;
export type Timers = {
    set: (fn: () => void, ms: number) => unknown;
    clear: (id: unknown) => void;
};
/** The key (or a host app's hotkey): talking from the press until RELEASE_MS after the release. */
export declare class PushToTalk {
    changed: () => void;
    timers: Timers;
    releaseMs: 200;
    talking: boolean;
    /** @type {unknown} */
    timer: unknown;
    /**
     * @param {() => void} changed
     * @param {Timers} [timers]
     */
    constructor(changed: () => void, timers?: Timers, releaseMs?: 200);
    /** @param {boolean} pressed */
    set(pressed: boolean): void;
    cancel(): void;
}
/**
 * The input mode, push-to-talk, the threshold gate and mute together: calls `apply(sending)`
 * whenever whether the microphone is sent changes.
 */
export declare class InputControl {
    mode: InputMode;
    muted: boolean;
    /** A moderator muted us: nothing is sent, whatever the mode, the key or our own mute say. */
    serverMuted: boolean;
    apply: (sending: boolean) => void;
    gate: ThresholdGate;
    ptt: PushToTalk;
    sending: boolean;
    /**
     * @param {{mode?: InputMode, thresholdDbfs?: number, muted?: boolean, apply: (sending: boolean) => void,
     *   timers?: Timers}} options
     */
    constructor(options: {
        mode?: InputMode;
        thresholdDbfs?: number;
        muted?: boolean;
        apply: (sending: boolean) => void;
        timers?: Timers;
    });
    compute(): boolean;
    refresh(): void;
    /** @param {unknown} mode */
    setMode(mode: unknown): void;
    /** @param {boolean} pressed */
    setPushToTalk(pressed: boolean): void;
    /** @param {unknown} dbfs */
    setThreshold(dbfs: unknown): void;
    /** @param {boolean} muted */
    setMuted(muted: boolean): void;
    /** @param {boolean} serverMuted */
    setServerMuted(serverMuted: boolean): void;
    /**
     * One microphone reading (RMS 0..1).
     * @param {number} rms
     * @param {number} now
     */
    level(rms: number, now: number): void;
    stop(): void;
}
