// `wrangler dev` (the dev command people run) on 127.0.0.1, in its own process group so a test
// can kill the whole runtime mid-call and start it again on the same persisted state. Used by the
// fault tests (a crash and a restart), the end-to-end tests (servers with other settings) and the
// benchmarks (the dev command beside bare workerd).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, prebuiltWranglerToml } from "./config.mjs";
import { freePort } from "./net.mjs";
import { spawnGroup } from "./process.mjs";
import { waitForHttp } from "./wait.mjs";

const CLI = join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/**
 * What scripts/env.sh sets for the dev command (TOOLCHAIN.md): offline, no telemetry, and no local
 * observability worker (it traces every hibernatable WebSocket message and a busy room collapses).
 */
export const WRANGLER_ENV = {
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  X_LOCAL_OBSERVABILITY: "false",
  DO_NOT_TRACK: "1",
  NO_COLOR: "1",
};

/**
 * A `wrangler dev` of the built worker. Options: `vars` (each goes in with `--var`), `envFile`
 * (the secrets file, `.dev.vars` style; empty by default, so a developer's .dev.vars is never
 * read), `persistDir` (the Durable Object state, kept across `kill()` and `start()`), `port`
 * (free one by default, the same on every restart), `config` (wrangler.toml text; the repo's, on
 * the existing build), `dir` (where its files go; a new temp dir), `cpus` (taskset), `env`,
 * `logLevel`, `unref` (the test process may exit while it runs), `onSpawn(pid)` (e.g. to record
 * the process group for a cleanup script).
 */
export class WranglerDev {
  constructor({ vars = {}, envFile = "", persistDir, port, config = prebuiltWranglerToml(), dir, cpus, env = {}, logLevel = "info", unref = false, onSpawn } = {}) {
    this.dir = dir ?? mkdtempSync(join(tmpdir(), "cromulent-wrangler-"));
    this.persistDir = persistDir ?? join(this.dir, "state");
    this.configPath = join(this.dir, "wrangler.toml");
    this.envPath = join(this.dir, "secrets.env");
    writeFileSync(this.configPath, config);
    writeFileSync(this.envPath, envFile);
    Object.assign(this, { vars, port, cpus, env, logLevel, unref, onSpawn });
    this.proc = null;
    this.earlier = "";
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The leader's pid while running (its process group holds wrangler and both workerds). */
  get pid() {
    return this.proc?.pid;
  }

  /** Everything wrangler and workerd printed, over every start. */
  get output() {
    return this.earlier + (this.proc?.output() ?? "");
  }

  /** Starts the process (on the same port as before when restarting) without waiting for it. */
  async spawn() {
    if (this.proc) throw new Error("already running");
    this.port ??= await freePort();
    const args = [
      CLI, "dev", "-c", this.configPath,
      "--port", String(this.port), "--ip", "127.0.0.1",
      "--inspector-port", String(await freePort()),
      "--persist-to", this.persistDir, "--env-file", this.envPath,
      "--show-interactive-dev-session=false", "--log-level", this.logLevel,
      ...Object.entries(this.vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ];
    const log = process.env.WORKER_LOGS === "1" ? (d) => process.stderr.write(`wrangler: ${d}`) : undefined;
    this.spawnedAt = performance.now();
    this.proc = spawnGroup(process.execPath, args, {
      cpus: this.cpus, cwd: this.dir, env: { ...WRANGLER_ENV, ...this.env }, log, keep: 2_000_000, unref: this.unref,
    });
    this.onSpawn?.(this.proc.pid);
    return this.proc;
  }

  /** Starts wrangler dev and waits (up to `timeoutMs`) for /api/health to answer 200. */
  async start({ timeoutMs = 45_000 } = {}) {
    const proc = await this.spawn();
    try {
      await waitForHttp(`${this.url}/api/health`, {
        timeoutMs, okOnly: true, alive: proc.running, describe: () => this.output.slice(-3000),
      });
    } catch (e) {
      await this.kill();
      throw e;
    }
    return this;
  }

  /** `signal` (SIGKILL: the runtime dies mid-call) to the whole process group; waits until it is gone. */
  async kill(signal = "SIGKILL") {
    const proc = this.proc;
    if (!proc) return;
    await proc.stop(signal, { graceMs: 5000 });
    this.earlier += proc.output();
    this.proc = null;
  }

  /** Stops the runtime and removes its state and files. */
  async dispose(signal = "SIGKILL") {
    await this.kill(signal);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
