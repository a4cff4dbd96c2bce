// Generated from public/peer.js by scripts/types.sh; do not edit.
export type IceServer = import("./protocol.js").IceServer;
export type SignalPayload = import("./protocol.js").SignalPayload;
export type PeerState = "connecting" | "connected" | "failed";
export type PeerStats = import("./stats.js").PeerStats;
export type PeerHost = {
    /**
     * Send to this member.
     */
    signal: (payload: SignalPayload) => void;
    /**
     * `state` or `failure` changed.
     */
    changed: (peer: Peer) => void;
    /**
     * `stats` were read.
     */
    measured: (peer: Peer) => void;
    /**
     * Their audio arrived.
     */
    track: (peer: Peer, stream: MediaStream) => void;
    /**
     * An answer could not be applied (their side is another
     * connection now): the mesh replaces this one.
     */
    broken?: (peer: Peer) => void;
    localStream: () => MediaStream | null;
    iceServers: () => IceServer[];
    refreshIceServers: () => Promise<void>;
};
export type PeerOptions = {
    userId: string;
    polite: boolean;
    host: PeerHost;
    iceTransportPolicy: RTCIceTransportPolicy;
    /**
     * A peer not connected after this long counts as failed.
     */
    connectTimeoutMs: number;
    /**
     * Arrived before the peer existed.
     */
    pendingCandidates?: RTCIceCandidateInit[];
    /**
     * (tests)
     */
    createConnection?: (config: RTCConfiguration) => RTCPeerConnection;
};
/** @typedef {import("./protocol.js").IceServer} IceServer */
/** @typedef {import("./protocol.js").SignalPayload} SignalPayload */
/**
 * What a peer connection is to the page: `connecting` until ICE and DTLS are up, `connected`,
 * or `failed` (ICE failed, no candidate could be gathered, or it did not connect in time) —
 * a failed peer is restarted (ICE restart with fresh credentials) until it recovers or leaves.
 * @typedef {"connecting"|"connected"|"failed"} PeerState
 */
/** @typedef {import("./stats.js").PeerStats} PeerStats */
/**
 * What a Peer needs from the room it belongs to.
 * @typedef {Object} PeerHost
 * @property {(payload: SignalPayload) => void} signal   Send to this member.
 * @property {(peer: Peer) => void} changed             `state` or `failure` changed.
 * @property {(peer: Peer) => void} measured            `stats` were read.
 * @property {(peer: Peer, stream: MediaStream) => void} track  Their audio arrived.
 * @property {(peer: Peer) => void} [broken]  An answer could not be applied (their side is another
 *   connection now): the mesh replaces this one.
 * @property {() => MediaStream | null} localStream
 * @property {() => IceServer[]} iceServers
 * @property {() => Promise<void>} refreshIceServers
 */
/**
 * @typedef {Object} PeerOptions
 * @property {string} userId
 * @property {boolean} polite
 * @property {PeerHost} host
 * @property {RTCIceTransportPolicy} iceTransportPolicy
 * @property {number} connectTimeoutMs   A peer not connected after this long counts as failed.
 * @property {RTCIceCandidateInit[]} [pendingCandidates]  Arrived before the peer existed.
 * @property {(config: RTCConfiguration) => RTCPeerConnection} [createConnection]  (tests)
 */
/**
 * Perfect negotiation (W3C WebRTC example): does a description from the other side collide with
 * ours, and do we ignore it? The impolite side ignores a colliding offer; the polite one accepts
 * it (setRemoteDescription rolls its own offer back).
 * @param {RTCSdpType} type
 * @param {{polite: boolean, makingOffer: boolean, signalingState: RTCSignalingState}} side
 */
