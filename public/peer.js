// @ts-check
/**
 * peer.js — one RTCPeerConnection of the mesh, to one other member, and everything that keeps it
 * up: perfect negotiation (the member with the smaller user id is polite), candidates held until
 * the remote description is set, a failure noticed even where Chromium never says `failed`, ICE
 * restarts with fresh credentials (at once, then 1, 2, 4, 8 s), round-trip time and loss.
 * The negotiation decision is a plain function (`negotiation`) Node can test; stats.js reads getStats.
 */
import { localDescription } from "./audio-codec.js";
import { iceRestartDelay } from "./backoff.js";
import { stripQuery, turnUrls } from "./ice.js";
import { lossSince, selectedPair } from "./stats.js";

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
export function negotiation(type, side) {
  const collision = type === "offer" && (side.makingOffer || side.signalingState !== "stable");
  return { collision, ignore: collision && !side.polite };
}

/** Numbers each RTCPeerConnection made by this page (the debug snapshot's `pcId`). */
let connectionsMade = 0;

export class Peer {
  /** @param {PeerOptions} options */
  constructor(options) {
    this.userId = options.userId;
    this.host = options.host;
    this.iceTransportPolicy = options.iceTransportPolicy;
    this.connectTimeoutMs = options.connectTimeoutMs;
    const create = options.createConnection ?? ((config) => new RTCPeerConnection(config));
    this.pc = create({
      iceServers: /** @type {RTCIceServer[]} */ (this.host.iceServers()),
      iceTransportPolicy: this.iceTransportPolicy,
    });
    this.pcId = ++connectionsMade;
    /** Yields when both sides offer at once (smaller user id). */
    this.polite = options.polite;
    /** An offer of ours is in flight. */
    this.makingOffer = false;
    /** We (impolite) ignored a colliding offer: its candidates are expected to fail. */
    this.ignoreOffer = false;
    /** @type {PeerState} */
    this.state = "connecting";
    /** @type {string | undefined} Why it counts as failed. */
    this.failure = undefined;
    /** @type {RTCIceCandidateInit[]} Held until the remote description is set. */
    this.pendingCandidates = options.pendingCandidates ?? [];
    /** Gathered in this ICE generation; none at "complete" = stuck. */
    this.localCandidates = 0;
    /** @type {Set<string>} TURN URLs (query stripped) that reported an error. */
    this.refusedIceServers = new Set();
    /** ICE restarts since it last was connected. */
    this.restarts = 0;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.restartTimer = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.connectTimer = undefined;
    /** @type {PeerStats} */
    this.stats = { rttMs: null, lossPct: null, localType: null, remoteType: null };
    /** For the loss of the last interval. */
    this.lastCounts = { lost: 0, received: 0 };
    this.createdAt = performance.now();
    /** performance.now() when first `connected`. */
    this.connectedAt = /** @type {number | null} */ (null);
    this.closed = false;
    this.listen();
  }

  /** Starts the clock on connecting (call once the room lists this peer). */
  start() {
    this.armConnectTimer();
    this.checkRelay();
  }

  listen() {
    const pc = this.pc;
    pc.addEventListener("negotiationneeded", async () => {
      if (this.closed) return;
      try {
        this.makingOffer = true;
        await pc.setLocalDescription(await localDescription(pc));
        if (this.closed) return;
        this.sendDescription();
      } catch (err) {
        console.warn(`[voice] making an offer to ${this.userId} failed:`, err);
      } finally {
        this.makingOffer = false;
      }
    });
    pc.addEventListener("icecandidate", (event) => {
      if (this.closed || !event.candidate) return;
      this.localCandidates += 1;
      this.host.signal({ candidate: event.candidate.toJSON() });
    });
    pc.addEventListener("icecandidateerror", (event) => {
      const e = /** @type {RTCPeerConnectionIceErrorEvent} */ (event);
      console.warn(`[voice] ICE server ${e.url} refused us for ${this.userId}: ${e.errorCode} ${e.errorText}`);
      if (this.closed || !e.url) return;
      this.refusedIceServers.add(stripQuery(e.url));
      this.checkCandidates();
    });
    pc.addEventListener("icegatheringstatechange", () => {
      if (!this.closed) this.checkCandidates();
    });
    pc.addEventListener("connectionstatechange", () => this.onConnectionState());
    pc.addEventListener("track", (event) => {
      if (this.closed) return;
      const e = /** @type {RTCTrackEvent} */ (event);
      this.host.track(this, e.streams[0] ?? new MediaStream([e.track]));
    });
  }

  sendDescription() {
    this.host.signal({ sdp: /** @type {RTCSessionDescriptionInit} */ (this.pc.localDescription?.toJSON()) });
  }

