// The self-hosted server as an operator runs it: `scripts/serve.sh` (bare workerd, config generated
// from wrangler.toml, Durable Objects on disk in a data directory) in its own process group.
// `SelfHosted` is started, killed and started again on the same data directory (the restart
// tests); `startServedWorker` wraps it in the integration suite's `Worker`, so
// `CROMULENT_TARGET=workerd` runs tests/integration/ against it (tests/lib/miniflare.mjs).

import { request as httpRequest } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { ROOT, wranglerVars, withVars } from "./config.mjs";
import { freePort } from "./net.mjs";
import { spawnGroup } from "./process.mjs";
import { SECRET } from "./tokens.mjs";
import { waitForHttp, withTimeout } from "./wait.mjs";
import { SECRET_NAMES, varNames } from "./workerd.mjs";

export const SERVE_SH = join(ROOT, "scripts", "serve.sh");

/**
 * The environment scripts/serve.sh gets for `vars` (names as in wrangler.toml; a value of
 * `undefined` or "" unsets the variable; secrets such as AUTH_SECRET may be among them): every
 * variable and secret the server reads is set explicitly, so nothing leaks in from the shell that
 * runs the tests. Throws on a name the server would not pass to the worker.
 */
export function serveEnv(vars) {
  const known = new Set([...varNames(), ...SECRET_NAMES]);
  const unknown = Object.keys(vars).filter((k) => !known.has(k));
  if (unknown.length) {
    throw new Error(`scripts/serve.sh does not pass ${unknown.join(", ")} to the worker: add it to OPTIONAL_VAR_NAMES or SECRET_NAMES in tests/lib/workerd.mjs`);
  }
  const env = {};
  for (const name of known) env[name] = vars[name] ?? "";
  env.REQUIRED_ENV = "";
  return env;
}

/**
 * `scripts/serve.sh` on 127.0.0.1. Options: `vars` (see serveEnv; the defaults are wrangler.toml's),
 * `dataDir` (kept across `kill()` and `start()`; a new temp dir by default, removed by
 * `dispose()`), `port` (a free one by default, the same on every restart), `buildDir`.
 */
export class SelfHosted {
  constructor({ vars = {}, dataDir, port, buildDir, log } = {}) {
    this.env = serveEnv(vars);
    if (buildDir) this.env.CROMULENT_BUILD_DIR = buildDir;
    this.ownDir = dataDir === undefined;
    this.dataDir = dataDir ?? mkdtempSync(join(tmpdir(), "cromulent-serve-"));
    this.port = port;
    this.log = log;
    this.proc = null;
    this.earlier = "";
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Everything serve.sh and workerd printed, over every start. */
  get output() {
    return this.earlier + (this.proc?.output() ?? "");
  }

  /** Starts serve.sh and waits until GET /api/health answers. */
  async start({ timeoutMs = 30_000 } = {}) {
    if (this.proc) throw new Error("already running");
    this.port ??= await freePort();
    const verbose = process.env.WORKER_LOGS === "1";
    this.proc = spawnGroup("bash", [SERVE_SH, "--listen", `127.0.0.1:${this.port}`, "--data", this.dataDir], {
      env: this.env,
      keep: 1_000_000,
      log: (d) => {
        this.log?.(d);
        if (verbose) process.stderr.write(`serve: ${d}`);
      },
    });
    const proc = this.proc;
    try {
      await waitForHttp(`${this.url}/api/health`, { timeoutMs, everyMs: 50, alive: proc.running, describe: () => proc.output().slice(-3000) });
    } catch (e) {
      await this.kill("SIGKILL");
      throw e;
    }
  }

  /** Stops the server (SIGTERM as `docker stop` does, or SIGKILL as a crash), keeping the data. */
  async kill(signal = "SIGTERM") {
    if (!this.proc) return;
    const proc = this.proc;
    this.proc = null;
    await proc.stop(signal);
    this.earlier += proc.output();
  }

  async dispose() {
    await this.kill("SIGKILL");
    if (this.ownDir) rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * `startWorker`'s options on scripts/serve.sh: the integration suite's `Worker` with HTTP over a
 * real connection. Returns a ServedWorker (a Worker from tests/lib/miniflare.mjs).
 */
export async function startServedWorker({ vars = {}, secret = SECRET, autoPingMs = 0, outbound } = {}) {
  if (outbound) throw new Error("outbound fetch interception has no workerd equivalent: run this test under miniflare");
  const { Worker } = await import("./miniflare.mjs");
  const all = withVars(wranglerVars(), vars);
  for (const [k, v] of Object.entries(vars)) if (v === undefined) all[k] = "";
  if (secret !== null) all.AUTH_SECRET = secret;
  const logs = [];
  const server = new SelfHosted({
    vars: all,
    log: (d) => {
      for (const line of String(d).split("\n")) if (line.trim()) logs.push(line);
      if (logs.length > 500) logs.splice(0, logs.length - 500);
    },
  });
  await server.start();

  class ServedWorker extends Worker {
    /** The server (restart it with `server.kill()` and `server.start()`). */
    server = server;

    fetch(path, init = {}) {
      return withTimeout(fetch(`${server.url}${path}`, { redirect: "manual", ...init }), 10_000, `${init.method ?? "GET"} ${path}`);
    }

    async hibernate(className, name) {
      throw new Error(`forced hibernation of ${className} ${name} has no workerd equivalent (miniflare's unsafeEvictDurableObject)`);
    }

    async dispose() {
      this.closeSockets();
      await server.dispose();
    }
  }
  return new ServedWorker(dispatcher(server), new URL(server.url), { persistDir: server.dataDir, autoPingMs, logs });
}

/**
 * A stand-in for miniflare's `dispatchFetch` (the one call tests make on `worker.mf`): `url`'s host
 * goes in as the Host header of a request to the served worker, as a client that picks its own
 * Host. A WebSocket upgrade answers `{status: 101, webSocket: {accept(), close(code)}}`.
 */
function dispatcher(server) {
  return {
    async dispatchFetch(url, init = {}) {
      const target = new URL(url);
      const headers = Object.fromEntries(new Headers(init.headers ?? {}));
      const path = target.pathname + target.search;
      if ((headers.upgrade ?? "").toLowerCase() === "websocket") return upgradeWithHost(server, target.host, path, headers);
      return withTimeout(new Promise((resolve, reject) => {
        const req = httpRequest(`${server.url}${path}`, { method: init.method ?? "GET", headers: { ...headers, host: target.host } }, (res) => {
          const chunks = [];
          res.on("data", (c) => chunks.push(c));
          res.on("end", () => resolve(new Response(res.statusCode === 204 || res.statusCode === 304 ? null : Buffer.concat(chunks), {
            status: res.statusCode,
            headers: Object.entries(res.headers).map(([k, v]) => [k, String(v)]),
          })));
        });
        req.on("error", reject);
        req.end(init.body);
      }), 10_000, `${init.method ?? "GET"} ${url}`);
    },
  };
}

function upgradeWithHost(server, host, path, headers) {
  const protocols = (headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim()).filter(Boolean);
  const extra = { Host: host };
  if (headers.origin) extra.Origin = headers.origin;
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}${path}`, protocols, { headers: extra, handshakeTimeout: 10_000 });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ status: 101, webSocket: { accept() {}, close: (code) => ws.close(code) } }));
    ws.once("unexpected-response", (_req, res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode })));
    });
    ws.once("error", reject);
  });
}
