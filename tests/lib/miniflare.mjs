// The built worker (build/index.js + its .wasm) in workerd through miniflare 4, in this process:
// the harness of the integration, TURN, fault and load tests. `Worker` is what a host app and a
// client do against it: HTTP through `dispatchFetch`, voice and lobby sockets through a real
// WebSocket client, rosters, forced hibernation. Every wait is bounded.

import { Miniflare } from "miniflare";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSocket, firstOf, readJson, voicePath } from "./client.mjs";
import { BUILD_DIR, COMPAT_DATE, ROOT, WORKER_NAME, durableObjectBindings, withVars, wranglerVars } from "./config.mjs";
import { SECRET, tokenFor, uniqueUser } from "./tokens.mjs";
import { sleep, withTimeout } from "./wait.mjs";

/** The URL HTTP requests are dispatched to; the worker sees it as the request URL. */
export const BASE = "http://localhost";

/**
 * Starts the built worker. `vars` override wrangler.toml's `[vars]` (a value of `undefined`
 * removes the variable); `secret: null` starts it without AUTH_SECRET. `autoPingMs` makes every
 * socket opened through this instance send `ping` at that interval. `outbound(request)` answers
 * the worker's own outgoing fetches (TURN provider APIs) instead of the network. With
 * CROMULENT_TARGET=workerd it starts scripts/serve.sh instead (no `outbound`, no forced hibernation).
 */
export async function startWorker(opts = {}) {
  // CROMULENT_TARGET=workerd: the same tests against scripts/serve.sh (bare workerd, tests/lib/serve.mjs).
  if (process.env.CROMULENT_TARGET === "workerd") return (await import("./serve.mjs")).startServedWorker(opts);
  const { vars = {}, secret = SECRET, autoPingMs = 0, assets = true, outbound } = opts;
  const scriptPath = join(BUILD_DIR, "index.js");
  if (!existsSync(scriptPath)) {
    throw new Error(`${scriptPath} is missing: build the worker first (bash scripts/build.sh)`);
  }
  const bindings = withVars(wranglerVars(), vars);
  if (secret !== null) bindings.AUTH_SECRET = secret;

  const persistDir = mkdtempSync(join(tmpdir(), "cromulent-mf-"));
  const durableObjects = Object.fromEntries(
    durableObjectBindings().map(({ binding, className }) => [binding, { className, useSQLite: true }]),
  );
  const options = {
    name: WORKER_NAME,
    scriptPath,
    modules: true,
    modulesRoot: BUILD_DIR,
    modulesRules: [{ type: "CompiledWasm", include: ["**/*.wasm"] }],
    compatibilityDate: COMPAT_DATE,
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
    const text = typeof body === "string" ? body : JSON.stringify(body);
    // Declared as browsers and curl do (dispatchFetch would stream a string body chunked).
    const length = { "Content-Length": String(Buffer.byteLength(text)) };
    return this.fetch("/api/session", {
      method: "POST",
      headers: contentType === null ? length : { "Content-Type": contentType, ...length },
      body: text,
    });
  }

  /**
   * A WebSocket upgrade on `path`, made by a real WebSocket client (the `ws` package) against
   * miniflare's socket, as a browser would. Options: `token` (goes in as `bearer.<token>`),
   * `protocols` (the whole offer, overriding `offerFor(token)`),
   * `origin`. Returns `{ status: 101, headers, socket }`, or `{ status, headers, body }` when refused.
   */
  async upgrade(path, { token = null, protocols = undefined, origin = undefined } = {}) {
    const result = await openSocket(this.url, path, { token, protocols, origin, pingMs: this.autoPingMs });
    if (result.socket) this.#sockets.add(result.socket);
    return result;
  }

  /** Opens a voice socket that must be accepted; `session` adds `?session=`. */
  async openVoice(channel, user, { session = undefined, origin = undefined, name = undefined } = {}) {
    const token = typeof user === "string" ? tokenFor(name ? { id: user, name } : user) : tokenFor(user);
    const r = await this.upgrade(voicePath(channel, session), { token, origin });
    if (r.status !== 101) {
      throw new Error(`voice upgrade for ${JSON.stringify(user)} to ${channel} answered ${r.status}: ${JSON.stringify(r.body)}`);
    }
    return r.socket;
  }

  /** Opens a voice socket and reads its first message, which must be `joined`. */
  async join(channel, user, opts = {}) {
    const socket = await this.openVoice(channel, user, opts);
    return { socket, joined: await firstOf(socket, "joined", 3000) };
  }

  /** Opens the lobby socket and reads its first message, which must be `roster`. */
  async openLobby(user = uniqueUser("lobby")) {
    const r = await this.upgrade("/api/lobby", { token: tokenFor(user) });
    if (r.status !== 101) throw new Error(`lobby upgrade answered ${r.status}: ${JSON.stringify(r.body)}`);
    return { socket: r.socket, roster: await firstOf(r.socket, "roster", 3000) };
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

/**
 * Points TMPDIR (where startWorker keeps the Durable Objects' SQLite files) at a fresh folder on
 * tmpfs (/dev/shm) when there is one. Local SQLite syncs every write to disk; on this kind of VM
 * that costs ~25 ms per join and a load test would measure the disk, not the worker (production
 * storage is not a local file either). Returns `{dir, cleanup}`; cleanup removes the folder.
 */
export function memoryTmpdir() {
  const previous = process.env.TMPDIR;
  let dir = null;
  try {
    if (existsSync("/dev/shm")) dir = mkdtempSync("/dev/shm/cromulent-load-");
  } catch {
    dir = null;
  }
  if (dir) process.env.TMPDIR = dir;
  return {
    dir: dir ?? tmpdir(),
    async cleanup() {
      if (previous === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previous;
      if (!dir) return;
      // workerd may still be finishing writes of the sockets closed just before.
      for (let i = 0; i < 20; i++) {
        rmSync(dir, { recursive: true, force: true });
        if (!existsSync(dir)) return;
        await sleep(100);
      }
    },
  };
}