  /**
   * A signal from this member: a description (perfect negotiation) and/or a candidate.
   * @param {SignalPayload} payload
   */
  async receive(payload) {
    if (payload.sdp) await this.receiveDescription(payload.sdp);
    if (payload.candidate) {
      if (!this.pc.remoteDescription) this.pendingCandidates.push(payload.candidate);
      else await this.addCandidate(payload.candidate);
    }
  }

  /** @param {RTCSessionDescriptionInit} description */
  async receiveDescription(description) {
    const pc = this.pc;
    const { collision, ignore } = negotiation(description.type, {
      polite: this.polite, makingOffer: this.makingOffer, signalingState: pc.signalingState,
    });
    this.ignoreOffer = ignore;
    if (collision) {
      console.debug(`[voice] offers crossed with ${this.userId}: ${this.polite ? "theirs wins (we are polite)" : "ours wins (impolite)"}`);
    }
    if (ignore) return;
    try {
      await pc.setRemoteDescription(description);
      if (description.type === "offer") {
        // The answer carries our track on the offer's transceiver (no second round).
        this.addLocalTrack();
        await pc.setLocalDescription(await localDescription(pc));
        this.sendDescription();
      }
    } catch (err) {
      console.warn(`[voice] negotiation with ${this.userId} failed:`, err);
      if (description.type === "answer" && !this.closed) this.host.broken?.(this);
      return;
    }
    for (const candidate of this.pendingCandidates.splice(0)) await this.addCandidate(candidate);
  }

  /** @param {RTCIceCandidateInit} candidate */
  async addCandidate(candidate) {
    try {
      await this.pc.addIceCandidate(candidate);
    } catch (err) {
      // Candidates of an offer we ignored (perfect negotiation) are expected to fail.
      if (!this.ignoreOffer) console.warn(`[voice] bad ICE candidate from ${this.userId}:`, err);
    }
  }

  /**
   * Sends our microphone on this connection. For the side that offers this is what fires
   * `negotiationneeded`; the side that answers calls it after the offer.
   */
  addLocalTrack() {
    const stream = this.host.localStream();
    const track = stream?.getAudioTracks()[0];
    if (!stream || !track) return;
    if (this.pc.getSenders().some((s) => s.track)) return;
    this.pc.addTrack(track, stream);
  }

  /** Another microphone, without renegotiating. @param {MediaStreamTrack} track */
  async replaceTrack(track) {
    for (const sender of this.pc.getSenders()) {
      if (sender.track?.kind === "audio") await sender.replaceTrack(track);
    }
  }

  /** @param {IceServer[]} servers */
  setIceServers(servers) {
    try {
      this.pc.setConfiguration({ ...this.pc.getConfiguration(), iceServers: /** @type {RTCIceServer[]} */ (servers) });
    } catch (err) {
      console.warn(`[voice] could not apply fresh ICE servers to ${this.userId}:`, err);
    }
  }

  /* ---- failure and restart ----------------------------------------------------------------- */

  /** Relay-only with no TURN server: Chromium gathers forever and never says it failed. */
  checkRelay() {
    if (this.iceTransportPolicy === "relay" && turnUrls(this.host.iceServers()).length === 0) {
      this.markFailed("no_relay_server");
    }
  }

  /**
   * A peer with no local candidate can never connect, and Chromium does not say so: with every
   * TURN credential refused it reports `icecandidateerror`s (401) and stays at "new" (gathering
   * never completes under a relay-only policy). Count that as failed rather than waiting.
   */
  checkCandidates() {
    if (this.localCandidates > 0 || this.state === "connected") return;
    if (this.pc.iceGatheringState === "complete") {
      this.markFailed("no_ice_candidates");
      return;
    }
    const turn = turnUrls(this.host.iceServers());
    if (this.iceTransportPolicy === "relay" && turn.length > 0 && turn.every((url) => this.refusedIceServers.has(url))) {
      this.markFailed("no_ice_candidates");
    }
  }

  onConnectionState() {
    if (this.closed) return;
    const state = this.pc.connectionState;
    if (state === "connected") {
      this.clearTimers();
      if (this.connectedAt === null) this.connectedAt = performance.now();
      if (this.state === "failed") console.info(`[voice] connection to ${this.userId} recovered`);
      this.state = "connected";
      this.failure = undefined;
      this.restarts = 0;
      this.host.changed(this);
      this.readStats();
    } else if (state === "failed") {
      this.markFailed("connection_failed");
    } else if (state === "disconnected") {
      // Chromium moves on to "failed" by itself, but not in every case: give it the same time.
      this.armConnectTimer();
    }
  }

