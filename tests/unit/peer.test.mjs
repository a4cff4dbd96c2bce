// Perfect negotiation, decided by `negotiation` and carried out by `Peer` against a fake peer
// connection: the polite side yields when offers cross, the impolite one ignores the other's
// offer (and the failures of its candidates), candidates wait for the remote description.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Peer, negotiation } from "../../public/peer.js";
import { FakePeerConnection } from "./fake-peer-connection.mjs";

test("negotiation: an offer collides while we make one or are not stable; only the impolite side ignores it", () => {
  const stable = { makingOffer: false, signalingState: /** @type {const} */ ("stable") };
  assert.deepEqual(negotiation("offer", { ...stable, polite: false }), { collision: false, ignore: false });
  assert.deepEqual(negotiation("offer", { ...stable, makingOffer: true, polite: false }), { collision: true, ignore: true });
  assert.deepEqual(negotiation("offer", { ...stable, makingOffer: true, polite: true }), { collision: true, ignore: false });
  assert.deepEqual(negotiation("offer", { makingOffer: false, signalingState: "have-local-offer", polite: false }),
    { collision: true, ignore: true });
  assert.deepEqual(negotiation("offer", { makingOffer: false, signalingState: "have-local-offer", polite: true }),
    { collision: true, ignore: false });
  assert.deepEqual(negotiation("answer", { makingOffer: false, signalingState: "have-local-offer", polite: false }),
    { collision: false, ignore: false }, "an answer never collides");
});

/** A Peer on a fake connection; `sent` collects what it signals. */
function peer({ polite, localStream = null }) {
  const sent = [];
  const p = new Peer({
    userId: "them",
    polite,
    iceTransportPolicy: "all",
    connectTimeoutMs: 60_000,
    createConnection: (config) => /** @type {any} */ (new FakePeerConnection(config)),
    host: {
      signal: (payload) => sent.push(payload),
      changed: () => {},
      measured: () => {},
      track: () => {},
      localStream: () => localStream,
      iceServers: () => [],
      refreshIceServers: async () => {},
    },
  });
  return { p, pc: /** @type {FakePeerConnection} */ (/** @type {unknown} */ (p.pc)), sent };
}

const offer = { type: /** @type {const} */ ("offer"), sdp: "v=0 their offer" };

test("an offer with no collision is answered", async () => {
  const { p, pc, sent } = peer({ polite: false });
  await p.receive({ sdp: offer });
  assert.deepEqual(pc.calls, ["setRemoteDescription:offer", "setLocalDescription"]);
  assert.equal(sent.length, 1);
  assert.equal(sent[0].sdp.type, "answer");
  assert.equal(pc.signalingState, "stable");
  p.close();
});

