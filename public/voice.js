// @ts-check
/**
 * voice.js — one voice channel as a WebRTC audio mesh, signalled over the channel's WebSocket.
 *
 * A host application imports `VoiceRoom`, calls `join()` from a click handler (so the audio
 * elements it creates may play), listens to its events, and calls `leave()`. It needs no DOM
 * beyond the <audio> elements it creates itself.
 *
 * The wire protocol below mirrors src/protocol.rs (the contract, v1): keep the names in step.
 */

/* ------------------------------------------------------------------------------------------ *
 * Wire protocol (JSON text frames, `type` tags every message; `ping`/`pong` are plain text)  *
 * ------------------------------------------------------------------------------------------ */

/**
 * @typedef {Object} Member              Someone in a channel, as everyone else sees them.
 * @property {string} id
 * @property {string} name
 * @property {boolean} muted
 * @property {boolean} deafened
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

/* Server → client */

/**
 * @typedef {Object} JoinedMsg           First message after the socket is accepted.
 * @property {"joined"} type
 * @property {string} channel_id
 * @property {string} user_id
 * @property {string} session_id         Present it as `?session=` to take this entry back.
 * @property {Member[]} members          Including you.
 * @property {IceServer[]} ice_servers
 * @property {number | null} [ice_expires_at]  Extension: unix seconds when TURN credentials expire.
 */
/**
 * @typedef {Object} MemberJoinedMsg     Someone joined: existing members offer to them.
 * @property {"member_joined"} type
 * @property {Member} member
 * @property {boolean} resumed           Same user on a new socket: replace your peer connection.
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
 * @typedef {Object} MemberSpeakingMsg   Extension: voice activity relayed from another member.
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
 * @typedef {Object} ErrorMsg            A request was refused or malformed.
 * @property {"error"} type
 * @property {"bad_message"|"unknown_type"|"binary_not_supported"|"too_large"|"unknown_peer"|
 *            "rate_limited"|"already_in_channel"|"moved"|"replaced"|"heartbeat_timeout"|
 *            "channel_full"} reason
 * @property {string} [detail]
 */
/**
 * @typedef {JoinedMsg|MemberJoinedMsg|MemberLeftMsg|MemberUpdatedMsg|MemberSpeakingMsg|
 *           SignalInMsg|ErrorMsg} ServerMsg
 */

/* Client → server */

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
 * @typedef {Object} SpeakingMsg         Extension: voice activity, relayed, not stored.
 * @property {"speaking"} type
 * @property {boolean} speaking
 */
/**
 * @typedef {Object} LeaveMsg            Removes you at once; the server closes with 1000.
 * @property {"leave"} type
 */
/** @typedef {SignalOutMsg|StateMsg|SpeakingMsg|LeaveMsg} ClientMsg */

/* Lobby socket (server → client only) */

/**
 * @typedef {Object} ChannelRoster
 * @property {string} id
 * @property {string} name
 * @property {Member[]} members
 */
/**
 * @typedef {Object} LobbyRosterMsg      Sent on connect.
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
  HEARTBEAT_TIMEOUT: 4008,
  ALREADY_IN_CHANNEL: 4009,
  MOVED: 4010,
  REPLACED: 4011,
  CHANNEL_FULL: 4013,
  RATE_LIMITED: 4029,
});

/** Error reasons after which the server closes the socket: the room is over. */
const ENDING_REASONS = new Set(["already_in_channel", "moved", "replaced", "heartbeat_timeout", "channel_full"]);

/** Subprotocol every client offers; the token rides beside it as `bearer.<token>`. */
export const SUBPROTOCOL = "voice.v1";
/** Clients send this text frame every `PING_INTERVAL_MS`; the server answers `pong`. */
export const PING = "ping";
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

/* ------------------------------------------------------------------------------------------ *
 * VoiceRoom                                                                                  *
 * ------------------------------------------------------------------------------------------ */

