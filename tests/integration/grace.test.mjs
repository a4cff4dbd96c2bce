// Drops, the grace period and the heartbeat, with short timings (RECONNECT_GRACE_SECS=1,
// HEARTBEAT_TIMEOUT_SECS=2) so the alarms fire within a test. Every socket pings every 500 ms
// (the page does every 10 s) unless a test stops it.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { uniqueUser } from "../lib/tokens.mjs";
import { sleep } from "../lib/wait.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { ids, membersOf, pair } from "../lib/fixtures.mjs";

const CHANNELS = Array.from({ length: 30 }, (_, i) => `g${i}:Grace ${i}`).join(",");
const GRACE_MS = 1000;
const HEARTBEAT_MS = 2000;
/** How late an alarm may fire on a busy 2-core machine and still count as on time. */
const SLACK_MS = 3000;

describe("grace period and heartbeat", () => {
  let worker;
  let used = 0;
  const freshChannel = () => `g${used++}`;

  before(async () => {
    worker = await startWorker({
      vars: {
        VOICE_CHANNELS: CHANNELS,
        RECONNECT_GRACE_SECS: String(GRACE_MS / 1000),
        HEARTBEAT_TIMEOUT_SECS: String(HEARTBEAT_MS / 1000),
      },
      autoPingMs: 500,
    });
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  /**
   * Rejoins `id` after its socket was dropped. Until the room has seen the drop the old socket
   * still counts as live (already_in_channel), so a refused attempt is retried for a while,
   * well inside the grace period.
   */
  async function rejoin(channel, id) {
    const deadline = Date.now() + GRACE_MS / 2;
    for (;;) {
      const socket = await worker.openVoice(channel, id);
      const first = await socket.first(3000);
      if (first.type === "joined") return { socket, joined: first };
      if (first.reason !== "already_in_channel" || Date.now() > deadline) {
        throw new Error(`rejoin within grace refused: ${JSON.stringify(first)}`);
      }
      await sleep(50);
    }
  }

  test("an abrupt drop keeps the member listed until the grace deadline, then member_left", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    const droppedAt = Date.now();
    a.socket.terminate();
    await b.socket.expectNothing(GRACE_MS / 2, "member_left");
    assert.deepEqual(await membersOf(worker, channel), [a.id, b.id].sort(), "still listed during the grace period");
    const left = await b.socket.next("member_left", GRACE_MS + SLACK_MS);
    assert.equal(left.user_id, a.id);
    assert.ok(Date.now() - droppedAt >= GRACE_MS - 100, `member_left after ${Date.now() - droppedAt} ms`);
    assert.deepEqual(await membersOf(worker, channel), [b.id]);
  });

  test("a newcomer during the grace period sees the dropped member", async () => {
    const channel = freshChannel();
    const [a] = await pair(worker, channel);
    a.socket.terminate();
    await sleep(GRACE_MS / 2);
    const c = await worker.join(channel, uniqueUser("c"));
    assert.ok(ids(c.joined.members).includes(a.id), JSON.stringify(c.joined.members));
  });

  test("a rejoin within grace takes the entry back: the others get member_joined resumed true", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    a.socket.terminate();
    const back = await rejoin(channel, a.id);
    assert.deepEqual(ids(back.joined.members), [a.id, b.id].sort());
    const news = await b.socket.next("member_joined");
    assert.equal(news.member.id, a.id);
    assert.equal(news.resumed, true);
  });

  test("a member back within grace is not evicted when the old deadline passes", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    a.socket.terminate();
    const back = await rejoin(channel, a.id);
    await b.socket.next("member_joined");
    await b.socket.expectNothing(GRACE_MS + 1500, "member_left");
    assert.equal(back.socket.isClosed, false);
    assert.deepEqual(await membersOf(worker, channel), [a.id, b.id].sort());
  });

  test("a socket that sends nothing is closed with 4008 and then evicted", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    a.socket.stopPinging();
    const code = await a.socket.closed(HEARTBEAT_MS + SLACK_MS);
    assert.equal(code, 4008);
    const left = await b.socket.next("member_left", GRACE_MS + SLACK_MS);
    assert.equal(left.user_id, a.id);
    assert.equal(b.socket.isClosed, false, "the pinging member stays");
  });

  test("a socket that keeps pinging survives past the heartbeat timeout", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    await sleep(HEARTBEAT_MS * 2);
    assert.equal(a.socket.isClosed, false);
    assert.equal(b.socket.isClosed, false);
    await b.socket.expectNothing(0, "member_left");
  });

  test("any message from the client counts as a sign of life", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    a.socket.stopPinging();
    let muted = false;
    const talker = setInterval(() => {
      muted = !muted;
      if (!a.socket.isClosed) a.socket.send({ type: "state", muted, deafened: false });
    }, 500);
    try {
      await sleep(HEARTBEAT_MS * 2);
    } finally {
      clearInterval(talker);
    }
    assert.equal(a.socket.isClosed, false);
    await b.socket.expectNothing(0, "member_left");
  });

  test("the eviction still happens when the room hibernates between the drop and its alarm", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    a.socket.terminate();
    await sleep(200);
    await worker.hibernateRoom(channel);
    const left = await b.socket.next("member_left", GRACE_MS + SLACK_MS);
    assert.equal(left.user_id, a.id);
  });

  test("the heartbeat still closes a silent socket after the room hibernates", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    a.socket.stopPinging();
    await worker.hibernateRoom(channel);
    assert.equal(await a.socket.closed(HEARTBEAT_MS + SLACK_MS), 4008);
    assert.equal((await b.socket.next("member_left", GRACE_MS + SLACK_MS)).user_id, a.id);
  });

  test("the lobby hears about an eviction after the grace period", async () => {
    const channel = freshChannel();
    const { socket: lobby } = await worker.openLobby();
    const [a, b] = await pair(worker, channel);
    await lobby.next("channel", 2000, (m) => m.id === channel && ids(m.members).includes(b.id));
    a.socket.terminate();
    const update = await lobby.next(
      "channel",
      GRACE_MS + SLACK_MS,
      (m) => m.id === channel && !ids(m.members).includes(a.id),
    );
    assert.deepEqual(ids(update.members), [b.id]);
  });
});
