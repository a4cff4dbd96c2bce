// Generated from public/protocol.js by scripts/types.sh; do not edit.
/**
 * protocol.js — the wire protocol as the page sees it: the messages of the voice channel and the
 * lobby (JSDoc typedefs mirroring src/protocol.rs; keep the names in step), the close codes, and
 * ONE table of reasons: whether a reason ends the call, the close code that carries it, and the
 * sentence the voice bar shows. Pure: no browser API is touched, so Node can test it.
 */
export type Member = {
    id: string;
    name: string;
    muted: boolean;
    deafened: boolean;
    /**
     * v1.1: muted by a moderator.
     */
    server_muted?: boolean;
};
export type IceServer = {
    urls: string | string[];
    username?: string;
    credential?: string;
};
export type SignalPayload = {
    sdp?: RTCSessionDescriptionInit;
    candidate?: RTCIceCandidateInit;
};
export type JoinedMsg = {
    type: "joined";
    channel_id: string;
    user_id: string;
    /**
     * Present it as `?session=` to take this entry back.
     */
    session_id: string;
    /**
     * Including you.
     */
    members: Member[];
    ice_servers: IceServer[];
    /**
     * Unix seconds when TURN credentials expire.
     */
    ice_expires_at?: number | null;
    /**
     * v1.1: this join took an entry back (grace or same tab);
     *          its mute/deafen state is kept.
     */
    resumed?: boolean;
    /**
     * v1.1: the server's RECONNECT_GRACE_SECS (how long a
     *        dropped page may try to resume).
     */
    grace_secs?: number;
};
export type MemberJoinedMsg = {
    type: "member_joined";
    member: Member;
    /**
     * Same user on a new socket: replace your peer connection.
     */
    resumed: boolean;
    /**
     * v1.1: with `resumed`, their page kept its peer
     *       connections: keep yours unless it is failed or closed.
     */
    media_kept?: boolean;
};
export type MemberLeftMsg = {
    type: "member_left";
    user_id: string;
};
export type MemberUpdatedMsg = {
    type: "member_updated";
    member: Member;
};
export type MemberSpeakingMsg = {
    type: "member_speaking";
    user_id: string;
    speaking: boolean;
};
export type SignalInMsg = {
    type: "signal";
    from: string;
    payload: SignalPayload;
};
export type ErrorMsg = {
    type: "error";
    reason: string;
    detail?: string;
};
export type MoveMsg = {
    type: "move";
    channel_id: string;
};
export type ServerMsg = JoinedMsg | MemberJoinedMsg | MemberLeftMsg | MemberUpdatedMsg | MemberSpeakingMsg | SignalInMsg | ErrorMsg | MoveMsg;
export type SignalOutMsg = {
    type: "signal";
    to: string;
    payload: SignalPayload;
};
export type StateMsg = {
    type: "state";
    muted: boolean;
    deafened: boolean;
};
export type SpeakingMsg = {
    type: "speaking";
    speaking: boolean;
};
export type LeaveMsg = {
    type: "leave";
    /**
     * v1.1: the channel you are switching to (one
     *                `member.moved` webhook instead of left + joined).
     */
    to?: string;
};
export type ClientMsg = SignalOutMsg | StateMsg | SpeakingMsg | LeaveMsg;
export type IceServersResponse = {
    ice_servers: IceServer[];
    /**
     * Unix seconds; null when there is no TURN credential.
     */
    expires_at: number | null;
};
export type ChannelRoster = {
    id: string;
    name: string;
    members: Member[];
};
export type LobbyRosterMsg = {
    type: "roster";
    channels: ChannelRoster[];
};
export type LobbyChannelMsg = {
    type: "channel";
    id: string;
    members: Member[];
};
export type LobbyMsg = LobbyRosterMsg | LobbyChannelMsg;
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
/**
 * @typedef {Object} IceServersResponse  `GET /api/ice-servers` with the bearer token: fresh
 *                                       credentials, fetched before they expire and before an
 *                                       ICE restart.
 * @property {IceServer[]} ice_servers
 * @property {number | null} expires_at  Unix seconds; null when there is no TURN credential.
 */
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
export declare const CloseCode: Readonly<{
    NORMAL: 1000;
    KICKED: 4003;
    CHANNEL_DELETED: 4004;
    HEARTBEAT_TIMEOUT: 4008;
    ALREADY_IN_CHANNEL: 4009;
    MOVED: 4010;
    REPLACED: 4011;
    RESUME_FAILED: 4012;
    CHANNEL_FULL: 4013;
    RATE_LIMITED: 4029;
    TOKEN_EXPIRED: 4001;
}>;
/** Subprotocol every client offers; the token rides beside it as `bearer.<token>`. */
export declare const SUBPROTOCOL = "voice.v1";
/** Clients send this text frame every `PING_INTERVAL_MS`; the server answers `pong`. */
export declare const PING = "ping";
export declare const PONG = "pong";
export declare const PING_INTERVAL_MS = 10000;
/** The WebSocket subprotocol list that carries a token (browsers cannot set headers). */
export declare function subprotocols(/** @type {string} */ token: string): string[];
/** ws:// or wss:// URL of a path on the same origin as `base`. */
export declare function socketUrl(/** @type {string} */ path: string, /** @type {string | URL} */ base: string | URL): URL;
export type Reason = {
    /**
     * The call is over: an `error` with it means the server is closing.
     */
    ends: boolean;
    /**
     * The close code that carries it (null: none of its own).
     */
    code: number | null;
    /**
     * What the voice bar says (null: a generic sentence).
     */
    text: string | null;
};
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
export declare const REASONS: Readonly<Record<string, Reason>>;
/** Whether an `error` with this reason means the server is ending the call. */
export declare function endsCall(/** @type {string} */ reason: string): boolean;
/** The sentence for a reason (without a full stop), or a generic one. */
export declare function reasonText(/** @type {string | null} */ reason: string | null): string;
/**
 * The contract's reason for a close code, if it has one. 4003 is shared by `kicked` and
 * `banned`: the `error` before the close says which; the code alone reads as `kicked`.
 */
export declare function closeReason(/** @type {number} */ code: number): string | null;