/**
 * Status of the room as a whole:
 * - `connecting`: from `join()` until the server's `joined`;
 * - `connected`: joined, and no peer connection has failed;
 * - `disconnected`: refused, the socket dropped, or a peer connection failed (see `reason`);
 * - `left`: `leave()` was called.
 * @typedef {"idle"|"connecting"|"connected"|"disconnected"|"left"} RoomStatus
 */

/**
 * One peer connection of the mesh, to one other member.
 * @typedef {Object} Peer
 * @property {string} userId
 * @property {RTCPeerConnection} pc
 * @property {boolean} initiator        We sent the offer (we were here first).
 * @property {RTCIceCandidateInit[]} pendingCandidates  Held until the remote description is set.
 * @property {number} localCandidates   Gathered so far; zero at "complete" means it cannot connect.
 * @property {Set<string>} refusedIceServers  ICE server URLs (query stripped) that reported an error.
 * @property {boolean} failed
 * @property {string} [failure]          Why it counts as failed.
 * @property {ReturnType<typeof setTimeout> | undefined} connectTimer
 * @property {HTMLAudioElement | null} audio
 * @property {number} createdAt          performance.now() when created.
 * @property {number | null} connectedAt performance.now() when first `connected`.
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
 */

/**
 * Events (all `CustomEvent`s; read the room's properties for the full picture):
 * - `status`   detail `{status, reason}` — the RoomStatus changed (or its reason did);
 * - `joined`   detail `JoinedMsg`;
 * - `members`  detail `Member[]` — someone joined, left or changed state;
 * - `peer`     detail `{userId, state, failed}` — a peer connection changed state;
 * - `speaking` detail `{userId, speaking}`;
 * - `closed`   detail `{code, reason}` — the signalling socket closed.
 */
export class VoiceRoom extends EventTarget {
  /** @param {VoiceRoomOptions} options */
  constructor(options) {
    super();
    if (!options || !options.channelId || !options.token) {
      throw new TypeError("VoiceRoom needs a channelId and a token");
    }
    this.channelId = options.channelId;
    this.token = options.token;
    this.baseUrl = options.baseUrl ?? globalThis.location?.href;
    /** The `session_id` presented when joining; replaced by the server's once joined. */
    this.sessionId = options.sessionId ?? null;
    this.iceTransportPolicy = options.iceTransportPolicy ?? "all";
    this.connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    this.audioPoolSize = options.audioPoolSize ?? 4;
    this.audioParent = options.audioParent === undefined ? globalThis.document?.body ?? null
      : options.audioParent;
    this.audioConstraints = options.audioConstraints ?? {
      echoCancellation: true, noiseSuppression: true, autoGainControl: true,
    };

    /** @type {RoomStatus} */
    this.status = "idle";
    /** Why the room is `disconnected` (a contract reason such as `already_in_channel`). */
    this.reason = /** @type {string | null} */ (null);
    /** Our user id, from `joined`. */
    this.userId = /** @type {string | null} */ (null);
    /** @type {Map<string, Member>} Everyone in the channel, us included, in join order. */
    this.members = new Map();
    /** @type {Map<string, Peer>} One peer connection per other member. */
    this.peers = new Map();
    /** @type {IceServer[]} */
    this.iceServers = [];
    /** @type {MediaStream | null} */
    this.localStream = null;
    this.muted = false;
    this.deafened = false;
    /** performance.now() at `join()`, and when `joined` arrived (for measurements). */
    this.startedAt = 0;
    this.joinedAt = /** @type {number | null} */ (null);

    /** @type {WebSocket | null} */
    this._ws = null;
    /** @type {Promise<MediaStream> | null} */
    this._mic = null;
    /** Messages are handled one at a time, in order: WebRTC calls are async. */
    this._queue = Promise.resolve();
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this._pingTimer = undefined;
    /** @type {HTMLAudioElement[]} primed during the click, handed to peers as tracks arrive */
    this._audioPool = [];
    /** @type {Map<string, RTCIceCandidateInit[]>} candidates from members we have no peer for yet */
    this._orphanCandidates = new Map();
    this._ended = false;
  }

