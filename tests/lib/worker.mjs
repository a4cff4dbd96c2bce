// Test harness: the built worker (build/index.js + its .wasm) running in workerd through
// miniflare 4, plus what a host app and a client do against it: mint tokens, call the HTTP API,
// open voice/lobby WebSockets with the token in the subprotocol list.
//
// Everything here is bounded by timeouts so a broken worker fails a test instead of hanging it.

import assert from "node:assert/strict";
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BUILD_DIR = process.env.CROMULENT_BUILD_DIR ?? join(ROOT, "build");
const WORKER_NAME = "cromulent-voice";

/** The URL HTTP requests are dispatched to; the worker sees it as the request URL. */
export const BASE = "http://localhost";
export const SECRET = "integration-test-secret-0123456789abcdef";

/** `[vars]` of wrangler.toml, so the tests run with the configuration a deployment gets. */
export function wranglerVars() {
  const text = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
  const vars = {};
  let inVars = false;
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed.startsWith("[")) {
      inVars = trimmed === "[vars]";
      continue;
    }
    if (!inVars || trimmed === "" || trimmed.startsWith("#")) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(#.*)?$/.exec(trimmed);
    if (m) vars[m[1]] = JSON.parse(`"${m[2]}"`);
  }
  return vars;
}

// ---------------------------------------------------------------------------------------------
// Tokens, minted the way a host application mints them.

const b64url = (buf) => Buffer.from(buf).toString("base64url");
export const now = () => Math.floor(Date.now() / 1000);

/**
 * An HS256 JWT signed with `secret`. `claims` is used as given (pass `exp: undefined` to leave it
 * out); `alg` "none" gives an unsigned token, "HS512" one signed with SHA-512.
 */
export function mintToken(claims, { secret = SECRET, alg = "HS256" } = {}) {
  const header = b64url(JSON.stringify({ alg, typ: "JWT" }));
  const body = {};
  for (const [k, v] of Object.entries(claims)) if (v !== undefined) body[k] = v;
  const payload = b64url(JSON.stringify(body));
  const input = `${header}.${payload}`;
  if (alg === "none") return `${input}.`;
  const hash = { HS256: "sha256", HS384: "sha384", HS512: "sha512" }[alg];
  return `${input}.${createHmac(hash, secret).update(input).digest("base64url")}`;
}

/** A valid token for `user` (an id or `{id, name}`), one hour long. */
export function tokenFor(user, extra = {}) {
  const { id, name } = typeof user === "string" ? { id: user, name: user.slice(0, 32) } : user;
  return mintToken({ sub: id, name, iat: now(), exp: now() + 3600, ...extra });
}

/** Verifies an HS256 JWT with `secret`; returns `{header, claims}` or throws. */
export function verifyToken(token, secret = SECRET) {
  const parts = token.split(".");
  if (parts.length !== 3) throw new Error(`not a JWT: ${token}`);
  const header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
  if (header.alg !== "HS256") throw new Error(`alg is ${header.alg}, not HS256`);
  const expected = createHmac("sha256", secret).update(`${parts[0]}.${parts[1]}`).digest("base64url");
  if (expected !== parts[2]) throw new Error("signature does not verify with AUTH_SECRET");
  return { header, claims: JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) };
}

let userCounter = 0;
/** A user id no other test uses. */
export function uniqueUser(prefix = "user") {
  userCounter += 1;
  return `${prefix}-${userCounter}-${randomBytes(3).toString("hex")}`;
}

// ---------------------------------------------------------------------------------------------
// Errors and timeouts.

