// @ts-check
/**
 * voice-api.js — what a host app sees of `VoiceRoom` (voice.js), as types and documentation only:
 * the room's status, the constructor's options and the events it dispatches. No code: voice.js
 * is the module host apps import. scripts/types.sh turns this JSDoc into public/types/*.d.ts
 * (served as /types/voice.d.ts); run it after changing any of it.
 */

/**
 * Status of the room as a whole (the voice bar's three colours):
 * - `connecting`: from `join()` (microphone, then socket) until the server's `joined`; and again
 *   while a dropped socket is being resumed (`reconnecting` is then true): the peer connections,
 *   the microphone and mute/deafen are kept meanwhile, so the audio goes on;
 * - `connected`: joined, and no peer connection has failed;
 * - `disconnected`: the microphone was refused, the server refused the socket or ended the call
 *   (an ending close code, or no resume within the grace period), or a
 *   peer connection failed (see `reason`; a failed peer is retried and the room turns
 *   `connected` again when it recovers);
 * - `left`: `leave()` was called.
 * @typedef {"idle"|"connecting"|"connected"|"disconnected"|"left"} RoomStatus
 */

/**
 * @typedef {Object} VoiceRoomOptions
 * @property {string} channelId
 * @property {string} token               Same token as the HTTP API's bearer.
 * @property {string | URL} [baseUrl]     Origin of the server; defaults to the page's location.
 * @property {string | null} [sessionId]  The tab's last `session_id`, to take a dropped entry back.
 * @property {RTCIceTransportPolicy} [iceTransportPolicy]  "relay" forces TURN (tests).
 * @property {number} [connectTimeoutMs]  A peer not connected after this long counts as failed.
 * @property {number} [audioPoolSize]     <audio> elements primed during `join()` (grows on demand).
 * @property {Element | null} [audioParent]  Where the <audio> elements go (default: document.body).
 * @property {MediaTrackConstraints} [audioConstraints]
 * @property {string | null} [microphoneId]  deviceId of the microphone (default device when absent).
 * @property {string | null} [speakerId]  deviceId of the audio output (where setSinkId exists).
 * @property {boolean} [muted]            Start muted.
 * @property {boolean} [deafened]         Start deafened (implies muted).
 * @property {import("./input-mode.js").InputMode} [inputMode]  "voice_activity" (default) or "push_to_talk".
 * @property {number} [voiceThreshold]    dBFS; voice activity sends only above it (default GATE.DEFAULT_DBFS).
 * @property {number} [pingIntervalMs]    How often the socket pings (default 10 s); a socket with
 *   no frame for twice that is dead and is resumed. Host apps rarely need to change it.
 */

/**
 * Events (all `CustomEvent`s; read the room's properties for the full picture):
 * - `status`   detail `{status, reason, reconnecting}` — the RoomStatus changed (or its reason
 *              did); `reconnecting` (v1.1, boolean) is true while `connecting` means "resuming
 *              after a dropped socket" rather than a first join;
 * - `joined`   detail `JoinedMsg`;
 * - `members`  detail `Member[]` — someone joined, left or changed state (us included); each
 *              `Member` carries `server_muted` (v1.1): muted by a moderator — the room plays
 *              none of that member's audio (whatever `setMemberVolume` says) until it is cleared;
 * - `server_muted` detail `{muted}` (v1.1) — a moderator muted us (true) or unmuted us (false):
 *              while muted nothing is sent, whatever `setMuted`, the input mode or push-to-talk
 *              say, and `setMuted(false)` does not clear it (say so: "Muted by a moderator");
 *              `room.serverMuted` holds it;
 * - `moved`    detail `{from, channelId}` (v1.1) — a moderator moved us: the room follows by
 *              itself (`room.channelId` is the new channel; `connecting` then `connected` follow,
 *              with the microphone, mute/deafen and members' volumes kept);
 * - `peer`     detail `{userId, state, failure}` — a peer connection changed state;
 * - `speaking` detail `{userId, speaking}` — ours is local (no round trip), others' relayed;
 * - `stats`    detail `{userId, stats}` — fresh round-trip time and loss for one peer;
 * - `microphone` detail `{label}` — the microphone is open (at join, or another one was chosen);
 * - `audio`    detail `{blocked}` — the browser refused to play remote audio without a click;
 * - `ice`      detail `{iceServers, expiresAt}` — fresh ICE servers were applied;
 * - `talking_while_muted` detail `{talking}` — we talk while muted (and not deafened), or stopped;
 * - `closed`   detail `{code, reason, resuming}` — the signalling socket closed; `resuming` (v1.1):
 *              the room tries to take its place back (the call is not over).
 */

/**
 * `status`'s detail.
 * @typedef {Object} StatusDetail
 * @property {RoomStatus} status
 * @property {string | null} reason   why it is `disconnected` (protocol.js REASONS), else null
 * @property {boolean} reconnecting    `connecting` while resuming a dropped socket (v1.1)
 */
/**
 * `peer`'s detail: one peer connection's state (`closed` once it is gone).
 * @typedef {Object} PeerDetail
 * @property {string} userId
 * @property {import("./peer.js").PeerState | "closed"} state
 * @property {string | null | undefined} failure  why it counts as failed
 */
/**
 * `closed`'s detail: the signalling socket closed.
 * @typedef {Object} ClosedDetail
 * @property {number | null} code
 * @property {string} reason          the close frame's text
 * @property {boolean} resuming       the room takes its place back; the call goes on (v1.1)
 */
/**
 * `moved`'s detail: a moderator moved us; the room now joins `channelId` (v1.1).
 * @typedef {Object} MovedDetail
 * @property {string} from        the channel we were in
 * @property {string} channelId   the channel the room joins now
 */
/**
 * Every event by type, with its detail. In TypeScript a listener reads it as
 * `(event as VoiceRoomEvents["status"]).detail`; in JavaScript with
 * `@param {VoiceRoomEvents["status"]} event`.
 * @typedef {Object} VoiceRoomEvents
 * @property {CustomEvent<StatusDetail>} status
 * @property {CustomEvent<import("./protocol.js").JoinedMsg>} joined
 * @property {CustomEvent<import("./protocol.js").Member[]>} members
 * @property {CustomEvent<PeerDetail>} peer
 * @property {CustomEvent<{userId: string, speaking: boolean}>} speaking
 * @property {CustomEvent<{userId: string, stats: import("./stats.js").PeerStats}>} stats
 * @property {CustomEvent<{label: string}>} microphone
 * @property {CustomEvent<{blocked: boolean}>} audio
 * @property {CustomEvent<{iceServers: import("./protocol.js").IceServer[], expiresAt: number | null}>} ice
 * @property {CustomEvent<{talking: boolean}>} talking_while_muted
 * @property {CustomEvent<ClosedDetail>} closed
 * @property {CustomEvent<{muted: boolean}>} server_muted
 * @property {CustomEvent<MovedDetail>} moved
 */

export {};