export declare function negotiation(type: RTCSdpType, side: {
    polite: boolean;
    makingOffer: boolean;
    signalingState: RTCSignalingState;
}): {
    collision: boolean;
    ignore: boolean;
};
export declare class Peer {
    userId: string;
    host: PeerHost;
    iceTransportPolicy: RTCIceTransportPolicy;
    connectTimeoutMs: number;
    pc: RTCPeerConnection;
    pcId: number;
    /** Yields when both sides offer at once (smaller user id). */
    polite: boolean;
    /** An offer of ours is in flight. */
    makingOffer: boolean;
    /** We (impolite) ignored a colliding offer: its candidates are expected to fail. */
    ignoreOffer: boolean;
    /** @type {PeerState} */
    state: PeerState;
    /** @type {string | undefined} Why it counts as failed. */
    failure: string | undefined;
    /** @type {RTCIceCandidateInit[]} Held until the remote description is set. */
    pendingCandidates: RTCIceCandidateInit[];
    /** Gathered in this ICE generation; none at "complete" = stuck. */
    localCandidates: number;
    /** @type {Set<string>} TURN URLs (query stripped) that reported an error. */
    refusedIceServers: Set<string>;
    /** ICE restarts since it last was connected. */
    restarts: number;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    restartTimer: ReturnType<typeof setTimeout> | undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    connectTimer: ReturnType<typeof setTimeout> | undefined;
    /** @type {PeerStats} */
    stats: PeerStats;
    /** For the loss of the last interval. */
    lastCounts: {
        lost: number;
        received: number;
    };
    createdAt: number;
    /** performance.now() when first `connected`. */
    connectedAt: number | null;
    closed: boolean;
    /** @param {PeerOptions} options */
    constructor(options: PeerOptions);
    /** Starts the clock on connecting (call once the room lists this peer). */
    start(): void;
    listen(): void;
    sendDescription(): void;
    /**
     * A signal from this member: a description (perfect negotiation) and/or a candidate.
     * @param {SignalPayload} payload
     */
    receive(payload: SignalPayload): Promise<void>;
    /** @param {RTCSessionDescriptionInit} description */
    receiveDescription(description: RTCSessionDescriptionInit): Promise<void>;
    /** @param {RTCIceCandidateInit} candidate */
    addCandidate(candidate: RTCIceCandidateInit): Promise<void>;
    /**
     * Sends our microphone on this connection. For the side that offers this is what fires
     * `negotiationneeded`; the side that answers calls it after the offer.
     */
    addLocalTrack(): void;
    /** Another microphone, without renegotiating. @param {MediaStreamTrack} track */
    replaceTrack(track: MediaStreamTrack): Promise<void>;
    /** @param {IceServer[]} servers */
    setIceServers(servers: IceServer[]): void;
    /** Relay-only with no TURN server: Chromium gathers forever and never says it failed. */
    checkRelay(): void;
    /**
     * A peer with no local candidate can never connect, and Chromium does not say so: with every
     * TURN credential refused it reports `icecandidateerror`s (401) and stays at "new" (gathering
     * never completes under a relay-only policy). Count that as failed rather than waiting.
     */
    checkCandidates(): void;
    onConnectionState(): void;
    armConnectTimer(): void;
    /**
     * The connection is down: show it, and schedule an ICE restart (again and again, with a
     * growing wait, until it is connected or the member leaves).
     * @param {string} why
     */
    markFailed(why: string): void;
    /**
     * ICE restart: fresh credentials first (the old ones may be what failed), then `restartIce()`,
     * which fires `negotiationneeded` — perfect negotiation sorts out both sides restarting at once.
     */
    restartAfterFailure(): Promise<void>;
    /**
     * A call through TURN keeps its allocation on the old credential, and TURN servers refuse to
     * refresh an allocation whose credential has expired: move it onto the fresh one now, while
     * both still work (an ICE restart keeps the old path until the new one is up).
     */
    moveToFreshRelay(): Promise<void>;
    /** What resume.js peerAction looks at. @returns {import("./resume.js").PeerHealth} */
    health(): import("./resume.js").PeerHealth;
    /**
     * Repairs a kept connection after a resume (signals may have been lost while a socket was
     * away): `renegotiate` rolls back an offer that may never have arrived and offers again;
     * both restart ICE, so fresh candidates go over the live socket.
     * @param {"restart_ice" | "renegotiate"} action
     */
    heal(action: "restart_ice" | "renegotiate"): Promise<void>;
    clearTimers(): void;
    close(): void;
    /** Reads round-trip time, loss and the route. */
    readStats(): Promise<void>;
    route(): Promise<{
        rtt: any;
        localType: any;
        remoteType: any;
    }>;
}
