// SignalSocket against a fake WebSocket: the token in the subprotocol list, a ping every 10 s,
// messages handled one at a time in order, a goodbye sent once the handshake is done, and
// reconnects with backoff (reset once open) that the page may refuse.
import assert from "node:assert/strict";
import { afterEach, beforeEach, test } from "node:test";
import { SignalSocket } from "../../public/socket.js";

class FakeWebSocket extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  /** @type {FakeWebSocket[]} */
  static made = [];

  constructor(url, protocols) {
    super();
    this.url = String(url);
    this.protocols = protocols;
    this.readyState = FakeWebSocket.CONNECTING;
    /** @type {string[]} */
    this.sent = [];
    this.closedWith = null;
    FakeWebSocket.made.push(this);
  }

  send(text) { this.sent.push(text); }
  close(code) { this.closedWith = code; this.readyState = FakeWebSocket.CLOSED; }
  serverOpens() { this.readyState = FakeWebSocket.OPEN; this.dispatchEvent(new Event("open")); }
  serverSends(data) { this.dispatchEvent(Object.assign(new Event("message"), { data })); }
  serverCloses(code) {
    this.readyState = FakeWebSocket.CLOSED;
    this.dispatchEvent(Object.assign(new Event("close"), { code, reason: "" }));
  }
}

const realWebSocket = globalThis.WebSocket;
beforeEach(() => {
  FakeWebSocket.made = [];
  globalThis.WebSocket = /** @type {any} */ (FakeWebSocket);
});
afterEach(() => { globalThis.WebSocket = realWebSocket; });

const url = new URL("ws://127.0.0.1:8787/api/lobby");
const settle = () => new Promise((resolve) => setImmediate(resolve));

test("the token rides in the subprotocols and a ping goes out every 10 s while open", (t) => {
  t.mock.timers.enable({ apis: ["setInterval", "setTimeout"] });
  const socket = new SignalSocket({ url, token: "tok", handlers: {} }).open();
  const ws = FakeWebSocket.made[0];
  assert.deepEqual(ws.protocols, ["voice.v1", "bearer.tok"]);
  assert.equal(ws.url, url.href, "no token in the URL");
  ws.serverOpens();
  t.mock.timers.tick(9999);
  assert.deepEqual(ws.sent, []);
  t.mock.timers.tick(1);
  assert.deepEqual(ws.sent, ["ping"]);
  t.mock.timers.tick(10_000);
  assert.deepEqual(ws.sent, ["ping", "ping"]);
  socket.close();
  t.mock.timers.tick(30_000);
  assert.equal(ws.sent.length, 2, "no ping after close");
  assert.equal(ws.closedWith, 1000);
});

test("messages reach their handler one at a time, in order, even when a handler waits", async () => {
  const seen = [];
  const socket = new SignalSocket({
    url, token: "t",
    handlers: {
      slow: async (m) => { await new Promise((r) => setTimeout(r, 20)); seen.push(m.n); },
      fast: (m) => { seen.push(m.n); },
    },
  }).open();
  const ws = FakeWebSocket.made[0];
  ws.serverOpens();
  ws.serverSends('{"type":"slow","n":1}');
  ws.serverSends("pong");
  ws.serverSends('{"type":"fast","n":2}');
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(seen, [1, 2]);
  socket.close();
});

test("a goodbye is sent once the handshake is done; a detached socket hears nothing more", () => {
  const closes = [];
  const socket = new SignalSocket({ url, token: "t", handlers: {}, onClose: (code) => closes.push(code) }).open();
  const ws = FakeWebSocket.made[0];
  socket.close(1000, { type: "leave" });
  assert.deepEqual(ws.sent, [], "still connecting: nothing sent yet");
  ws.serverOpens();
  assert.deepEqual(ws.sent, ['{"type":"leave"}']);
  assert.equal(ws.closedWith, 1000);

  const other = new SignalSocket({ url, token: "t", handlers: {}, onClose: (code) => closes.push(code) }).open();
  FakeWebSocket.made[1].serverOpens();
  other.detach();
  FakeWebSocket.made[1].serverCloses(4010);
  assert.deepEqual(closes, [], "no onClose after close() or detach()");
});

