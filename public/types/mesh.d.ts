// Generated from public/mesh.js by scripts/types.sh; do not edit.
/**
 * mesh.js — the call's peer connections: one `Peer` per other member, signals routed to them
 * (candidates that arrive before their peer are held), a member who comes back replaced or — when
 * their page kept its connection (v1.1 `media_kept`) — kept and repaired, the connections squared
 * with the members after our own socket resumed, and what the room asks of all of them at once
 * (fresh ICE servers, another microphone, stats).
 */
import { Peer } from "./peer.js";
export type SignalPayload = import("./protocol.js").SignalPayload;
export type IceServer = import("./protocol.js").IceServer;
export type MeshOptions = {
    /**
     * Our user id (the smaller id is polite).
     */
    selfId: () => string;
    iceTransportPolicy: RTCIceTransportPolicy;
    connectTimeoutMs: number;
    signal: (to: string, payload: SignalPayload) => void;
    emit: (type: "peer" | "stats", detail: object) => void;
    /**
     * A peer's state changed (the room's status may too).
     */
    changed: () => void;
    /**
     * Play (or stop) their audio.
     */
    audio: (userId: string, stream: MediaStream | null) => void;
    localStream: () => MediaStream | null;
    iceServers: () => IceServer[];
    refreshIceServers: () => Promise<void>;
};
/**
 * @typedef {Object} MeshOptions
 * @property {() => string} selfId                 Our user id (the smaller id is polite).
 * @property {RTCIceTransportPolicy} iceTransportPolicy
 * @property {number} connectTimeoutMs
 * @property {(to: string, payload: SignalPayload) => void} signal
 * @property {(type: "peer" | "stats", detail: object) => void} emit
 * @property {() => void} changed                  A peer's state changed (the room's status may too).
 * @property {(userId: string, stream: MediaStream | null) => void} audio  Play (or stop) their audio.
 * @property {() => MediaStream | null} localStream
 * @property {() => IceServer[]} iceServers
 * @property {() => Promise<void>} refreshIceServers
 */
export declare class Mesh {
    options: MeshOptions;
    /** @type {Map<string, Peer>} One peer connection per other member. */
    peers: Map<string, Peer>;
    /** @type {Map<string, RTCIceCandidateInit[]>} */
    orphanCandidates: Map<string, RTCIceCandidateInit[]>;
    /** @param {MeshOptions} options */
    constructor(options: MeshOptions);
    /**
     * A member joined (or came back on a new socket, so their end of our connection is dead): a
     * new peer connection, and we offer (adding the track fires `negotiationneeded`).
     * @param {string} userId
     */
    offerTo(userId: string): void;
    /**
     * `member_joined` for someone we may have a connection to: resume.js decides whether it is
     * kept, repaired or replaced (a new one, and we offer).
     * @param {string} userId
     * @param {import("./resume.js").PeerEvent} event
     */
    memberJoined(userId: string, event: import("./resume.js").PeerEvent): void;
    /**
     * Our socket resumed and `joined` lists `memberIds`: connections to members who left meanwhile
     * are closed, the kept ones checked, and members who joined while we were away (they offer to
     * no one, and we missed their `member_joined`) get an offer from us.
     * @param {string[]} memberIds
     */
    afterResume(memberIds: string[]): void;
    /**
     * @param {string} userId
     * @param {import("./resume.js").PeerAction} action
     */
    apply(userId: string, action: import("./resume.js").PeerAction): void;
    /**
     * Perfect negotiation happens in the peer; here a first offer makes the peer.
     * @param {string} from
     * @param {SignalPayload} payload
     */
    receive(from: string, payload: SignalPayload): Promise<void>;
    /** @param {string} userId */
    create(userId: string): Peer;
    /** @param {string} userId */
    close(userId: string): void;
    closeAll(): void;
    /** The first peer that counts as failed, if any (it makes the room `disconnected`). */
    failed(): Peer | undefined;
    /** @param {IceServer[]} servers */
    setIceServers(servers: IceServer[]): void;
    /** @param {MediaStreamTrack} track */
    replaceTrack(track: MediaStreamTrack): Promise<void>;
    /** Relayed calls move onto fresh TURN credentials while the old ones still work. */
    moveToFreshRelay(): Promise<void>;
    readStats(): void;
}
