// @ts-check
/**
 * mesh.js — the call's peer connections: one `Peer` per other member, signals routed to them
 * (candidates that arrive before their peer are held), a member who comes back replaced or — when
 * their page kept its connection (v1.1 `media_kept`) — kept and repaired, the connections squared
 * with the members after our own socket resumed, and what the room asks of all of them at once
 * (fresh ICE servers, another microphone, stats).
 */
import { Peer } from "./peer.js";
import { fromAnotherConnection, peerAction } from "./resume.js";

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
   * `member_joined` for someone we may have a connection to: resume.js decides whether it is
   * kept, repaired or replaced (a new one, and we offer).
   * @param {string} userId
   * @param {import("./resume.js").PeerEvent} event
   */
  memberJoined(userId, event) {
    const peer = this.peers.get(userId);
    this.apply(userId, peer ? peerAction(peer.health(), event) : "replace");
  }

  /**
   * Our socket resumed and `joined` lists `memberIds`: connections to members who left meanwhile
   * are closed, the kept ones checked, and members who joined while we were away (they offer to
   * no one, and we missed their `member_joined`) get an offer from us.
   * @param {string[]} memberIds
   */
  afterResume(memberIds) {
    const self = this.options.selfId();
    for (const userId of [...this.peers.keys()]) {
      if (!memberIds.includes(userId)) this.close(userId);
    }
    for (const userId of memberIds) {
      if (userId === self) continue;
      const peer = this.peers.get(userId);
      this.apply(userId, peer ? peerAction(peer.health(), "we_resumed") : "replace");
    }
  }

  /**
   * @param {string} userId
   * @param {import("./resume.js").PeerAction} action
   */
  apply(userId, action) {
    if (action === "replace") this.offerTo(userId);
    else if (action !== "keep") this.peers.get(userId)?.heal(action);
  }

  /**
   * Perfect negotiation happens in the peer; here a first offer makes the peer.
   * @param {string} from
   * @param {SignalPayload} payload
   */
  async receive(from, payload) {
    if (!payload || typeof payload !== "object") return;
    let peer = this.peers.get(from);
    if (peer && payload.sdp?.type === "offer" && fromAnotherConnection(peer.pc.remoteDescription?.sdp, payload.sdp.sdp)) {
      // They made a new RTCPeerConnection (a client that rebuilds on resume): so do we.
      console.info(`[voice] ${from} offers from a new connection; replacing ours`);
      this.close(from);
      peer = undefined;
    }
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
        broken: (p) => { if (this.peers.get(userId) === p) this.offerTo(userId); },
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
