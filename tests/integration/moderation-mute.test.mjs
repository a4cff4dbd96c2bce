// Server mute (CONTRACT.md v1.1 "Moderation in presence", "v1.1 details"): `server_muted` reaches
// everyone in the room, the member too, the lobby and /api/channels; the member's own `state`
// does not clear it; it follows the user into another channel of the space and into a rejoin,
// announced muted from the start
// (the space's Lobby re-applies it within a report); an unmute clears it for good.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { crowd } from "../lib/fixtures.mjs";
import { channelsWhere, joinWith, listed, memberIn, mustModerate, observer, runtimeChannel, seatedCrowd, startModerationWorker, tokenIn } from "../lib/moderation.mjs";
import { tokenFor } from "../lib/tokens.mjs";


describe("server mute", () => {
  let worker;
  let used = 0;
  const fresh = () => `m${used++}`;

  before(async () => {
    worker = await startModerationWorker("m");
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  /** `count` members of a fresh channel, the last of them the target, known to the lobby. */
  const room = (count) => seatedCrowd(worker, fresh(), count);

  /** The next `member_updated` of `id` on `socket` with `server_muted` = `muted`. */
  const updated = (socket, id, muted, timeoutMs = 2000) =>
    socket.next("member_updated", timeoutMs, (m) => m.member.id === id && m.member.server_muted === muted);

  /**
   * Waits until `socket` (a member of the room `id` just joined, or `id`'s own socket, whose
   * `joined` is `joined`) shows `id` with `server_muted` = `muted`: already in the join's news,
   * or in a `member_updated` within `timeoutMs`.
   */
  /** The member is announced (joined / member_joined) already carrying the server mute: each
   * room has the space's mutes from its lobby, so there is no moment it is heard unmuted. */
  async function showsServerMute(socket, id, muted, { joined = null } = {}) {
    const news = joined ? joined.members.find((m) => m.id === id) : (await socket.next("member_joined", 2000, (m) => m.member.id === id)).member;
    assert.equal(news.server_muted, muted, `announced with server_muted ${muted}: ${JSON.stringify(news)}`);
  }

  test("everyone in the room, the member too, gets member_updated with server_muted; the lobby and /api/channels carry it", async () => {
    const { socket: lobby } = await worker.openLobby();
    const { channel, members, target } = await room(3);
    const member = await mustModerate(worker, "default", target.id, "mute", { muted: true });
    assert.deepEqual(member, { id: target.id, name: target.id, muted: false, deafened: false, server_muted: true });
    for (const m of members) {
      const update = await updated(m.socket, target.id, true);
      assert.deepEqual(update.member, member, `as seen by ${m.id}`);
    }
    const frame = await lobby.next("channel", 2000, (f) => f.id === channel && f.members.some((x) => x.id === target.id && x.server_muted));
    assert.deepEqual(frame.members.find((x) => x.id === target.id), member);
    const channels = await channelsWhere(worker, observer(), (cs) => memberIn(cs, channel, target.id)?.server_muted === true);
    assert.deepEqual(memberIn(channels, channel, target.id), member);
    // The others are untouched.
    for (const m of members.slice(0, -1)) assert.equal(memberIn(channels, channel, m.id).server_muted, false);
  });

  test("the member's own state with muted: false does not clear it", async () => {
    const { channel, members: [a, target] } = await room(2);
    await mustModerate(worker, "default", target.id, "mute", { muted: true });
    await updated(a.socket, target.id, true);
    await updated(target.socket, target.id, true);
    target.socket.send({ type: "state", muted: true, deafened: false });
    const muting = await a.socket.next("member_updated", 2000, (m) => m.member.id === target.id && m.member.muted);
    assert.equal(muting.member.server_muted, true, JSON.stringify(muting));
    target.socket.send({ type: "state", muted: false, deafened: false });
    const unmuting = await a.socket.next("member_updated", 2000, (m) => m.member.id === target.id && !m.member.muted);
    assert.equal(unmuting.member.server_muted, true, JSON.stringify(unmuting));
    // A state naming the field itself does not clear it either (ignored or refused).
    target.socket.send({ type: "state", muted: false, deafened: true, server_muted: false });
    const [deafening, refused] = await Promise.all([
      a.socket.next("member_updated", 2000, (m) => m.member.id === target.id && m.member.deafened).catch(() => null),
      target.socket.next("error", 2000).catch(() => null),
    ]);
    assert.ok(deafening !== null || refused !== null, "the state was neither applied nor refused");
    if (deafening) assert.equal(deafening.member.server_muted, true, JSON.stringify(deafening));
    const channels = await channelsWhere(worker, observer(), (cs) => memberIn(cs, channel, target.id)?.muted === false);
    assert.equal(memberIn(channels, channel, target.id).server_muted, true, JSON.stringify(channels));
  });

  test("the mute follows the user into another channel of the space, and into a rejoin", async () => {
    const { members: [, target] } = await room(2);
    const token = tokenFor(target.id);
    await mustModerate(worker, "default", target.id, "mute", { muted: true });
    await updated(target.socket, target.id, true);

    const elsewhere = fresh();
    const [c] = await crowd(worker, elsewhere, 1, () => "c");
    const moved = await joinWith(worker, elsewhere, token);
    assert.equal(await target.socket.closed(), 4010);
    await showsServerMute(c.socket, target.id, true);
    await showsServerMute(moved.socket, target.id, true, { joined: moved.joined });
    let channels = await channelsWhere(worker, observer(), (cs) => memberIn(cs, elsewhere, target.id)?.server_muted === true, 2000, "the mute in the new channel");
    assert.equal(memberIn(channels, elsewhere, target.id).server_muted, true);

    moved.socket.send({ type: "leave" });
    assert.equal(await moved.socket.closed(), 1000);
    await c.socket.next("member_left", 2000, (m) => m.user_id === target.id);
    await worker.membersWhen(elsewhere, [c.id]);
    const again = await joinWith(worker, elsewhere, token);
    await showsServerMute(c.socket, target.id, true);
    await showsServerMute(again.socket, target.id, true, { joined: again.joined });
    channels = await channelsWhere(worker, observer(), (cs) => memberIn(cs, elsewhere, target.id)?.server_muted === true, 2000, "the mute after a rejoin");
    assert.equal(memberIn(channels, elsewhere, target.id).server_muted, true);
  });

  test("an unmute clears it for everyone, and later joins elsewhere stay unmuted", async () => {
    const { channel, members: [a, target] } = await room(2);
    await mustModerate(worker, "default", target.id, "mute", { muted: true });
    await updated(a.socket, target.id, true);
    await updated(target.socket, target.id, true);
    const member = await mustModerate(worker, "default", target.id, "mute", { muted: false });
    assert.equal(member.server_muted, false, JSON.stringify(member));
    await updated(a.socket, target.id, false);
    await updated(target.socket, target.id, false);
    await channelsWhere(worker, observer(), (cs) => memberIn(cs, channel, target.id)?.server_muted === false);

    const elsewhere = fresh();
    const [c] = await crowd(worker, elsewhere, 1, () => "c");
    const moved = await joinWith(worker, elsewhere, tokenFor(target.id));
    assert.equal(moved.joined.members.find((m) => m.id === target.id).server_muted, false);
    assert.equal((await c.socket.next("member_joined", 2000)).member.server_muted, false);
    await listed(worker, observer(), elsewhere, target.id);
    // A lobby report has come and gone: nothing mutes them again.
    await c.socket.expectNothing(500, "member_updated");
    await moved.socket.expectNothing(0, "member_updated");
    const channels = await worker.channelsNow();
    assert.equal(memberIn(channels.channels, elsewhere, target.id).server_muted, false);
  });

  test("the mute survives the room's hibernation: a state with muted: false afterwards still does not clear it", async () => {
    const { channel, members: [a, target] } = await room(2);
    await mustModerate(worker, "default", target.id, "mute", { muted: true });
    await updated(a.socket, target.id, true);
    await worker.hibernateRoom(channel);
    target.socket.send({ type: "state", muted: false, deafened: true });
    const update = await a.socket.next("member_updated", 2000, (m) => m.member.id === target.id && m.member.deafened);
    assert.equal(update.member.server_muted, true, JSON.stringify(update));
    const channels = await channelsWhere(worker, observer(), (cs) => memberIn(cs, channel, target.id)?.deafened === true);
    assert.equal(memberIn(channels, channel, target.id).server_muted, true);
  });

  test("a member dropped into the grace period keeps the mute when it resumes with its session", async () => {
    const { channel, members: [a, target] } = await room(2);
    await mustModerate(worker, "default", target.id, "mute", { muted: true });
    await updated(a.socket, target.id, true);
    target.socket.terminate();
    await a.socket.expectNothing(200, "member_left");
    const back = await worker.join(channel, target.id, { session: target.joined.session_id });
    assert.equal(back.joined.members.find((m) => m.id === target.id).server_muted, true, JSON.stringify(back.joined));
    const news = await a.socket.next("member_joined", 2000, (m) => m.member.id === target.id);
    assert.equal(news.member.server_muted, true, JSON.stringify(news));
  });

  test("a mute holds in its own space only: the same user in another space's channel is not muted", async () => {
    const { members: [, target] } = await room(2);
    await mustModerate(worker, "default", target.id, "mute", { muted: true });
    await updated(target.socket, target.id, true);
    const { space } = await runtimeChannel(worker, `other${used++}`);
    const token = tokenIn(space, target.id);
    const there = await joinWith(worker, "room", token);
    assert.equal(there.joined.members.find((m) => m.id === target.id).server_muted, false);
    await listed(worker, token, "room", target.id);
    await there.socket.expectNothing(400, "member_updated");
    const channels = await channelsWhere(worker, token, () => true);
    assert.equal(memberIn(channels, "room", target.id).server_muted, false);
    // And the default-space socket was left alone (one channel per user holds within a space).
    assert.equal(target.socket.isClosed, false);
  });

  test("muting twice and unmuting someone never muted answer 200 with the state", async () => {
    const { members: [a, target] } = await room(2);
    assert.equal((await mustModerate(worker, "default", target.id, "mute", { muted: false })).server_muted, false);
    assert.equal((await mustModerate(worker, "default", target.id, "mute", { muted: true })).server_muted, true);
    assert.equal((await mustModerate(worker, "default", target.id, "mute", { muted: true })).server_muted, true);
    await updated(a.socket, target.id, true);
    assert.equal((await mustModerate(worker, "default", a.id, "mute", { muted: false })).server_muted, false);
  });
});
