// A small stand-in for RTCPeerConnection: enough signaling state for perfect negotiation (offers,
// answers, rollback of a local offer when a remote one is accepted) and a log of what was called.

let sdpCount = 0;

export class FakePeerConnection extends EventTarget {
  constructor(config = {}) {
    super();
    this.config = config;
    /** @type {RTCSignalingState} */
    this.signalingState = "stable";
    this.connectionState = "new";
    this.iceGatheringState = "new";
    this.localDescription = null;
    this.remoteDescription = null;
    /** @type {string[]} */
    this.calls = [];
    /** @type {unknown[]} */
    this.candidates = [];
    this.senders = [];
  }

  description(type) {
    const sdp = `v=0 fake ${type} ${++sdpCount}`;
    return { type, sdp, toJSON: () => ({ type, sdp }) };
  }

  async setLocalDescription(description) {
    this.calls.push("setLocalDescription");
    if (description?.type === "rollback") {
      this.signalingState = "stable";
      this.localDescription = null;
      return;
    }
    if (this.signalingState === "have-remote-offer") {
      this.localDescription = this.description("answer");
      this.signalingState = "stable";
    } else {
      this.localDescription = this.description("offer");
      this.signalingState = "have-local-offer";
    }
  }

  async setRemoteDescription(description) {
    this.calls.push(`setRemoteDescription:${description.type}`);
    if (description.type === "offer") {
      // Implicit rollback of our own offer (what the polite side relies on).
      if (this.signalingState === "have-local-offer") this.localDescription = null;
      this.signalingState = "have-remote-offer";
    } else if (description.type === "answer") {
      if (this.signalingState !== "have-local-offer") throw new DOMException("no offer to answer", "InvalidStateError");
      this.signalingState = "stable";
    }
    this.remoteDescription = description;
  }

  async addIceCandidate(candidate) {
    if (!this.remoteDescription) throw new DOMException("no remote description", "InvalidStateError");
    this.candidates.push(candidate);
  }

  getSenders() { return this.senders; }
  addTrack(track) { this.senders.push({ track }); }
  getConfiguration() { return this.config; }
  setConfiguration(config) { this.config = config; }
  restartIce() { this.calls.push("restartIce"); }
  close() { this.calls.push("close"); this.connectionState = "closed"; }
}
