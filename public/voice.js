// @ts-check
/**
 * voice.js — one voice channel as a WebRTC audio mesh, signalled over the channel's WebSocket.
 * This is the module host applications import:
 *
 *     import { VoiceRoom } from "/voice.js";
 *     const room = new VoiceRoom({ channelId, token });
 *     button.onclick = () => room.join();        // from a user gesture
 *     room.addEventListener("status", (e) => show(e.detail.status));
 *
 * `VoiceRoom` orchestrates; each concern is its own module: protocol.js (messages, reasons),
 * socket.js and room-messages.js (the signalling socket, what each message does), resume.js (a
 * call that survives its socket: when and how to take the place back), mesh.js and
 * peer.js (the peer connections), ice.js (ICE servers and their refresh), microphone.js,
 * voice-activity.js and voice-state.js (capture, speaking, mute/deafen), input-mode.js and gate.js
 * (push-to-talk, the voice threshold: when the microphone is sent), audio-out.js (playback, each
 * member's volume), server-mute.js (a moderator's mute, ours and the others').
 * Host apps import this one file; what it imports is its own business.
 */
import { AudioOut } from "./audio-out.js";
import { IceConfig } from "./ice.js";
import { InputControl } from "./input-mode.js";
import { Microphone, microphoneFailure, stopStream } from "./microphone.js";
import { Mesh } from "./mesh.js";
import { CloseCode, socketUrl } from "./protocol.js";
import { DEFAULT_GRACE_SECS, resumeUrl } from "./resume.js";
import { roomHandlers, socketClosed } from "./room-messages.js";
import { OwnServerMute } from "./server-mute.js";
import { SignalSocket } from "./socket.js";
import { MutedTalk, Speakers } from "./voice-activity.js";
import { initialVoiceState, withDeafened, withMuted } from "./voice-state.js";

export { DEFAULT_GRACE_SECS, RESUME_BACKOFF, closeEndsCall } from "./resume.js";
export { CloseCode, PING, PING_INTERVAL_MS, SUBPROTOCOL, closeReason, socketUrl, subprotocols } from "./protocol.js";
export { VOICE_ACTIVITY } from "./voice-activity.js";
export { INPUT_MODES, PUSH_TO_TALK } from "./input-mode.js";
export { GATE } from "./gate.js";
export { ICE_REFRESH_AT } from "./ice.js";
export { microphoneFailure } from "./microphone.js";
export { selectedPair } from "./stats.js";
export { SERVER_MUTE } from "./server-mute.js";

/** @typedef {import("./protocol.js").Member} Member */
/** @typedef {import("./protocol.js").ServerMsg} ServerMsg */

