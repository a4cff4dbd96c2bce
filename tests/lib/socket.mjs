// One signalling socket as a test sees it: every frame the server sent, queued in order, so a
// test can wait for the next message of a type (bounded), assert that nothing came, read the
// close code, ping like the page does, close cleanly or drop the connection. client.mjs opens
// them (against miniflare, wrangler dev, a proxy or bare workerd).

import { sleep, withTimeout } from "./wait.mjs";

/**
 * How long a client waits, after the closing handshake, for the server to drop the TCP
 * connection before dropping it itself (browsers also stop waiting after a while). Local workerd
 * completes the closing handshake of a hibernatable socket closed from another socket's event
 * (replaced, moved, heartbeat) but keeps its TCP connection open, so with ws's default (30 s)
 * the close code would reach the test only that late.
 */
export const CLOSE_TIMEOUT_MS = 250;

export class Socket {
  /** Every message received, in order: `{ text, msg }` (`msg` is the parsed JSON or null). */
  #queue = [];
  #waiters = new Set();
  #closeCode = null;
  #closeWaiters = [];
  #pinger = null;

  constructor(ws, headers) {
    this.ws = ws;
    this.headers = headers;
    ws.on("message", (data) => {
      const text = Buffer.from(data).toString("utf8");
      let msg = null;
      try {
        msg = JSON.parse(text);
      } catch {
        msg = null;
      }
      this.#queue.push({ text, msg });
      for (const w of [...this.#waiters]) w();
    });
    ws.on("close", (code) => {
      this.#closeCode = code;
      this.stopPinging();
      for (const r of this.#closeWaiters) r(code);
      this.#closeWaiters = [];
      for (const w of [...this.#waiters]) w();
    });
    ws.on("error", () => {
      // A close follows; the tests look at the close code.
    });
  }

  get isClosed() {
    return this.#closeCode !== null;
  }

  send(obj) {
    this.ws.send(typeof obj === "string" ? obj : JSON.stringify(obj));
  }

  /** Takes (and removes) the first queued entry `pick` accepts, waiting up to `timeoutMs`. */
  #take(pick, timeoutMs, what) {
    const find = () => {
      const i = this.#queue.findIndex(pick);
      if (i === -1) return undefined;
      return this.#queue.splice(i, 1)[0];
    };
    const found = find();
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = () => {
        const hit = find();
        if (hit) {
          done();
          resolve(hit);
        } else if (this.#closeCode !== null) {
          done();
          reject(new Error(`socket closed with ${this.#closeCode} while waiting for ${what}; ` +
            `unread: ${this.describeQueue()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; unread: ${this.describeQueue()}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
      };
      this.#waiters.add(waiter);
      waiter();
    });
  }

  describeQueue() {
    return this.#queue.length === 0 ? "(nothing)" : this.#queue.map((e) => e.text).join(" | ");
  }

  /**
   * The first queued JSON message of `type` for which `where(msg)` holds; other messages stay
   * queued. Rejects on timeout or when the socket closes first.
   */
  async next(type, timeoutMs = 2000, where = () => true) {
    const entry = await this.#take(
      (e) => e.msg !== null && e.msg.type === type && where(e.msg),
      timeoutMs,
      `a "${type}" message`,
    );
    return entry.msg;
  }

  /** The very next JSON message, whatever its type (text `pong` frames are skipped). */
  async first(timeoutMs = 2000) {
    const entry = await this.#take((e) => e.text !== "pong", timeoutMs, "any message");
    if (entry.msg === null) throw new Error(`expected JSON, got text frame: ${entry.text}`);
    return entry.msg;
  }

  /** The next text frame equal to `text` (e.g. `pong`). */
  async nextText(text, timeoutMs = 2000) {
    return (await this.#take((e) => e.text === text, timeoutMs, `text "${text}"`)).text;
  }

  /**
   * Asserts that no message (of `type`, when given; `pong` frames never count) is queued or
   * arrives within `ms`.
   */
  async expectNothing(ms = 300, type = undefined) {
    const matches = (e) => e.text !== "pong" && (type === undefined || (e.msg !== null && e.msg.type === type));
    await sleep(ms);
    const unexpected = this.#queue.filter(matches);
    if (unexpected.length > 0) {
      throw new Error(`expected no ${type ? `"${type}" ` : ""}message, got: ${unexpected.map((e) => e.text).join(" | ")}`);
    }
  }

  /** The close code the server closed with, waiting up to `timeoutMs`. */
  closed(timeoutMs = 3000) {
    if (this.#closeCode !== null) return Promise.resolve(this.#closeCode);
    return withTimeout(
      new Promise((r) => this.#closeWaiters.push(r)),
      timeoutMs,
      `the server to close the socket (unread: ${this.describeQueue()})`,
    );
  }

  /** Sends text `ping` every `everyMs` (what the page does every 10 s). */
  startPinging(everyMs) {
    this.stopPinging();
    this.#pinger = setInterval(() => {
      if (this.#closeCode === null) {
        try {
          this.ws.send("ping");
        } catch {
          this.stopPinging();
        }
      }
    }, everyMs);
    return this;
  }

  stopPinging() {
    if (this.#pinger) clearInterval(this.#pinger);
    this.#pinger = null;
  }

  /** A clean close from the client. */
  close(code = 1000, reason = "") {
    this.stopPinging();
    if (this.#closeCode !== null) return;
    this.ws.close(code, reason);
  }

  /** An abrupt drop: the TCP connection is cut without a close frame (the server sees 1006). */
  terminate() {
    this.stopPinging();
    this.ws.terminate();
  }
}
