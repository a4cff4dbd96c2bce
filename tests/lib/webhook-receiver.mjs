// A host app's webhook endpoint on loopback (CONTRACT.md v1.1 "Webhooks"): every request is
// recorded with its headers and raw body, in the order it arrived. It can answer 2xx (the
// default), answer 500, not answer at all, answer slowly, or go down (connection refused) and
// come back on the same port. Every wait is bounded.

import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";

/**
 * Starts the receiver on 127.0.0.1 (a free port, or `port`). `mode` is how it answers:
 * `"ok"` (204), `"error"` (500), `"silent"` (never answers; the server's own timeout ends it),
 * or `{delayMs}` (204 after that long). Returns a `Receiver`.
 */
export async function startReceiver({ mode = "ok", port = 0 } = {}) {
  const receiver = new Receiver(mode);
  await receiver.up(port);
  return receiver;
}

export class Receiver {
  /** Every request so far: `{n, at, method, path, headers, body, json, answeredAt, status}`. */
  requests = [];
  #server = null;
  #port = 0;
  #waiters = new Set();
  #pending = new Set();
  /** The reply functions of requests held unanswered (`"silent"` mode). */
  #held = new Set();

  constructor(mode) {
    this.mode = mode;
  }

  /** The URL to give the worker as WEBHOOK_URL. */
  get url() {
    return `http://127.0.0.1:${this.#port}/hooks/cromulent`;
  }

  get isUp() {
    return this.#server !== null;
  }

  /** Listens (again) on the same port as before, or on `port` the first time. */
  async up(port = this.#port) {
    if (this.#server) return;
    const server = createServer((req, res) => this.#handle(req, res));
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", resolve);
    });
    this.#port = server.address().port;
    this.#server = server;
  }

  /** Stops listening: new connections are refused; requests in flight are cut. */
  async down() {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    for (const res of this.#pending) res.destroy();
    this.#pending.clear();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  /** Stops for good. */
  close() {
    return this.down();
  }

  #handle(req, res) {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      let json = null;
      try {
        json = JSON.parse(body);
      } catch {
        json = null;
      }
      const entry = {
        n: this.requests.length,
        at: performance.now(),
        method: req.method,
        path: req.url,
        headers: { ...req.headers },
        body,
        json,
        answeredAt: null,
        status: null,
      };
      this.requests.push(entry);
      this.#answer(entry, res, this.mode);
      this.#wake();
    });
  }

  #answer(entry, res, mode) {
    const reply = (status) => {
      this.#pending.delete(res);
      if (res.destroyed) return;
      entry.status = status;
      entry.answeredAt = performance.now();
      res.writeHead(status, { "content-type": "text/plain" }).end(status === 204 ? undefined : "nope");
      this.#wake();
    };
    this.#pending.add(res);
    res.on("close", () => {
      this.#pending.delete(res);
      this.#held.delete(reply);
    });
    if (mode === "ok") reply(204);
    else if (mode === "error") reply(500);
    else if (mode === "silent") this.#held.add(reply);
    else setTimeout(() => reply(204), mode.delayMs);
  }

  /** Answers every request held so far (in `"silent"` mode) with `status`; returns how many. */
  answerHeld(status = 204) {
    const held = [...this.#held];
    this.#held.clear();
    for (const reply of held) reply(status);
    return held.length;
  }

  #wake() {
    for (const w of [...this.#waiters]) w();
  }

  /**
   * Resolves with the requests once `done(requests)` holds (checked on every request and
   * answer), or rejects after `timeoutMs` naming `what` and listing what came.
   */
  until(done, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!done(this.requests)) return;
        finish();
        resolve(this.requests);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received: ${this.describe()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** The parsed events (first delivery of each `webhook-id`, in arrival order) that `where` accepts. */
  events(where = () => true) {
    const seen = new Set();
    const out = [];
    for (const r of this.requests) {
      const id = r.headers["webhook-id"];
      if (seen.has(id) || r.json === null) continue;
      seen.add(id);
      if (where(r.json, r)) out.push(r.json);
    }
    return out;
  }

  /** `type channel_id member.id` of each request, for failure messages. */
  describe() {
    if (this.requests.length === 0) return "(nothing)";
    return this.requests
      .map((r) => (r.json ? `${r.json.type} ${r.json.data?.channel_id} ${r.json.data?.member?.id}` : r.body.slice(0, 80)))
      .join(" | ");
  }
}

/** A fresh WEBHOOK_SECRET in the Standard Webhooks form: `whsec_` and base64 of 24 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(24).toString("base64")}`;

/**
 * Verifies a recorded request with the independent Standard Webhooks library (the
 * `standardwebhooks` package, not the worker's code): returns the payload it vouches for, or
 * throws its verification error.
 */
export function verifyWith(secret, request) {
  const headers = Object.fromEntries(
    ["webhook-id", "webhook-timestamp", "webhook-signature"].map((h) => [h, String(request.headers[h] ?? "")]),
  );
  return new Webhook(secret).verify(request.body, headers);
}
