// What the fault and load tests need beyond tests/lib/worker.mjs: a WebSocket client for any
// URL (a `wrangler dev` or a proxy in front of miniflare), `wrangler dev` in its own process group
// so a test can kill the whole runtime and start it again on the same state, a loopback TCP proxy
// that can turn a connection half-open, and small statistics helpers.
//
// Every server here listens on 127.0.0.1, every wait is bounded, and every process started here
// is stopped by the test that started it (its process group, by id).

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { get as httpGet } from "node:http";
import { createServer, connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import WebSocket from "ws";
import { ROOT, Socket, mintToken, now, sleep } from "../lib/worker.mjs";

/** The full variant of the load tests (LOAD_FULL=1); the default is the short CI variant. */
export const FULL = process.env.LOAD_FULL === "1";

// ---------------------------------------------------------------------------------------------
// Numbers.

/** The `p`-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** `{n, p50, p99, max}` of millisecond samples, rounded to 0.1 ms. */
export function summary(values) {
  const r = (x) => Math.round(x * 10) / 10;
  return { n: values.length, p50: r(percentile(values, 50)), p99: r(percentile(values, 99)), max: r(Math.max(...values)) };
}

/** Milliseconds since `start` (a `performance.now()` value). */
export const since = (start) => performance.now() - start;

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

// ---------------------------------------------------------------------------------------------
// A WebSocket client for a server that is not the in-process miniflare.

/**
 * Opens `ws://<base>/<path>` offering `voice.v1` and `bearer.<token>` (as the page does).
 * Returns `{status: 101, socket}` or `{status, body}` when refused; rejects when the server is
 * unreachable. `pingMs` makes the socket send `ping` at that interval; `watch(socket)` is called
 * as the socket opens, before any message can arrive (e.g. to start a `RosterView`).
 */
export async function connect(base, path, { token, protocols, pingMs = 0, timeoutMs = 10_000, watch } = {}) {
  const url = new URL(path, base);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const offer = protocols ?? ["voice.v1", ...(token ? [`bearer.${token}`] : [])];
  const ws = new WebSocket(url, offer, { closeTimeout: 250, handshakeTimeout: timeoutMs });
  let timer;
  try {
    return await new Promise((resolve, reject) => {
      timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`timed out after ${timeoutMs} ms opening ${url}`));
      }, timeoutMs);
      ws.once("open", () => {
        const socket = new Socket(ws);
        watch?.(socket);
        if (pingMs > 0) socket.startPinging(pingMs);
        resolve({ status: 101, socket });
      });
      ws.once("unexpected-response", (_req, res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body = text;
          try {
            body = JSON.parse(text);
          } catch {
            // kept as text
          }
          resolve({ status: res.statusCode, body });
        });
      });
      ws.once("error", reject);
    });
  } finally {
    clearTimeout(timer);
  }
}

/** A voice socket that must be accepted; its first message must be `joined`. */
export async function joinAt(base, channel, token, { session, pingMs = 0, watch, timeoutMs = 10_000 } = {}) {
  const query = session ? `?session=${encodeURIComponent(session)}` : "";
  const r = await connect(base, `/api/channels/${channel}/voice${query}`, { token, pingMs, watch, timeoutMs });
  if (r.status !== 101) throw new Error(`join of ${channel} answered ${r.status}: ${JSON.stringify(r.body)}`);
  const joined = await r.socket.first(Math.max(5000, timeoutMs));
  if (joined.type !== "joined") throw new Error(`expected "joined" first, got ${JSON.stringify(joined)}`);
  return { socket: r.socket, joined };
}

/** The lobby socket; its first message must be `roster`. */
export async function lobbyAt(base, token, { pingMs = 0 } = {}) {
  const r = await connect(base, "/api/lobby", { token, pingMs });
  if (r.status !== 101) throw new Error(`lobby answered ${r.status}: ${JSON.stringify(r.body)}`);
  const roster = await r.socket.first(5000);
  if (roster.type !== "roster") throw new Error(`expected "roster" first, got ${JSON.stringify(roster)}`);
  return { socket: r.socket, roster };
}