/** @typedef {import("./voice-api.js").RoomStatus} RoomStatus */
/** @typedef {import("./voice-api.js").VoiceRoomOptions} VoiceRoomOptions */
// Its options, status and events are documented in voice-api.js.

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
    this.microphoneId = options.microphoneId ?? null;
    this.speakerId = options.speakerId ?? null;
    this.pingIntervalMs = options.pingIntervalMs;

    /** @type {RoomStatus} */
    this.status = "idle";
    /** Why the room is `disconnected` (a reason of protocol.js REASONS). */
    this.reason = /** @type {string | null} */ (null);
    /** The user id of the peer whose failure made the room `disconnected`, if that is why. */
    this.failedPeer = /** @type {string | null} */ (null);
    /** Our user id, from `joined`. */
    this.userId = /** @type {string | null} */ (null);
    /** @type {Map<string, Member>} Everyone in the channel, us included, in join order. */
    this.members = new Map();
    /** Our own mute and deafen (voice-state.js). */
    this.voice = initialVoiceState(options);
    /** A moderator's mute of us (v1.1; server-mute.js), and when its carry-over past a move ends. */
    this.ownServerMute = new OwnServerMute();
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.serverMuteTimer = undefined;
    /** performance.now() at `join()`, and when `joined` arrived (for measurements). */
    this.startedAt = 0;
    this.joinedAt = /** @type {number | null} */ (null);
    this.ended = false;
    /** Resuming after a dropped socket (status `connecting`, the call kept meanwhile). */
    this.reconnecting = false;
    /** What the last `status` event said about `reconnecting`. */
    this.emittedReconnecting = false;
    /** performance.now() when the socket dropped (null while it is up). */
    this.droppedAt = /** @type {number | null} */ (null);
    /** Resume tries since the drop. */
    this.resumeAttempt = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.resumeTimer = undefined;
    /** The server's grace period (`joined.grace_secs`): how long resuming may go on. */
    this.graceSecs = DEFAULT_GRACE_SECS;
    /** Voice sockets opened so far (the first join and every resume try). */
    this.socketOpens = 0;

    /** @type {SignalSocket<ServerMsg> | null} */
    this.socket = null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    this.statsTimer = undefined;
    /** @type {IceConfig} */
    this.ice = new IceConfig({
      baseUrl: this.baseUrl,
      token: this.token,
      onApplied: (servers, expiresAt) => {
        this.mesh.setIceServers(servers);
        this.emit("ice", { iceServers: servers, expiresAt });
      },
      onScheduledRefresh: () => this.mesh.moveToFreshRelay(),
    });
    this.audioOut = new AudioOut({
      channelId: this.channelId,
      parent: options.audioParent === undefined ? globalThis.document?.body ?? null : options.audioParent,
      speakerId: this.speakerId,
      onBlocked: (blocked) => this.emit("audio", { blocked }),
    });
    this.audioOut.deafened = this.voice.deafened;
    /** When the microphone is sent: the input mode, push-to-talk, the threshold, mute. */
    this.input = new InputControl({
      mode: options.inputMode,
      thresholdDbfs: options.voiceThreshold,
      muted: this.voice.muted,
      apply: (sending) => this.microphone.setEnabled(sending),
    });
    this.microphone = new Microphone({
      constraints: options.audioConstraints ?? { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
      onLevel: (level, now) => {
        if (this.ended) return;
        this.input.level(level, now);
        // The ring follows what is sent: no ring while the key is up or below the threshold.
        this.speakers.level(level, now, !this.input.sending, this.userId);
        this.mutedTalk.level(level, now, (this.muted || this.serverMuted) && !this.deafened);
      },
      onOpened: (label) => this.emit("microphone", { label }),
      onEnded: () => {
        if (this.ended) return;
        console.warn("[voice] the microphone went away; trying the default one");
        this.setMicrophone(null).catch((err) => console.error("[voice] no microphone left:", err));
      },
    });
    this.microphone.enabled = this.input.sending;
    this.mutedTalk = new MutedTalk((talking) => this.emit("talking_while_muted", { talking }));
    /** @type {Mesh} */
    this.mesh = new Mesh({
      selfId: () => this.userId ?? "",
      iceTransportPolicy: this.iceTransportPolicy,
      connectTimeoutMs: this.connectTimeoutMs,
      signal: (to, payload) => this.socket?.send({ type: "signal", to, payload }),
      emit: (type, detail) => this.emit(type, detail),
      changed: () => this.refreshStatus(),
      audio: (userId, stream) => (stream ? this.audioOut.attach(userId, stream) : this.audioOut.detach(userId)),
      localStream: () => this.localStream,
      iceServers: () => this.ice.servers,
      refreshIceServers: () => this.ice.refresh(),
    });
    this.speakers = new Speakers({
      emit: (userId, speaking) => this.emit("speaking", { userId, speaking }),
      send: (speaking) => this.socket?.send({ type: "speaking", speaking }),
      mayTell: () => this.joinedAt !== null && !this.ended && !this.muted && !this.serverMuted,
    });
  }

  /** One peer connection per other member (a Map of mesh.js `Peer`s). */
  get peers() { return this.mesh.peers; }
  /** Members speaking right now (others from `member_speaking`, us from the microphone). */
  get speaking() { return this.speakers.who; }
  get muted() { return this.voice.muted; }
  get deafened() { return this.voice.deafened; }
  /** Muted by a moderator (v1.1): nothing is sent until a moderator unmutes us; `setMuted` cannot. */
  get serverMuted() { return this.input.serverMuted; }
  get iceServers() { return this.ice.servers; }
  get iceExpiresAt() { return this.ice.expiresAt; }
  get iceRefreshAt() { return this.ice.refreshAt; }
  get localStream() { return this.microphone.stream; }
  get audioBlocked() { return this.audioOut.blocked; }

  /**
   * Joins the channel. Call it synchronously from a user gesture (a click or a key): the <audio>
   * elements are created and started here, so remote audio may play when it arrives. The
   * microphone comes first; the socket opens only once it is granted, so a refused microphone
   * never shows us in the channel.
   */
  join() {
    if (this.status !== "idle") throw new Error("a VoiceRoom joins once; make a new one");
    this.startedAt = performance.now();
    this.setStatus("connecting", null);
    this.audioOut.prime(this.audioPoolSize);
    this.microphone.openPreferred(this.microphoneId).then(
      ({ stream, deviceId }) => {
        if (this.ended) return stopStream(stream);
        this.microphoneId = deviceId;
        this.microphone.use(stream, this.audioOut.startContext());
        this.openSocket();
      },
      (err) => {
        if (this.ended) return;
        const why = microphoneFailure(err);
        console.error(`[voice] microphone unavailable (${why}), not joining:`, err);
        this.fail(why);
      },
    );
    return this;
  }

  /**
   * Leaves the channel: tells the server, closes every peer connection, releases the mic.
   * `to`: the channel you are switching to (v1.1: told to the server, whose webhooks then say one
   * `member.moved`); join it with a new VoiceRoom right after.
   * @param {{to?: string}} [options]
   */
  leave(options = {}) {
    if (this.ended && this.status === "left") return;
    // Between resume tries there is no socket to say goodbye on: open one for it, so the others
    // see us go now rather than when the grace period ends (it sends `leave` once open).
    if (this.reconnecting && !this.ended && !this.socket) this.openSocket();
    this.ended = true;
    this.reconnecting = false;
    const to = typeof options?.to === "string" && options.to ? options.to : null;
    this.socket?.close(CloseCode.NORMAL, to ? { type: "leave", to } : { type: "leave" });
    this.teardown();
    this.setStatus("left", null);
  }

  /** Mutes or unmutes the microphone and tells the others (unmuting undeafens too). */
  setMuted(/** @type {boolean} */ muted) {
    this.setVoiceState(withMuted(this.voice, muted));
  }

  /** Deafens (which mutes too) or undeafens (back to the mute we had), and tells the others. */
  setDeafened(/** @type {boolean} */ deafened) {
    this.setVoiceState(withDeafened(this.voice, deafened));
  }

  /** @param {import("./voice-state.js").VoiceState} next */
  setVoiceState(next) {
    const changed = next.muted !== this.muted || next.deafened !== this.deafened;
    this.voice = next;
    if (!changed) return;
    this.audioOut.setDeafened(next.deafened);
    this.input.setMuted(next.muted);
    this.stateChanged();
  }

  /** "voice_activity" (sent while the level passes the threshold) or "push_to_talk". */
  setInputMode(/** @type {import("./input-mode.js").InputMode} */ mode) {
    this.input.setMode(mode);
  }

  /** Push-to-talk held (true) or released (sent for RELEASE_MS more); a host app's hotkey calls it. */
  setPushToTalk(/** @type {boolean} */ pressed) {
    this.input.setPushToTalk(pressed);
  }

  /** Voice activity's threshold in dBFS (-100..0): below it the others hear silence. */
  setVoiceThreshold(/** @type {number} */ dbfs) {
    this.input.setThreshold(dbfs);
  }

  /** A member's volume in this browser only: 0 (silent) to 2 (200 %). */
  setMemberVolume(/** @type {string} */ userId, /** @type {number} */ gain) {
    this.audioOut.setVolume(userId, gain);
  }

  /** Mutes a member for this browser only (the others still hear them). */
  setMemberMuted(/** @type {string} */ userId, /** @type {boolean} */ muted) {
    this.audioOut.setMemberMuted(userId, muted);
  }

  /**
   * Noise suppression, echo cancellation and automatic gain, applied to the microphone in use
   * (applyConstraints; a browser that does not change them live gets the microphone reopened with
   * them, swapped in without renegotiating) and to every microphone opened later.
   * @param {{echoCancellation?: boolean, noiseSuppression?: boolean, autoGainControl?: boolean}} processing
   */
  async setAudioProcessing(processing) {
    if (await this.microphone.applyProcessing(processing)) return;
    await this.setMicrophone(this.microphoneId);
  }

  get inputMode() { return this.input.mode; }
  get voiceThreshold() { return this.input.gate.threshold; }
  /** Whether our microphone is sent right now (not muted, key held or gate open). */
  get sending() { return this.input.sending; }
  /** The microphone's last level reading (RMS 0..1), sent or not. */
  get inputLevel() { return this.microphone.lastLevel; }

  /**
   * Switches the microphone (a deviceId, or null for the default) without renegotiating: the
   * new track replaces the old one on every peer connection. Rejects if the device cannot be
   * opened (the old one keeps working).
   */
  async setMicrophone(/** @type {string | null} */ deviceId) {
    this.microphoneId = deviceId;
    if (!this.localStream || this.ended) return;
    const stream = await this.microphone.open(deviceId);
    if (this.ended) return stopStream(stream);
    const track = stream.getAudioTracks()[0];
    await this.mesh.replaceTrack(track);
    this.microphone.use(stream, this.audioOut.context);
  }

  /** Plays remote audio on another output device (where the browser has setSinkId). */
  async setSpeaker(/** @type {string | null} */ deviceId) {
    this.speakerId = deviceId;
    await this.audioOut.setSpeaker(deviceId);
  }

  /** Whether this browser can choose the audio output. */
  static canChooseSpeaker() {
    return AudioOut.canChooseSpeaker();
  }

  /** Starts remote audio the browser held back (autoplay policy): call it from a click. */
  resumeAudio() {
    return this.audioOut.resume();
  }

  /** Joined and not over: the members listed are the call's, with peer connections to them. */
  get inCall() {
    return this.joinedAt !== null && !this.ended;
  }

  /** The members as a list, in join order. */
  memberList() {
    return [...this.members.values()];
  }

  /** Whether `userId` is speaking (our own from the microphone, at once). */
  isSpeaking(/** @type {string} */ userId) {
    return this.speaking.has(userId);
  }

  /** Fetches fresh ICE servers and applies them to every peer connection. */
  refreshIceServers() {
    return this.ice.refresh();
  }

  /* ---- the signalling socket (what each message does: room-messages.js) --------------------- */

  openSocket() {
    let url = socketUrl(`/api/channels/${encodeURIComponent(this.channelId)}/voice`, this.baseUrl);
    if (this.reconnecting && this.sessionId) url = resumeUrl(url, this.sessionId);
    else if (this.sessionId) url.searchParams.set("session", this.sessionId);
    this.socketOpens += 1;
    this.socket = new SignalSocket({
      url,
      token: this.token,
      log: "voice",
      pingMs: this.pingIntervalMs,
      handlers: roomHandlers(this),
      onClose: (code, reason) => socketClosed(this, code, reason),
    }).open();
  }

  /* ---- status ----------------------------------------------------------------------------- */

  /** Connected unless a peer failed; back to connected when it recovers or leaves. */
  refreshStatus() {
    if (this.ended || this.joinedAt === null || this.reconnecting) return;
    const failed = this.mesh.failed();
    this.failedPeer = failed ? failed.userId : null;
    if (failed) this.setStatus("disconnected", failed.failure ?? "connection_failed");
    else this.setStatus("connected", null);
  }

  /**
   * @param {RoomStatus} status
   * @param {string | null} reason
   */
  setStatus(status, reason) {
    const reconnecting = status === "connecting" && this.reconnecting;
    if (this.status === status && this.reason === reason && this.emittedReconnecting === reconnecting) return;
    this.status = status;
    this.reason = reason;
    this.emittedReconnecting = reconnecting;
    this.emit("status", { status, reason, reconnecting });
  }

  /** @param {string} reason */
  fail(reason) {
    this.ended = true;
    this.reconnecting = false;
    this.failedPeer = null;
    this.teardown();
    this.setStatus("disconnected", reason);
  }

  /* ---- our own state ---------------------------------------------------------------------- */

  /** Our mute/deafen changed: show it at once (our own entry), and tell the others. */
  stateChanged() {
    const me = this.userId ? this.members.get(this.userId) : undefined;
    if (me) this.members.set(me.id, { ...me, muted: this.muted, deafened: this.deafened });
    // The others drop our ring when they see `member_updated`.
    if (this.muted) this.speakers.muted(this.userId);
    this.emit("members", this.memberList());
    if (this.joinedAt !== null) this.socket?.send({ type: "state", muted: this.muted, deafened: this.deafened });
  }

  /** Stops resuming and reading stats (the call ends, or follows a move elsewhere). */
  stopTimers() {
    clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    clearInterval(this.statsTimer);
    this.statsTimer = undefined;
  }

  teardown() {
    clearTimeout(this.serverMuteTimer);
    this.serverMuteTimer = undefined;
    this.stopTimers();
    this.speakers.stop();
    this.input.stop();
    this.ice.stop();
    this.mesh.closeAll();
    this.microphone.stop();
    this.audioOut.stop();
  }

  /**
   * @param {string} type
   * @param {unknown} detail
   */
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
