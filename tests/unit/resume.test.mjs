// Resume decisions (public/resume.js): which closes end a call and which are resumed, the resume
// schedule (first try within 500 ms, jitter bounds, nothing past the grace period), what becomes
// of a kept peer connection, and the query of a resuming join.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_GRACE_SECS, RESUME_BACKOFF, closeEndsCall, deadAfterMs, errorEndsCall, fingerprint,
  fromAnotherConnection, peerAction, resumeDelay, resumeUrl,
} from "../../public/resume.js";

test("the contract's ending close codes end the call; anything else is resumed", () => {
  for (const code of [4003, 4004, 4009, 4010, 4011, 4012, 4013, 4029]) {
    assert.equal(closeEndsCall(code, { left: false }), true, `${code} ends the call`);
  }
  for (const code of [1000, 1001, 1005, 1006, 1011, 1012, 4008, 4000]) {
    assert.equal(closeEndsCall(code, { left: false }), false, `${code} is resumed`);
  }
  assert.equal(closeEndsCall(1000, { left: true }), true, "1000 after our leave is the goodbye");
});

test("an error heartbeat_timeout is resumed; resume_failed and the other ending reasons are not", () => {
  assert.equal(errorEndsCall("heartbeat_timeout"), false);
  for (const reason of ["resume_failed", "already_in_channel", "moved", "replaced", "kicked", "channel_deleted"]) {
    assert.equal(errorEndsCall(reason), true, reason);
  }
  assert.equal(errorEndsCall("rate_limited"), false, "a rate-limited request alone is not the end");
  assert.equal(errorEndsCall("unknown_peer"), false);
});

test("the first resume try goes within 500 ms, later ones double to 1.5 s, jitter only shortens", () => {
  const clock = { droppedAt: 0, now: 0, graceMs: DEFAULT_GRACE_SECS * 1000 };
  assert.equal(resumeDelay(0, clock, () => 0), 500);
  assert.equal(resumeDelay(0, clock, () => 0.999999) >= 250, true);
  assert.ok(resumeDelay(0, clock) <= 500, "within 500 ms whatever the dice");
  assert.deepEqual([0, 1, 2, 3, 10].map((n) => resumeDelay(n, clock, () => 0)), [500, 1000, 1500, 1500, 1500]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const exact = resumeDelay(attempt, clock, () => 0);
    for (const r of [0, 0.25, 0.5, 0.75, 0.999999]) {
      const d = resumeDelay(attempt, clock, () => r);
      assert.ok(d <= exact && d >= exact * (1 - (RESUME_BACKOFF.jitter ?? 0)), `attempt ${attempt}, random ${r}: ${d}`);
    }
  }
});

test("no try starts past the grace period; the last one goes just before it ends", () => {
  const graceMs = 3000;
  // The grace period ends at 4000; the last try is due by 3750.
  assert.equal(resumeDelay(5, { droppedAt: 1000, now: 2000, graceMs }, () => 0), 1500, "starts at 3500");
  assert.equal(resumeDelay(5, { droppedAt: 1000, now: 2500, graceMs }, () => 0), 1250, "shortened to start at 3750");
  assert.equal(resumeDelay(5, { droppedAt: 1000, now: 3750, graceMs }, () => 0), null, "no time left");
  assert.equal(resumeDelay(0, { droppedAt: 0, now: 0, graceMs: 0 }), null, "no grace, no try");
  // A whole schedule with the longest waits: every try starts inside the grace period.
  let now = 0;
  const starts = [];
  for (let attempt = 0; ; attempt++) {
    const d = resumeDelay(attempt, { droppedAt: 0, now, graceMs: 15_000 }, () => 0);
    if (d === null) break;
    now += d;
    starts.push(now);
  }
  assert.deepEqual(starts, [500, 1500, 3000, 4500, 6000, 7500, 9000, 10500, 12000, 13500, 14750]);
});

const pc = (connectionState, signalingState = "stable", hasRemoteDescription = true) =>
  ({ connectionState, signalingState, hasRemoteDescription });

test("a member who joined afresh, or resumed without keeping media, gets a new connection", () => {
  for (const state of ["connected", "connecting", "failed", "closed"]) {
    assert.equal(peerAction(pc(state), "they_joined"), "replace");
    assert.equal(peerAction(pc(state), "they_resumed"), "replace");
  }
});

test("a member who resumed with media kept keeps a live connection and loses a failed or closed one", () => {
  assert.equal(peerAction(pc("connected"), "they_resumed_kept"), "keep");
  assert.equal(peerAction(pc("failed"), "they_resumed_kept"), "replace");
  assert.equal(peerAction(pc("closed"), "they_resumed_kept"), "replace");
  // Candidates may have been lost while their socket was away: fresh ones over the live socket.
  assert.equal(peerAction(pc("connecting"), "they_resumed_kept"), "restart_ice");
  assert.equal(peerAction(pc("disconnected"), "they_resumed_kept"), "restart_ice");
  assert.equal(peerAction(pc("new"), "they_resumed_kept"), "restart_ice");
});

test("a half-done negotiation is done again by the side holding the offer, whoever resumed", () => {
  for (const event of ["we_resumed", "they_resumed_kept"]) {
    assert.equal(peerAction(pc("connecting", "have-local-offer", false), event), "renegotiate");
    assert.equal(peerAction(pc("connected", "have-local-offer"), event), "renegotiate", "an ICE restart offer lost");
    assert.equal(peerAction(pc("new", "stable", false), event), "renegotiate", "never negotiated");
  }
});

test("after our own resume only the side that stayed repairs ICE: we keep what we have", () => {
  assert.equal(peerAction(pc("connected"), "we_resumed"), "keep");
  assert.equal(peerAction(pc("connecting"), "we_resumed"), "keep");
  assert.equal(peerAction(pc("disconnected"), "we_resumed"), "keep");
  assert.equal(peerAction(pc("failed"), "we_resumed"), "keep", "the other side replaces it; its offer replaces ours");
  assert.equal(peerAction(pc("closed"), "we_resumed"), "replace");
});

test("an offer with another DTLS fingerprint comes from another connection", () => {
  const sdp = (fp) => `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=fingerprint:sha-256 ${fp}\r\na=setup:actpass\r\n`;
  assert.equal(fingerprint(sdp("AA:BB")), "sha-256 AA:BB");
  assert.equal(fingerprint("v=0\r\n"), null);
  assert.equal(fromAnotherConnection(sdp("AA:BB"), sdp("AA:BB")), false, "a renegotiation of the same one");
  assert.equal(fromAnotherConnection(sdp("AA:BB"), sdp("CC:DD")), true);
  assert.equal(fromAnotherConnection(undefined, sdp("CC:DD")), false, "nothing negotiated yet: perfect negotiation decides");
});

test("a socket is dead after twice the ping interval without a frame (and a moment for the last pong)", () => {
  assert.equal(deadAfterMs(), 21_000);
  assert.equal(deadAfterMs(500), 1250);
});

test("a resuming join presents the session, resume=1 and media=kept", () => {
  const url = resumeUrl(new URL("ws://h/api/channels/general/voice?session=old"), "s3ss10n-0123456789");
  assert.equal(url.searchParams.get("session"), "s3ss10n-0123456789");
  assert.equal(url.searchParams.get("resume"), "1");
  assert.equal(url.searchParams.get("media"), "kept");
  assert.equal(url.pathname, "/api/channels/general/voice");
});
