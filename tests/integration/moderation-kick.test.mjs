// Kick, ban and move (CONTRACT.md v1.1 "Admin API" member routes, "v1.1 details"): a kicked
// member gets `error` `kicked` and close 4003, a moved one `{"type": "move", "channel_id"}` and
// close 4010; both leave at once (no grace: the worker runs with a 30 s grace period) and the
// others get `member_left`. A ban refuses a rejoin of the same channel before it is accepted and
// removes the user from any other channel of the space at once, until it ends; a kick without
// `ban_secs` bans nothing. The move's target must exist.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { assertErrorBody } from "../lib/assertions.mjs";
import { crowd } from "../lib/fixtures.mjs";
import { channelsWhere, connect, joinWith, listed, memberIn, moderate, mustModerate, observer, runtimeChannel, seatedCrowd, startModerationWorker, tokenIn } from "../lib/moderation.mjs";
import { tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { sleep } from "../lib/wait.mjs";

/** The ban the ban test asks for: short, so the test waits it out. */
const BAN_SECS = 4;

describe("kick, ban and move", () => {
  let worker;
  let used = 0;
  const fresh = () => `k${used++}`;

  before(async () => {
    worker = await startModerationWorker("k");
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  /** `count` members of a fresh channel, the last of them the target, known to the lobby. */
  const room = (count) => seatedCrowd(worker, fresh(), count);

  /** The close code and reason of `socket`, once it closes. */
  const closing = (socket) => new Promise((resolve) => socket.ws.once("close", (code, reason) => resolve({ code, reason: String(reason) })));

  /** Asserts `id` is listed in no channel of the default space (as /api/channels shows it, within 2 s). */
  const nowhere = (id) =>
    channelsWhere(worker, observer(), (cs) => cs.every((c) => c.members.every((m) => m.id !== id)), 2000, `${id} gone from every channel`);

  /** Asserts `socket` stays open and gets no error for `ms`. */
  async function stays(socket, ms = 500) {
    await socket.expectNothing(ms, "error");
    assert.equal(socket.isClosed, false, "the socket was closed");
  }

  test("a kick: error kicked, close 4003; the others get member_left at once; the lobby and /api/channels drop them", async () => {
    const { socket: lobby } = await worker.openLobby();
    const { channel, members, target } = await room(3);
    const closed = closing(target.socket);
    const member = await mustModerate(worker, "default", target.id, "kick", {});
    assert.equal(member.id, target.id);
    const error = await target.socket.first(2000);
    assert.deepEqual([error.type, error.reason], ["error", "kicked"], JSON.stringify(error));
    assert.deepEqual(await closed, { code: 4003, reason: "kicked" });
    for (const m of members.slice(0, -1)) {
      assert.deepEqual(await m.socket.next("member_left", 2000, (x) => x.user_id === target.id), { type: "member_left", user_id: target.id });
    }
    await lobby.next("channel", 2000, (f) => f.id === channel && f.members.length === 2 && !f.members.some((x) => x.id === target.id));
    await nowhere(target.id);
  });

  test("a kick without ban_secs (or with 0) bans nothing: a rejoin at once is accepted and stays", async () => {
    for (const body of [{}, { ban_secs: 0 }]) {
      const { channel, members: [a], target, token } = await room(2);
      await mustModerate(worker, "default", target.id, "kick", body);
      assert.equal(await target.socket.closed(), 4003);
      await a.socket.next("member_left", 2000, (x) => x.user_id === target.id);
      const back = await joinWith(worker, channel, token);
      await a.socket.next("member_joined", 2000, (x) => x.member.id === target.id);
      await listed(worker, observer(), channel, target.id);
      await stays(back.socket);
      // Nor any other channel of the space.
      const elsewhere = await joinWith(worker, fresh(), token);
      await listed(worker, observer(), elsewhere.joined.channel_id, target.id);
      await stays(elsewhere.socket);
    }
  });

  test(`a ban (${BAN_SECS} s): the same channel is refused (banned, 4003), another channel of the space too (the lobby sent every room its bans), after the window a join works`, async () => {
    const { channel, members: [a], target, token } = await room(2);
    const elsewhere = fresh();
    const [c] = await crowd(worker, elsewhere, 1, () => "c");
    const kickedAt = Date.now();
    await mustModerate(worker, "default", target.id, "kick", { ban_secs: BAN_SECS });
    assert.equal(await target.socket.closed(), 4003);
    await a.socket.next("member_left", 2000, (x) => x.user_id === target.id);

    // The same channel: refused before it is accepted (no joined, nobody sees a member_joined).
    const same = await connect(worker, channel, token);
    assert.equal(same.status, 101, JSON.stringify(same.body));
    assert.equal(same.first.type, "error", `expected error banned first, got ${JSON.stringify(same.first)}`);
    assert.equal(same.first.reason, "banned");
    assert.equal(await same.socket.closed(), 4003);
    await a.socket.expectNothing(200, "member_joined");

    // Another channel of the space: refused before it is accepted as well (its room has the
    // space's bans from the lobby), so nobody there sees the banned user come and go.
    const other = await connect(worker, elsewhere, token);
    assert.equal(other.status, 101, JSON.stringify(other.body));
    assert.equal(other.first.type, "error", `expected error banned first, got ${JSON.stringify(other.first)}`);
    assert.equal(other.first.reason, "banned");
    assert.equal(await other.socket.closed(), 4003);
    await c.socket.expectNothing(200, "member_joined");
    await nowhere(target.id);
    assert.ok(Date.now() - kickedAt < BAN_SECS * 1000, `the checks took longer than the ban (${Date.now() - kickedAt} ms): rerun on a quieter machine`);

    await sleep(Math.max(0, kickedAt + BAN_SECS * 1000 + 300 - Date.now()));
    const back = await joinWith(worker, channel, token);
    await a.socket.next("member_joined", 2000, (x) => x.member.id === target.id);
    await listed(worker, observer(), channel, target.id);
    await stays(back.socket);
    const moved = await joinWith(worker, elsewhere, token);
    await c.socket.next("member_joined", 2000, (x) => x.member.id === target.id);
    await listed(worker, observer(), elsewhere, target.id);
    await stays(moved.socket);
  });

  test("a ban holds for the kicked user only: others join the channel meanwhile", async () => {
    const { channel, target } = await room(2);
    await mustModerate(worker, "default", target.id, "kick", { ban_secs: 60 });
    assert.equal(await target.socket.closed(), 4003);
    const { socket } = await joinWith(worker, channel, tokenFor(uniqueUser("newcomer")));
    await stays(socket);
  });

  test("a kick of a member in the grace period removes them at once; the others get member_left", async () => {
    const { channel, members: [a], target } = await room(2);
    target.socket.terminate();
    await a.socket.expectNothing(200, "member_left");
    await listed(worker, observer(), channel, target.id);
    const member = await mustModerate(worker, "default", target.id, "kick", {});
    assert.equal(member.id, target.id);
    await a.socket.next("member_left", 2000, (x) => x.user_id === target.id);
    await nowhere(target.id);
  });

  test("a ban holds in its own space only: the user joins another space's channel meanwhile", async () => {
    const { target } = await room(2);
    await mustModerate(worker, "default", target.id, "kick", { ban_secs: 60 });
    assert.equal(await target.socket.closed(), 4003);
    const { space, channel } = await runtimeChannel(worker, `ban${used++}`);
    const token = tokenIn(space, target.id);
    const { socket } = await joinWith(worker, channel, token);
    await listed(worker, token, channel, target.id);
    await stays(socket);
  });

  test("a move to a channel of another space is 404 unknown_channel", async () => {
    const { space, channel } = await runtimeChannel(worker, `mv${used++}`);
    assert.notEqual(space, "default");
    const { target } = await room(2);
    const r = await moderate(worker, "default", target.id, "move", { channel_id: channel });
    assert.equal(r.status, 404, JSON.stringify(r.body));
    assertErrorBody(r.body, "unknown_channel");
    await target.socket.expectNothing(200);
  });

  test("a move: the member gets move then close 4010 (moved); the others member_left at once; the member joins the target itself", async () => {
    const { socket: lobby } = await worker.openLobby();
    const { channel, members: [a], target, token } = await room(2);
    const to = fresh();
    const [c] = await crowd(worker, to, 1, () => "c");
    const closed = closing(target.socket);
    const member = await mustModerate(worker, "default", target.id, "move", { channel_id: to });
    assert.equal(member.id, target.id);
    assert.deepEqual(await target.socket.first(2000), { type: "move", channel_id: to });
    assert.deepEqual(await closed, { code: 4010, reason: "moved" });
    await a.socket.next("member_left", 2000, (x) => x.user_id === target.id);
    await lobby.next("channel", 2000, (f) => f.id === channel && !f.members.some((x) => x.id === target.id));
    // The server does not put them in the target: the page does.
    await c.socket.expectNothing(200, "member_joined");
    const arrived = await joinWith(worker, to, token);
    assert.equal(arrived.joined.channel_id, to);
    await c.socket.next("member_joined", 2000, (x) => x.member.id === target.id);
    const channels = await listed(worker, observer(), to, target.id);
    assert.equal(memberIn(channels, channel, target.id), undefined);
    await stays(arrived.socket);
  });

  test("a move to a channel that does not exist is 404 unknown_channel; to the same channel 200 and nothing happens", async () => {
    const { channel, members: [a], target } = await room(2);
    const missing = await moderate(worker, "default", target.id, "move", { channel_id: "no-such-channel" });
    assert.equal(missing.status, 404, JSON.stringify(missing.body));
    assertErrorBody(missing.body, "unknown_channel");
    const same = await moderate(worker, "default", target.id, "move", { channel_id: channel });
    assert.equal(same.status, 200, JSON.stringify(same.body));
    assert.equal(same.body.member.id, target.id);
    await target.socket.expectNothing(300);
    await a.socket.expectNothing(0);
    assert.equal(target.socket.isClosed, false);
    await listed(worker, observer(), channel, target.id);
  });
});