  /**
   * Joins the channel. Call it synchronously from a user gesture (a click): the <audio>
   * elements are created and started here, so remote audio may play when it arrives.
   */
  join() {
    if (this.status !== "idle") throw new Error("a VoiceRoom joins once; make a new one");
    this.startedAt = performance.now();
    this._primeAudio(this.audioPoolSize);
    this._setStatus("connecting", null);

    const media = globalThis.navigator?.mediaDevices;
    this._mic = (media
      ? media.getUserMedia({ audio: this.audioConstraints, video: false })
      : Promise.reject(new Error("no navigator.mediaDevices: the page needs HTTPS (or localhost)")))
      .then((stream) => {
        if (this._ended) {
          stream.getTracks().forEach((t) => t.stop());
        } else {
          this.localStream = stream;
          this._applyMute();
        }
        return stream;
      });
    // Failure is handled where the stream is needed (on `joined`); keep it from going unhandled.
    this._mic.catch(() => {});

    const url = socketUrl(`/api/channels/${encodeURIComponent(this.channelId)}/voice`, this.baseUrl);
    if (this.sessionId) url.searchParams.set("session", this.sessionId);
    const ws = new WebSocket(url, subprotocols(this.token));
    this._ws = ws;
    ws.addEventListener("open", () => {
      if (ws !== this._ws) return;
      this._pingTimer = setInterval(() => this._sendRaw(PING), PING_INTERVAL_MS);
    });
    ws.addEventListener("message", (event) => {
      if (ws !== this._ws || typeof event.data !== "string" || event.data === "pong") return;
      /** @type {ServerMsg} */
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        console.warn("[voice] ignoring a frame that is not JSON:", event.data.slice(0, 80));
        return;
      }
      this._queue = this._queue
        .then(() => this._handle(msg))
        .catch((err) => console.error(`[voice] handling ${msg?.type} failed:`, err));
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this._ws) return;
      this._onSocketClosed(event.code, event.reason);
    });
    return this;
  }

  /** Leaves the channel: tells the server, closes every peer connection, releases the mic. */
  leave() {
    if (this._ended && this.status === "left") return;
    const ws = this._ws;
    this._ended = true;
    if (ws) {
      const bye = () => {
        try {
          ws.send(JSON.stringify(/** @type {LeaveMsg} */ ({ type: "leave" })));
          ws.close(CloseCode.NORMAL);
        } catch { /* already closing */ }
      };
      if (ws.readyState === WebSocket.OPEN) bye();
      // Still handshaking: say goodbye once open, so the server does not keep a grace entry.
      else if (ws.readyState === WebSocket.CONNECTING) ws.addEventListener("open", bye, { once: true });
    }
    this._teardown();
    this._setStatus("left", null);
  }

  /** Mutes the microphone (and tells the others). */
  setMuted(/** @type {boolean} */ muted) {
    this.muted = muted;
    this._applyMute();
    this._sendState();
  }

  /** Deafens: silences every remote member (and tells the others). */
  setDeafened(/** @type {boolean} */ deafened) {
    this.deafened = deafened;
    for (const peer of this.peers.values()) if (peer.audio) peer.audio.muted = deafened;
    this._sendState();
  }

  /** The members as a list, in join order. */
  memberList() {
    return [...this.members.values()];
  }

  /* ---------------------------------------------------------------------------------------- */

  /** @param {ServerMsg} msg */
  async _handle(msg) {
    if (this._ended) return;
    switch (msg.type) {
      case "joined":
        return this._onJoined(msg);
      case "member_joined":
        return this._onMemberJoined(msg);
      case "member_left":
        this.members.delete(msg.user_id);
        this._closePeer(msg.user_id);
        this._emit("members", this.memberList());
        this._refreshStatus();
        return;
      case "member_updated":
        this.members.set(msg.member.id, msg.member);
        this._emit("members", this.memberList());
        return;
      case "member_speaking":
        this._emit("speaking", { userId: msg.user_id, speaking: msg.speaking });
        return;
      case "signal":
        return this._onSignal(msg.from, msg.payload);
      case "error":
        return this._onError(msg);
      default: {
        /** @type {never} */
        const unknown = msg;
        console.debug("[voice] ignoring an unknown message:", unknown);
      }
    }
  }

  /** @param {JoinedMsg} msg */
  async _onJoined(msg) {
    this.userId = msg.user_id;
    this.sessionId = msg.session_id;
    this.iceServers = Array.isArray(msg.ice_servers) ? msg.ice_servers : [];
    this.members = new Map(msg.members.map((m) => [m.id, m]));
    try {
      await this._mic;
    } catch (err) {
      console.error("[voice] microphone unavailable, leaving the channel:", err);
      this._fail("microphone_unavailable");
      this._sayGoodbye();
      return;
    }
    if (this._ended) return;
    this.joinedAt = performance.now();
    this._setStatus("connected", null);
    this._emit("joined", msg);
    this._emit("members", this.memberList());
    this._sendState();
    // The newcomer offers to no one: the members already here offer to us.
  }

  /** @param {MemberJoinedMsg} msg */
  async _onMemberJoined(msg) {
    const member = msg.member;
    this.members.set(member.id, member);
    this._emit("members", this.memberList());
    if (member.id === this.userId) return;
    // A member we still have a connection to came back on a new socket (or never left for us):
    // that connection is dead on their side, so start over.
    this._closePeer(member.id);
    await this._micReady();
    if (this._ended) return;
    const peer = this._createPeer(member.id, true);
    await peer.pc.setLocalDescription();
    this._signal(member.id, { sdp: /** @type {RTCSessionDescriptionInit} */ (peer.pc.localDescription?.toJSON()) });
  }

  /**
   * @param {string} from
   * @param {SignalPayload} payload
   */
  async _onSignal(from, payload) {
    if (!payload || typeof payload !== "object") return;
    if (payload.sdp) {
      const sdp = payload.sdp;
      let peer = this.peers.get(from);
      if (sdp.type === "offer") {
        if (peer && peer.pc.signalingState === "have-local-offer") {
          // Both sides offered (should not happen: only members already present offer).
          // The side with the larger id yields, as in "perfect negotiation".
          const polite = (this.userId ?? "") > from;
          if (!polite) return;
          await peer.pc.setLocalDescription({ type: "rollback" });
        }
        if (!peer || peer.pc.connectionState === "closed") {
          await this._micReady();
          if (this._ended) return;
          peer = this._createPeer(from, false);
        }
        await peer.pc.setRemoteDescription(sdp);
        await this._flushCandidates(peer);
        await peer.pc.setLocalDescription();
        this._signal(from, { sdp: /** @type {RTCSessionDescriptionInit} */ (peer.pc.localDescription?.toJSON()) });
      } else if (sdp.type === "answer") {
        if (!peer || peer.pc.signalingState !== "have-local-offer") {
          console.debug(`[voice] ignoring an answer from ${from} we did not ask for`);
          return;
        }
        await peer.pc.setRemoteDescription(sdp);
        await this._flushCandidates(peer);
      }
    }
    if (payload.candidate) {
      const peer = this.peers.get(from);
      if (!peer) {
        const held = this._orphanCandidates.get(from) ?? [];
        if (held.length < 64) held.push(payload.candidate);
        this._orphanCandidates.set(from, held);
      } else if (!peer.pc.remoteDescription) {
        peer.pendingCandidates.push(payload.candidate);
      } else {
        await this._addCandidate(peer, payload.candidate);
      }
    }
  }

  /** @param {ErrorMsg} msg */
  _onError(msg) {
    const detail = msg.detail ? ` (${msg.detail})` : "";
    if (!ENDING_REASONS.has(msg.reason)) {
      console.warn(`[voice] ${this.channelId}: request refused: ${msg.reason}${detail}`);
      return;
    }
    console.warn(`[voice] ${this.channelId}: the server says ${msg.reason}${detail}`);
    // The server closes the socket right after this, but the closing handshake can take
    // seconds to finish (seen with `moved`): the room is over now.
    this._socketLost(msg.reason, null, "");
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  _onSocketClosed(code, reason) {
    const why = closeReason(code) ?? (this.joinedAt === null ? "refused" : "socket_closed");
    this._socketLost(why, code, reason);
  }

  /**
   * The signalling socket is gone (or about to be): unless we left, the room is disconnected.
   * @param {string} why       a contract reason, or `refused` / `socket_closed`
   * @param {number | null} code
   * @param {string} reason    the close frame's reason text
   */
  _socketLost(why, code, reason) {
    clearInterval(this._pingTimer);
    this._pingTimer = undefined;
    this._ws = null;
    this._emit("closed", { code, reason });
    if (this._ended) return;
    const how = code === null ? "ended by the server" : `closed (code ${code}${reason ? `, ${reason}` : ""})`;
    const log = code === CloseCode.NORMAL || code === null ? console.warn : console.error;
    log(`[voice] ${this.channelId}: voice socket ${how}: ${why}`);
    this._ended = true;
    this._teardown();
    this._setStatus("disconnected", why);
  }

  /* ---- peers ------------------------------------------------------------------------------ */

  /**
   * @param {string} userId
   * @param {boolean} initiator
   * @returns {Peer}
   */
  _createPeer(userId, initiator) {
    const pc = new RTCPeerConnection({
      iceServers: /** @type {RTCIceServer[]} */ (this.iceServers),
      iceTransportPolicy: this.iceTransportPolicy,
    });
    /** @type {Peer} */
    const peer = {
      userId, pc, initiator,
      pendingCandidates: this._orphanCandidates.get(userId) ?? [],
      localCandidates: 0,
      refusedIceServers: new Set(),
      failed: false,
      failure: undefined,
      connectTimer: undefined,
      audio: null,
      createdAt: performance.now(),
      connectedAt: null,
    };
    this._orphanCandidates.delete(userId);
    this.peers.set(userId, peer);

    const stream = this.localStream;
    if (stream) for (const track of stream.getAudioTracks()) pc.addTrack(track, stream);
    else pc.addTransceiver("audio", { direction: "recvonly" });

    pc.addEventListener("icecandidate", (event) => {
      if (!this._isCurrent(peer)) return;
      if (event.candidate) {
        peer.localCandidates += 1;
        this._signal(userId, { candidate: event.candidate.toJSON() });
      }
    });
    pc.addEventListener("icecandidateerror", (event) => {
      const e = /** @type {RTCPeerConnectionIceErrorEvent} */ (event);
      console.warn(`[voice] ICE server ${e.url} refused us for ${userId}: ${e.errorCode} ${e.errorText}`);
      if (!this._isCurrent(peer) || !e.url) return;
      peer.refusedIceServers.add(stripQuery(e.url));
      this._checkCandidates(peer);
    });
    pc.addEventListener("icegatheringstatechange", () => {
      if (this._isCurrent(peer)) this._checkCandidates(peer);
    });
    pc.addEventListener("connectionstatechange", () => this._onPeerState(peer));
    pc.addEventListener("track", (event) => {
      if (!this._isCurrent(peer)) return;
      const remote = event.streams[0] ?? new MediaStream([event.track]);
      const audio = peer.audio ?? this._takeAudio(userId);
      peer.audio = audio;
      audio.muted = this.deafened;
      audio.srcObject = remote;
      audio.play().catch((err) => console.warn(`[voice] cannot play ${userId}'s audio:`, err));
    });

    this._armConnectTimer(peer);
    this._emit("peer", { userId, state: pc.connectionState, failed: false });
    if (this.iceTransportPolicy === "relay" && turnUrls(this.iceServers).length === 0) {
      // Relay-only with no TURN server: Chromium gathers forever and never says it failed.
      this._markFailed(peer, "no_relay_server");
    }
    return peer;
  }

  /**
   * A peer with no local candidate can never connect, and Chromium does not say so: with every
   * TURN credential refused it reports `icecandidateerror`s (401) and stays at "new" (gathering
   * never completes under a relay-only policy). Count that as failed rather than waiting.
   * @param {Peer} peer
   */
  _checkCandidates(peer) {
    if (peer.failed || peer.localCandidates > 0) return;
    if (peer.pc.iceGatheringState === "complete") {
      this._markFailed(peer, "no_ice_candidates");
      return;
    }
    const turn = turnUrls(this.iceServers);
    if (this.iceTransportPolicy === "relay" && turn.length > 0
        && turn.every((url) => peer.refusedIceServers.has(url))) {
      this._markFailed(peer, "no_ice_candidates");
    }
  }

  /** @param {Peer} peer */
  _onPeerState(peer) {
    if (!this._isCurrent(peer)) return;
    const state = peer.pc.connectionState;
    if (state === "connected") {
      clearTimeout(peer.connectTimer);
      peer.connectTimer = undefined;
      if (peer.connectedAt === null) peer.connectedAt = performance.now();
      if (peer.failed) console.info(`[voice] connection to ${peer.userId} recovered`);
      peer.failed = false;
      peer.failure = undefined;
    } else if (state === "failed") {
      this._markFailed(peer, "connection_failed");
      return;
    } else if (state === "disconnected") {
      // Chromium moves on to "failed" by itself, but not in every case: give it the same time.
      this._armConnectTimer(peer);
    }
    this._emit("peer", { userId: peer.userId, state, failed: peer.failed });
    this._refreshStatus();
  }

  /** @param {Peer} peer */
  _armConnectTimer(peer) {
    clearTimeout(peer.connectTimer);
    peer.connectTimer = setTimeout(() => {
      peer.connectTimer = undefined;
      if (this._isCurrent(peer) && peer.pc.connectionState !== "connected") {
        this._markFailed(peer, "connect_timeout");
      }
    }, this.connectTimeoutMs);
  }

  /**
   * @param {Peer} peer
   * @param {string} why
   */
  _markFailed(peer, why) {
    if (peer.failed) return;
    peer.failed = true;
    peer.failure = why;
    clearTimeout(peer.connectTimer);
    peer.connectTimer = undefined;
    console.error(`[voice] peer connection to ${peer.userId} failed: ${why}`);
    this._emit("peer", { userId: peer.userId, state: peer.pc.connectionState, failed: true });
    this._refreshStatus();
  }

  /** @param {string} userId */
  _closePeer(userId) {
    this._orphanCandidates.delete(userId);
    const peer = this.peers.get(userId);
    if (!peer) return;
    this.peers.delete(userId);
    clearTimeout(peer.connectTimer);
    try { peer.pc.close(); } catch { /* already closed */ }
    if (peer.audio) this._releaseAudio(peer.audio);
    peer.audio = null;
    this._emit("peer", { userId, state: "closed", failed: false });
  }

  /** @param {Peer} peer */
  _isCurrent(peer) {
    return !this._ended && this.peers.get(peer.userId) === peer;
  }

  /** @param {Peer} peer */
  async _flushCandidates(peer) {
    const pending = peer.pendingCandidates.splice(0);
    for (const candidate of pending) await this._addCandidate(peer, candidate);
  }

  /**
   * @param {Peer} peer
   * @param {RTCIceCandidateInit} candidate
   */
  async _addCandidate(peer, candidate) {
    try {
      await peer.pc.addIceCandidate(candidate);
    } catch (err) {
      console.warn(`[voice] bad ICE candidate from ${peer.userId}:`, err);
    }
  }

  /* ---- status ----------------------------------------------------------------------------- */

  /** Connected unless a peer failed; back to connected when it recovers or leaves. */
  _refreshStatus() {
    if (this._ended || this.joinedAt === null) return;
    const failed = [...this.peers.values()].find((p) => p.failed);
    if (failed) this._setStatus("disconnected", failed.failure ?? "connection_failed");
    else this._setStatus("connected", null);
  }

  /**
   * @param {RoomStatus} status
   * @param {string | null} reason
   */
  _setStatus(status, reason) {
    if (this.status === status && this.reason === reason) return;
    this.status = status;
    this.reason = reason;
    this._emit("status", { status, reason });
  }

  /** @param {string} reason */
  _fail(reason) {
    this._ended = true;
    this._teardown();
    this._setStatus("disconnected", reason);
  }

  /* ---- sending ---------------------------------------------------------------------------- */

  /**
   * @param {string} to
   * @param {SignalPayload} payload
   */
  _signal(to, payload) {
    this._send({ type: "signal", to, payload });
  }

  _sendState() {
    if (this.joinedAt === null) return;
    // Only worth a message when it differs from the default the server starts with.
    const me = this.userId ? this.members.get(this.userId) : undefined;
    if (me && me.muted === this.muted && me.deafened === this.deafened) return;
    this._send({ type: "state", muted: this.muted, deafened: this.deafened });
  }

  /** @param {ClientMsg} msg */
  _send(msg) {
    this._sendRaw(JSON.stringify(msg));
  }

  /** @param {string} text */
  _sendRaw(text) {
    const ws = this._ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  _sayGoodbye() {
    const ws = this._ws;
    this._ws = null;
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ type: "leave" }));
      ws.close(CloseCode.NORMAL);
    }
  }

  /* ---- media ------------------------------------------------------------------------------ */

  async _micReady() {
    const stream = await this._mic;
    return stream;
  }

  _applyMute() {
    if (!this.localStream) return;
    for (const track of this.localStream.getAudioTracks()) track.enabled = !this.muted;
  }

  /**
   * Creates and starts <audio> elements now, inside the user's gesture, so browsers that allow
   * playback per element (Safari) let them play the remote streams that arrive later.
   * @param {number} count
   */
  _primeAudio(count) {
    if (typeof document === "undefined") return;
    for (let i = 0; i < count; i++) this._audioPool.push(this._newAudio());
  }

  _newAudio() {
    const audio = document.createElement("audio");
    audio.autoplay = true;
    audio.setAttribute("playsinline", "");
    audio.dataset.voiceChannel = this.channelId;
    audio.srcObject = new MediaStream();
    audio.play().catch(() => { /* nothing to play yet; the gesture is what counts */ });
    this.audioParent?.appendChild(audio);
    return audio;
  }

  /** @param {string} userId */
  _takeAudio(userId) {
    const audio = this._audioPool.shift() ?? this._newAudio();
    audio.dataset.voicePeer = userId;
    return audio;
  }

  /** @param {HTMLAudioElement} audio */
  _releaseAudio(audio) {
    audio.srcObject = new MediaStream();
    delete audio.dataset.voicePeer;
    if (this._ended) audio.remove();
    else this._audioPool.push(audio);
  }

  _teardown() {
    clearInterval(this._pingTimer);
    this._pingTimer = undefined;
    for (const userId of [...this.peers.keys()]) this._closePeer(userId);
    for (const audio of this._audioPool.splice(0)) {
      audio.srcObject = null;
      audio.remove();
    }
    this.localStream?.getTracks().forEach((t) => t.stop());
    this.localStream = null;
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/**
 * The TURN URLs (query stripped) among ICE servers.
 * @param {IceServer[]} servers
 */
function turnUrls(servers) {
  return servers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]))
    .filter((url) => typeof url === "string" && /^turns?:/i.test(url))
    .map(stripQuery);
}

/** `turn:host:3478?transport=udp` → `turn:host:3478` (Chromium reports URLs either way). */
function stripQuery(/** @type {string} */ url) {
  const i = url.indexOf("?");
  return i === -1 ? url : url.slice(0, i);
}

/** The contract's reason for a close code, if it has one. */
export function closeReason(/** @type {number} */ code) {
  switch (code) {
    case CloseCode.HEARTBEAT_TIMEOUT: return "heartbeat_timeout";
    case CloseCode.ALREADY_IN_CHANNEL: return "already_in_channel";
    case CloseCode.MOVED: return "moved";
    case CloseCode.REPLACED: return "replaced";
    case CloseCode.CHANNEL_FULL: return "channel_full";
    case CloseCode.RATE_LIMITED: return "rate_limited";
    default: return null;
  }
}
