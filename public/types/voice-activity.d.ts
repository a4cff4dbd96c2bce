// Generated from public/voice-activity.js by scripts/types.sh; do not edit.
/**
 * voice-activity.js — whether the local member speaks, from the microphone's level, and when to
 * tell the others. Pure (time is a parameter; the one timer is injectable), so Node tests it.
 */
/**
 * Voice activity: the microphone's RMS level (0..1) must reach `START` to count as speaking, and
 * stays speaking while it is above `KEEP`; speaking ends after `HANGOVER_MS` below `KEEP` (so
 * the gaps between words do not flicker). At most one `speaking` message per `MIN_SEND_MS`.
 */
export declare const VOICE_ACTIVITY: Readonly<{
    START: 0.03;
    KEEP: 0.012;
    HANGOVER_MS: 600;
    SAMPLE_MS: 50;
    MIN_SEND_MS: 300;
}>;
/** Speaking or not, one level reading at a time. */
export declare class VoiceActivity {
    thresholds: Readonly<{
        START: 0.03;
        KEEP: 0.012;
        HANGOVER_MS: 600;
        SAMPLE_MS: 50;
        MIN_SEND_MS: 300;
    }>;
    speaking: boolean;
    lastLoudAt: number;
    constructor(thresholds?: Readonly<{
        START: 0.03;
        KEEP: 0.012;
        HANGOVER_MS: 600;
        SAMPLE_MS: 50;
        MIN_SEND_MS: 300;
    }>);
    /**
     * Takes one reading; returns whether the member speaks now.
     * @param {number} level  RMS, 0..1
     * @param {number} now    milliseconds (performance.now())
     */
    step(level: number, now: number): boolean;
    /** Silent at once (muted): no hangover. */
    reset(): void;
}
/**
 * What to do about telling the others: nothing (they know, or there is nothing worth saying),
 * send now, or wait until the rate limit allows.
 * @param {{told: boolean | null, toldAt: number, speaking: boolean, now: number}} s
 *   `told`: what they were last told (null: nothing since joining or since a newcomer came).
 * @returns {{send: false, waitMs: number} | {send: true}}
 */
export declare function speakingPlan(s: {
    told: boolean | null;
    toldAt: number;
    speaking: boolean;
    now: number;
}): {
    send: false;
    waitMs: number;
} | {
    send: true;
};
/**
 * Sends `speaking` only on change and at most once per `MIN_SEND_MS` (a change in between is
 * sent when the time is up).
 */
export declare class SpeakingReporter {
    sendMsg: (speaking: boolean) => void;
    now: () => number;
    /** @type {boolean | null} */
    told: boolean | null;
    toldAt: number;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    timer: ReturnType<typeof setTimeout> | undefined;
    /**
     * @param {(speaking: boolean) => void} send
     * @param {() => number} [now]
     */
    constructor(send: (speaking: boolean) => void, now?: () => number);
    /** @param {() => boolean | null} current  whether we speak, or null when we may not say */
    report(current: () => boolean | null): void;
    /** A newcomer knows nothing of us: say it again. */
    forget(): void;
    /** Muted: the others drop our ring on `member_updated`; nothing is pending. */
    silenced(): void;
    stop(): void;
}
/**
 * Who speaks in the call — others from `member_speaking`, us from the microphone at once — and
 * telling the others about us.
 */
export declare class Speakers {
    options: {
        emit: (userId: string, speaking: boolean) => void;
        send: (speaking: boolean) => void;
        mayTell: () => boolean;
    };
    /** @type {Set<string>} members speaking right now */
    who: Set<string>;
    activity: VoiceActivity;
    reporter: SpeakingReporter;
    /**
     * @param {{emit: (userId: string, speaking: boolean) => void, send: (speaking: boolean) => void,
     *   mayTell: () => boolean}} options  `mayTell`: joined, not over, not muted
     */
    constructor(options: {
        emit: (userId: string, speaking: boolean) => void;
        send: (speaking: boolean) => void;
        mayTell: () => boolean;
    });
    /**
     * @param {string} userId
     * @param {boolean} speaking
     */
    set(userId: string, speaking: boolean): void;
    /**
     * One microphone reading.
     * @param {number} level
     * @param {number} now
     * @param {boolean} muted
     * @param {string | null} selfId  null until joined
     */
    level(level: number, now: number, muted: boolean, selfId: string | null): void;
    tell(): void;
    /** We joined as `selfId`: our ring if we already speak, and the others learn it. */
    joined(/** @type {string} */ selfId: string): void;
    /** Speaking is relayed, not stored: a newcomer learns that we talk only if we say it again. */
    newcomer(): void;
    /** Muted means silent: no ring, nothing about our voice sent. */
    muted(/** @type {string | null} */ selfId: string | null): void;
    stop(): void;
}
/**
 * Talking while muted (the page shows "You are muted"): voice activity on the microphone's level
 * while nothing is sent because of mute. `changed` is called when it starts and when it ends.
 */
export declare class MutedTalk {
    changed: (talking: boolean) => void;
    activity: VoiceActivity;
    talking: boolean;
    /** @param {(talking: boolean) => void} changed */
    constructor(changed: (talking: boolean) => void);
    /**
     * @param {number} level
     * @param {number} now
     * @param {boolean} muted  muted and not deafened (a deafened person is not expected to talk)
     */
    level(level: number, now: number, muted: boolean): void;
}
