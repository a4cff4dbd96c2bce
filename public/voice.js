// @ts-check
/**
 * voice.js — one voice channel as a WebRTC audio mesh, signalled over the channel's WebSocket.
 *
 * A host application imports `VoiceRoom`, calls `join()` from a click handler (so the audio
 * elements it creates may play), listens to its events, and calls `leave()`. It needs no DOM
 * beyond the <audio> elements it creates itself.
 *
 * What it does for each pair of members: one RTCPeerConnection with "perfect negotiation"
 * (the member with the smaller user id is polite), an ICE restart with fresh credentials when
 * the connection fails, TURN credentials refreshed before they expire, round-trip time and
 * packet loss from getStats. For the local member: the microphone (asked for before the socket
 * opens, so a refusal never half-joins), mute/deafen, and voice activity from an AnalyserNode.
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

/**
 * Voice activity: the microphone's RMS level (0..1) must reach `START` to count as speaking, and
 * stays speaking while it is above `KEEP`; speaking ends after `HANGOVER_MS` below `KEEP` (so
 * the gaps between words do not flicker). At most one `speaking` message per `MIN_SEND_MS`.
 */
export const VOICE_ACTIVITY = Object.freeze({
  START: 0.03,
  KEEP: 0.012,
  HANGOVER_MS: 600,
  SAMPLE_MS: 50,
  MIN_SEND_MS: 300,
});

