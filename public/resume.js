// @ts-check
/**
 * resume.js — how a call survives its signalling socket (contract v1.1, "Resume"), as plain
 * decisions Node can test: which closes end the call and which are resumed, when the next try
 * goes (first within 500 ms, then backoff with jitter, never past the grace period), what becomes
 * of each kept peer connection once the socket is back, and when a silent socket counts as dead.
 * voice.js and room-messages.js perform what these decide.
 */
import { backoffDelay } from "./backoff.js";
import { CloseCode, PING_INTERVAL_MS, endsCall } from "./protocol.js";

/** The server's RECONNECT_GRACE_SECS when `joined` does not say (a server before v1.1). */
export const DEFAULT_GRACE_SECS = 15;

/**
 * Close codes that end the call: the server gave our place away or refused it on purpose, so
 * trying again would be wrong (or loop). 1000 ends it only after our own `leave`.
 */
export const ENDING_CLOSE_CODES = Object.freeze(new Set([
  CloseCode.KICKED, CloseCode.CHANNEL_DELETED, CloseCode.ALREADY_IN_CHANNEL, CloseCode.MOVED,
  CloseCode.REPLACED, CloseCode.RESUME_FAILED, CloseCode.CHANNEL_FULL, CloseCode.RATE_LIMITED,
]));

/**
 * Whether a close of the voice socket ends the call (else the page resumes).
 * @param {number} code
 * @param {{left: boolean}} how  `left`: we sent `leave` (then the server's 1000 is the goodbye)
 */
export function closeEndsCall(code, { left }) {
  return left || ENDING_CLOSE_CODES.has(code);
}

/**
 * Whether an `error` from the server ends the call. `heartbeat_timeout` (4008) does not any more:
 * the server closed a socket it thought silent, and the page takes its place back.
 * @param {string} reason
 */
export function errorEndsCall(reason) {
  return reason !== "heartbeat_timeout" && endsCall(reason);
}

/**
 * Resume tries: the first within 500 ms, doubling to 1.5 s, each cut by up to half at random (a
 * deploy drops every page at once; they must not all knock in the same millisecond). The cap is
 * low because the whole grace period is only 15 s and the page should be green within 2 s of
 * the server answering again (a wait is at most 1.5 s).
 * @type {import("./backoff.js").Backoff}
 */
export const RESUME_BACKOFF = Object.freeze({ firstMs: 500, maxMs: 1500, jitter: 0.5 });

/** The last try goes this long before the grace period ends (its handshake needs a moment). */
export const LAST_TRY_BEFORE_MS = 250;

/**
 * The wait before resume try number `attempt` (0 = the first), or null when no try is left: the
 * grace period (counted from the drop) is over, and the place with it. A wait that would run past
 * the end is shortened to one last try just before it.
 * @param {number} attempt
 * @param {{droppedAt: number, now: number, graceMs: number}} clock  milliseconds
 * @param {() => number} [random]
 */
export function resumeDelay(attempt, { droppedAt, now, graceMs }, random = Math.random) {
  const delay = backoffDelay(attempt, RESUME_BACKOFF, random);
  const lastTry = droppedAt + graceMs - LAST_TRY_BEFORE_MS - now;
  if (lastTry <= 0) return null;
  return Math.min(delay, lastTry);
}

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
export function peerAction(pc, event) {
  if (event === "they_joined" || event === "they_resumed") return "replace";
  if (pc.connectionState === "closed") return "replace";
  if (event === "they_resumed_kept" && pc.connectionState === "failed") return "replace";
  if (pc.signalingState === "have-local-offer" || (pc.signalingState === "stable" && !pc.hasRemoteDescription)) {
    return "renegotiate";
  }
  if (event === "they_resumed_kept" && pc.connectionState !== "connected") return "restart_ice";
  return "keep";
}

/** The DTLS fingerprint of an SDP (one per RTCPeerConnection), or null. */
export function fingerprint(/** @type {string | undefined} */ sdp) {
  return /^a=fingerprint:(.+)$/m.exec(sdp ?? "")?.[1]?.trim() ?? null;
}

/**
 * Whether an offer comes from another RTCPeerConnection than the one we negotiated with: its DTLS
 * fingerprint differs from the current remote description's. A client that rebuilds its
 * connection on resume (one that ignores `media_kept`) offers like that; ours must be replaced,
 * since a connection cannot change its peer's certificate.
 * @param {string | undefined} remoteSdp  our connection's current remote description
 * @param {string | undefined} offerSdp
 */
export function fromAnotherConnection(remoteSdp, offerSdp) {
  const known = fingerprint(remoteSdp);
  const offered = fingerprint(offerSdp);
  return known !== null && offered !== null && known !== offered;
}

/**
 * A socket with no frame (a `pong` or a message) for this long is dead: a half-open connection
 * after a network change, which the browser would otherwise keep for minutes. Two ping intervals,
 * plus a moment (up to 1 s) for the answer to the last ping to come back.
 * @param {number} [pingMs]
 */
export function deadAfterMs(pingMs = PING_INTERVAL_MS) {
  return 2 * pingMs + Math.min(1000, pingMs / 2);
}

/**
 * The query of a resuming join: this tab's session, `resume=1` (take the entry back or refuse,
 * never a fresh one) and `media=kept` (we kept our peer connections).
 * @param {URL} url
 * @param {string} sessionId
 */
export function resumeUrl(url, sessionId) {
  const next = new URL(url);
  next.searchParams.set("session", sessionId);
  next.searchParams.set("resume", "1");
  next.searchParams.set("media", "kept");
  return next;
}