/**
 * GET `path` with a bearer token on a connection of its own (no keep-alive, so a busy server
 * closing an idle connection can never be mistaken for a failed request); `{status, body, ms}`.
 */
export function getJson(base, path, token, { timeoutMs = 30_000 } = {}) {
  const start = performance.now();
  return new Promise((resolveGet, reject) => {
    const req = httpGet(
      new URL(path, base),
      { agent: false, headers: token ? { Authorization: `Bearer ${token}` } : {}, timeout: timeoutMs },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body = text;
          try {
            body = JSON.parse(text);
          } catch {
            // kept as text
          }
          resolveGet({ status: res.statusCode, body, ms: since(start) });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
  });
}

/** `{channel id: [member ids]}` of a `channels` list (from /api/channels or a lobby roster). */
export function rosterMap(channels) {
  return Object.fromEntries(channels.map((c) => [c.id, c.members.map((m) => m.id).sort()]));
}

/** A token for `id` signed with `secret`. */
export const tokenWith = (secret, id, name = id.slice(0, 32)) =>
  mintToken({ sub: id, name, iat: now(), exp: now() + 3600 }, { secret });

// ---------------------------------------------------------------------------------------------
// `wrangler dev`, killable as a whole.

/** A free TCP port on 127.0.0.1 (asked from the kernel, then released). */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * wrangler.toml with absolute paths and no `[build]` step, so wrangler serves the build that
 * exists (bash scripts/build.sh) instead of rebuilding it while other work edits src/.
 */
function devConfig() {
  const out = [];
  let section = "";
  for (const line of readFileSync(join(ROOT, "wrangler.toml"), "utf8").split("\n")) {
    const header = /^\s*\[+([^\]]+)\]+/.exec(line);
    if (header) section = header[1].trim();
    if (section === "build") continue;
    const path = /^(\s*(?:main|directory)\s*=\s*)"([^"]+)"(.*)$/.exec(line);
    if (path && (section === "" || section === "assets") && !isAbsolute(path[2])) {
      out.push(`${path[1]}${JSON.stringify(resolve(ROOT, path[2]))}${path[3]}`);
    } else {
      out.push(line);
    }
  }
  return out.join("\n");
}

/**
 * A `wrangler dev` of the built worker on 127.0.0.1, in its own process group. `vars` go in with
 * `--var`; `envFile` is the secrets file (`.dev.vars` style; empty by default, so a developer's
 * .dev.vars is never read); `persistDir` is the Durable Object state, kept across `kill()` and
 * `start()` so a test can restart the runtime on the same state.
 */
