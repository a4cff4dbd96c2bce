// A voice channel: presence, signalling, state, leaving, double joins, resume, hibernation and
// moving between channels. Every test uses channels and users no other test touches.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { uniqueUser } from "../lib/tokens.mjs";
import { sleep } from "../lib/wait.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { crowd, ids } from "../lib/fixtures.mjs";

const CHANNELS = Array.from({ length: 60 }, (_, i) => `room${i}:Room ${i}`).join(",");

describe("voice channel", () => {
  let worker;
  let used = 0;
  /** A channel no other test has used. */
  const freshChannel = () => `room${used++}`;

  before(async () => {
    worker = await startWorker({ vars: { VOICE_CHANNELS: CHANNELS } });
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  const offer = { sdp: { type: "offer", sdp: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n" } };

  // --- joining --------------------------------------------------------------------------------

  test("the first message is joined, with the channel, you, a session id, the members and ICE servers", async () => {
    const channel = freshChannel();
    const id = uniqueUser("alice");
    const { joined } = await worker.join(channel, { id, name: "Alice" });
    assert.equal(joined.channel_id, channel);
    assert.equal(joined.user_id, id);
    assert.match(joined.session_id, /^[A-Za-z0-9_-]{22,}$/, "session_id should carry at least 128 random bits");
    assert.deepEqual(joined.members, [{ id, name: "Alice", muted: false, deafened: false, server_muted: false }]);
    assert.ok(Array.isArray(joined.ice_servers) && joined.ice_servers.length >= 1, JSON.stringify(joined.ice_servers));
    const urls = joined.ice_servers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]));
    assert.ok(urls.includes("stun:stun.cloudflare.com:3478"), JSON.stringify(urls));
  });

  test("every accepted socket gets a new session id", async () => {
    const seen = new Set();
    for (let i = 0; i < 4; i++) {
      const { socket, joined } = await worker.join(freshChannel(), uniqueUser("s"));
      seen.add(joined.session_id);
      socket.send({ type: "leave" });
      await socket.closed();
    }
    assert.equal(seen.size, 4);
  });

  test("a second member sees the first in joined, and the first gets member_joined (not resumed)", async () => {
    const channel = freshChannel();
    const a = uniqueUser("a");
    const b = uniqueUser("b");
    const first = await worker.join(channel, { id: a, name: "Ann" });
    const second = await worker.join(channel, { id: b, name: "Ben" });
    assert.deepEqual(ids(second.joined.members), [a, b].sort());
    const news = await first.socket.next("member_joined");
    assert.deepEqual(news.member, { id: b, name: "Ben", muted: false, deafened: false, server_muted: false });
    assert.equal(news.resumed, false);
  });

  test("the newcomer itself gets no member_joined", async () => {
    const channel = freshChannel();
    const [, b] = await crowd(worker, channel, 2);
    await b.socket.expectNothing(300);
  });

  test("a session id never reaches other members", async () => {
    const channel = freshChannel();
    const a = await worker.join(channel, uniqueUser("a"));
    const b = await worker.join(channel, uniqueUser("b"));
    const seenByA = JSON.stringify(await a.socket.next("member_joined"));
    assert.ok(!seenByA.includes(b.joined.session_id), seenByA);
    assert.ok(!JSON.stringify(b.joined.members).includes(a.joined.session_id), JSON.stringify(b.joined.members));
    const roster = JSON.stringify(await worker.channelsNow());
    assert.ok(!roster.includes(a.joined.session_id) && !roster.includes(b.joined.session_id), roster);
  });

  // --- signalling -----------------------------------------------------------------------------

  test("a signal reaches only its addressee, with from set to the sender", async () => {
    const channel = freshChannel();
    const [a, b, c] = await crowd(worker, channel, 3);
    a.socket.send({ type: "signal", to: b.id, payload: offer });
    const got = await b.socket.next("signal");
    assert.equal(got.from, a.id);
    assert.deepEqual(got.payload, offer);
    await c.socket.expectNothing(300, "signal");
    await a.socket.expectNothing(0, "signal");
  });

  test("a signal with text beyond ASCII (accents, CJK, emoji, escapes) arrives exactly as sent", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    const sdp = `v=0\r\ns=Zoë 🎧 声音 \u2028 "quoted" \\ back\r\n${"a=x-pad:ünïcødé\r\n".repeat(40)}`;
    const payload = { type: "offer", sdp, nested: { emoji: "👩‍👩‍👧", escaped: "\u0000\t" } };
    a.socket.send({ type: "signal", to: b.id, payload });
    const got = await b.socket.next("signal");
    assert.equal(got.from, a.id);
    assert.deepEqual(got.payload, payload);
  });

  test("a spoofed from in a client signal is overwritten by the server", async () => {
    const channel = freshChannel();
    const [a, b, c] = await crowd(worker, channel, 3);
    a.socket.send({ type: "signal", to: b.id, from: c.id, payload: { candidate: { candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host" } } });
    const got = await b.socket.next("signal");
    assert.equal(got.from, a.id);
  });

  test("a signal to a user who is not in the channel is refused with unknown_peer", async () => {
    const channel = freshChannel();
    const [a] = await crowd(worker, channel, 1);
    a.socket.send({ type: "signal", to: uniqueUser("ghost"), payload: offer });
    const err = await a.socket.next("error");
    assert.equal(err.reason, "unknown_peer");
    assert.equal(a.socket.isClosed, false);
  });

  test("a signal to yourself is refused with bad_message", async () => {
    const channel = freshChannel();
    const [a] = await crowd(worker, channel, 1);
    a.socket.send({ type: "signal", to: a.id, payload: offer });
    const err = await a.socket.next("error");
    assert.equal(err.reason, "bad_message");
  });

  for (const [what, frame] of [
    ["malformed JSON", '{"type": "signal", '],
    ["an unknown message type", JSON.stringify({ type: "dance", moves: 3 })],
    ["a message without a type", JSON.stringify({ to: "x", payload: {} })],
    ["a signal without to", JSON.stringify({ type: "signal", payload: { sdp: {} } })],
    ["a signal without payload", JSON.stringify({ type: "signal", to: "someone" })],
    ["a signal whose payload is not an object", JSON.stringify({ type: "signal", to: "someone", payload: "sdp" })],
    ["a state without muted", JSON.stringify({ type: "state", deafened: false })],
    ["a state with a non-boolean muted", JSON.stringify({ type: "state", muted: "yes", deafened: false })],
  ]) {
    test(`${what} gets an error with a reason and the socket stays open`, async () => {
      const channel = freshChannel();
      const [a, b] = await crowd(worker, channel, 2);
      a.socket.send(frame);
      const err = await a.socket.next("error");
      assert.equal(typeof err.reason, "string");
      assert.match(err.reason, /^[a-z][a-z_]*$/, "reason is snake_case");
      await b.socket.expectNothing(200);
      // Still usable: a signal still goes through.
      a.socket.send({ type: "signal", to: b.id, payload: offer });
      assert.equal((await b.socket.next("signal")).from, a.id);
      assert.equal(a.socket.isClosed, false);
    });
  }

  test("a client that keeps flooding gets rate_limited errors, then close 4029", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    for (let i = 0; i < 3000 && a.socket.ws.readyState === 1; i++) {
      a.socket.send({ type: "signal", to: b.id, payload: { candidate: { candidate: `c${i}` } } });
    }
    const err = await a.socket.next("error", 5000, (m) => m.reason === "rate_limited");
    assert.equal(err.reason, "rate_limited");
    assert.equal(await a.socket.closed(5000), 4029);
  });

  test("text ping is answered with text pong", async () => {
    const { socket } = await worker.join(freshChannel(), uniqueUser());
    socket.send("ping");
    assert.equal(await socket.nextText("pong"), "pong");
  });

  // --- state and leaving ----------------------------------------------------------------------

  test("a state change reaches the others as member_updated", async () => {
    const channel = freshChannel();
    const [a, b, c] = await crowd(worker, channel, 3);
    a.socket.send({ type: "state", muted: true, deafened: false });
    for (const other of [b, c]) {
      const upd = await other.socket.next("member_updated");
      assert.equal(upd.member.id, a.id);
      assert.equal(upd.member.muted, true);
      assert.equal(upd.member.deafened, false);
    }
  });

  test("a state change is kept: a later newcomer sees it in joined", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    a.socket.send({ type: "state", muted: true, deafened: true });
    await b.socket.next("member_updated");
    const late = await worker.join(channel, uniqueUser("late"));
    const seen = late.joined.members.find((m) => m.id === a.id);
    assert.equal(seen.muted, true);
    assert.equal(seen.deafened, true);
  });

  test("leave removes you at once: the others get member_left and the server closes with 1000", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    a.socket.send({ type: "leave" });
    const left = await b.socket.next("member_left");
    assert.equal(left.user_id, a.id);
    assert.equal(await a.socket.closed(), 1000);
    assert.deepEqual(await worker.membersWhen(channel, [b.id]), [b.id]);
  });

  test("a clean close from the client removes you at once", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    a.socket.close(1000);
    const left = await b.socket.next("member_left", 2000);
    assert.equal(left.user_id, a.id);
  });

  test("a user can join again after leaving", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    a.socket.send({ type: "leave" });
    await b.socket.next("member_left");
    await a.socket.closed();
    const again = await worker.join(channel, a.id);
    assert.deepEqual(ids(again.joined.members), [a.id, b.id].sort());
    const news = await b.socket.next("member_joined");
    assert.equal(news.member.id, a.id);
  });

  // --- double join and same-tab resume --------------------------------------------------------

  test("a second socket of a live member is refused with already_in_channel and close 4009", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    const dup = await worker.openVoice(channel, a.id);
    const err = await dup.first();
    assert.equal(err.type, "error");
    assert.equal(err.reason, "already_in_channel");
    assert.equal(await dup.closed(), 4009);
    // The first socket and the others are unaffected.
    await a.socket.expectNothing(300);
    await b.socket.expectNothing(0);
    a.socket.send({ type: "signal", to: b.id, payload: offer });
    assert.equal((await b.socket.next("signal")).from, a.id);
  });

  test("a second socket presenting a wrong session id is refused like a double join", async () => {
    const channel = freshChannel();
    const [a] = await crowd(worker, channel, 1);
    const dup = await worker.openVoice(channel, a.id, { session: "AAAAAAAAAAAAAAAAAAAAAA" });
    assert.equal((await dup.first()).reason, "already_in_channel");
    assert.equal(await dup.closed(), 4009);
    assert.equal(a.socket.isClosed, false);
  });

  test("the same tab resuming with its session id replaces the old socket (4011) and others see resumed", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    const resumed = await worker.join(channel, a.id, { session: a.joined.session_id });
    assert.equal(await a.socket.closed(), 4011);
    assert.equal(resumed.joined.user_id, a.id);
    assert.notEqual(resumed.joined.session_id, a.joined.session_id, "a new socket gets a new session id");
    assert.deepEqual(ids(resumed.joined.members), [a.id, b.id].sort());
    const news = await b.socket.next("member_joined");
    assert.equal(news.member.id, a.id);
    assert.equal(news.resumed, true);
    await b.socket.expectNothing(300, "member_left");
    // The new socket is the member now.
    b.socket.send({ type: "signal", to: a.id, payload: offer });
    assert.equal((await resumed.socket.next("signal")).from, b.id);
  });

  test("a resumed member keeps one entry in the roster", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    await worker.join(channel, a.id, { session: a.joined.session_id });
    await b.socket.next("member_joined");
    assert.deepEqual(await worker.membersWhen(channel, [a.id, b.id]), [a.id, b.id].sort());
  });

  // --- hibernation ----------------------------------------------------------------------------

  test("a signal still routes with the right from after the room hibernates", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    await worker.hibernateRoom(channel);
    a.socket.send({ type: "signal", to: b.id, payload: offer });
    const got = await b.socket.next("signal", 3000);
    assert.equal(got.from, a.id);
    assert.deepEqual(got.payload, offer);
  });

  test("after hibernation a newcomer still sees the existing members and their state", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    a.socket.send({ type: "state", muted: true, deafened: false });
    await b.socket.next("member_updated");
    await worker.hibernateRoom(channel);
    const c = await worker.join(channel, uniqueUser("c"));
    assert.deepEqual(ids(c.joined.members), [a.id, b.id, c.joined.user_id].sort());
    assert.equal(c.joined.members.find((m) => m.id === a.id).muted, true);
    assert.equal((await a.socket.next("member_joined", 3000)).member.id, c.joined.user_id);
  });

  test("after hibernation a double join is still refused and resume still works", async () => {
    const channel = freshChannel();
    const [a, b] = await crowd(worker, channel, 2);
    await worker.hibernateRoom(channel);
    const dup = await worker.openVoice(channel, a.id);
    assert.equal((await dup.first(3000)).reason, "already_in_channel");
    assert.equal(await dup.closed(), 4009);
    await worker.hibernateRoom(channel);
    await worker.join(channel, a.id, { session: a.joined.session_id });
    assert.equal(await a.socket.closed(), 4011);
    assert.equal((await b.socket.next("member_joined", 3000)).resumed, true);
  });

  test("ping is answered while the room is hibernated", async () => {
    const channel = freshChannel();
    const { socket } = await worker.join(channel, uniqueUser());
    await worker.hibernateRoom(channel);
    socket.send("ping");
    assert.equal(await socket.nextText("pong"), "pong");
  });

  // --- moving ---------------------------------------------------------------------------------

  test("joining another channel moves you: the old socket gets moved and close 4010", async () => {
    const from = freshChannel();
    const to = freshChannel();
    const [a, stay] = await crowd(worker, from, 2);
    const [there] = await crowd(worker, to, 1);
    const moved = await worker.join(to, a.id);
    const err = await a.socket.next("error");
    assert.equal(err.reason, "moved");
    assert.equal(await a.socket.closed(), 4010);
    assert.equal((await stay.socket.next("member_left")).user_id, a.id);
    const news = await there.socket.next("member_joined");
    assert.equal(news.member.id, a.id);
    assert.deepEqual(ids(moved.joined.members), [a.id, there.id].sort());
  });

  test("a move still works after the rooms and the lobby hibernate", async () => {
    const from = freshChannel();
    const to = freshChannel();
    const [a, stay] = await crowd(worker, from, 2);
    const [there] = await crowd(worker, to, 1);
    await worker.hibernateRoom(from);
    await worker.hibernateRoom(to);
    await worker.hibernate("Lobby", "lobby");
    await worker.join(to, a.id);
    assert.equal((await a.socket.next("error", 3000)).reason, "moved");
    assert.equal(await a.socket.closed(), 4010);
    assert.equal((await stay.socket.next("member_left", 3000)).user_id, a.id);
    assert.equal((await there.socket.next("member_joined", 3000)).member.id, a.id);
  });

  test("a user still in grace who joins another channel is removed from the first at once", async () => {
    const from = freshChannel();
    const to = freshChannel();
    const [a, stay] = await crowd(worker, from, 2);
    a.socket.terminate();
    await sleep(300); // let the room see the drop; the grace period here is 15 s
    await stay.socket.expectNothing(0, "member_left");
    await worker.join(to, a.id);
    const left = await stay.socket.next("member_left", 3000);
    assert.equal(left.user_id, a.id);
  });

  test("after a move the rosters show the user in the new channel only, and never in both", async () => {
    const from = freshChannel();
    const to = freshChannel();
    const [a, stay] = await crowd(worker, from, 2);
    const listedTwice = [];
    const rosters = (answer) => {
      const of = (id) => ids(answer.channels.find((c) => c.id === id).members);
      if (of(from).includes(a.id) && of(to).includes(a.id)) listedTwice.push(JSON.stringify(answer));
      return { from: of(from), to: of(to) };
    };
    await worker.join(to, a.id);
    const want = JSON.stringify({ from: [stay.id], to: [a.id] });
    const settled = rosters(await worker.channelsWhen((answer) => JSON.stringify(rosters(answer)) === want));
    assert.deepEqual(settled, { from: [stay.id], to: [a.id] });
    assert.deepEqual(listedTwice, []);
    assert.equal((await stay.socket.next("member_left")).user_id, a.id);
  });

  test("moving back to the first channel works", async () => {
    const one = freshChannel();
    const two = freshChannel();
    const [a, watcher] = await crowd(worker, one, 2);
    const inTwo = await worker.join(two, a.id);
    await watcher.socket.next("member_left");
    await worker.join(one, a.id);
    assert.equal(await inTwo.socket.closed(), 4010);
    const back = await watcher.socket.next("member_joined");
    assert.equal(back.member.id, a.id);
    assert.deepEqual(await worker.membersWhen(two, []), []);
    assert.deepEqual(await worker.membersWhen(one, [a.id, watcher.id]), [a.id, watcher.id].sort());
  });
});