/** TURN credentials are refreshed when this share of their remaining lifetime has passed. */
export const ICE_REFRESH_AT = 0.8;
/** ICE restarts after a failure: the first at once, then waits doubling up to the cap. */
const RESTART_BACKOFF_MS = Object.freeze({ first: 1000, max: 8000 });
/** How often each peer connection's getStats() is read for round-trip time and loss. */
const STATS_INTERVAL_MS = 2000;

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
 * Status of the room as a whole (the voice bar's three colours):
 * - `connecting`: from `join()` (microphone, then socket) until the server's `joined`;
 * - `connected`: joined, and no peer connection has failed;
 * - `disconnected`: the microphone was refused, the server refused or dropped the socket, or a
 *   peer connection failed (see `reason`; a failed peer is retried and the room turns
 *   `connected` again when it recovers);
 * - `left`: `leave()` was called.
 * @typedef {"idle"|"connecting"|"connected"|"disconnected"|"left"} RoomStatus
 */

/**
 * What a peer connection is to the page: `connecting` until ICE and DTLS are up, `connected`,
 * or `failed` (ICE failed, no candidate could be gathered, or it did not connect in time) —
 * a failed peer is restarted (ICE restart with fresh credentials) until it recovers or leaves.
 * @typedef {"connecting"|"connected"|"failed"} PeerState
 */

/**
 * Measured from getStats() every few seconds while connected.
 * @typedef {Object} PeerStats
 * @property {number | null} rttMs        Round trip on the selected candidate pair.
 * @property {number | null} lossPct      Inbound audio packets lost since the previous reading.
 * @property {string | null} localType    candidateType of the selected pair's local candidate.
 * @property {string | null} remoteType   …and of its remote candidate (`relay` = through TURN).
 */

/**
 * One peer connection of the mesh, to one other member.
 * @typedef {Object} Peer
 * @property {string} userId
 * @property {RTCPeerConnection} pc
 * @property {boolean} polite            Yields when both sides offer at once (smaller user id).
 * @property {boolean} makingOffer       Perfect negotiation: an offer of ours is in flight.
 * @property {boolean} ignoreOffer       Perfect negotiation: we (impolite) ignored a colliding offer.
 * @property {PeerState} state
 * @property {string | undefined} failure  Why it counts as failed.
 * @property {RTCIceCandidateInit[]} pendingCandidates  Held until the remote description is set.
 * @property {number} localCandidates   Gathered in this ICE generation; none at "complete" = stuck.
 * @property {Set<string>} refusedIceServers  TURN URLs (query stripped) that reported an error.
 * @property {number} restarts          ICE restarts since it last was connected.
 * @property {ReturnType<typeof setTimeout> | undefined} restartTimer
 * @property {ReturnType<typeof setTimeout> | undefined} connectTimer
 * @property {HTMLAudioElement | null} audio
 * @property {PeerStats} stats
 * @property {{lost: number, received: number}} lastCounts  For the loss of the last interval.
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
 * @property {string | null} [microphoneId]  deviceId of the microphone (default device when absent).
 * @property {string | null} [speakerId]  deviceId of the audio output (where setSinkId exists).
 * @property {boolean} [muted]            Start muted.
 * @property {boolean} [deafened]         Start deafened (implies muted).
 */

/**
 * Events (all `CustomEvent`s; read the room's properties for the full picture):
 * - `status`   detail `{status, reason}` — the RoomStatus changed (or its reason did);
 * - `joined`   detail `JoinedMsg`;
 * - `members`  detail `Member[]` — someone joined, left or changed state (us included);
 * - `peer`     detail `{userId, state, failure}` — a peer connection changed state;
 * - `speaking` detail `{userId, speaking}` — ours is local (no round trip), others' relayed;
 * - `stats`    detail `{userId, stats}` — fresh round-trip time and loss for one peer;
 * - `microphone` detail `{label}` — the microphone is open (at join, or another one was chosen);
 * - `audio`    detail `{blocked}` — the browser refused to play remote audio without a click;
 * - `ice`      detail `{iceServers, expiresAt}` — fresh ICE servers were applied;
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
    this.microphoneId = options.microphoneId ?? null;
    this.speakerId = options.speakerId ?? null;

    /** @type {RoomStatus} */
    this.status = "idle";
    /** Why the room is `disconnected` (a contract reason such as `moved`, or a page reason). */
    this.reason = /** @type {string | null} */ (null);
    /** The user id of the peer whose failure made the room `disconnected`, if that is why. */
    this.failedPeer = /** @type {string | null} */ (null);
    /** Our user id, from `joined`. */
    this.userId = /** @type {string | null} */ (null);
    /** @type {Map<string, Member>} Everyone in the channel, us included, in join order. */
    this.members = new Map();
    /** @type {Map<string, Peer>} One peer connection per other member. */
    this.peers = new Map();
    /** @type {IceServer[]} The freshest ICE servers: every new peer connection uses these. */
    this.iceServers = [];
    /** When the TURN credentials in `iceServers` expire (unix seconds), if they do. */
    this.iceExpiresAt = /** @type {number | null} */ (null);
    /** When the next credential refresh is due (Date.now() milliseconds), if one is scheduled. */
    this.iceRefreshAt = /** @type {number | null} */ (null);
    /** @type {MediaStream | null} */
    this.localStream = null;
    this.deafened = options.deafened ?? false;
    this.muted = (options.muted ?? false) || this.deafened;
    /** The mute we had before deafening: undeafening restores it. */
    this._mutedBeforeDeafen = options.muted ?? false;
    /** Members speaking right now (others from `member_speaking`, us from the microphone). */
    this.speaking = new Set();
    /** The browser refused to start remote audio without a click (see `resumeAudio`). */
    this.audioBlocked = false;
    /** performance.now() at `join()`, and when `joined` arrived (for measurements). */
    this.startedAt = 0;
    this.joinedAt = /** @type {number | null} */ (null);

    /** @type {WebSocket | null} */
    this._ws = null;
    /** Messages are handled one at a time, in order: WebRTC calls are async. */
    this._queue = Promise.resolve();
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this._pingTimer = undefined;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this._statsTimer = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this._iceRefreshTimer = undefined;
    /** @type {Promise<void> | null} a credential fetch in flight (shared by its callers) */
    this._iceFetch = null;
    /** @type {HTMLAudioElement[]} primed during the click, handed to peers as tracks arrive */
    this._audioPool = [];
    /** @type {Map<string, RTCIceCandidateInit[]>} candidates from members we have no peer for yet */
    this._orphanCandidates = new Map();
    this._ended = false;

    /* Voice activity (the local microphone) */
    /** @type {AudioContext | null} */
    this._audioContext = null;
    /** @type {{source: MediaStreamAudioSourceNode, analyser: AnalyserNode, samples: Float32Array<ArrayBuffer>} | null} */
    this._meter = null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this._meterTimer = undefined;
    this._localSpeaking = false;
    this._lastLoudAt = -Infinity;
    /** What the others were last told (null: nothing yet), when, and a pending later send. */
    this._sentSpeaking = /** @type {boolean | null} */ (null);
    this._sentSpeakingAt = -Infinity;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this._speakingSendTimer = undefined;
  }

  /**
   * Joins the channel. Call it synchronously from a user gesture (a click or a key): the <audio>
   * elements are created and started here, so remote audio may play when it arrives. The
   * microphone comes first; the socket opens only once it is granted, so a refused microphone
   * never shows us in the channel.
   */
  join() {
    if (this.status !== "idle") throw new Error("a VoiceRoom joins once; make a new one");
    this.startedAt = performance.now();
    this._setStatus("connecting", null);
    this._primeAudio(this.audioPoolSize);

    this._openMicrophone(this.microphoneId).catch((err) => {
      // A remembered microphone that is gone: the default one will do.
      if (!this.microphoneId || microphoneFailure(err) !== "microphone_missing") throw err;
      console.warn(`[voice] microphone ${this.microphoneId} is gone; using the default one`);
      this.microphoneId = null;
      return this._openMicrophone(null);
    }).then(
      (stream) => {
        if (this._ended) {
          stopStream(stream);
          return;
        }
        // After the click, not in it (creating one takes a while): the page has been clicked,
        // so it is allowed to run.
        this._startAudioContext();
        this._useMicrophone(stream);
        this._openSocket();
      },
      (err) => {
        if (this._ended) return;
        const why = microphoneFailure(err);
        console.error(`[voice] microphone unavailable (${why}), not joining:`, err);
        this._fail(why);
      },
    );
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

  /**
   * Mutes or unmutes the microphone and tells the others. Unmuting while deafened undeafens too
   * (you cannot talk without hearing).
   */
  setMuted(/** @type {boolean} */ muted) {
    if (muted && this.deafened) {
      // Already silent; stay muted after undeafening.
      this._mutedBeforeDeafen = true;
      return;
    }
    if (muted === this.muted) return;
    if (!muted && this.deafened) {
      this.deafened = false;
      this._applyDeafen();
    }
    this.muted = muted;
    this._mutedBeforeDeafen = muted;
    this._applyMute();
    this._stateChanged();
  }

  /**
   * Deafens (silences every remote member, and mutes you) or undeafens (restoring the mute you
   * had before), and tells the others.
   */
  setDeafened(/** @type {boolean} */ deafened) {
    if (deafened === this.deafened) return;
    if (deafened) this._mutedBeforeDeafen = this.muted;
    this.deafened = deafened;
    this.muted = deafened ? true : this._mutedBeforeDeafen;
    this._applyDeafen();
    this._applyMute();
    this._stateChanged();
  }

  /**
   * Switches the microphone (a deviceId, or null for the default) without renegotiating: the
   * new track replaces the old one on every peer connection. Rejects if the device cannot be
   * opened (the old one keeps working).
   */
  async setMicrophone(/** @type {string | null} */ deviceId) {
    this.microphoneId = deviceId;
    if (!this.localStream || this._ended) return;
    const stream = await this._openMicrophone(deviceId);
    if (this._ended) {
      stopStream(stream);
      return;
    }
    const track = stream.getAudioTracks()[0];
    for (const peer of this.peers.values()) {
      for (const sender of peer.pc.getSenders()) {
        if (sender.track?.kind === "audio") await sender.replaceTrack(track);
      }
    }
    const old = this.localStream;
    this._useMicrophone(stream);
    if (old) stopStream(old);
  }

  /** Plays remote audio on another output device (where the browser has setSinkId). */
  async setSpeaker(/** @type {string | null} */ deviceId) {
    this.speakerId = deviceId;
    // The primed elements get it when they are handed a stream (see `_applySink`).
    const inUse = [...this.peers.values()].flatMap((p) => (p.audio ? [p.audio] : []));
    await Promise.all(inUse.map((audio) => this._applySink(audio)));
  }

  /** Whether this browser can choose the audio output. */
  static canChooseSpeaker() {
    return typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
  }

  /**
   * Starts remote audio after the browser refused to (autoplay policy): call it from a click.
   * Resolves true when everything plays.
   */
  async resumeAudio() {
    const playing = this._audioElements().filter((a) => a.srcObject instanceof MediaStream
      && a.srcObject.getAudioTracks().length > 0);
    const attempts = playing.map((a) => a.play());
    if (this._audioContext && this._audioContext.state === "suspended") attempts.push(this._audioContext.resume());
    const results = await Promise.allSettled(attempts);
    const ok = results.every((r) => r.status === "fulfilled");
    this._setAudioBlocked(!ok);
    return ok;
  }

  /** Joined and not over: the members listed are the call's, with peer connections to them. */
  get inCall() {
    return this.joinedAt !== null && !this._ended;
  }

  /** The members as a list, in join order. */
  memberList() {
    return [...this.members.values()];
  }

  /** Whether `userId` is speaking (our own from the microphone, at once). */
  isSpeaking(/** @type {string} */ userId) {
    return this.speaking.has(userId);
  }

  /**
   * Fetches fresh ICE servers (`GET /api/ice-servers`) and applies them to every peer connection
   * (`setConfiguration`); later peer connections use them too. Concurrent callers share one fetch.
   */
  refreshIceServers() {
    if (!this._iceFetch) {
      this._iceFetch = this._fetchIceServers().finally(() => { this._iceFetch = null; });
    }
    return this._iceFetch;
  }

  /* ---- the signalling socket -------------------------------------------------------------- */

  _openSocket() {
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
  }

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
        this.speaking.delete(msg.user_id);
        this._closePeer(msg.user_id);
        this._emit("members", this.memberList());
        this._refreshStatus();
        return;
      case "member_updated":
        // Our own echo may be older than a toggle we made since: ours is the truth for us.
        this.members.set(msg.member.id, msg.member.id === this.userId
          ? { ...msg.member, muted: this.muted, deafened: this.deafened } : msg.member);
        // A muted member sends no voice activity: whatever we last heard is over.
        if (msg.member.muted) this._setSpeaking(msg.member.id, false);
        this._emit("members", this.memberList());
        return;
      case "member_speaking":
        if (msg.user_id === this.userId) return;
        this._setSpeaking(msg.user_id, msg.speaking && !this.members.get(msg.user_id)?.muted);
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
  _onJoined(msg) {
    this.userId = msg.user_id;
    this.sessionId = msg.session_id;
    this.members = new Map(msg.members.map((m) => [m.id, m]));
    this._applyIceServers(Array.isArray(msg.ice_servers) ? msg.ice_servers : [], msg.ice_expires_at ?? null);
    this.joinedAt = performance.now();
    this._setStatus("connected", null);
    this._emit("joined", msg);
    // Our mute/deafen from before the join (the server starts everyone unmuted).
    const me = this.members.get(msg.user_id);
    if (me && (me.muted !== this.muted || me.deafened !== this.deafened)) this._stateChanged();
    else this._emit("members", this.memberList());
    if (this._localSpeaking) this._setSpeaking(msg.user_id, true);
    this._sendSpeaking();
    this._statsTimer = setInterval(() => this._readStats(), STATS_INTERVAL_MS);
    // The newcomer offers to no one: the members already here offer to us.
  }

  /** @param {MemberJoinedMsg} msg */
  _onMemberJoined(msg) {
    const member = msg.member;
    this.members.set(member.id, member);
    this._emit("members", this.memberList());
    if (member.id === this.userId) return;
    // Speaking is relayed, not stored: a newcomer learns that we are talking only if we say it
    // again (otherwise not before our next pause).
    if (this._localSpeaking) {
      this._sentSpeaking = null;
      this._sendSpeaking();
    }
    // A member we still have a connection to came back on a new socket (or never left for us):
    // that connection is dead on their side, so start over. We were here first: we offer
    // (adding the track fires `negotiationneeded`).
    this._closePeer(member.id);
    const peer = this._createPeer(member.id);
    this._addLocalTrack(peer);
  }

  /**
   * Perfect negotiation (W3C WebRTC example): an offer that collides with ours is ignored by the
   * impolite side and accepted by the polite one (setRemoteDescription rolls its own back).
   * @param {string} from
   * @param {SignalPayload} payload
   */
  async _onSignal(from, payload) {
    if (!payload || typeof payload !== "object") return;
    if (payload.sdp) {
      const description = payload.sdp;
      let peer = this.peers.get(from);
      if (!peer) {
        if (description.type !== "offer") {
          console.debug(`[voice] ignoring an ${description.type} from ${from}: no connection to them`);
          return;
        }
        peer = this._createPeer(from);
      }
      const pc = peer.pc;
      const collision = description.type === "offer" && (peer.makingOffer || pc.signalingState !== "stable");
      peer.ignoreOffer = !peer.polite && collision;
      if (collision) {
        console.debug(`[voice] offers crossed with ${from}: ${peer.polite ? "theirs wins (we are polite)" : "ours wins (impolite)"}`);
      }
      if (peer.ignoreOffer) return;
      try {
        await pc.setRemoteDescription(description);
        if (description.type === "offer") {
          this._addLocalTrack(peer);
          await pc.setLocalDescription();
          this._signal(from, { sdp: /** @type {RTCSessionDescriptionInit} */ (pc.localDescription?.toJSON()) });
        }
      } catch (err) {
        console.warn(`[voice] negotiation with ${from} failed:`, err);
        return;
      }
      await this._flushCandidates(peer);
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
    this._fail(why);
  }

  /* ---- peers ------------------------------------------------------------------------------ */

  /**
   * @param {string} userId
   * @returns {Peer}
   */
  _createPeer(userId) {
    const pc = new RTCPeerConnection({
      iceServers: /** @type {RTCIceServer[]} */ (this.iceServers),
      iceTransportPolicy: this.iceTransportPolicy,
    });
    /** @type {Peer} */
    const peer = {
      userId, pc,
      polite: (this.userId ?? "") < userId,
      makingOffer: false,
      ignoreOffer: false,
      state: "connecting",
      failure: undefined,
      pendingCandidates: this._orphanCandidates.get(userId) ?? [],
      localCandidates: 0,
      refusedIceServers: new Set(),
      restarts: 0,
      restartTimer: undefined,
      connectTimer: undefined,
      audio: null,
      stats: { rttMs: null, lossPct: null, localType: null, remoteType: null },
      lastCounts: { lost: 0, received: 0 },
      createdAt: performance.now(),
      connectedAt: null,
    };
    this._orphanCandidates.delete(userId);
    this.peers.set(userId, peer);

    pc.addEventListener("negotiationneeded", async () => {
      if (!this._isCurrent(peer)) return;
      try {
        peer.makingOffer = true;
        await pc.setLocalDescription();
        if (!this._isCurrent(peer)) return;
        this._signal(userId, { sdp: /** @type {RTCSessionDescriptionInit} */ (pc.localDescription?.toJSON()) });
      } catch (err) {
        console.warn(`[voice] making an offer to ${userId} failed:`, err);
      } finally {
        peer.makingOffer = false;
      }
    });
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
      this._applySink(audio);
      this._play(audio, userId);
    });

    this._armConnectTimer(peer);
    this._emit("peer", { userId, state: peer.state, failure: undefined });
    this._checkRelay(peer);
    return peer;
  }

  /**
   * Sends our microphone on this connection. For the side that offers this is what fires
   * `negotiationneeded`; the side that answers calls it after the offer, so the track rides on
   * the offer's transceiver and the answer carries it (no second round).
   * @param {Peer} peer
   */
  _addLocalTrack(peer) {
    const stream = this.localStream;
    const track = stream?.getAudioTracks()[0];
    if (!stream || !track) return;
    if (peer.pc.getSenders().some((s) => s.track)) return;
    peer.pc.addTrack(track, stream);
  }

  /**
   * Relay-only with no TURN server: Chromium gathers forever and never says it failed.
   * @param {Peer} peer
   */
  _checkRelay(peer) {
    if (this.iceTransportPolicy === "relay" && turnUrls(this.iceServers).length === 0) {
      this._markFailed(peer, "no_relay_server");
    }
  }

  /**
   * A peer with no local candidate can never connect, and Chromium does not say so: with every
   * TURN credential refused it reports `icecandidateerror`s (401) and stays at "new" (gathering
   * never completes under a relay-only policy). Count that as failed rather than waiting.
   * @param {Peer} peer
   */
  _checkCandidates(peer) {
    if (peer.localCandidates > 0 || peer.state === "connected") return;
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
      clearTimeout(peer.restartTimer);
      peer.connectTimer = undefined;
      peer.restartTimer = undefined;
      if (peer.connectedAt === null) peer.connectedAt = performance.now();
      if (peer.state === "failed") console.info(`[voice] connection to ${peer.userId} recovered`);
      peer.state = "connected";
      peer.failure = undefined;
      peer.restarts = 0;
      this._emit("peer", { userId: peer.userId, state: peer.state, failure: undefined });
      this._refreshStatus();
      this._readStats();
    } else if (state === "failed") {
      this._markFailed(peer, "connection_failed");
    } else if (state === "disconnected") {
      // Chromium moves on to "failed" by itself, but not in every case: give it the same time.
      this._armConnectTimer(peer);
    }
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
   * The connection is down: show it, and schedule an ICE restart (again and again, with a
   * growing wait, until it is connected or the member leaves).
   * @param {Peer} peer
   * @param {string} why
   */
  _markFailed(peer, why) {
    if (!this._isCurrent(peer)) return;
    clearTimeout(peer.connectTimer);
    peer.connectTimer = undefined;
    const changed = peer.state !== "failed" || peer.failure !== why;
    if (peer.state !== "failed") console.error(`[voice] peer connection to ${peer.userId} failed: ${why}`);
    peer.state = "failed";
    peer.failure = why;
    if (changed) {
      this._emit("peer", { userId: peer.userId, state: peer.state, failure: why });
      this._refreshStatus();
    }
    this._scheduleRestart(peer);
  }

  /** @param {Peer} peer */
  _scheduleRestart(peer) {
    if (peer.restartTimer !== undefined) return;
    const wait = peer.restarts === 0 ? 0
      : Math.min(RESTART_BACKOFF_MS.first * 2 ** (peer.restarts - 1), RESTART_BACKOFF_MS.max);
    peer.restartTimer = setTimeout(() => {
      this._restartIce(peer).catch((err) => console.warn(`[voice] ICE restart with ${peer.userId} failed:`, err));
    }, wait);
  }

  /**
   * ICE restart: fresh credentials first (the old ones may be what failed), then `restartIce()`,
   * which fires `negotiationneeded` — perfect negotiation sorts out both sides restarting at once.
   * @param {Peer} peer
   */
  async _restartIce(peer) {
    if (!this._isCurrent(peer) || peer.state !== "failed") {
      peer.restartTimer = undefined;
      return;
    }
    peer.restarts += 1;
    console.info(`[voice] ICE restart with ${peer.userId} (attempt ${peer.restarts}) after ${peer.failure}`);
    try {
      await this.refreshIceServers();
    } catch (err) {
      console.warn("[voice] could not fetch fresh ICE servers; restarting with the ones we have:", err);
    }
    peer.restartTimer = undefined;
    if (!this._isCurrent(peer) || peer.state !== "failed") return;
    peer.localCandidates = 0;
    peer.refusedIceServers.clear();
    peer.pc.restartIce();
    this._armConnectTimer(peer);
    this._checkRelay(peer);
  }

  /** @param {string} userId */
  _closePeer(userId) {
    this._orphanCandidates.delete(userId);
    const peer = this.peers.get(userId);
    if (!peer) return;
    this.peers.delete(userId);
    clearTimeout(peer.connectTimer);
    clearTimeout(peer.restartTimer);
    try { peer.pc.close(); } catch { /* already closed */ }
    if (peer.audio) this._releaseAudio(peer.audio);
    peer.audio = null;
    this._emit("peer", { userId, state: "closed", failure: undefined });
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
      // Candidates of an offer we ignored (perfect negotiation) are expected to fail.
      if (!peer.ignoreOffer) console.warn(`[voice] bad ICE candidate from ${peer.userId}:`, err);
    }
  }

  /* ---- ICE servers ------------------------------------------------------------------------ */

  async _fetchIceServers() {
    const res = await fetch(new URL("/api/ice-servers", this.baseUrl), {
      headers: { Authorization: `Bearer ${this.token}` },
    });
    if (!res.ok) throw new Error(`GET /api/ice-servers answered ${res.status}`);
    /** @type {IceServersResponse} */
    const body = await res.json();
    if (this._ended) return;
    if (!Array.isArray(body.ice_servers)) throw new Error("GET /api/ice-servers: no ice_servers");
    // A TURN provider that is down makes the server answer STUN only: keep a TURN credential
    // that still works rather than lose the relay.
    const stillValid = this.iceExpiresAt !== null && this.iceExpiresAt * 1000 > Date.now();
    if (turnUrls(body.ice_servers).length === 0 && turnUrls(this.iceServers).length > 0 && stillValid) {
      throw new Error("the server offered no TURN server this time; keeping the current credential");
    }
    this._applyIceServers(body.ice_servers, body.expires_at ?? null);
  }

  /**
   * @param {IceServer[]} servers
   * @param {number | null} expiresAt
   */
  _applyIceServers(servers, expiresAt) {
    this.iceServers = servers;
    this.iceExpiresAt = expiresAt;
    for (const peer of this.peers.values()) {
      try {
        peer.pc.setConfiguration({ ...peer.pc.getConfiguration(), iceServers: /** @type {RTCIceServer[]} */ (servers) });
      } catch (err) {
        console.warn(`[voice] could not apply fresh ICE servers to ${peer.userId}:`, err);
      }
    }
    this._scheduleIceRefresh();
    this._emit("ice", { iceServers: servers, expiresAt });
  }

  /** Fetches fresh credentials when `ICE_REFRESH_AT` of their remaining lifetime has passed. */
  _scheduleIceRefresh(delayMs = this._iceRefreshDelay()) {
    clearTimeout(this._iceRefreshTimer);
    this._iceRefreshTimer = undefined;
    this.iceRefreshAt = null;
    if (delayMs === null || this._ended) return;
    this.iceRefreshAt = Date.now() + delayMs;
    this._iceRefreshTimer = setTimeout(() => this._refreshOnSchedule(), delayMs);
  }

  _iceRefreshDelay() {
    if (this.iceExpiresAt === null) return null;
    const remaining = this.iceExpiresAt * 1000 - Date.now();
    // At least a few seconds (a clock that is off must not make it spin), at most what
    // setTimeout can wait.
    return Math.min(Math.max(remaining * ICE_REFRESH_AT, 5000), 2 ** 31 - 1);
  }

  async _refreshOnSchedule() {
    try {
      await this.refreshIceServers();
    } catch (err) {
      console.warn("[voice] refreshing the TURN credentials failed; trying again in 30 s:", err);
      this._scheduleIceRefresh(30_000);
      return;
    }
    // A call that goes through TURN keeps its allocation on the old credential, and TURN servers
    // refuse to refresh an allocation whose credential has expired: move those calls onto the
    // fresh one now, while both still work (an ICE restart keeps the old path until the new one
    // is up, so nothing is heard).
    for (const peer of this.peers.values()) {
      if (peer.state === "connected" && (await this._route(peer)).localType === "relay" && this._isCurrent(peer)) {
        console.info(`[voice] moving the relayed call with ${peer.userId} onto the fresh TURN credential`);
        peer.pc.restartIce();
      }
    }
  }

  /* ---- stats ------------------------------------------------------------------------------ */

  /** Reads round-trip time, loss and the route of every peer connection. */
  async _readStats() {
    for (const peer of [...this.peers.values()]) {
      if (!this._isCurrent(peer)) continue;
      try {
        const report = await peer.pc.getStats();
        if (!this._isCurrent(peer)) continue;
        let lost = 0;
        let received = 0;
        report.forEach((s) => {
          if (s.type === "inbound-rtp" && s.kind === "audio") {
            lost += s.packetsLost ?? 0;
            received += s.packetsReceived ?? 0;
          }
        });
        const route = selectedPair(report);
        const dLost = Math.max(0, lost - peer.lastCounts.lost);
        const dReceived = Math.max(0, received - peer.lastCounts.received);
        peer.lastCounts = { lost, received };
        peer.stats = {
          rttMs: route.rtt === null ? null : Math.round(route.rtt * 1000),
          lossPct: dLost + dReceived === 0 ? null : Math.round((1000 * dLost) / (dLost + dReceived)) / 10,
          localType: route.localType,
          remoteType: route.remoteType,
        };
        this._emit("stats", { userId: peer.userId, stats: peer.stats });
      } catch (err) {
        console.debug(`[voice] getStats for ${peer.userId} failed:`, err);
      }
    }
  }

  /** @param {Peer} peer */
  async _route(peer) {
    try {
      return selectedPair(await peer.pc.getStats());
    } catch {
      return { rtt: null, localType: null, remoteType: null };
    }
  }

  /* ---- status ----------------------------------------------------------------------------- */

  /** Connected unless a peer failed; back to connected when it recovers or leaves. */
  _refreshStatus() {
    if (this._ended || this.joinedAt === null) return;
    const failed = [...this.peers.values()].find((p) => p.state === "failed");
    this.failedPeer = failed ? failed.userId : null;
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
    this.failedPeer = null;
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

  /** Our mute/deafen changed: show it at once (our own entry), and tell the others. */
  _stateChanged() {
    if (this.userId) {
      const me = this.members.get(this.userId);
      if (me) this.members.set(this.userId, { ...me, muted: this.muted, deafened: this.deafened });
    }
    if (this.muted) {
      // Muted means silent: the others drop our ring when they see `member_updated`, and nothing
      // about our voice is sent while muted.
      this._localSpeaking = false;
      this._lastLoudAt = -Infinity;
      if (this.userId) this._setSpeaking(this.userId, false);
      clearTimeout(this._speakingSendTimer);
      this._speakingSendTimer = undefined;
      this._sentSpeaking = false;
    }
    this._emit("members", this.memberList());
    if (this.joinedAt !== null) this._send({ type: "state", muted: this.muted, deafened: this.deafened });
  }

  /**
   * Tells the others whether we speak: only when it changed since we last said, and at most once
   * per `VOICE_ACTIVITY.MIN_SEND_MS` (a change in between is sent when the time is up).
   */
  _sendSpeaking() {
    if (this.joinedAt === null || this._ended || this.muted) return;
    if (this._sentSpeaking === this._localSpeaking || (this._sentSpeaking === null && !this._localSpeaking)) return;
    const wait = this._sentSpeakingAt + VOICE_ACTIVITY.MIN_SEND_MS - performance.now();
    if (wait > 0) {
      if (this._speakingSendTimer === undefined) {
        this._speakingSendTimer = setTimeout(() => {
          this._speakingSendTimer = undefined;
          this._sendSpeaking();
        }, wait);
      }
      return;
    }
    this._sentSpeaking = this._localSpeaking;
    this._sentSpeakingAt = performance.now();
    this._send({ type: "speaking", speaking: this._localSpeaking });
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

  /* ---- the microphone and voice activity -------------------------------------------------- */

  /** @param {string | null} deviceId */
  _openMicrophone(deviceId) {
    const media = globalThis.navigator?.mediaDevices;
    if (!media?.getUserMedia) {
      return Promise.reject(new DOMException("no navigator.mediaDevices: the page needs HTTPS (or localhost)",
        "SecurityError"));
    }
    const audio = { ...this.audioConstraints };
    // `exact`: Chromium does not honour an `ideal` deviceId next to the processing constraints.
    if (deviceId) audio.deviceId = { exact: deviceId };
    return media.getUserMedia({ audio, video: false });
  }

  /** @param {MediaStream} stream */
  _useMicrophone(stream) {
    this.localStream = stream;
    this._applyMute();
    this._emit("microphone", { label: stream.getAudioTracks()[0]?.label ?? "" });
    const track = stream.getAudioTracks()[0];
    track?.addEventListener("ended", () => {
      if (this.localStream !== stream || this._ended) return;
      console.warn("[voice] the microphone went away; trying the default one");
      this.setMicrophone(null).catch((err) => console.error("[voice] no microphone left:", err));
    });
    this._startMeter(stream);
  }

  _startAudioContext() {
    const Context = globalThis.AudioContext;
    if (!Context) return;
    try {
      this._audioContext = new Context();
      // Resumed again by resumeAudio() if the browser still holds it back.
      this._audioContext.resume().catch(() => {});
    } catch (err) {
      console.warn("[voice] no AudioContext: no speaking indicator", err);
    }
  }

  /**
   * Measures the microphone's level every `VOICE_ACTIVITY.SAMPLE_MS`.
   * @param {MediaStream} stream
   */
  _startMeter(stream) {
    const ctx = this._audioContext;
    if (!ctx) return;
    this._meter?.source.disconnect();
    const source = ctx.createMediaStreamSource(stream);
    const analyser = ctx.createAnalyser();
    // ~43 ms of sound per reading at 48 kHz: nearly the whole time between two readings.
    analyser.fftSize = 2048;
    source.connect(analyser);
    this._meter = { source, analyser, samples: new Float32Array(analyser.fftSize) };
    if (this._meterTimer === undefined) {
      this._meterTimer = setInterval(() => this._sampleVoice(), VOICE_ACTIVITY.SAMPLE_MS);
    }
  }

  _sampleVoice() {
    const meter = this._meter;
    if (!meter || this._ended) return;
    meter.analyser.getFloatTimeDomainData(meter.samples);
    let sum = 0;
    for (const v of meter.samples) sum += v * v;
    const level = Math.sqrt(sum / meter.samples.length);
    const now = performance.now();
    const threshold = this._localSpeaking ? VOICE_ACTIVITY.KEEP : VOICE_ACTIVITY.START;
    if (!this.muted && level >= threshold) this._lastLoudAt = now;
    const speaking = !this.muted && now - this._lastLoudAt < VOICE_ACTIVITY.HANGOVER_MS;
    if (speaking === this._localSpeaking) return;
    this._localSpeaking = speaking;
    if (this.userId) this._setSpeaking(this.userId, speaking);
    this._sendSpeaking();
  }

  /**
   * @param {string} userId
   * @param {boolean} speaking
   */
  _setSpeaking(userId, speaking) {
    if (this.speaking.has(userId) === speaking) return;
    if (speaking) this.speaking.add(userId);
    else this.speaking.delete(userId);
    this._emit("speaking", { userId, speaking });
  }

  _applyMute() {
    if (!this.localStream) return;
    for (const track of this.localStream.getAudioTracks()) track.enabled = !this.muted;
  }

  _applyDeafen() {
    for (const peer of this.peers.values()) if (peer.audio) peer.audio.muted = this.deafened;
  }

  /* ---- remote audio ----------------------------------------------------------------------- */

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

  /**
   * Sends an element's sound to the chosen output. Only for an element with a stream: Chromium
   * aborts setSinkId on one whose MediaStream has no track yet.
   * @param {HTMLAudioElement} audio
   */
  async _applySink(audio) {
    if (!VoiceRoom.canChooseSpeaker()) return;
    const sink = this.speakerId ?? "";
    if (audio.sinkId === sink) return;
    try {
      await audio.setSinkId(sink);
    } catch (err) {
      console.warn(`[voice] cannot play on output ${sink || "default"}:`, err);
    }
  }

  /**
   * @param {HTMLAudioElement} audio
   * @param {string} userId
   */
  _play(audio, userId) {
    audio.play().then(
      () => { if (this.audioBlocked) this._setAudioBlocked(false); },
      (err) => {
        if (this._ended || audio.srcObject === null) return;
        if (err?.name !== "NotAllowedError") {
          console.debug(`[voice] playing ${userId}'s audio was interrupted:`, err);
          return;
        }
        console.warn(`[voice] the browser will not play ${userId}'s audio without a click:`, err);
        this._setAudioBlocked(true);
      },
    );
  }

  /** @param {boolean} blocked */
  _setAudioBlocked(blocked) {
    if (this.audioBlocked === blocked) return;
    this.audioBlocked = blocked;
    this._emit("audio", { blocked });
  }

  _audioElements() {
    const inUse = [...this.peers.values()].flatMap((p) => (p.audio ? [p.audio] : []));
    return [...inUse, ...this._audioPool];
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
    clearInterval(this._statsTimer);
    clearInterval(this._meterTimer);
    clearTimeout(this._iceRefreshTimer);
    clearTimeout(this._speakingSendTimer);
    this._pingTimer = this._statsTimer = this._meterTimer = this._iceRefreshTimer = undefined;
    this._speakingSendTimer = undefined;
    this.iceRefreshAt = null;
    for (const userId of [...this.peers.keys()]) this._closePeer(userId);
    for (const audio of this._audioPool.splice(0)) {
      audio.srcObject = null;
      audio.remove();
    }
    if (this.localStream) stopStream(this.localStream);
    this.localStream = null;
    this._meter?.source.disconnect();
    this._meter = null;
    this._audioContext?.close().catch(() => {});
    this._audioContext = null;
    this.speaking.clear();
    this._setAudioBlocked(false);
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  _emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/* ---- helpers -------------------------------------------------------------------------------- */

/** @param {MediaStream} stream */
function stopStream(stream) {
  for (const track of stream.getTracks()) track.stop();
}

/**
 * Why getUserMedia failed, as a reason the page can explain.
 * @param {unknown} err
 * @returns {"microphone_denied"|"microphone_missing"|"microphone_busy"|"microphone_unavailable"}
 */
export function microphoneFailure(err) {
  const name = /** @type {{name?: string}} */ (err)?.name;
  switch (name) {
    case "NotAllowedError":
      return "microphone_denied";
    case "NotFoundError":
    case "OverconstrainedError":
      return "microphone_missing";
    case "NotReadableError":
    case "AbortError":
      return "microphone_busy";
    default:
      return "microphone_unavailable";
  }
}

/**
 * The selected candidate pair of a stats report: its round-trip time (seconds) and the types of
 * its local and remote candidates (`host`, `srflx`, `prflx`, `relay`).
 * @param {RTCStatsReport} report
 */
export function selectedPair(report) {
  /** @type {any} */
  let pair = null;
  report.forEach((s) => {
    if (s.type === "transport" && s.selectedCandidatePairId) pair = report.get(s.selectedCandidatePairId) ?? pair;
  });
  if (!pair) {
    report.forEach((s) => {
      if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") pair = s;
    });
  }
  if (!pair) return { rtt: null, localType: null, remoteType: null };
  return {
    rtt: typeof pair.currentRoundTripTime === "number" ? pair.currentRoundTripTime : null,
    localType: report.get(pair.localCandidateId)?.candidateType ?? null,
    remoteType: report.get(pair.remoteCandidateId)?.candidateType ?? null,
  };
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
