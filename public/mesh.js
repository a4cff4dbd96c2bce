// @ts-check
/**
 * mesh.js — the call's peer connections: one `Peer` per other member, signals routed to them
 * (candidates that arrive before their peer are held), a member who comes back replaced, and
 * what the room asks of all of them at once (fresh ICE servers, another microphone, stats).
 */
import { Peer } from "./peer.js";

/** @typedef {import("./protocol.js").SignalPayload} SignalPayload */
/** @typedef {import("./protocol.js").IceServer} IceServer */

/** Candidates held per member we have no peer for yet; more are dropped. */
const MAX_ORPHAN_CANDIDATES = 64;

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

export class Mesh {
  /** @param {MeshOptions} options */
  constructor(options) {
    this.options = options;
    /** @type {Map<string, Peer>} One peer connection per other member. */
    this.peers = new Map();
    /** @type {Map<string, RTCIceCandidateInit[]>} */
    this.orphanCandidates = new Map();
  }

  /**
   * A member joined (or came back on a new socket, so their end of our connection is dead): a
   * new peer connection, and we offer (adding the track fires `negotiationneeded`).
   * @param {string} userId
   */
  offerTo(userId) {
    this.close(userId);
    this.create(userId).addLocalTrack();
  }

  /**
   * Perfect negotiation happens in the peer; here a first offer makes the peer.
   * @param {string} from
   * @param {SignalPayload} payload
   */
  async receive(from, payload) {
    if (!payload || typeof payload !== "object") return;
    let peer = this.peers.get(from);
    if (!peer && payload.sdp) {
      if (payload.sdp.type !== "offer") {
        console.debug(`[voice] ignoring an ${payload.sdp.type} from ${from}: no connection to them`);
        return;
      }
      peer = this.create(from);
    }
    if (peer) {
      await peer.receive(payload);
      return;
    }
    if (!payload.candidate) return;
    const held = this.orphanCandidates.get(from) ?? [];
    if (held.length < MAX_ORPHAN_CANDIDATES) held.push(payload.candidate);
    this.orphanCandidates.set(from, held);
  }

  /** @param {string} userId */
  create(userId) {
    const o = this.options;
    const peer = new Peer({
      userId,
      polite: o.selfId() < userId,
      iceTransportPolicy: o.iceTransportPolicy,
      connectTimeoutMs: o.connectTimeoutMs,
      pendingCandidates: this.orphanCandidates.get(userId),
      host: {
        signal: (payload) => o.signal(userId, payload),
        changed: (p) => {
          o.emit("peer", { userId, state: p.state, failure: p.failure });
          o.changed();
        },
        measured: (p) => o.emit("stats", { userId, stats: p.stats }),
        track: (_p, stream) => o.audio(userId, stream),
        localStream: o.localStream,
        iceServers: o.iceServers,
        refreshIceServers: o.refreshIceServers,
      },
    });
    this.orphanCandidates.delete(userId);
    this.peers.set(userId, peer);
    o.emit("peer", { userId, state: peer.state, failure: undefined });
    peer.start();
    return peer;
  }

  /** @param {string} userId */
  close(userId) {
    this.orphanCandidates.delete(userId);
    const peer = this.peers.get(userId);
    if (!peer) return;
    this.peers.delete(userId);
    peer.close();
    this.options.audio(userId, null);
    this.options.emit("peer", { userId, state: "closed", failure: undefined });
  }

  closeAll() {
    for (const userId of [...this.peers.keys()]) this.close(userId);
  }

  /** The first peer that counts as failed, if any (it makes the room `disconnected`). */
  failed() {
    return [...this.peers.values()].find((p) => p.state === "failed");
  }

  /** @param {IceServer[]} servers */
  setIceServers(servers) {
    for (const peer of this.peers.values()) peer.setIceServers(servers);
  }

  /** @param {MediaStreamTrack} track */
  async replaceTrack(track) {
    for (const peer of this.peers.values()) await peer.replaceTrack(track);
  }

  /** Relayed calls move onto fresh TURN credentials while the old ones still work. */
  async moveToFreshRelay() {
    for (const peer of [...this.peers.values()]) await peer.moveToFreshRelay();
  }

  readStats() {
    for (const peer of this.peers.values()) peer.readStats();
  }
}
