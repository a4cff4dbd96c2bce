// @ts-check
/**
 * protocol.js — the wire protocol as the page sees it: the messages of the voice channel and the
 * lobby (JSDoc typedefs mirroring src/protocol.rs; keep the names in step), the close codes, and
 * ONE table of reasons: whether a reason ends the call, the close code that carries it, and the
 * sentence the voice bar shows. Pure: no browser API is touched, so Node can test it.
 */

/**
 * @typedef {Object} Member              Someone in a channel, as everyone else sees them.
 * @property {string} id
 * @property {string} name
 * @property {boolean} muted
 * @property {boolean} deafened
 * @property {boolean} [server_muted]    v1.1: muted by a moderator.
 */

/**
 * @typedef {Object} IceServer           WebRTC's RTCIceServer shape.
 * @property {string | string[]} urls
 * @property {string} [username]
 * @property {string} [credential]
 */

/**
 * @typedef {Object} SignalPayload       Opaque to the server; what this page puts in it.
 * @property {RTCSessionDescriptionInit} [sdp]
 * @property {RTCIceCandidateInit} [candidate]
 */

/* Voice channel, server → client */

/**
 * @typedef {Object} JoinedMsg           First message after the socket is accepted.
 * @property {"joined"} type
 * @property {string} channel_id
 * @property {string} user_id
 * @property {string} session_id         Present it as `?session=` to take this entry back.
 * @property {Member[]} members          Including you.
 * @property {IceServer[]} ice_servers
 * @property {number | null} [ice_expires_at]  Unix seconds when TURN credentials expire.
 * @property {boolean} [resumed]         v1.1: this join took an entry back (grace or same tab);
 *                                       its mute/deafen state is kept.
 * @property {number} [grace_secs]       v1.1: the server's RECONNECT_GRACE_SECS (how long a
 *                                       dropped page may try to resume).
 */
/**
 * @typedef {Object} MemberJoinedMsg     Someone joined: existing members offer to them.
 * @property {"member_joined"} type
 * @property {Member} member
 * @property {boolean} resumed           Same user on a new socket: replace your peer connection.
 * @property {boolean} [media_kept]      v1.1: with `resumed`, their page kept its peer
 *                                       connections: keep yours unless it is failed or closed.
 */
/**
 * @typedef {Object} MemberLeftMsg
 * @property {"member_left"} type
 * @property {string} user_id
 */
/**
 * @typedef {Object} MemberUpdatedMsg    Mute/deafen (or other state) changed.
 * @property {"member_updated"} type
 * @property {Member} member
 */
/**
 * @typedef {Object} MemberSpeakingMsg   Voice activity relayed from another member.
 * @property {"member_speaking"} type
 * @property {string} user_id
 * @property {boolean} speaking
 */
/**
 * @typedef {Object} SignalInMsg         Relayed from `from` (set by the server).
 * @property {"signal"} type
 * @property {string} from
 * @property {SignalPayload} payload
 */
/**
 * @typedef {Object} ErrorMsg            A request was refused or malformed (see REASONS).
 * @property {"error"} type
 * @property {string} reason
 * @property {string} [detail]
 */
/**
 * @typedef {Object} MoveMsg             v1.1: a moderator moved you; close 4010 follows. The page
 *                                       joins `channel_id` by itself, with the same mute/deafen.
 * @property {"move"} type
 * @property {string} channel_id
 */
/**
 * @typedef {JoinedMsg|MemberJoinedMsg|MemberLeftMsg|MemberUpdatedMsg|MemberSpeakingMsg|
 *           SignalInMsg|ErrorMsg|MoveMsg} ServerMsg
 */

/* Voice channel, client → server */

/**
 * @typedef {Object} SignalOutMsg        Delivered only to `to`.
 * @property {"signal"} type
 * @property {string} to
 * @property {SignalPayload} payload
 */
/**
 * @typedef {Object} StateMsg            Stored in presence; others get `member_updated`.
 * @property {"state"} type
 * @property {boolean} muted
 * @property {boolean} deafened
 */
/**
 * @typedef {Object} SpeakingMsg         Voice activity, relayed, not stored.
 * @property {"speaking"} type
 * @property {boolean} speaking
 */
/**
 * @typedef {Object} LeaveMsg            Removes you at once; the server closes with 1000.
 * @property {"leave"} type
 * @property {string} [to]               v1.1: the channel you are switching to (one
 *                                       `member.moved` webhook instead of left + joined).
 */
/** @typedef {SignalOutMsg|StateMsg|SpeakingMsg|LeaveMsg} ClientMsg */

/* HTTP (beside the socket) */

/**
 * @typedef {Object} IceServersResponse  `GET /api/ice-servers` with the bearer token: fresh
 *                                       credentials, fetched before they expire and before an
 *                                       ICE restart.
 * @property {IceServer[]} ice_servers
 * @property {number | null} expires_at  Unix seconds; null when there is no TURN credential.
 */

/* Lobby socket (server → client only) */

/**
 * @typedef {Object} ChannelRoster
 * @property {string} id
 * @property {string} name
 * @property {Member[]} members
 */
/**
 * @typedef {Object} LobbyRosterMsg      Sent on connect, and when the set of channels changes.
 * @property {"roster"} type
 * @property {ChannelRoster[]} channels
 */