test("glare, impolite side: the other's offer is ignored and ours stands", async () => {
  const { p, pc, sent } = peer({ polite: false });
  await pc.setLocalDescription(); // our offer is out
  pc.calls.length = 0;
  await p.receive({ sdp: offer });
  assert.equal(p.ignoreOffer, true);
  assert.deepEqual(pc.calls, [], "their offer was not applied");
  assert.equal(pc.signalingState, "have-local-offer");
  assert.deepEqual(sent, []);
  // Candidates of the ignored offer fail quietly (no console warning).
  const warned = [];
  const warn = console.warn;
  console.warn = (...args) => warned.push(args);
  try {
    await p.receive({ candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host" } });
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(pc.candidates, [], "held until a remote description exists");
  assert.deepEqual(warned, []);
  p.close();
});

test("glare, polite side: our offer is rolled back and theirs is answered", async () => {
  const { p, pc, sent } = peer({ polite: true });
  await pc.setLocalDescription();
  pc.calls.length = 0;
  await p.receive({ sdp: offer });
  assert.equal(p.ignoreOffer, false);
  assert.deepEqual(pc.calls, ["setRemoteDescription:offer", "setLocalDescription"]);
  assert.equal(sent.at(-1).sdp.type, "answer");
  assert.equal(pc.signalingState, "stable");
  p.close();
});

test("an offer that arrives while ours is being made collides too (makingOffer)", async () => {
  const { p, pc } = peer({ polite: false });
  p.makingOffer = true;
  await p.receive({ sdp: offer });
  assert.equal(p.ignoreOffer, true);
  assert.deepEqual(pc.calls, []);
  p.close();
});

test("negotiationneeded makes an offer and sends it; makingOffer is true only meanwhile", async () => {
  const { p, pc, sent } = peer({ polite: true });
  pc.dispatchEvent(new Event("negotiationneeded"));
  assert.equal(p.makingOffer, true);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(p.makingOffer, false);
  assert.equal(sent[0].sdp.type, "offer");
  p.close();
});

test("candidates that arrive before the remote description wait, then are added in order", async () => {
  const { p, pc } = peer({ polite: true });
  const a = { candidate: "candidate:a" };
  const b = { candidate: "candidate:b" };
  await p.receive({ candidate: a });
  await p.receive({ candidate: b });
  assert.deepEqual(pc.candidates, []);
  await p.receive({ sdp: offer });
  assert.deepEqual(pc.candidates, [a, b]);
  const c = { candidate: "candidate:c" };
  await p.receive({ candidate: c });
  assert.deepEqual(pc.candidates, [a, b, c], "later ones go straight in");
  p.close();
});

test("the answering side adds its microphone to the offer's transceiver, once", async () => {
  const track = { kind: "audio", label: "mic" };
  const stream = { getAudioTracks: () => [track] };
  const { p, pc } = peer({ polite: true, localStream: /** @type {any} */ (stream) });
  await p.receive({ sdp: offer });
  assert.equal(pc.senders.length, 1);
  p.addLocalTrack();
  assert.equal(pc.senders.length, 1, "not twice");
  p.close();
});

test("every RTCPeerConnection gets its own pcId", () => {
  const a = peer({ polite: true }).p;
  const b = peer({ polite: true }).p;
  assert.notEqual(a.pcId, b.pcId);
  a.close();
  b.close();
});

test("a failed peer restarts ICE at once, then after 1, 2, 4 and 8 s, with fresh ICE servers each time", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  let refreshes = 0;
  const changes = [];
  const p = new Peer({
    userId: "them",
    polite: true,
    iceTransportPolicy: "all",
    connectTimeoutMs: 60_000,
    createConnection: (config) => /** @type {any} */ (new FakePeerConnection(config)),
    host: {
      signal: () => {}, measured: () => {}, track: () => {}, localStream: () => null, iceServers: () => [],
      changed: (peer) => changes.push([peer.state, peer.failure]),
      refreshIceServers: async () => { refreshes += 1; },
    },
  });
  const pc = /** @type {FakePeerConnection} */ (/** @type {unknown} */ (p.pc));
  const restarts = () => pc.calls.filter((c) => c === "restartIce").length;
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const error = console.error;
  const info = console.info;
  console.error = () => {};
  console.info = () => {};
  try {
    pc.connectionState = "failed";
    pc.dispatchEvent(new Event("connectionstatechange"));
    assert.deepEqual(changes, [["failed", "connection_failed"]]);
    t.mock.timers.tick(0);
    await settle();
    assert.equal(restarts(), 1, "the first restart at once");
    for (const [wait, n] of [[1000, 2], [2000, 3], [4000, 4], [8000, 5], [8000, 6]]) {
      p.markFailed("connection_failed"); // still failing after the restart
      t.mock.timers.tick(wait - 1);
      await settle();
      assert.equal(restarts(), n - 1, `not before ${wait} ms`);
      t.mock.timers.tick(1);
      await settle();
      assert.equal(restarts(), n, `restart ${n} after ${wait} ms`);
    }
    assert.equal(refreshes, 6, "fresh ICE servers before every restart");
    pc.connectionState = "connected";
    pc.dispatchEvent(new Event("connectionstatechange"));
    assert.equal(p.state, "connected");
    assert.equal(p.restarts, 0, "the count starts over once connected");
  } finally {
    console.error = error;
    console.info = info;
    p.close();
  }
});
