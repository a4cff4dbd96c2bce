// Generated from public/server-mute.js by scripts/types.sh; do not edit.
/**
 * server-mute.js — a moderator's mute (contract v1.1 `server_muted`) in a call: our own (nothing is
 * sent, whatever the input mode, push-to-talk or our own mute say; the member cannot clear it) and
 * the others' (this page plays none of a muted member's audio, whatever their volume here: the
 * receivers enforce it, so a modified client is not heard by honest ones).
 *
 * After a moderator's move the new channel's `joined` lists us unmuted until the space's lobby
 * tells the room again (~100 ms later), and our own `state` is echoed unmuted meanwhile: a mute we
 * had is carried over the move until the server says it again, for CARRY_MS at most (then what the
 * server said last holds).
 */
export declare const SERVER_MUTE: Readonly<{
    CARRY_MS: 2000;
}>;
/** Our own server mute, as the server last said it, with the carry-over across a move. Pure. */
export declare class OwnServerMute {
    carryMs: 2000;
    /** What the server said last (our entry's `server_muted`). */
    reported: boolean;
    /** Until when (ms) a mute from before a move holds whatever the new channel said. */
    carryUntil: number;
    constructor(carryMs?: 2000);
    /** Whether we are muted by a moderator now. @param {number} now  ms */
    muted(now: number): boolean;
    /** How long the carry-over still holds (0: none). @param {number} now */
    carryLeft(now: number): number;
    /**
     * Our entry as the server sent it (`joined`, `member_updated`).
     * @param {boolean} serverMuted
     */
    report(serverMuted: boolean): void;
    /** A moderator moved us to another channel. @param {number} now */
    moved(now: number): void;
}
export type ServerMuteRoom = {
    userId: string | null;
    members: Map<string, import("./protocol.js").Member>;
    ownServerMute: OwnServerMute;
    audioOut: import("./audio-out.js").AudioOut;
    input: import("./input-mode.js").InputControl;
    speakers: import("./voice-activity.js").Speakers;
    serverMuteTimer: ReturnType<typeof setTimeout> | undefined;
    emit: (type: string, detail: unknown) => void;
    memberList: () => import("./protocol.js").Member[];
};
/**
 * What a room holds that a server mute acts on (VoiceRoom's parts, so this file needs no room).
 * @typedef {Object} ServerMuteRoom
 * @property {string | null} userId
 * @property {Map<string, import("./protocol.js").Member>} members
 * @property {OwnServerMute} ownServerMute
 * @property {import("./audio-out.js").AudioOut} audioOut
 * @property {import("./input-mode.js").InputControl} input
 * @property {import("./voice-activity.js").Speakers} speakers
 * @property {ReturnType<typeof setTimeout> | undefined} serverMuteTimer
 * @property {(type: string, detail: unknown) => void} emit
 * @property {() => import("./protocol.js").Member[]} memberList
 */
/**
 * Squares playback and sending with who is muted by a moderator: every other member's playback
 * (gain 0 while muted), our microphone (not sent while muted), our own entry (as we hold it), and
 * a `server_muted` event when ours changed. Call it after every change of the members.
 * @param {ServerMuteRoom} room
 * @param {number} now  performance.now()
 * @returns {boolean} whether our own server mute changed
 */
export declare function applyServerMutes(room: ServerMuteRoom, now: number): boolean;
