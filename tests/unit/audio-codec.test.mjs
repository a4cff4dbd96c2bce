// The page's audio codec setup (public/audio-codec.js): RED first when the browser has it, the
// browser's order untouched when it has not, and Opus's format parameters rewritten in place.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  OPUS_FMTP, PTIME_MS, localDescription, preferRedundantAudio, redFirst, setFmtp, tuneOpus,
} from "../../public/audio-codec.js";

const opus = { mimeType: "audio/opus", clockRate: 48000, channels: 2, sdpFmtpLine: "minptime=10;useinbandfec=1" };
const red = { mimeType: "audio/red", clockRate: 48000, channels: 2, sdpFmtpLine: "111/111" };
const g722 = { mimeType: "audio/G722", clockRate: 8000 };
const dtmf = { mimeType: "audio/telephone-event", clockRate: 48000 };

// What Chromium 156 offers (abridged): Opus 111 first, RED 63 listed after it.
const CHROMIUM_OFFER = [
  "v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE 0",
  "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 126", "c=IN IP4 0.0.0.0", "a=mid:0", "a=sendrecv",
  "a=rtpmap:111 opus/48000/2", "a=rtcp-fb:111 transport-cc", "a=fmtp:111 minptime=10;useinbandfec=1",
  "a=rtpmap:63 red/48000/2", "a=fmtp:63 111/111", "a=rtpmap:9 G722/8000", "a=rtpmap:126 telephone-event/8000", "",
].join("\r\n");

test("RED comes first and Opus next; the rest keep their order", () => {
  assert.deepEqual(redFirst([opus, g722, red, dtmf]), [red, opus, g722, dtmf]);
  assert.deepEqual(redFirst([{ ...red, mimeType: "AUDIO/RED" }, opus]).map((c) => c.mimeType), ["AUDIO/RED", "audio/opus"]);
});

test("without RED or without Opus there is nothing to reorder", () => {
  assert.equal(redFirst([opus, g722]), null);
  assert.equal(redFirst([red, g722]), null);
  assert.equal(redFirst([]), null);
});

/** A transceiver that records the preferences it is given. */
function transceiver(kind, { refuse = false, stopped = false } = {}) {
  return {
    preferences: /** @type {any[] | null} */ (null),
    currentDirection: stopped ? "stopped" : null,
    sender: { track: { kind } },
    receiver: { track: { kind } },
    setCodecPreferences(codecs) {
      if (refuse) throw new DOMException("unsupported", "InvalidModificationError");
      this.preferences = codecs;
    },
  };
}

test("every live audio transceiver gets RED first when the browser can receive RED", () => {
  const audio = transceiver("audio");
  const video = transceiver("video");
  const stopped = transceiver("audio", { stopped: true });
  const pc = /** @type {any} */ ({ getTransceivers: () => [audio, video, stopped] });
  assert.equal(preferRedundantAudio(pc, { codecs: [opus, red, g722] }), true);
  assert.deepEqual(audio.preferences?.map((c) => c.mimeType), ["audio/red", "audio/opus", "audio/G722"]);
  assert.equal(video.preferences, null);
  assert.equal(stopped.preferences, null);
});

test("a browser without RED, or one that refuses the preferences, keeps its own order", () => {
  const audio = transceiver("audio");
  assert.equal(preferRedundantAudio(/** @type {any} */ ({ getTransceivers: () => [audio] }), { codecs: [opus, g722] }), false);
  assert.equal(audio.preferences, null);
  const refusing = transceiver("audio", { refuse: true });
  assert.equal(preferRedundantAudio(/** @type {any} */ ({ getTransceivers: () => [refusing] }), { codecs: [opus, red] }), false);
  assert.equal(preferRedundantAudio(/** @type {any} */ ({}), { codecs: [opus, red] }), false, "no transceivers API");
  assert.equal(preferRedundantAudio(/** @type {any} */ ({ getTransceivers: () => [audio] }), null), false, "no capabilities");
});

