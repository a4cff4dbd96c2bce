// Webhook events against a loopback receiver (CONTRACT.md v1.1 "Webhooks (Standard Webhooks)",
// "v1.1 details"): every event type with its data, in the contract's order; signatures checked
// with the independent `standardwebhooks` package; no token, session id or secret in any payload
// or header. Each step waits until the lobby shows it, since rooms report at most every 100 ms
// and a change undone within one report makes no event. Delivery under failure and slowness is in
// webhooks-delivery.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ADMIN_KEY, joinWith, lobbyShows, mustModerate, runtimeChannel, startModerationWorker, tokenIn } from "../lib/moderation.mjs";
import { SECRET, tokenFor, uniqueUser } from "../lib/tokens.mjs";
import { newWebhookSecret, startReceiver, verifyWith } from "../lib/webhook-receiver.mjs";

const RFC3339_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$/;

describe("webhook events", () => {
  let worker;
  let receiver;
  let lobby;
  const secret = newWebhookSecret();
  /** Every token and session id the tests used: none may reach the receiver. */
  const confidential = new Set([SECRET, ADMIN_KEY, secret, secret.slice("whsec_".length)]);
  let used = 0;
  const fresh = () => `w${used++}`;

  before(async () => {
    receiver = await startReceiver();
    worker = await startModerationWorker("w", { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: secret });
    lobby = (await worker.openLobby()).socket;
  });
  after(async () => {
    worker?.closeSockets();
    await worker?.dispose();
    await receiver?.close();
  });

  /** `id` (named `name`) joins `channel`; its token and session id are recorded as confidential. */
  async function join(channel, id, name = id) {
    const token = tokenFor({ id, name });
    confidential.add(token);
    const r = await joinWith(worker, channel, token);
    confidential.add(r.joined.session_id);
    return { id, token, ...r };
  }

  /** Waits until the lobby shows `channel` with exactly `members` (ids), each as `where` wants. */
  const shows = (channel, members, where) => lobbyShows(lobby, channel, members, where);

  /** The events (first deliveries) touching `channel` (as `channel_id` or `from_channel_id`) once there are `count`. */
  async function eventsOf(channels, count) {
    const touches = (e) => channels.includes(e.data?.channel_id) || channels.includes(e.data?.from_channel_id);
    await receiver.until(() => receiver.events(touches).length >= count, 5000, `${count} events of ${channels}`);
    return receiver.events(touches);
  }

  /** `[type, channel_id, member id]` of each event, with `from_channel_id` for moves. */
  const outline = (events) =>
    events.map((e) => [e.type, e.data.channel_id, e.data.member.id, ...(e.data.from_channel_id ? [e.data.from_channel_id] : [])]);

  /** The whole body shape: `{type, timestamp, data: {space, channel_id, member, from_channel_id?}}`. */
  function assertShape(event) {
    assert.deepEqual(Object.keys(event).sort(), ["data", "timestamp", "type"], JSON.stringify(event));
    assert.match(event.timestamp, RFC3339_UTC);
    assert.ok(Math.abs(Date.parse(event.timestamp) - Date.now()) < 60_000, `timestamp ${event.timestamp} is not now`);
    const keys = ["channel_id", "member", "space", ...(event.type === "member.moved" ? ["from_channel_id"] : [])];
    assert.deepEqual(Object.keys(event.data).sort(), keys.sort(), JSON.stringify(event));
    assert.equal(event.data.space, "default");
    assert.deepEqual(Object.keys(event.data.member).sort(), ["deafened", "id", "muted", "name", "server_muted"], JSON.stringify(event));
  }

  test("join and leave: channel.started before the first member.joined, member.left before channel.ended, with the space, channel and member", async () => {
    const channel = fresh();
    const a = await join(channel, uniqueUser("ann"), "Ann");
    await shows(channel, [a.id]);
    const b = await join(channel, uniqueUser("ben"), "Ben");
    await shows(channel, [a.id, b.id]);
    b.socket.send({ type: "leave" });
    await shows(channel, [a.id]);
    a.socket.close(1000);
    await shows(channel, []);
    const events = await eventsOf([channel], 6);
    assert.deepEqual(outline(events), [
      ["channel.started", channel, a.id],
      ["member.joined", channel, a.id],
      ["member.joined", channel, b.id],
      ["member.left", channel, b.id],
      ["member.left", channel, a.id],
      ["channel.ended", channel, a.id],
    ]);
    for (const e of events) assertShape(e);
    assert.deepEqual(events[0].data.member, { id: a.id, name: "Ann", muted: false, deafened: false, server_muted: false });
    assert.deepEqual(events[2].data.member, { id: b.id, name: "Ben", muted: false, deafened: false, server_muted: false });
  });

  test("member.updated on mute, on deafen and on a server mute", async () => {
    const channel = fresh();
    const a = await join(channel, uniqueUser("ann"));
    await shows(channel, [a.id]);
    a.socket.send({ type: "state", muted: true, deafened: false });
    await shows(channel, [a.id], (m) => m.muted);
    a.socket.send({ type: "state", muted: true, deafened: true });
    await shows(channel, [a.id], (m) => m.deafened);
    const moderator = tokenIn("default", uniqueUser("mod"), "moderator");
    confidential.add(moderator);
    await mustModerate(worker, "default", a.id, "mute", { muted: true }, { auth: moderator });
    await shows(channel, [a.id], (m) => m.server_muted);
    await mustModerate(worker, "default", a.id, "mute", { muted: false });
    await shows(channel, [a.id], (m) => !m.server_muted);
    const events = await eventsOf([channel], 6);
    assert.deepEqual(outline(events).slice(0, 2), [["channel.started", channel, a.id], ["member.joined", channel, a.id]]);
    const updates = events.slice(2).map((e) => [e.type, e.data.member.muted, e.data.member.deafened, e.data.member.server_muted]);
    assert.deepEqual(updates, [
      ["member.updated", true, false, false],
      ["member.updated", true, true, false],
      ["member.updated", true, true, true],
      ["member.updated", true, true, false],
    ]);
    for (const e of events) assertShape(e);
  });

  /**
   * Asserts the events of a move of `mover` from `from` to `to`: one member.moved (target
   * `channel_id`, source `from_channel_id`) and no member.left / member.joined of the mover in
   * either channel; returns the moved event.
   */
  function assertOneMove(events, mover, from, to) {
    const mine = events.filter((e) => e.data.member.id === mover);
    const moves = mine.filter((e) => e.type === "member.moved");
    assert.equal(moves.length, 1, `one member.moved: ${JSON.stringify(outline(mine))}`);
    assert.deepEqual([moves[0].data.channel_id, moves[0].data.from_channel_id], [to, from]);
    const pair = mine.filter((e) => e.type === "member.left" || (e.type === "member.joined" && e.data.channel_id === to));
    assert.deepEqual(outline(pair), [], "no left/joined pair for the mover");
    assertShape(moves[0]);
    return moves[0];
  }

  test("member.moved for a join elsewhere without leaving, then channel.ended of the channel it emptied", async () => {
    const [from, to] = [fresh(), fresh()];
    const c = await join(to, uniqueUser("cat"));
    await shows(to, [c.id]);
    const a = await join(from, uniqueUser("ann"));
    await shows(from, [a.id]);
    const moved = await join(to, a.id);
    assert.equal(await a.socket.closed(), 4010);
    await shows(to, [a.id, c.id]);
    const events = await eventsOf([from, to], 6);
    assert.equal(moved.joined.channel_id, to);
    assertOneMove(events, a.id, from, to);
    await shows(from, []);
    assert.deepEqual(outline(events.filter((e) => e.data.channel_id === from)), [
      ["channel.started", from, a.id],
      ["member.joined", from, a.id],
      ["channel.ended", from, a.id],
    ]);
    const order = outline(events).map((e) => `${e[0]} ${e[1]}`);
    assert.ok(order.indexOf(`member.moved ${to}`) < order.indexOf(`channel.ended ${from}`), `the move comes before the end of the channel it emptied: ${order}`);
    assert.equal(events.find((e) => e.type === "channel.ended").data.member.id, a.id);
    moved.socket.close(1000);
    c.socket.close(1000);
  });

  test("member.moved for a moderator's move (the page then joins the target)", async () => {
    const [from, to] = [fresh(), fresh()];
    const b = await join(from, uniqueUser("ben"));
    const a = await join(from, uniqueUser("ann"));
    await shows(from, [a.id, b.id]);
    await mustModerate(worker, "default", a.id, "move", { channel_id: to });
    assert.equal((await a.socket.next("move", 2000)).channel_id, to);
    await shows(from, [b.id]);
    const arrived = await join(to, a.id);
    await shows(to, [a.id]);
    const events = await eventsOf([from, to], 5);
    const moved = assertOneMove(events, a.id, from, to);
    assert.equal(moved.data.member.id, a.id);
    // The target's first member starts it; the source goes on (ben is still there).
    assert.deepEqual(outline(events.filter((e) => e.type.startsWith("channel."))), [
      ["channel.started", from, b.id],
      ["channel.started", to, a.id],
    ]);
    // A move into an empty channel starts it first, as a join does; the arrival repeats neither.
    const order = outline(events).map((e) => `${e[0]} ${e[1]}`);
    assert.ok(order.indexOf(`channel.started ${to}`) < order.indexOf(`member.moved ${to}`), `started before moved: ${order}`);
    arrived.socket.close(1000);
    b.socket.close(1000);
  });

  test("member.moved for a leave with `to`, then channel.ended of the channel it emptied", async () => {
    const [from, to] = [fresh(), fresh()];
    const c = await join(to, uniqueUser("cat"));
    await shows(to, [c.id]);
    const a = await join(from, uniqueUser("ann"));
    await shows(from, [a.id]);
    a.socket.send({ type: "leave", to });
    assert.equal(await a.socket.closed(), 1000);
    const arrived = await join(to, a.id);
    await shows(to, [a.id, c.id]);
    await shows(from, []);
    const events = await eventsOf([from, to], 6);
    assertOneMove(events, a.id, from, to);
    const order = outline(events).map((e) => `${e[0]} ${e[1]}`);
    assert.ok(order.includes(`channel.ended ${from}`), `${from} ended: ${order}`);
    assert.ok(order.indexOf(`member.moved ${to}`) < order.indexOf(`channel.ended ${from}`), `the move comes before the end of the channel it emptied: ${order}`);
    arrived.socket.close(1000);
    c.socket.close(1000);
  });

  test("a kick is member.left (no move), then channel.ended of the channel it emptied", async () => {
    const channel = fresh();
    const a = await join(channel, uniqueUser("ann"));
    await shows(channel, [a.id]);
    await mustModerate(worker, "default", a.id, "kick", {});
    assert.equal(await a.socket.closed(), 4003);
    await shows(channel, []);
    const events = await eventsOf([channel], 4);
    assert.deepEqual(outline(events), [
      ["channel.started", channel, a.id],
      ["member.joined", channel, a.id],
      ["member.left", channel, a.id],
      ["channel.ended", channel, a.id],
    ]);
  });

  test("events of another space carry that space's id", async () => {
    const { space, channel } = await runtimeChannel(worker, `acme${used++}`);
    const id = uniqueUser("acme");
    const token = tokenIn(space, id);
    confidential.add(token);
    const { socket, joined } = await joinWith(worker, channel, token);
    confidential.add(joined.session_id);
    await receiver.until(() => receiver.events((e) => e.data?.space === space).length >= 2, 5000, `the ${space} events`);
    socket.close(1000);
    await receiver.until(() => receiver.events((e) => e.data?.space === space).length >= 4, 5000, `the ${space} events`);
    const events = receiver.events((e) => e.data?.space === space);
    assert.deepEqual(outline(events), [
      ["channel.started", channel, id],
      ["member.joined", channel, id],
      ["member.left", channel, id],
      ["channel.ended", channel, id],
    ]);
    for (const e of events) assert.equal(e.data.space, space);
  });

  test("every delivery verifies with the standardwebhooks package; a wrong secret or a changed body does not", async () => {
    assert.ok(receiver.requests.length >= 20, `deliveries so far: ${receiver.requests.length}`);
    for (const r of receiver.requests) {
      assert.equal(r.method, "POST");
      assert.match(String(r.headers["content-type"]), /^application\/json/);
      assert.deepEqual(verifyWith(secret, r), r.json, `request ${r.n} does not verify`);
      const stamp = Number(r.headers["webhook-timestamp"]);
      assert.ok(Number.isInteger(stamp) && Math.abs(stamp * 1000 - (Date.now() - (performance.now() - r.at))) < 60_000, `webhook-timestamp ${r.headers["webhook-timestamp"]} is not unix seconds of the attempt`);
      assert.match(String(r.headers["webhook-signature"]), /^v1,[A-Za-z0-9+/]+={0,2}$/);
      assert.throws(() => verifyWith(newWebhookSecret(), r), /signature/i);
      assert.throws(() => verifyWith(secret, { ...r, body: r.body.replace('"type"', '"type" ') }), /signature/i);
    }
    const idsSeen = receiver.requests.map((r) => r.headers["webhook-id"]);
    assert.equal(new Set(idsSeen).size, idsSeen.length, "every event has its own webhook-id");
  });

  test("no token, session id or secret in any payload or header", () => {
    assert.ok(confidential.size > 10, `tokens and sessions recorded: ${confidential.size}`);
    for (const r of receiver.requests) {
      const text = `${r.path}\n${JSON.stringify(r.headers)}\n${r.body}`;
      for (const c of confidential) assert.ok(!text.includes(c), `request ${r.n} carries ${c.slice(0, 12)}…: ${text}`);
    }
  });
});