/** Rejects after `ms` with a message naming what was awaited. */
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Reads a body as JSON, failing with the raw text when it is not JSON. */
export async function readJson(res) {
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`expected a JSON body (status ${res.status}), got: ${text.slice(0, 300)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// A WebSocket client with a message queue.

/**
 * How long a client waits, after the closing handshake, for the server to drop the TCP
 * connection before dropping it itself (browsers also stop waiting after a while). Local workerd
 * completes the closing handshake of a hibernatable socket closed from another socket's event
 * (replaced, moved, heartbeat) but keeps its TCP connection open, so with ws's default (30 s)
 * the close code would reach the test only that late.
 */
const CLOSE_TIMEOUT_MS = 250;

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

// ---------------------------------------------------------------------------------------------
// The worker.

/**
 * Starts the built worker. `vars` override wrangler.toml's `[vars]` (a value of `undefined`
 * removes the variable); `secret: null` starts it without AUTH_SECRET. `autoPingMs` makes every
 * socket opened through this instance send `ping` at that interval. `outbound(request)` answers
 * the worker's own outgoing fetches (TURN provider APIs) instead of the network.
 */
export async function startWorker({ vars = {}, secret = SECRET, autoPingMs = 0, assets = true, outbound } = {}) {
  const scriptPath = join(BUILD_DIR, "index.js");
  if (!existsSync(scriptPath)) {
    throw new Error(`${scriptPath} is missing: build the worker first (bash scripts/build.sh)`);
  }
  const bindings = { ...wranglerVars() };
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete bindings[k];
    else bindings[k] = v;
  }
  if (secret !== null) bindings.AUTH_SECRET = secret;

  const persistDir = mkdtempSync(join(tmpdir(), "cromulent-mf-"));
  const durableObjects = {
    VOICE_ROOM: { className: "VoiceRoom", useSQLite: true },
    LOBBY: { className: "Lobby", useSQLite: true },
  };
  const options = {
    name: WORKER_NAME,
    scriptPath,
    modules: true,
    modulesRoot: BUILD_DIR,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: readCompatibilityDate(),
    bindings,
    durableObjects,
    durableObjectsPersist: persistDir,
    cf: false,
  };
  if (outbound) options.outboundService = outbound;
  // The worker's console output is kept per instance (`worker.logs`) and printed only with
  // WORKER_LOGS=1, so test reports stay readable.
  const logs = [];
  options.handleStructuredLogs = ({ level, message }) => {
    logs.push(`[${level}] ${message}`);
    if (logs.length > 500) logs.shift();
    if (process.env.WORKER_LOGS === "1") process.stderr.write(`workerd ${level}: ${message}\n`);
  };
  if (assets) {
    options.assets = {
      directory: join(ROOT, "public"),
      binding: "ASSETS",
      routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true },
    };
  }
  const mf = new Miniflare(options);
  let url;
  try {
    url = await withTimeout(mf.ready, 30_000, "miniflare to start");
  } catch (e) {
    await mf.dispose().catch(() => {});
    rmSync(persistDir, { recursive: true, force: true });
    throw e;
  }
  return new Worker(mf, url, { persistDir, autoPingMs, logs });
}

function readCompatibilityDate() {
  const m = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(readFileSync(join(ROOT, "wrangler.toml"), "utf8"));
  return m ? m[1] : "2026-07-30";
}

export class Worker {
  #sockets = new Set();

  constructor(mf, url, { persistDir, autoPingMs, logs }) {
    /** The worker's console lines, newest last. */
    this.logs = logs;
    this.mf = mf;
    /** Where miniflare listens; WebSocket clients connect here. */
    this.url = url;
    /** The page's own origin as the worker sees it on WebSocket upgrades. */
    this.ownOrigin = url.origin;
    this.persistDir = persistDir;
    this.autoPingMs = autoPingMs;
  }

  /** `mf.dispatchFetch` on a path under BASE. */
  fetch(path, init = {}) {
    return withTimeout(this.mf.dispatchFetch(`${BASE}${path}`, init), 10_000, `${init.method ?? "GET"} ${path}`);
  }

  /** GET with `Authorization: Bearer <token>` (no header when `token` is null). */
  get(path, token = null, headers = {}) {
    return this.fetch(path, { headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...headers } });
  }

  /** POST /api/session with a JSON body (or a raw string body and content type). */
  postSession(body, { contentType = "application/json" } = {}) {
    return this.fetch("/api/session", {
      method: "POST",
      headers: contentType === null ? {} : { "Content-Type": contentType },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  /**
   * A WebSocket upgrade on `path`, made by a real WebSocket client (the `ws` package) against
   * miniflare's socket, as a browser would. Options: `token` (goes in as `bearer.<token>`),
   * `protocols` (the whole offer, overriding the default `["voice.v1", "bearer.<token>"]`),
   * `origin`. Returns `{ status: 101, headers, socket }`, or `{ status, headers, body }` when refused.
   */
  async upgrade(path, { token = null, protocols = undefined, origin = undefined } = {}) {
    const list = protocols ?? ["voice.v1", ...(token === null ? [] : [`bearer.${token}`])];
    const url = new URL(path, this.url);
    url.protocol = "ws:";
    const ws = new WebSocket(url, list, {
      headers: origin === undefined ? {} : { Origin: origin },
      closeTimeout: CLOSE_TIMEOUT_MS,
      handshakeTimeout: 10_000,
    });
    const result = await withTimeout(
      new Promise((resolve, reject) => {
        let headers;
        ws.once("upgrade", (res) => {
          headers = new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
        });
        ws.once("open", () => {
          const socket = new Socket(ws, headers);
          resolve({ status: 101, headers, socket });
        });
        ws.once("unexpected-response", (_req, res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let body;
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
            const h = new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
            resolve({ status: res.statusCode, headers: h, body });
          });
          res.on("error", reject);
        });
        ws.once("error", reject);
      }),
      10_000,
      `the WebSocket upgrade of ${path}`,
    );
    if (result.socket) {
      this.#sockets.add(result.socket);
      if (this.autoPingMs > 0) result.socket.startPinging(this.autoPingMs);
    }
    return result;
  }

  /** Opens a voice socket that must be accepted; `session` adds `?session=`. */
  async openVoice(channel, user, { session = undefined, origin = undefined, name = undefined } = {}) {
    const token = typeof user === "string" ? tokenFor(name ? { id: user, name } : user) : tokenFor(user);
    const query = session === undefined ? "" : `?session=${encodeURIComponent(session)}`;
    const r = await this.upgrade(`/api/channels/${channel}/voice${query}`, { token, origin });
    if (r.status !== 101) {
      throw new Error(`voice upgrade for ${JSON.stringify(user)} to ${channel} answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
    return r.socket;
  }

  /** Opens a voice socket and reads its first message, which must be `joined`. */
  async join(channel, user, opts = {}) {
    const socket = await this.openVoice(channel, user, opts);
    const joined = await socket.first(3000);
    if (joined.type !== "joined") {
      throw new Error(`expected "joined" first, got ${JSON.stringify(joined)}`);
    }
    return { socket, joined };
  }

  /** Opens the lobby socket and reads its first message, which must be `roster`. */
  async openLobby(user = uniqueUser("lobby")) {
    const r = await this.upgrade("/api/lobby", { token: tokenFor(user) });
    if (r.status !== 101) throw new Error(`lobby upgrade answered ${r.status}: ${JSON.stringify(r.body)}`);
    const roster = await r.socket.first(3000);
    if (roster.type !== "roster") throw new Error(`expected "roster" first, got ${JSON.stringify(roster)}`);
    return { socket: r.socket, roster };
  }

  /** GET /api/channels with a valid token; the parsed body. */
  async channelsNow() {
    const res = await this.get("/api/channels", tokenFor(uniqueUser("observer")));
    if (res.status !== 200) throw new Error(`/api/channels answered ${res.status}: ${await res.text()}`);
    return readJson(res);
  }

  /**
   * `/api/channels` once `settled(answer)` holds, asked every 20 ms for up to `timeoutMs`; else
   * the last answer, for the caller's assertion to show. A room tells the lobby of a change just
   * after the event that made it (and folds changes within 100 ms), so the rosters follow an
   * event by a few to a hundred milliseconds.
   */
  async channelsWhen(settled, timeoutMs = 2000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answer = await this.channelsNow();
      if (settled(answer) || Date.now() > deadline) return answer;
      await sleep(20);
    }
  }

  /** The member ids `channel` lists once they equal `expected` (sorted), or after `timeoutMs`. */
  async membersWhen(channel, expected, timeoutMs = 2000) {
    const idsOf = (answer) => (answer.channels.find((c) => c.id === channel)?.members ?? []).map((m) => m.id).sort();
    const want = JSON.stringify([...expected].sort());
    return idsOf(await this.channelsWhen((answer) => JSON.stringify(idsOf(answer)) === want, timeoutMs));
  }

  /**
   * Forces a Durable Object out of memory with its WebSockets hibernated, as workerd does after
   * ~10 s idle. It is addressed by `name` (what the worker passes to idFromName: the channel id
   * for a VoiceRoom, "lobby" for the Lobby); when no object of that name is running,
   * every object of the class with storage on disk is tried instead, so a different naming
   * scheme still gets hibernated. Throws when nothing was running.
   */
  async hibernate(className, name) {
    const evict = async (who) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.mf.unsafeEvictDurableObject(WORKER_NAME, className, { ...who, webSockets: "hibernate" });
          return true;
        } catch (e) {
          const message = String(e?.message);
          if (/not currently running/.test(message)) return false;
          // A request still in flight (a room telling the lobby about a change) holds it: retry.
          if (/active references/.test(message) && attempt < 2) {
            await sleep(100);
            continue;
          }
          throw e;
        }
      }
    };
    let evicted = await evict({ name });
    if (!evicted) {
      for (const id of await this.#listIds(className)) evicted = (await evict({ id })) || evicted;
    }
    if (!evicted) throw new Error(`no running ${className} (${name}) to hibernate`);
  }

  /** Hibernates the VoiceRoom of `channel`. */
  hibernateRoom(channel) {
    return this.hibernate("VoiceRoom", channel);
  }

  async #listIds(className) {
    try {
      return await this.mf.listDurableObjectIds(className);
    } catch {
      // Fall back to the persist dir's layout: <dir>/<namespace>/<id>.sqlite.
      const ids = [];
      for (const ns of safeReaddir(this.persistDir)) {
        if (!ns.includes(className)) continue;
        for (const f of safeReaddir(join(this.persistDir, ns))) {
          if (f.endsWith(".sqlite") && f !== "metadata.sqlite") ids.push(f.slice(0, -".sqlite".length));
        }
      }
      return ids;
    }
  }

  /** Closes every socket this instance opened (cleanly, so rooms do not wait out a grace). */
  closeSockets() {
    for (const s of this.#sockets) {
      s.close(1000);
    }
    this.#sockets.clear();
  }

  async dispose() {
    this.closeSockets();
    try {
      await this.mf.dispose();
    } finally {
      rmSync(this.persistDir, { recursive: true, force: true });
    }
  }
}