test("fmtp parameters are replaced in place and new ones appended", () => {
  assert.equal(setFmtp("minptime=10;useinbandfec=1", { useinbandfec: 1, usedtx: 0 }), "minptime=10;useinbandfec=1;usedtx=0");
  assert.equal(setFmtp("minptime=10; useinbandfec=0", { UseInbandFec: 1 }), "minptime=10;useinbandfec=1");
  assert.equal(setFmtp("", { maxaveragebitrate: 24000 }), "maxaveragebitrate=24000");
});

test("Opus's fmtp is rewritten in every audio section, nothing else changes", () => {
  const sdp = tuneOpus(CHROMIUM_OFFER, { useinbandfec: 1, usedtx: 1, maxaveragebitrate: 24000 }, null);
  assert.match(sdp, /\r\na=fmtp:111 minptime=10;useinbandfec=1;usedtx=1;maxaveragebitrate=24000\r\n/);
  assert.match(sdp, /\r\na=fmtp:63 111\/111\r\n/, "RED's fmtp untouched");
  assert.equal(sdp.replace(/a=fmtp:111 [^\r]*/, ""), CHROMIUM_OFFER.replace(/a=fmtp:111 [^\r]*/, ""));
  assert.ok(!sdp.includes("a=ptime"), "no ptime unless asked");
  assert.equal(tuneOpus(CHROMIUM_OFFER, { useinbandfec: 1 }, null), CHROMIUM_OFFER, "Chromium's offer already has FEC on");
});

test("a missing Opus fmtp line is added after its rtpmap, and ptime is set once", () => {
  const bare = CHROMIUM_OFFER.replace("a=fmtp:111 minptime=10;useinbandfec=1\r\n", "");
  const sdp = tuneOpus(bare, { useinbandfec: 1 }, 40);
  assert.match(sdp, /a=rtpmap:111 opus\/48000\/2\r\na=fmtp:111 useinbandfec=1\r\n/);
  assert.equal(sdp.match(/a=ptime:40/g)?.length, 1);
  assert.ok(sdp.endsWith("a=ptime:40\r\n"), "ptime goes at the end of the section, before the final line break");
  assert.equal(tuneOpus(sdp, { useinbandfec: 1 }, 20).match(/a=ptime:\d+/g)?.join(), "a=ptime:20", "replaced, not added twice");
});

test("sections other than audio and SDP without Opus pass through", () => {
  const video = "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n";
  assert.equal(tuneOpus(video, { useinbandfec: 1 }, 20), video);
  const pcmu = "v=0\nm=audio 9 RTP/AVP 0\na=rtpmap:0 PCMU/8000\n";
  assert.equal(tuneOpus(pcmu, { useinbandfec: 1 }, 20), pcmu);
});

test("the local description: RED first before it is made, then the browser's own with our Opus parameters", async () => {
  const audio = transceiver("audio");
  const made = [];
  const pc = /** @type {any} */ ({
    signalingState: "have-remote-offer",
    getTransceivers: () => [audio],
    createAnswer: async () => { made.push("answer"); return { type: "answer", sdp: CHROMIUM_OFFER }; },
    createOffer: async () => { made.push("offer"); return { type: "offer", sdp: CHROMIUM_OFFER }; },
  });
  const hadRed = globalThis.RTCRtpReceiver;
  globalThis.RTCRtpReceiver = /** @type {any} */ ({ getCapabilities: () => ({ codecs: [opus, red] }) });
  try {
    const answer = await localDescription(pc);
    assert.equal(audio.preferences?.[0].mimeType, "audio/red", "RED first before the answer is made");
    assert.equal(answer?.type, "answer");
    assert.equal(answer?.sdp, tuneOpus(CHROMIUM_OFFER, OPUS_FMTP, PTIME_MS));
    pc.signalingState = "stable";
    assert.equal((await localDescription(pc))?.type, "offer");
    assert.deepEqual(made, ["answer", "offer"]);
    assert.equal(await localDescription(pc, false), undefined, "nothing to rewrite: the browser's own");
    assert.equal(await localDescription(/** @type {any} */ ({ signalingState: "stable" })), undefined,
      "no createOffer (a test's fake): setLocalDescription() makes its own");
  } finally {
    globalThis.RTCRtpReceiver = hadRed;
  }
});