/**
 * @typedef {Object} LobbyChannelMsg     Sent whenever one channel's roster changes.
 * @property {"channel"} type
 * @property {string} id
 * @property {Member[]} members
 */
/** @typedef {LobbyRosterMsg|LobbyChannelMsg} LobbyMsg */

/** WebSocket close codes of the contract. */
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  KICKED: 4003,
  CHANNEL_DELETED: 4004,
  HEARTBEAT_TIMEOUT: 4008,
  ALREADY_IN_CHANNEL: 4009,
  MOVED: 4010,
  REPLACED: 4011,
  RESUME_FAILED: 4012,
  CHANNEL_FULL: 4013,
  RATE_LIMITED: 4029,
  TOKEN_EXPIRED: 4001,
});

/** Subprotocol every client offers; the token rides beside it as `bearer.<token>`. */
export const SUBPROTOCOL = "voice.v1";
/** Clients send this text frame every `PING_INTERVAL_MS`; the server answers `pong`. */
export const PING = "ping";
export const PONG = "pong";
export const PING_INTERVAL_MS = 10_000;

/** The WebSocket subprotocol list that carries a token (browsers cannot set headers). */
export function subprotocols(/** @type {string} */ token) {
  return [SUBPROTOCOL, "bearer." + token];
}

/** ws:// or wss:// URL of a path on the same origin as `base`. */
export function socketUrl(/** @type {string} */ path, /** @type {string | URL} */ base) {
  const url = new URL(path, base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  return url;
}

/**
 * Why a call stands where it does.
 * @typedef {Object} Reason
 * @property {boolean} ends      The call is over: an `error` with it means the server is closing.
 * @property {number | null} code  The close code that carries it (null: none of its own).
 * @property {string | null} text  What the voice bar says (null: a generic sentence).
 */

/**
 * Every reason the page knows: the contract's (v1 and v1.1) and the page's own (the microphone,
 * a socket that closed with no reason, a peer that cannot connect). Reasons that do not end the
 * call refuse one request only (`rate_limited` ends it when the server follows with 4029).
 * @type {Readonly<Record<string, Reason>>}
 */
export const REASONS = Object.freeze({
  // Refusals of one request: the call goes on.
  bad_message: { ends: false, code: null, text: null },
  unknown_type: { ends: false, code: null, text: null },
  binary_not_supported: { ends: false, code: null, text: null },
  too_large: { ends: false, code: null, text: null },
  unknown_peer: { ends: false, code: null, text: null },
  rate_limited: { ends: false, code: CloseCode.RATE_LIMITED, text: "Too many messages" },
  // The server ends the call (an `error`, then a close with the code).
  already_in_channel: { ends: true, code: CloseCode.ALREADY_IN_CHANNEL, text: "You are in this channel in another tab" },
  moved: { ends: true, code: CloseCode.MOVED, text: "You joined another channel in another tab" },
  replaced: { ends: true, code: CloseCode.REPLACED, text: "This tab reconnected elsewhere" },
  heartbeat_timeout: { ends: true, code: CloseCode.HEARTBEAT_TIMEOUT, text: "The connection went quiet" },
  channel_full: { ends: true, code: CloseCode.CHANNEL_FULL, text: "This channel is full" },
  // v1.1
  resume_failed: { ends: true, code: CloseCode.RESUME_FAILED, text: "Your place in the channel was lost" },
  kicked: { ends: true, code: CloseCode.KICKED, text: "You were removed from this channel" },
  banned: { ends: true, code: CloseCode.KICKED, text: "You may not join this channel for now" },
  channel_deleted: { ends: true, code: CloseCode.CHANNEL_DELETED, text: "This channel was deleted" },
  forbidden_channel: { ends: true, code: null, text: "You may not join this channel" },
  token_expired: { ends: true, code: CloseCode.TOKEN_EXPIRED, text: "Your session expired — sign in again" },
  // The page's own: the socket.
  socket_closed: { ends: true, code: null, text: "Lost the connection to the server" },
  refused: { ends: true, code: null, text: "The server did not let you in" },
  // The page's own: the microphone (asked for before the socket opens).
  microphone_denied: { ends: true, code: null, text: "Microphone access is blocked" },
  microphone_missing: { ends: true, code: null, text: "No microphone found" },
  microphone_busy: { ends: true, code: null, text: "The microphone could not be started" },
  microphone_unavailable: { ends: true, code: null, text: "No microphone access" },
  // The page's own: one peer connection (retried; the bar names the peer instead).
  no_relay_server: { ends: false, code: null, text: "No relay server to reach the others" },
  no_ice_candidates: { ends: false, code: null, text: null },
  connection_failed: { ends: false, code: null, text: null },
  connect_timeout: { ends: false, code: null, text: null },
});

/** Whether an `error` with this reason means the server is ending the call. */
export function endsCall(/** @type {string} */ reason) {
  return REASONS[reason]?.ends ?? false;
}

/** The sentence for a reason (without a full stop), or a generic one. */
export function reasonText(/** @type {string | null} */ reason) {
  return (reason !== null && REASONS[reason]?.text) || "Lost the connection";
}

/**
 * The contract's reason for a close code, if it has one. 4003 is shared by `kicked` and
 * `banned`: the `error` before the close says which; the code alone reads as `kicked`.
 */
export function closeReason(/** @type {number} */ code) {
  for (const [reason, { code: c }] of Object.entries(REASONS)) {
    if (c === code) return reason;
  }
  return null;
}
