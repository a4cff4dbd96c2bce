// Old-client compatibility: a v1 client that knows nothing of `media_kept` (it rebuilds its peer
// connection whenever `member_joined` says `resumed`) in a call with the page. The client is the
// contract's plain protocol client (tests/lib/client.mjs) in Node, with its audio end a bare
// RTCPeerConnection in a blank browser page; Node carries the signals between the two.
import assert from "node:assert/strict";
import { test } from "node:test";
import { joinAt } from "../lib/client.mjs";
import { tokenWith, uniqueUser } from "../lib/tokens.mjs";
import { sleep } from "../lib/wait.mjs";
import {
  AUTH_SECRET, assertQuiet, closeBrowser, expectBar, joinInTurn, launch, packetsReceived, signIn, unique,
  waitForPeersConnected,
} from "./helpers.mjs";
import { barLog, recordBar, startRestartable } from "./resume-helpers.mjs";

/**
 * A v1 client: joins with a plain protocol socket; on `member_joined` (resumed or not) it makes a
 * NEW RTCPeerConnection and offers; answers offers; applies answers and candidates.
 */
async function oldClient(browser, base, channel) {
  const id = uniqueUser("oscar");
  // The audio end first: signals may arrive the moment the socket is accepted.
  /** @type {{send: (msg: unknown) => void} | null} */
  let out = null;
  const context = await browser.newContext();
  const media = await context.newPage();
  await media.goto(`${base}/api/health`);
  await media.exposeFunction("oscarSends", (to, payload) => out?.send({ type: "signal", to, payload }));
  await media.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    /** @type {Map<string, RTCPeerConnection>} */
    const pcs = new Map();
    let made = 0;
    const make = (peerId) => {
      pcs.get(peerId)?.close();
      const pc = new RTCPeerConnection();
      made += 1;
      pc.onicecandidate = (e) => { if (e.candidate) window.oscarSends(peerId, { candidate: e.candidate.toJSON() }); };
      pc.ontrack = (e) => {
        const audio = new Audio();
        audio.srcObject = e.streams[0] ?? new MediaStream([e.track]);
        audio.muted = true;
        audio.play().catch(() => {});
      };
      pcs.set(peerId, pc);
      return pc;
    };
    const addTrack = (pc) => { if (!pc.getSenders().some((s) => s.track)) pc.addTrack(stream.getAudioTracks()[0], stream); };
    window.oscar = {
      async offerTo(peerId) {
        const pc = make(peerId);
        addTrack(pc);
        await pc.setLocalDescription(await pc.createOffer());
        window.oscarSends(peerId, { sdp: pc.localDescription.toJSON() });
      },
      async receive(from, payload) {
        let pc = pcs.get(from);
        if (payload.sdp?.type === "offer") {
          pc ??= make(from);
          await pc.setRemoteDescription(payload.sdp);
          addTrack(pc);
          await pc.setLocalDescription(await pc.createAnswer());
          window.oscarSends(from, { sdp: pc.localDescription.toJSON() });
        } else if (payload.sdp && pc) {
          await pc.setRemoteDescription(payload.sdp);
        }
        if (payload.candidate && pc) await pc.addIceCandidate(payload.candidate).catch(() => {});
      },
      async packets() {
        let n = 0;
        for (const pc of pcs.values()) {
          (await pc.getStats()).forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "audio") n += s.packetsReceived; });
        }
        return n;
      },
      state: () => ({ made, states: [...pcs.values()].map((pc) => pc.connectionState) }),
    };
  });
  /** @type {any[]} */
  const received = [];
  let chain = Promise.resolve();
  const listen = (/** @type {import("../lib/socket.mjs").Socket} */ socket) => (out = socket).ws.on("message", (data) => {
    let msg;
    try { msg = JSON.parse(String(data)); } catch { return; }
    received.push(msg);
    // One at a time, in order (as the page does): WebRTC calls are async.
    chain = chain.then(() => {
      if (msg.type === "member_joined" && msg.member.id !== id) return media.evaluate((peer) => window.oscar.offerTo(peer), msg.member.id);
      if (msg.type === "signal") return media.evaluate(([from, payload]) => window.oscar.receive(from, payload), [msg.from, msg.payload]);
      return undefined;
    }).catch((err) => console.log(`old client: ${err.message}`));
  });
  const { socket, joined } = await joinAt(base, channel, tokenWith(AUTH_SECRET, id), { pingMs: 5000, watch: listen });
  return {
    id, joined, socket, received, media,
    packets: () => media.evaluate(() => window.oscar.packets()),
    state: () => media.evaluate(() => window.oscar.state()),
    close: async () => { socket.close(); await context.close(); },
  };
}

test("a client that ignores media_kept re-offers after the page resumes, and the page takes it", { timeout: 120_000 }, async () => {
  const worker = await startRestartable({ proxy: true });
  const browser = await launch();
  let oscar = null;
  try {
    const alice = await signIn(browser, unique("Alice"), { base: worker.pageUrl, beforeLoad: recordBar });
    await joinInTurn([alice], "General");
    oscar = await oldClient(browser, worker.url, "general");
    // Alice was there first: she offers to the newcomer.
    await waitForPeersConnected(alice.page, 1).catch(async (err) => {
      throw new Error(`${err.message}\nold client got ${JSON.stringify(oscar.received.map((m) => m.type))}, `
        + `its connections ${JSON.stringify(await oscar.state())}; Alice: ${alice.page.e2e.console.slice(-10).join(" | ")}`);
    });
    const pcBefore = await alice.page.evaluate(() => window.__voiceDebug().peers[0].pcId);
    const counts = [await packetsReceived(alice.page), await oscar.packets()];
    await sleep(1000);
    assert.ok(await packetsReceived(alice.page) > counts[0], "Alice hears the old client");
    assert.ok(await oscar.packets() > counts[1], "the old client hears Alice");

    const cutAt = Date.now();
    assert.equal(worker.proxy.cut("/voice"), 1);
    const resumed = await oscar.socket.next("member_joined", 10_000, (m) => m.resumed === true);
    console.log(`old client got member_joined ${JSON.stringify({ resumed: resumed.resumed, media_kept: resumed.media_kept })}`);
    await expectBar(alice.page, "green", "General");
    // The old client offered from a new connection; the page replaced its own to answer it.
    await alice.page.waitForFunction((old) => {
      const peer = window.__voiceDebug().peers[0];
      return peer && peer.pcId !== old && peer.connectionState === "connected";
    }, pcBefore, { timeout: 15_000 });
    assert.ok((await oscar.state()).made >= 2, "the old client made a new connection");
    const again = [await packetsReceived(alice.page), await oscar.packets()];
    await sleep(1000);
    assert.ok(await packetsReceived(alice.page) > again[0], "Alice hears the old client again");
    assert.ok(await oscar.packets() > again[1], "the old client hears Alice again");
    const log = await barLog(alice.page);
    assert.deepEqual(log.filter((b) => b.at >= cutAt && b.state === "red"), [], "never red");
    assert.ok(!oscar.received.some((m) => m.type === "member_left"), "the old client never saw Alice leave");
    assertQuiet(alice.page);
  } finally {
    await oscar?.close();
    await closeBrowser(browser);
    await worker.stop();
  }
});
