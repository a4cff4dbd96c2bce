// ICE servers (TURN URLs, the refresh at 80 %) and what getStats says (selected pair, loss).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ICE_REFRESH_AT, refreshDelay, stripQuery, turnUrls } from "../../public/ice.js";
import { lossSince, selectedPair } from "../../public/stats.js";

test("TURN URLs are found in every shape and compared without their query", () => {
  const servers = [
    { urls: "stun:stun.example.com:3478" },
    { urls: ["turn:t.example.com:3478?transport=udp", "turns:t.example.com:5349?transport=tcp"], username: "u", credential: "c" },
    { urls: "TURN:upper.example.com" },
  ];
  assert.deepEqual(turnUrls(servers), ["turn:t.example.com:3478", "turns:t.example.com:5349", "TURN:upper.example.com"]);
  assert.equal(stripQuery("turn:h:1"), "turn:h:1");
});

test("credentials are refreshed at 80 % of their remaining lifetime, within sane bounds", () => {
  assert.equal(ICE_REFRESH_AT, 0.8);
  const now = 1_000_000_000_000;
  assert.equal(refreshDelay(now / 1000 + 60, now), 48_000);
  assert.equal(refreshDelay(now / 1000 + 3600, now), 2_880_000);
  assert.equal(refreshDelay(null, now), null, "no TURN credential, no refresh");
  assert.equal(refreshDelay(now / 1000 - 100, now), 5000, "an expired or skewed clock waits a few seconds, never spins");
  assert.equal(refreshDelay(now / 1000 + 1e12, now), 2 ** 31 - 1, "no longer than setTimeout can wait");
});

/** A stats report as a Map of stats by id. */
const report = (...stats) => new Map(stats.map((s) => [s.id, s]));

test("the selected pair comes from the transport, else the nominated succeeded pair", () => {
  const candidates = [
    { id: "L", type: "local-candidate", candidateType: "relay" },
    { id: "R", type: "remote-candidate", candidateType: "host" },
  ];
  const pair = { id: "P", type: "candidate-pair", localCandidateId: "L", remoteCandidateId: "R", currentRoundTripTime: 0.012 };
  assert.deepEqual(selectedPair(report({ id: "T", type: "transport", selectedCandidatePairId: "P" }, pair, ...candidates)),
    { rtt: 0.012, localType: "relay", remoteType: "host" });
  assert.deepEqual(selectedPair(report({ ...pair, nominated: true, state: "succeeded" }, ...candidates)),
    { rtt: 0.012, localType: "relay", remoteType: "host" });
  assert.deepEqual(selectedPair(report(...candidates)), { rtt: null, localType: null, remoteType: null });
});

test("loss is measured over the last interval only", () => {
  const inbound = (lost, received) => report({ id: "I", type: "inbound-rtp", kind: "audio", packetsLost: lost, packetsReceived: received });
  const first = lossSince(inbound(0, 0), { lost: 0, received: 0 });
  assert.equal(first.lossPct, null, "nothing received yet");
  const second = lossSince(inbound(5, 95), first.counts);
  assert.equal(second.lossPct, 5);
  const third = lossSince(inbound(5, 195), second.counts);
  assert.equal(third.lossPct, 0, "no new loss");
});
