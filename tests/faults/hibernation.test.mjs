// State that must survive the VoiceRoom being forced out of memory (hibernateRoom, what workerd
// does after ~10 s idle): members in their grace period, their deadlines, resume by session id,
// and signs of life answered by the runtime while the object sleeps. RECONNECT_GRACE_SECS=3 (so a
// deadline kept can be told from one restarted), HEARTBEAT_TIMEOUT_SECS=2; sockets ping every
// 500 ms unless a test stops them.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { uniqueUser } from "../lib/tokens.mjs";
import { since, sleep } from "../lib/wait.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { crowd, membersOf } from "../lib/fixtures.mjs";

const CHANNELS = Array.from({ length: 10 }, (_, i) => `z${i}:Sleepy ${i}`).join(",");
const GRACE_MS = 3000;
const HEARTBEAT_MS = 2000;

describe("hibernation with members in every state", () => {
  let worker;
  let used = 0;
  const freshChannel = () => `z${used++}`;

  before(async () => {
    worker = await startWorker({
      vars: { VOICE_CHANNELS: CHANNELS, RECONNECT_GRACE_SECS: String(GRACE_MS / 1000), HEARTBEAT_TIMEOUT_SECS: String(HEARTBEAT_MS / 1000) },
      autoPingMs: 500,
    });
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  test("a member in grace stays listed across hibernation and is evicted at its original deadline", async (t) => {
    const channel = freshChannel();
    const [, b, c] = await crowd(worker, channel, 3);
    b.socket.terminate();
    const dropped = performance.now();
    await sleep(GRACE_MS / 2);
    await worker.hibernateRoom(channel);
    // Roster after waking: a newcomer's joined, the HTTP view.
    const { joined } = await worker.join(channel, uniqueUser("late"));
    assert.ok(joined.members.some((m) => m.id === b.id), "the member in grace is listed after hibernation");
    assert.ok((await membersOf(worker, channel)).includes(b.id));
    const left = await c.socket.next("member_left", GRACE_MS + 3000, (m) => m.user_id === b.id);
    const ms = since(dropped);
    t.diagnostic(`evicted ${ms.toFixed(0)} ms after the drop (grace ${GRACE_MS} ms, hibernated at ${GRACE_MS / 2} ms)`);
    assert.equal(left.user_id, b.id);
    assert.ok(ms >= GRACE_MS - 100, `evicted too early: ${ms} ms`);
    // A deadline restarted at the hibernation would land at 1.5 × grace.
    assert.ok(ms < GRACE_MS * 1.4, `evicted at ${ms} ms: the deadline was not kept across hibernation`);
    assert.ok(!(await membersOf(worker, channel)).includes(b.id));
  });

  test("a member in grace comes back after hibernation with its old session id: resumed, and not evicted at the old deadline", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    b.socket.terminate();
    await sleep(300);
    await worker.hibernateRoom(channel);
    const back = await worker.join(channel, b.id, { session: b.joined.session_id });
    assert.ok(back.joined.members.some((m) => m.id === a.id));
    const resumed = await a.socket.next("member_joined", 2000, (m) => m.member.id === b.id);
    assert.equal(resumed.resumed, true);
    await worker.hibernateRoom(channel);
    // Past the old deadline (drop + grace).
    await a.socket.expectNothing(GRACE_MS, "member_left");
    assert.deepEqual(await membersOf(worker, channel), [a.id, b.id].sort());
  });

  test("a live member resumes by session id after two hibernations: the old socket gets 4011, the others resumed", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    await worker.hibernateRoom(channel);
    b.socket.send({ type: "state", muted: true, deafened: false });
    await a.socket.next("member_updated");
    await worker.hibernateRoom(channel);
    const back = await worker.join(channel, b.id, { session: b.joined.session_id });
    assert.equal(await b.socket.closed(), 4011);
    const resumed = await a.socket.next("member_joined", 2000, (m) => m.member.id === b.id);
    assert.equal(resumed.resumed, true);
    assert.equal(resumed.member.muted, true, "state kept across hibernation and resume");
    assert.equal(back.joined.members.filter((m) => m.id === b.id).length, 1);
  });

  test("a member that only pings while the room is hibernated is never timed out", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    // Only auto-answered pings from now on: the object is not woken by them.
    await worker.hibernateRoom(channel);
    await sleep(HEARTBEAT_MS * 1.75);
    assert.equal(a.socket.isClosed, false);
    assert.equal(b.socket.isClosed, false);
    await a.socket.expectNothing(0, "member_left");
    assert.deepEqual(await membersOf(worker, channel), [a.id, b.id].sort());
  });

  test("a member in grace and a silent member are both handled after hibernation: 4008, then both evicted", async () => {
    const channel = freshChannel();
    const [a, b, c] = await crowd(worker, channel, 3);
    b.socket.terminate();
    c.socket.stopPinging();
    await worker.hibernateRoom(channel);
    assert.equal(await c.socket.closed(HEARTBEAT_MS + 3000), 4008);
    const gone = [];
    for (let i = 0; i < 2; i++) gone.push((await a.socket.next("member_left", GRACE_MS + HEARTBEAT_MS + 3000)).user_id);
    assert.deepEqual(gone.sort(), [b.id, c.id].sort());
    assert.deepEqual(await membersOf(worker, channel), [a.id]);
  });
});
