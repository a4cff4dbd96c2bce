// Generated from public/resume.js by scripts/types.sh; do not edit.
/** The server's RECONNECT_GRACE_SECS when `joined` does not say (a server before v1.1). */
export declare const DEFAULT_GRACE_SECS = 15;
/**
 * Close codes that end the call: the server gave our place away or refused it on purpose, so
 * trying again would be wrong (or loop). 1000 ends it only after our own `leave`.
 */
export declare const ENDING_CLOSE_CODES: Readonly<Set<4003 | 4004 | 4009 | 4010 | 4011 | 4012 | 4013 | 4029>>;
/**
 * Whether a close of the voice socket ends the call (else the page resumes).
 * @param {number} code
 * @param {{left: boolean}} how  `left`: we sent `leave` (then the server's 1000 is the goodbye)
 */
export declare function closeEndsCall(code: number, { left }: {
    left: boolean;
}): boolean;
/**
 * Whether an `error` from the server ends the call. `heartbeat_timeout` (4008) does not any more:
 * the server closed a socket it thought silent, and the page takes its place back.
 * @param {string} reason
 */
export declare function errorEndsCall(reason: string): boolean;
/**
 * Resume tries: the first within 500 ms, doubling to 1.5 s, each cut by up to half at random (a
 * deploy drops every page at once; they must not all knock in the same millisecond). The cap is
 * low because the whole grace period is only 15 s and the page should be green within 2 s of
 * the server answering again (a wait is at most 1.5 s).
 * @type {import("./backoff.js").Backoff}
 */
export declare const RESUME_BACKOFF: import("./backoff.js").Backoff;
/** The last try goes this long before the grace period ends (its handshake needs a moment). */
export declare const LAST_TRY_BEFORE_MS = 250;
/**
 * The wait before resume try number `attempt` (0 = the first), or null when no try is left: the
 * grace period (counted from the drop) is over, and the place with it. A wait that would run past
 * the end is shortened to one last try just before it.
 * @param {number} attempt
 * @param {{droppedAt: number, now: number, graceMs: number}} clock  milliseconds
 * @param {() => number} [random]
 */
export declare function resumeDelay(attempt: number, { droppedAt, now, graceMs }: {
    droppedAt: number;
    now: number;
    graceMs: number;
}, random?: () => number): number | null;
export type PeerHealth = {
    connectionState: RTCPeerConnectionState;
    signalingState: RTCSignalingState;
    hasRemoteDescription: boolean;
};
export type PeerEvent = "we_resumed" | "they_resumed_kept" | "they_resumed" | "they_joined";
export type PeerAction = "keep" | "replace" | "restart_ice" | "renegotiate";
/**
 * What the page sees of one peer connection when the call's socket is back.
 * @typedef {Object} PeerHealth
 * @property {RTCPeerConnectionState} connectionState
 * @property {RTCSignalingState} signalingState
 * @property {boolean} hasRemoteDescription
 */
/**
 * Why the kept connection to a member is looked at:
 * - `we_resumed`: our own `joined` after a resume lists them;
 * - `they_resumed_kept`: `member_joined` with `resumed` and `media_kept` (their page kept it);
 * - `they_resumed`: `member_joined` with `resumed` only (a client that rebuilt its connections);
 * - `they_joined`: a plain `member_joined` (a new entry: nothing of theirs survived).
 * @typedef {"we_resumed"|"they_resumed_kept"|"they_resumed"|"they_joined"} PeerEvent
 */
/**
 * What to do with a kept connection:
 * - `keep`: it is fine (or the other side will repair it: see below);
 * - `replace`: close it and offer on a new one;
 * - `restart_ice`: keep it, restart ICE (candidates may have been lost while the socket was away);
 * - `renegotiate`: our offer may never have arrived (or its answer never came back): roll it back
 *   and offer again.
 * One side of each pair repairs ICE and replaces dead connections — the one that did NOT resume
 * (it hears `they_resumed_kept`) — so the two never replace the same pair from both ends at once.
 * Whichever side holds an unanswered offer makes it again (perfect negotiation sorts out two).
 * @typedef {"keep"|"replace"|"restart_ice"|"renegotiate"} PeerAction
 */
/**
 * @param {PeerHealth} pc
 * @param {PeerEvent} event
 * @returns {PeerAction}
 */
export declare function peerAction(pc: PeerHealth, event: PeerEvent): PeerAction;
/** The DTLS fingerprint of an SDP (one per RTCPeerConnection), or null. */
export declare function fingerprint(/** @type {string | undefined} */ sdp: string | undefined): string | null;
/**
 * Whether an offer comes from another RTCPeerConnection than the one we negotiated with: its DTLS
 * fingerprint differs from the current remote description's. A client that rebuilds its
 * connection on resume (one that ignores `media_kept`) offers like that; ours must be replaced,
 * since a connection cannot change its peer's certificate.
 * @param {string | undefined} remoteSdp  our connection's current remote description
 * @param {string | undefined} offerSdp
 */
export declare function fromAnotherConnection(remoteSdp: string | undefined, offerSdp: string | undefined): boolean;
/**
 * A socket with no frame (a `pong` or a message) for this long is dead: a half-open connection
 * after a network change, which the browser would otherwise keep for minutes. Two ping intervals,
 * plus a moment (up to 1 s) for the answer to the last ping to come back.
 * @param {number} [pingMs]
 */
export declare function deadAfterMs(pingMs?: number): number;
/**
 * The query of a resuming join: this tab's session, `resume=1` (take the entry back or refuse,
 * never a fresh one) and `media=kept` (we kept our peer connections).
 * @param {URL} url
 * @param {string} sessionId
 */
export declare function resumeUrl(url: URL, sessionId: string): URL;