test("reconnects back off (reset once open), and stop when the page says no", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  let allow = true;
  new SignalSocket({
    url, token: "t", handlers: {},
    reconnect: { backoff: { firstMs: 500, maxMs: 2000 }, before: async () => allow },
  }).open();
  const waits = [];
  for (let i = 0; i < 4; i++) {
    FakeWebSocket.made.at(-1).serverCloses(1006);
    const before = FakeWebSocket.made.length;
    let waited = 0;
    while (FakeWebSocket.made.length === before && waited < 10_000) {
      t.mock.timers.tick(100);
      waited += 100;
      await settle();
    }
    waits.push(waited);
  }
  assert.deepEqual(waits, [500, 1000, 2000, 2000], "doubling up to the cap");
  FakeWebSocket.made.at(-1).serverOpens();
  FakeWebSocket.made.at(-1).serverCloses(1006);
  t.mock.timers.tick(500);
  await settle();
  assert.equal(FakeWebSocket.made.length, 6, "back to the first wait after an open");
  allow = false;
  FakeWebSocket.made.at(-1).serverCloses(1006);
  t.mock.timers.tick(5000);
  await settle();
  assert.equal(FakeWebSocket.made.length, 6, "no reconnect when the page says no");
});

test("a socket with no frame for 2 × the ping interval, nor an answer to one last ping, is dead: closed here and reported at once", (t) => {
  t.mock.timers.enable({ apis: ["setInterval", "setTimeout"] });
  const closes = [];
  new SignalSocket({ url, token: "t", handlers: {}, onClose: (code) => closes.push(code) }).open();
  const ws = FakeWebSocket.made[0];
  ws.serverOpens();
  t.mock.timers.tick(15_000);
  ws.serverSends("pong");
  t.mock.timers.tick(20_999);
  assert.deepEqual(closes, [], "a pong is a sign of life: the clock starts again");
  const pings = ws.sent.length;
  t.mock.timers.tick(1);
  assert.equal(ws.sent.length, pings + 1, "2 × 10 s (+ 1 s for the last pong) after the last frame: one last ping");
  t.mock.timers.tick(999);
  assert.deepEqual(closes, []);
  t.mock.timers.tick(1);
  assert.deepEqual(closes, [1006], "no answer within 1 s: dead");
  assert.equal(ws.closedWith, 4000, "the page closes it itself, and not as a leave (1000)");
  ws.serverCloses(1006);
  assert.deepEqual(closes, [1006], "its late close event is not reported again");
});

test("the ping interval is an option, and the dead-socket time follows it", (t) => {
  t.mock.timers.enable({ apis: ["setInterval", "setTimeout"] });
  const closes = [];
  new SignalSocket({ url, token: "t", handlers: {}, pingMs: 500, onClose: (code) => closes.push(code) }).open();
  const ws = FakeWebSocket.made[0];
  ws.serverOpens();
  t.mock.timers.tick(500);
  assert.deepEqual(ws.sent, ["ping"]);
  ws.serverSends('{"type":"unknown"}');
  t.mock.timers.tick(1249);
  assert.deepEqual(closes, [], "any message is a sign of life too");
  t.mock.timers.tick(1);
  assert.equal(ws.sent.at(-1), "ping", "1.25 s of silence: one last ping");
  t.mock.timers.tick(499);
  assert.deepEqual(closes, []);
  t.mock.timers.tick(1);
  assert.deepEqual(closes, [1006], "no answer within 0.5 s: dead");
});

test("a handshake that never completes is given up after 2 × the ping interval", (t) => {
  t.mock.timers.enable({ apis: ["setInterval", "setTimeout"] });
  const closes = [];
  new SignalSocket({ url, token: "t", handlers: {}, onClose: (code) => closes.push(code) }).open();
  t.mock.timers.tick(21_000);
  t.mock.timers.tick(999);
  assert.deepEqual(closes, []);
  t.mock.timers.tick(1);
  assert.deepEqual(closes, [1006]);
});

test("an answer to the last ping keeps the socket (the page's timers had jumped, not the server gone)", (t) => {
  t.mock.timers.enable({ apis: ["setInterval", "setTimeout"] });
  const closes = [];
  new SignalSocket({ url, token: "t", handlers: {}, onClose: (code) => closes.push(code) }).open();
  const ws = FakeWebSocket.made[0];
  ws.serverOpens();
  t.mock.timers.tick(21_000);
  assert.equal(ws.sent.at(-1), "ping");
  ws.serverSends("pong");
  t.mock.timers.tick(20_000);
  assert.deepEqual(closes, []);
});

test("a socket closed by the page is never declared dead later", (t) => {
  t.mock.timers.enable({ apis: ["setInterval", "setTimeout"] });
  const closes = [];
  const socket = new SignalSocket({ url, token: "t", handlers: {}, onClose: (code) => closes.push(code) }).open();
  FakeWebSocket.made[0].serverOpens();
  socket.close();
  t.mock.timers.tick(60_000);
  assert.deepEqual(closes, []);
});