export class WranglerDev {
  constructor({ vars = {}, envFile = "", persistDir } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), "cromulent-faults-"));
    this.persistDir = persistDir ?? join(this.dir, "state");
    this.configPath = join(this.dir, "wrangler.toml");
    this.envPath = join(this.dir, "secrets.env");
    writeFileSync(this.configPath, devConfig());
    writeFileSync(this.envPath, envFile);
    this.vars = vars;
    this.child = null;
    /** Everything wrangler and workerd printed, over every start. */
    this.output = "";
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts wrangler dev (on the same port as before when restarting) and waits for /api/health. */
  async start({ timeoutMs = 45_000 } = {}) {
    if (this.child) throw new Error("already running");
    this.port ??= await freePort();
    const cli = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");
    const args = [
      cli, "dev", "-c", this.configPath,
      "--port", String(this.port), "--ip", "127.0.0.1",
      "--inspector-port", String(await freePort()),
      "--persist-to", this.persistDir, "--env-file", this.envPath,
      "--show-interactive-dev-session=false", "--log-level", "info",
      ...Object.entries(this.vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ];
    const env = {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      X_LOCAL_OBSERVABILITY: "false",
      DO_NOT_TRACK: "1",
      NO_COLOR: "1",
    };
    // Its own process group: kill() takes wrangler, esbuild and both workerds down together.
    const child = spawn(process.execPath, args, { cwd: this.dir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    const keep = (d) => {
      this.output = (this.output + d).slice(-2_000_000);
      if (process.env.WORKER_LOGS === "1") process.stderr.write(`wrangler: ${d}`);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    this.exited = new Promise((r) => child.once("exit", r));
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        this.child = null;
        throw new Error(`wrangler dev exited: ${this.output.slice(-3000)}`);
      }
      try {
        const res = await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return this;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`wrangler dev was not ready after ${timeoutMs} ms: ${this.output.slice(-3000)}`);
      }
      await sleep(200);
    }
  }

  /** SIGKILL to the whole process group (the runtime dies mid-call), then waits for the exit. */
  async kill(signal = "SIGKILL") {
    const child = this.child;
    if (!child) return;
    this.child = null;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }, 5000);
    await this.exited;
    clearTimeout(timer);
    // The group's other members (workerd, esbuild) got the same signal; make sure none is left.
    for (let i = 0; i < 50 && groupAlive(child.pid); i++) await sleep(100);
  }

  /** Stops the runtime and removes its state and files. */
  async dispose() {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// A loopback TCP proxy whose connections can be black-holed.

/**
 * Forwards 127.0.0.1:<port> to `target` (a URL). `blackhole()` makes every current connection
 * half-open: nothing is forwarded either way any more and nothing is closed, so the server keeps
 * a socket whose client is gone (a laptop lid closed, a NAT entry dropped).
 */
export async function startProxy(target) {
  const { hostname, port: targetPort } = new URL(target);
  const pairs = new Set();
  const server = createServer((client) => {
    const upstream = tcpConnect(Number(targetPort), hostname);
    const pair = { client, upstream, dead: false };
    pairs.add(pair);
    const forward = (from, to) =>
      from.on("data", (d) => {
        if (!pair.dead) to.write(d);
      });
    forward(client, upstream);
    forward(upstream, client);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on("error", end);
      s.on("close", () => {
        if (!pair.dead) end();
      });
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** Every connection open now goes silent in both directions (nothing is closed). */
    blackhole() {
      for (const pair of pairs) pair.dead = true;
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await new Promise((r) => server.close(r));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// A member's view of the roster, kept from the messages it gets.

/**
 * A member's roster as its messages describe it: `joined.members`, then every `member_joined`
 * and `member_left` applied in order. Start it with `connect(..., {watch})` so it sees every
 * message. `anomalies` lists what does not fit: a `member_joined` (not resumed) of someone
 * already listed, a resumed one of someone not listed, a `member_left` of someone not listed,
 * a duplicate in `joined.members`.
 */
export class RosterView {
  constructor(socket) {
    /** null until `joined` arrives. */
    this.members = null;
    this.anomalies = [];
    this.events = 0;
    socket.ws.on("message", (data) => {
      let msg;
      try {
        msg = JSON.parse(Buffer.from(data).toString("utf8"));
      } catch {
        return;
      }
      this.apply(msg);
    });
  }

  apply(msg) {
    if (msg.type === "joined") {
      this.members = new Map(msg.members.map((m) => [m.id, m]));
      if (this.members.size !== msg.members.length) this.anomalies.push(`duplicate in joined: ${JSON.stringify(msg.members)}`);
      return;
    }
    if (this.members === null) return;
    if (msg.type === "member_joined") {
      this.events++;
      const id = msg.member.id;
      if (!msg.resumed && this.members.has(id)) this.anomalies.push(`member_joined of ${id}, already listed`);
      if (msg.resumed && !this.members.has(id)) this.anomalies.push(`member_joined resumed of ${id}, not listed`);
      this.members.set(id, msg.member);
    } else if (msg.type === "member_left") {
      this.events++;
      if (!this.members.delete(msg.user_id)) this.anomalies.push(`member_left of ${msg.user_id}, not listed`);
    }
  }

  ids() {
    return this.members === null ? [] : [...this.members.keys()].sort();
  }
}
