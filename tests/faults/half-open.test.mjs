// Clients that vanish without a close frame: a TCP connection that goes silent both ways (through
// a loopback proxy that stops forwarding and closes nothing, so the server still holds an open
// socket), and connections cut at once (terminate). Short timings: RECONNECT_GRACE_SECS=1,
// HEARTBEAT_TIMEOUT_SECS=2; the other members ping every 500 ms.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { since } from "../lib/wait.mjs";
import { joinAt } from "../lib/client.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { startProxy } from "../lib/net.mjs";
import { crowd, ids, membersOf } from "../lib/fixtures.mjs";

const CHANNELS = Array.from({ length: 10 }, (_, i) => `h${i}:Half ${i}`).join(",");
const GRACE_MS = 1000;
const HEARTBEAT_MS = 2000;
const SLACK_MS = 3000;

describe("half-open and abruptly dropped sockets", () => {
  let worker;
  let proxy;
  let used = 0;
  const freshChannel = () => `h${used++}`;

  before(async () => {
    worker = await startWorker({
      vars: { VOICE_CHANNELS: CHANNELS, RECONNECT_GRACE_SECS: "1", HEARTBEAT_TIMEOUT_SECS: "2" },
      autoPingMs: 500,
    });
  });
  afterEach(async () => {
    worker.closeSockets();
    await proxy?.close();
    proxy = undefined;
  });
  after(async () => {
    await worker?.dispose();
  });

  /** A member whose connection runs through a proxy that can black-hole it. */
  async function joinBehindProxy(channel, others) {
    proxy = await startProxy(worker.url.href);
    const id = uniqueUser("vanishing");
    const member = { id, ...(await joinAt(proxy.url, channel, tokenFor(id), { pingMs: 500 })) };
    for (const m of others) await m.socket.next("member_joined", 2000, (msg) => msg.member.id === id);
    return member;
  }

  test("a connection that goes silent without closing is evicted within heartbeat + grace; the others get member_left", async (t) => {
    const channel = freshChannel();
    const others = await crowd(worker, channel, 2);
    const gone = await joinBehindProxy(channel, others);
    const start = performance.now();
    proxy.blackhole();
    const lefts = await Promise.all(
      others.map((m) => m.socket.next("member_left", HEARTBEAT_MS + GRACE_MS + SLACK_MS, (msg) => msg.user_id === gone.id)),
    );
    const ms = since(start);
    t.diagnostic(`half-open member evicted ${ms.toFixed(0)} ms after its link went silent (heartbeat ${HEARTBEAT_MS} + grace ${GRACE_MS})`);
    assert.equal(lefts.length, 2);
    assert.ok(ms >= HEARTBEAT_MS - 600, `evicted after ${ms} ms, before the heartbeat timeout could have passed`);
    assert.deepEqual(await membersOf(worker, channel), ids(others));
    assert.equal(gone.socket.isClosed, false, "the vanished client never heard anything (its link is dead)");
  });

  test("the room keeps relaying between the others while a half-open socket waits for its timeout", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    const gone = await joinBehindProxy(channel, [a, b]);
    proxy.blackhole();
    // Signals to the silent member do not block anyone.
    for (let i = 0; i < 20; i++) a.socket.send({ type: "signal", to: gone.id, payload: { candidate: { i } } });
    a.socket.send({ type: "signal", to: b.id, payload: { sdp: { type: "offer", sdp: "v=0" } } });
    const got = await b.socket.next("signal", 1000);
    assert.equal(got.from, a.id);
  });

  test("the same tab comes back on a new connection before the timeout: it takes its entry at once by its session id", async () => {
    const channel = freshChannel();
    const [a] = await crowd(worker, channel, 1);
    const gone = await joinBehindProxy(channel, [a]);
    proxy.blackhole();
    const start = performance.now();
    const back = await worker.join(channel, gone.id, { session: gone.joined.session_id });
    assert.ok(since(start) < 2000, "the server did not wait on the dead connection");
    const resumed = await a.socket.next("member_joined", 2000, (m) => m.member.id === gone.id);
    assert.equal(resumed.resumed, true);
    // The replaced socket's timeout must not evict the entry its new socket holds.
    await a.socket.expectNothing(HEARTBEAT_MS + GRACE_MS + 1000, "member_left");
    assert.deepEqual(await membersOf(worker, channel), [a.id, gone.id].sort());
    assert.equal(back.socket.isClosed, false);
  });

  test("without its session id the same user is refused while the half-open socket still counts as live", async () => {
    const channel = freshChannel();
    const [a] = await crowd(worker, channel, 1);
    const gone = await joinBehindProxy(channel, [a]);
    proxy.blackhole();
    const second = await worker.openVoice(channel, gone.id);
    assert.equal((await second.first()).reason, "already_in_channel");
    assert.equal(await second.closed(), 4009);
  });

  test("several members cut at once are all evicted, and every survivor hears of each exactly once", async () => {
    const channel = freshChannel();
    const members = await crowd(worker, channel, 6);
    const [survivors, dropped] = [members.slice(0, 3), members.slice(3)];
    for (const m of dropped) m.socket.terminate();
    for (const s of survivors) {
      const seen = [];
      for (let i = 0; i < dropped.length; i++) seen.push((await s.socket.next("member_left", GRACE_MS + SLACK_MS)).user_id);
      assert.deepEqual(seen.sort(), ids(dropped));
      await s.socket.expectNothing(0, "member_left");
    }
    await survivors[0].socket.expectNothing(500, "member_left");
    assert.deepEqual(await membersOf(worker, channel), ids(survivors));
  });
});