  armConnectTimer() {
    clearTimeout(this.connectTimer);
    this.connectTimer = setTimeout(() => {
      this.connectTimer = undefined;
      if (!this.closed && this.pc.connectionState !== "connected") this.markFailed("connect_timeout");
    }, this.connectTimeoutMs);
  }

  /**
   * The connection is down: show it, and schedule an ICE restart (again and again, with a
   * growing wait, until it is connected or the member leaves).
   * @param {string} why
   */
  markFailed(why) {
    if (this.closed) return;
    clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    const changed = this.state !== "failed" || this.failure !== why;
    if (this.state !== "failed") console.error(`[voice] peer connection to ${this.userId} failed: ${why}`);
    this.state = "failed";
    this.failure = why;
    if (changed) this.host.changed(this);
    if (this.restartTimer !== undefined) return;
    this.restartTimer = setTimeout(() => {
      this.restartAfterFailure().catch((err) => console.warn(`[voice] ICE restart with ${this.userId} failed:`, err));
    }, iceRestartDelay(this.restarts));
  }

  /**
   * ICE restart: fresh credentials first (the old ones may be what failed), then `restartIce()`,
   * which fires `negotiationneeded` — perfect negotiation sorts out both sides restarting at once.
   */
  async restartAfterFailure() {
    if (this.closed || this.state !== "failed") {
      this.restartTimer = undefined;
      return;
    }
    this.restarts += 1;
    console.info(`[voice] ICE restart with ${this.userId} (attempt ${this.restarts}) after ${this.failure}`);
    try {
      await this.host.refreshIceServers();
    } catch (err) {
      console.warn("[voice] could not fetch fresh ICE servers; restarting with the ones we have:", err);
    }
    this.restartTimer = undefined;
    if (this.closed || this.state !== "failed") return;
    this.localCandidates = 0;
    this.refusedIceServers.clear();
    this.pc.restartIce();
    this.armConnectTimer();
    this.checkRelay();
  }

  /**
   * A call through TURN keeps its allocation on the old credential, and TURN servers refuse to
   * refresh an allocation whose credential has expired: move it onto the fresh one now, while
   * both still work (an ICE restart keeps the old path until the new one is up).
   */
  async moveToFreshRelay() {
    if (this.state !== "connected" || (await this.route()).localType !== "relay" || this.closed) return;
    console.info(`[voice] moving the relayed call with ${this.userId} onto the fresh TURN credential`);
    this.pc.restartIce();
  }

  /** What resume.js peerAction looks at. @returns {import("./resume.js").PeerHealth} */
  health() {
    return {
      connectionState: this.pc.connectionState,
      signalingState: this.pc.signalingState,
      hasRemoteDescription: !!this.pc.remoteDescription,
    };
  }

  /**
   * Repairs a kept connection after a resume (signals may have been lost while a socket was
   * away): `renegotiate` rolls back an offer that may never have arrived and offers again;
   * both restart ICE, so fresh candidates go over the live socket.
   * @param {"restart_ice" | "renegotiate"} action
   */
  async heal(action) {
    if (this.closed) return;
    console.info(`[voice] after the resume: ${action.replace("_", " ")} with ${this.userId}`);
    if (action === "renegotiate" && this.pc.signalingState === "have-local-offer") {
      try {
        await this.pc.setLocalDescription({ type: "rollback" });
      } catch (err) {
        console.warn(`[voice] could not roll back the offer to ${this.userId}:`, err);
      }
    }
    if (this.closed) return;
    this.localCandidates = 0;
    this.refusedIceServers.clear();
    this.pc.restartIce();
    if (this.state !== "connected") this.armConnectTimer();
  }

  clearTimers() {
    clearTimeout(this.connectTimer);
    clearTimeout(this.restartTimer);
    this.connectTimer = undefined;
    this.restartTimer = undefined;
  }

  close() {
    this.closed = true;
    this.clearTimers();
    try { this.pc.close(); } catch { /* already closed */ }
  }

  /* ---- stats ------------------------------------------------------------------------------- */

  /** Reads round-trip time, loss and the route. */
  async readStats() {
    if (this.closed) return;
    try {
      const report = await this.pc.getStats();
      if (this.closed) return;
      const route = selectedPair(report);
      const { lossPct, counts } = lossSince(report, this.lastCounts);
      this.lastCounts = counts;
      this.stats = {
        rttMs: route.rtt === null ? null : Math.round(route.rtt * 1000),
        lossPct,
        localType: route.localType,
        remoteType: route.remoteType,
      };
      this.host.measured(this);
    } catch (err) {
      console.debug(`[voice] getStats for ${this.userId} failed:`, err);
    }
  }

  async route() {
    try {
      return selectedPair(await this.pc.getStats());
    } catch {
      return { rtt: null, localType: null, remoteType: null };
    }
  }
}
