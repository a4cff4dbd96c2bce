// Generated from public/voice.js by scripts/types.sh; do not edit.
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
import { Microphone } from "./microphone.js";
import { Mesh } from "./mesh.js";
import { OwnServerMute } from "./server-mute.js";
import { SignalSocket } from "./socket.js";
import { MutedTalk, Speakers } from "./voice-activity.js";
export { DEFAULT_GRACE_SECS, RESUME_BACKOFF, closeEndsCall } from "./resume.js";
export { CloseCode, PING, PING_INTERVAL_MS, SUBPROTOCOL, closeReason, socketUrl, subprotocols } from "./protocol.js";
export { VOICE_ACTIVITY } from "./voice-activity.js";
export { INPUT_MODES, PUSH_TO_TALK } from "./input-mode.js";
export { GATE } from "./gate.js";
export { ICE_REFRESH_AT } from "./ice.js";
export { microphoneFailure } from "./microphone.js";
export { selectedPair } from "./stats.js";
export { SERVER_MUTE } from "./server-mute.js";
export type Member = import("./protocol.js").Member;
export type ServerMsg = import("./protocol.js").ServerMsg;
export type RoomStatus = import("./voice-api.js").RoomStatus;
export type VoiceRoomOptions = import("./voice-api.js").VoiceRoomOptions;
/** @typedef {import("./protocol.js").Member} Member */
/** @typedef {import("./protocol.js").ServerMsg} ServerMsg */
/** @typedef {import("./voice-api.js").RoomStatus} RoomStatus */
/** @typedef {import("./voice-api.js").VoiceRoomOptions} VoiceRoomOptions */
export declare class VoiceRoom extends EventTarget {
    channelId: string;
    token: string;
    baseUrl: string | URL;
    /** The `session_id` presented when joining; replaced by the server's once joined. */
    sessionId: string | null;
    iceTransportPolicy: RTCIceTransportPolicy;
    connectTimeoutMs: number;
    audioPoolSize: number;
    microphoneId: string | null;
    speakerId: string | null;
    pingIntervalMs: number | undefined;
    /** @type {RoomStatus} */
    status: RoomStatus;
    /** Why the room is `disconnected` (a reason of protocol.js REASONS). */
    reason: string | null;
    /** The user id of the peer whose failure made the room `disconnected`, if that is why. */
    failedPeer: string | null;
    /** Our user id, from `joined`. */
    userId: string | null;
    /** @type {Map<string, Member>} Everyone in the channel, us included, in join order. */
    members: Map<string, Member>;
    /** Our own mute and deafen (voice-state.js). */
    voice: import("./voice-state.js").VoiceState;
    /** A moderator's mute of us (v1.1; server-mute.js), and when its carry-over past a move ends. */
    ownServerMute: OwnServerMute;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    serverMuteTimer: ReturnType<typeof setTimeout> | undefined;
    /** performance.now() at `join()`, and when `joined` arrived (for measurements). */
    startedAt: number;
    joinedAt: number | null;
    ended: boolean;
    /** Resuming after a dropped socket (status `connecting`, the call kept meanwhile). */
    reconnecting: boolean;
    /** What the last `status` event said about `reconnecting`. */
    emittedReconnecting: boolean;
    /** performance.now() when the socket dropped (null while it is up). */
    droppedAt: number | null;
    /** Resume tries since the drop. */
    resumeAttempt: number;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    resumeTimer: ReturnType<typeof setTimeout> | undefined;
    /** The server's grace period (`joined.grace_secs`): how long resuming may go on. */
    graceSecs: number;
    /** Voice sockets opened so far (the first join and every resume try). */
    socketOpens: number;
    /** @type {SignalSocket<ServerMsg> | null} */
    socket: SignalSocket<ServerMsg> | null;
    /** @type {ReturnType<typeof setInterval> | undefined} */
    statsTimer: ReturnType<typeof setInterval> | undefined;
    /** @type {IceConfig} */
    ice: IceConfig;
    audioOut: AudioOut;
    /** When the microphone is sent: the input mode, push-to-talk, the threshold, mute. */
    input: InputControl;
    microphone: Microphone;
    mutedTalk: MutedTalk;
    /** @type {Mesh} */
    mesh: Mesh;
    speakers: Speakers;
    /** @param {VoiceRoomOptions} options */
    constructor(options: VoiceRoomOptions);
    /** One peer connection per other member (a Map of mesh.js `Peer`s). */
    get peers(): Map<string, import("./peer.js").Peer>;
    /** Members speaking right now (others from `member_speaking`, us from the microphone). */
    get speaking(): Set<string>;
    get muted(): boolean;
    get deafened(): boolean;
    /** Muted by a moderator (v1.1): nothing is sent until a moderator unmutes us; `setMuted` cannot. */
    get serverMuted(): boolean;
    get iceServers(): import("./protocol.js").IceServer[];
    get iceExpiresAt(): number | null;
    get iceRefreshAt(): number | null;
    get localStream(): MediaStream | null;
    get audioBlocked(): boolean;
    /**
     * Joins the channel. Call it synchronously from a user gesture (a click or a key): the <audio>
     * elements are created and started here, so remote audio may play when it arrives. The
     * microphone comes first; the socket opens only once it is granted, so a refused microphone
     * never shows us in the channel.
     */
    join(): this;
    /**
     * Leaves the channel: tells the server, closes every peer connection, releases the mic.
     * `to`: the channel you are switching to (v1.1: told to the server, whose webhooks then say one
     * `member.moved`); join it with a new VoiceRoom right after.
     * @param {{to?: string}} [options]
     */
    leave(options?: {
        to?: string;
    }): void;
    /** Mutes or unmutes the microphone and tells the others (unmuting undeafens too). */
    setMuted(/** @type {boolean} */ muted: boolean): void;
    /** Deafens (which mutes too) or undeafens (back to the mute we had), and tells the others. */
    setDeafened(/** @type {boolean} */ deafened: boolean): void;
    /** @param {import("./voice-state.js").VoiceState} next */
    setVoiceState(next: import("./voice-state.js").VoiceState): void;
    /** "voice_activity" (sent while the level passes the threshold) or "push_to_talk". */
    setInputMode(/** @type {import("./input-mode.js").InputMode} */ mode: import("./input-mode.js").InputMode): void;
    /** Push-to-talk held (true) or released (sent for RELEASE_MS more); a host app's hotkey calls it. */
    setPushToTalk(/** @type {boolean} */ pressed: boolean): void;
    /** Voice activity's threshold in dBFS (-100..0): below it the others hear silence. */
    setVoiceThreshold(/** @type {number} */ dbfs: number): void;
    /** A member's volume in this browser only: 0 (silent) to 2 (200 %). */
    setMemberVolume(/** @type {string} */ userId: string, /** @type {number} */ gain: number): void;
    /** Mutes a member for this browser only (the others still hear them). */
    setMemberMuted(/** @type {string} */ userId: string, /** @type {boolean} */ muted: boolean): void;
    /**
     * Noise suppression, echo cancellation and automatic gain, applied to the microphone in use
     * (applyConstraints; a browser that does not change them live gets the microphone reopened with
     * them, swapped in without renegotiating) and to every microphone opened later.
     * @param {{echoCancellation?: boolean, noiseSuppression?: boolean, autoGainControl?: boolean}} processing
     */
    setAudioProcessing(processing: {
        echoCancellation?: boolean;
        noiseSuppression?: boolean;
        autoGainControl?: boolean;
    }): Promise<void>;
    get inputMode(): import("./input-mode.js").InputMode;
    get voiceThreshold(): number;
    /** Whether our microphone is sent right now (not muted, key held or gate open). */
    get sending(): boolean;
    /** The microphone's last level reading (RMS 0..1), sent or not. */
    get inputLevel(): number;
    /**
     * Switches the microphone (a deviceId, or null for the default) without renegotiating: the
     * new track replaces the old one on every peer connection. Rejects if the device cannot be
     * opened (the old one keeps working).
     */
    setMicrophone(/** @type {string | null} */ deviceId: string | null): Promise<void>;
    /** Plays remote audio on another output device (where the browser has setSinkId). */
    setSpeaker(/** @type {string | null} */ deviceId: string | null): Promise<void>;
    /** Whether this browser can choose the audio output. */
    static canChooseSpeaker(): boolean;
    /** Starts remote audio the browser held back (autoplay policy): call it from a click. */
    resumeAudio(): Promise<boolean>;
    /** Joined and not over: the members listed are the call's, with peer connections to them. */
    get inCall(): boolean;
    /** The members as a list, in join order. */
    memberList(): import("./protocol.js").Member[];
    /** Whether `userId` is speaking (our own from the microphone, at once). */
    isSpeaking(/** @type {string} */ userId: string): boolean;
    /** Fetches fresh ICE servers and applies them to every peer connection. */
    refreshIceServers(): Promise<void>;
    openSocket(): void;
    /** Connected unless a peer failed; back to connected when it recovers or leaves. */
    refreshStatus(): void;
    /**
     * @param {RoomStatus} status
     * @param {string | null} reason
     */
    setStatus(status: RoomStatus, reason: string | null): void;
    /** @param {string} reason */
    fail(reason: string): void;
    /** Our mute/deafen changed: show it at once (our own entry), and tell the others. */
    stateChanged(): void;
    /** Stops resuming and reading stats (the call ends, or follows a move elsewhere). */
    stopTimers(): void;
    teardown(): void;
    /**
     * @param {string} type
     * @param {unknown} detail
     */
    emit(type: string, detail: unknown): void;
}
