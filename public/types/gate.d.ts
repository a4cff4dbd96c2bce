// Generated from public/gate.js by scripts/types.sh; do not edit.
/**
 * gate.js — voice activity's sensitivity: the outgoing audio is sent only while the microphone's
 * level reaches a threshold in dBFS, and for a short hangover after, so the ends and the gaps of
 * words are not clipped. Pure (time is a parameter), so Node tests it.
 */
export declare const GATE: Readonly<{
    /** Default threshold: low enough that any voice passes; silence and hiss do not. */
    DEFAULT_DBFS: -60;
    MIN_DBFS: -100;
    MAX_DBFS: 0;
    HANGOVER_MS: 300;
}>;
/** RMS (0..1) in dBFS; silence is -Infinity. @param {number} rms */
export declare function toDbfs(rms: number): number;
/**
 * A threshold a person or a host app asked for, made valid: a finite number within
 * MIN_DBFS..MAX_DBFS. Anything else is refused with a TypeError (never a silent default).
 * @param {unknown} dbfs
 */
export declare function validThreshold(dbfs: unknown): number;
export declare class ThresholdGate {
    threshold: number;
    hangoverMs: 300;
    lastLoudAt: number;
    /** Open until the first reading: without a level meter (no Web Audio) nothing is gated. */
    open: boolean;
    /** @param {number} [thresholdDbfs] */
    constructor(thresholdDbfs?: number, hangoverMs?: 300);
    /**
     * One level reading; returns whether the audio may be sent now.
     * @param {number} rms  0..1
     * @param {number} now  milliseconds
     */
    step(rms: number, now: number): boolean;
}
