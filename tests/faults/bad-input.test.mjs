// Bad input that tests/integration does not already cover: binary and invalid UTF-8 frames,
// frame sizes around the 16 KiB limit and past the runtime's own limit, deeply nested JSON,
// HTML in names (accepted, and always returned as JSON text), tokens too large to be tokens,
// and a lobby socket fed garbage. RECONNECT_GRACE_SECS=1 so a dropped member is evicted quickly.

import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { mintToken, now, tokenFor, uniqueUser, verifyToken } from "../lib/tokens.mjs";
import { readJson } from "../lib/client.mjs";
import { startWorker } from "../lib/miniflare.mjs";
import { pair } from "../lib/fixtures.mjs";
import { assertError, assertRefused } from "../lib/assertions.mjs";

const CHANNELS = Array.from({ length: 20 }, (_, i) => `b${i}:Bad ${i}`).join(",");
/** The protocol's frame limit (src/protocol.rs MAX_FRAME_BYTES). */
const MAX_FRAME = 16 * 1024;

describe("bad input", () => {
  let worker;
  let used = 0;
  const freshChannel = () => `b${used++}`;

  before(async () => {
    worker = await startWorker({ vars: { VOICE_CHANNELS: CHANNELS, RECONNECT_GRACE_SECS: "1" } });
  });
  afterEach(() => worker.closeSockets());
  after(async () => {
    await worker?.dispose();
  });

  /** A signal from `from` to `to` still goes through: the socket is usable. */
  async function stillRelays(from, to) {
    from.socket.send({ type: "signal", to: to.id, payload: { candidate: { candidate: "still-here" } } });
    const got = await to.socket.next("signal", 2000, (m) => m.payload?.candidate?.candidate === "still-here");
    assert.equal(got.from, from.id);
  }

  /** A `signal` frame to `to` that is exactly `bytes` long. */
  function frameOfLength(to, bytes) {
    const empty = JSON.stringify({ type: "signal", to, payload: { sdp: "" } });
    const frame = JSON.stringify({ type: "signal", to, payload: { sdp: "x".repeat(bytes - empty.length) } });
    assert.equal(Buffer.byteLength(frame), bytes);
    return frame;
  }

  // --- frames ---------------------------------------------------------------------------------

  test("a binary frame gets binary_not_supported and the socket stays usable", async () => {
    const [a, b] = await pair(worker, freshChannel());
    a.socket.ws.send(Buffer.from(JSON.stringify({ type: "signal", to: b.id, payload: {} })), { binary: true });
    assert.equal((await a.socket.next("error")).reason, "binary_not_supported");
    await b.socket.expectNothing(200, "signal");
    await stillRelays(a, b);
  });

  test("a text frame of invalid UTF-8 gets bad_message and the socket stays usable", async () => {
    const [a, b] = await pair(worker, freshChannel());
    // {"type":"\xff\xfe"}: the runtime decodes it leniently (U+FFFD), the parser refuses it.
    a.socket.ws.send(Buffer.from([0x7b, 0x22, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    const err = await a.socket.next("error");
    assert.match(err.reason, /^(bad_message|unknown_type)$/);
    await stillRelays(a, b);
  });

  test("a frame of exactly 16 KiB is relayed; one byte more gets too_large and is not", async () => {
    const [a, b] = await pair(worker, freshChannel());
    a.socket.send(frameOfLength(b.id, MAX_FRAME));
    const got = await b.socket.next("signal");
    assert.equal(got.payload.sdp.length, MAX_FRAME - JSON.stringify({ type: "signal", to: b.id, payload: { sdp: "" } }).length);
    a.socket.send(frameOfLength(b.id, MAX_FRAME + 1));
    assert.equal((await a.socket.next("error")).reason, "too_large");
    await b.socket.expectNothing(200, "signal");
    await stillRelays(a, b);
  });

  test("a 1 MiB frame gets too_large and the socket stays usable", async () => {
    const [a, b] = await pair(worker, freshChannel());
    a.socket.send(frameOfLength(b.id, 1024 * 1024));
    assert.equal((await a.socket.next("error", 3000)).reason, "too_large");
    await stillRelays(a, b);
  });

  test("a frame past the runtime's message limit (33 MiB) closes the socket with 1009; the member is evicted after the grace period", async () => {
    const [a, b] = await pair(worker, freshChannel());
    a.socket.send(frameOfLength(b.id, 33 * 1024 * 1024));
    assert.equal(await a.socket.closed(10_000), 1009);
    assert.equal((await b.socket.next("member_left", 5000)).user_id, a.id);
  });

  test("deeply nested JSON is refused with an error, not a crash", async () => {
    const [a, b] = await pair(worker, freshChannel());
    const depth = 5000;
    a.socket.send(`{"type":"signal","to":${JSON.stringify(b.id)},"payload":{"x":${"[".repeat(depth)}${"]".repeat(depth)}}}`);
    assert.equal((await a.socket.next("error")).reason, "bad_message");
    await stillRelays(a, b);
  });

  for (const [what, frame] of [
    ["a signal whose to is not a string", (b) => JSON.stringify({ type: "signal", to: [b], payload: {} })],
    ["a JSON null", () => "null"],
    ["a JSON array", (b) => JSON.stringify([{ type: "signal", to: b, payload: {} }])],
    ["an empty text frame", () => ""],
    ["a type that is not a string", () => JSON.stringify({ type: 7 })],
  ]) {
    test(`${what} gets an error and relays nothing`, async () => {
      const [a, b] = await pair(worker, freshChannel());
      a.socket.send(frame(b.id));
      assert.match((await a.socket.next("error")).reason, /^[a-z][a-z_]*$/);
      await b.socket.expectNothing(200, "signal");
      await stillRelays(a, b);
    });
  }

  // --- tricks on the relay (the fast path must refuse what the full parser refuses) -------------

  test("a signal to yourself spelled with a unicode escape is still bad_message", async () => {
    const [a, b] = await pair(worker, freshChannel());
    const escaped = [...a.id].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("");
    a.socket.send(`{"type":"signal","to":"${escaped}","payload":{"sdp":{}}}`);
    assert.equal((await a.socket.next("error")).reason, "bad_message");
    await a.socket.expectNothing(200, "signal");
    await stillRelays(a, b);
  });

  test("duplicate keys are refused, never relayed to either addressee", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    const cId = uniqueUser("c");
    const c = { id: cId, ...(await worker.join(channel, cId)) };
    for (const frame of [
      `{"type":"signal","to":${JSON.stringify(b.id)},"to":${JSON.stringify(c.id)},"payload":{}}`,
      `{"type":"signal","to":${JSON.stringify(b.id)},"payload":{"a":1},"payload":{"b":2}}`,
      `{"type":"signal","to":${JSON.stringify(b.id)},"payload":{},"type":"leave"}`,
    ]) {
      a.socket.send(frame);
      assert.equal((await a.socket.next("error")).reason, "bad_message", frame);
    }
    await b.socket.expectNothing(200, "signal");
    await c.socket.expectNothing(0, "signal");
    assert.equal(a.socket.isClosed, false, "a duplicate type leave is not a leave");
    await b.socket.expectNothing(0, "member_left");
    await stillRelays(a, b);
  });

  test("a member who moved to another channel is unknown_peer in the old one at once", async () => {
    const channel = freshChannel();
    const [a, b] = await pair(worker, channel);
    const moved = await worker.join(freshChannel(), b.id);
    assert.equal(await b.socket.closed(), 4010);
    a.socket.send({ type: "signal", to: b.id, payload: { candidate: { candidate: "x" } } });
    assert.equal((await a.socket.next("error")).reason, "unknown_peer");
    await moved.socket.expectNothing(200, "signal");
  });

  // --- names ----------------------------------------------------------------------------------

  test("an HTML name at sign-in is accepted and comes back as the same JSON text everywhere", async () => {
    const name = `<img src=x onerror=alert(1)>&amp;"'`.slice(0, 32);
    const res = await worker.postSession({ name });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type"), /^application\/json/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    const body = await readJson(res);
    assert.equal(body.user.name, name, "the name is neither escaped nor stripped");
    assert.equal(verifyToken(body.token).claims.name, name);

    const channel = freshChannel();
    const watcher = await worker.join(channel, uniqueUser("w"));
    const { socket: lobby } = await worker.openLobby();
    const me = await worker.join(channel, body.user);
    assert.equal(me.joined.members.find((m) => m.id === body.user.id).name, name);
    assert.equal((await watcher.socket.next("member_joined")).member.name, name);
    const update = await lobby.next("channel", 2000, (m) => m.id === channel && m.members.some((x) => x.id === body.user.id));
    assert.equal(update.members.find((m) => m.id === body.user.id).name, name);
    const listed = await worker.get("/api/channels", body.token);
    assert.match(listed.headers.get("content-type"), /^application\/json/);
    const channels = (await readJson(listed)).channels;
    assert.equal(channels.find((c) => c.id === channel).members.find((m) => m.id === body.user.id).name, name);
  });

  // --- tokens ---------------------------------------------------------------------------------

  test("a validly signed token over 4 KiB is unauthorized, on HTTP and on the WebSocket", async () => {
    const big = mintToken({ sub: uniqueUser("big"), name: "Big", iat: now(), exp: now() + 3600, pad: "p".repeat(5000) });
    assert.ok(big.length > 4096);
    await assertError(await worker.get("/api/channels", big), 401, "unauthorized");
    await assertError(await worker.get("/api/ice-servers", big), 401, "unauthorized");
    assertRefused(await worker.upgrade(`/api/channels/${freshChannel()}/voice`, { token: big }), 401, "unauthorized");
    assertRefused(await worker.upgrade("/api/lobby", { token: big }), 401, "unauthorized");
  });

  test("a 60 KB bearer entry is unauthorized, and a header past the runtime's limit is refused before the worker", async () => {
    assertRefused(await worker.upgrade(`/api/channels/${freshChannel()}/voice`, { token: "b".repeat(60_000) }), 401, "unauthorized");
    const res = await worker.get("/api/channels", "a".repeat(200_000));
    assert.equal(res.status, 431, "431 Request Header Fields Too Large, from the runtime");
    await res.body?.cancel();
    // Still serving.
    assert.equal((await worker.get("/api/channels", tokenFor(uniqueUser("after")))).status, 200);
  });

  // --- the lobby ------------------------------------------------------------------------------

  test("the lobby ignores frames other than ping, stays open and keeps sending updates", async () => {
    const { socket: lobby } = await worker.openLobby();
    lobby.ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
    lobby.send("x".repeat(MAX_FRAME * 4));
    lobby.send({ type: "signal", to: "anyone", payload: {} });
    lobby.send({ type: "leave" });
    lobby.send("ping");
    assert.equal(await lobby.nextText("pong"), "pong");
    const channel = freshChannel();
    const { socket } = await worker.join(channel, uniqueUser("c"));
    const update = await lobby.next("channel", 2000, (m) => m.id === channel);
    assert.equal(update.members.length, 1);
    assert.equal(lobby.isClosed, false);
    socket.close();
    await lobby.expectNothing(0, "error");
  });
});