function safeReaddir(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Assertions shared by the test files.

/** Asserts the contract's error shape: `status`, and a body `{"error": <sentence>, "reason"}`. */
export async function assertError(res, status, reason) {
  const text = await res.text();
  assert.equal(res.status, status, `expected ${status} ${reason}, got ${res.status}: ${text}`);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    assert.fail(`error body is not JSON: ${text}`);
  }
  assertErrorBody(body, reason);
  return body;
}

/** Asserts an already parsed error body. */
export function assertErrorBody(body, reason) {
  assert.ok(typeof body === "object" && body !== null, `error body is not an object: ${JSON.stringify(body)}`);
  assert.equal(typeof body.error, "string", `"error" must be a string: ${JSON.stringify(body)}`);
  assert.ok(body.error.length > 0, `"error" must not be empty: ${JSON.stringify(body)}`);
  assert.equal(body.reason, reason, `reason: ${JSON.stringify(body)}`);
}

/** Asserts an upgrade was refused with the contract's error shape. */
export function assertRefused(result, status, reason) {
  assert.equal(result.status, status, `expected ${status} ${reason}, got ${result.status}: ${JSON.stringify(result.body)}`);
  assertErrorBody(result.body, reason);
}

/** The ids of a member list. */
export const ids = (members) => members.map((m) => m.id).sort();
