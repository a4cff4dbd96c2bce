// Starts the servers under test on 127.0.0.1, pinned to the server core:
//   ours         our worker (a snapshot of build/) on bare workerd (tests/lib/workerd.mjs)
//   partyserver  bench/peers/partyserver/room.js bundled with esbuild, on the same bare workerd
//   floor-rs     bench/peers/floor-rs: room.js's job in Rust on workers-rs (a floor, not a peer),
//                built by its build.sh on demand, on the same bare workerd
//   ours-wd / partyserver-wd   the same workers under `wrangler dev` (the dev command)
//   peerjs       the `peer` package's own server binary (PeerJS server)
//   ywebrtc      y-webrtc's signalling server (node_modules/y-webrtc/bin/server.js)
// Each start resolves once the server answers HTTP and reports how long that took. Processes
// start and stop through tests/lib (process groups, killed when this process exits).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { COMPAT_DATE, ROOT, wranglerVars } from "../../tests/lib/config.mjs";
import { freePort } from "../../tests/lib/net.mjs";
import { spawnGroup } from "../../tests/lib/process.mjs";
import { waitForHttp } from "../../tests/lib/wait.mjs";
import { ourWorker, startWorkerd } from "../../tests/lib/workerd.mjs";
import { WranglerDev } from "../../tests/lib/wrangler.mjs";
import { cpuSeconds, rssBytes } from "./proc.mjs";

export { COMPAT_DATE, ROOT } from "../../tests/lib/config.mjs";
export const BENCH = join(dirname(fileURLToPath(import.meta.url)), "..");
export const SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
export const TURN_SECRET = "bench-turn-secret-0123456789abcdef";
export const SERVER_CPUS = process.env.BENCH_SERVER_CPUS ?? "1";
const ESBUILD = join(BENCH, "node_modules", ".bin", "esbuild");

/** Channels configured for our worker (it refuses unknown ones): the defaults and r0..r63. */
export const CHANNEL_COUNT = 64;
export const roomName = (i) => `r${i}`;

export const KINDS = {
  ours: { label: "ours (bare workerd)", ours: true, runtime: "workerd" },
  partyserver: { label: "PartyServer (bare workerd)", ours: false, runtime: "workerd" },
  peerjs: { label: "PeerJS server (node)", ours: false, runtime: "node" },
  ywebrtc: { label: "y-webrtc server (node)", ours: false, runtime: "node" },
  floor: { label: "floor: bare JS DO relay (bare workerd)", ours: false, runtime: "workerd" },
  "floor-rs": { label: "floor-rs: room.js's job in Rust (bare workerd)", ours: false, runtime: "workerd" },
  "ours+disk": { label: "ours (bare workerd, localDisk storage)", ours: true, runtime: "workerd" },
  "partyserver+disk": { label: "PartyServer (bare workerd, localDisk storage)", ours: false, runtime: "workerd" },
  "floor-rs+disk": { label: "floor-rs (bare workerd, localDisk storage)", ours: false, runtime: "workerd" },
  "ours-wd": { label: "ours (wrangler dev)", ours: true, runtime: "wrangler" },
  "partyserver-wd": { label: "PartyServer (wrangler dev)", ours: false, runtime: "wrangler" },
};
/**
 * The protocol a kind speaks (wrangler dev and the +disk variants run the same workers; floor-rs
 * speaks PartyServer's room's).
 */
export const protocolOf = (kind) => {
  const base = kind.replace(/-wd$/, "").replace(/\+disk$/, "");
  return base === "floor-rs" ? "partyserver" : base;
};

/**
 * The configuration both workers run with: wrangler.toml's vars, plus what the benchmarks need
 * (many channels, rooms above the default 16 members, no per-socket flood limit in the way of a
 * throughput test, coturn credentials as a deployment with TURN has). `turnUrl` is where coturn is.
 */
export function benchVars({ turnUrl = "turn:127.0.0.1:3478?transport=udp", extra = {} } = {}) {
  const channels = ["general:General", "gaming:Gaming", "music:Music"];
  for (let i = 0; i < CHANNEL_COUNT; i++) channels.push(`${roomName(i)}:Room ${i}`);
  return {
    ...wranglerVars(),
    AUTH_SECRET: SECRET,
    VOICE_CHANNELS: channels.join(","),
    MAX_MEMBERS: "1000",
    RATE_LIMIT_PER_SEC: "100000",
    RATE_LIMIT_BURST: "100000",
    GUEST_SIGNIN_PER_MINUTE: "0",
    TURN_PROVIDER: "coturn",
    TURN_URL: turnUrl,
    TURN_SECRET,
    ...extra,
  };
}

/** Copies build/index.js and build/index_bg.wasm, so a rebuild by someone else mid-run is harmless. */
export function snapshotBuild(dir) {
  const src = process.env.BENCH_BUILD_DIR || join(ROOT, "build");
  for (const f of ["index.js", "index_bg.wasm"]) {
    if (!existsSync(join(src, f))) throw new Error(`${join(src, f)} is missing: run bash scripts/build.sh`);
  }
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(src, "index.js"), join(dir, "index.js"));
  copyFileSync(join(src, "index_bg.wasm"), join(dir, "index_bg.wasm"));
  return dir;
}

/**
 * Builds floor-rs when its build/ is missing or older than its sources (its build.sh checks; the
 * first build takes minutes) and copies index.js and index_bg.wasm into `dir`, as snapshotBuild.
 */
export function snapshotFloorRs(dir) {
  const peer = join(BENCH, "peers", "floor-rs");
  execFileSync("bash", [join(peer, "build.sh")], { stdio: ["ignore", "inherit", "inherit"] });
  mkdirSync(dir, { recursive: true });
  for (const f of ["index.js", "index_bg.wasm"]) copyFileSync(join(peer, "build", f), join(dir, f));
  return dir;
}

/** Bundles the PartyServer room into one ES module for bare workerd. */
export function bundlePartyServer(outFile) {
  execFileSync(ESBUILD, [
    join(BENCH, "peers", "partyserver", "room.js"), "--bundle", "--format=esm", "--platform=neutral",
    "--external:cloudflare:workers", "--conditions=workerd,worker,browser", "--main-fields=module,main",
    "--log-level=warning", `--outfile=${outFile}`,
  ], { stdio: ["ignore", "inherit", "inherit"] });
  return outFile;
}

const capStr = (s) => JSON.stringify(String(s));

/** The Durable Objects of the PartyServer room (bench/peers/partyserver; floor-rs binds the same) and of the floor relay. */
const PS_DOS = [{ binding: "VoiceRoom", className: "VoiceRoom" }];
const FLOOR_DOS = [{ binding: "ROOM", className: "Room" }];

/** A wrangler.toml for `wrangler dev` of our worker (the build snapshot) or the PartyServer room. */
function devToml(isOurs, work, vars) {
  const dos = isOurs ? ourWorker().doClasses : PS_DOS;
  const main = isOurs ? join(work, "build", "index.js") : join(BENCH, "peers", "partyserver", "room.js");
  return [
    `name = ${capStr(isOurs ? "cromulent-voice" : "partyserver-room")}`,
    `main = ${capStr(main)}`,
    `compatibility_date = ${capStr(COMPAT_DATE)}`,
    ...(isOurs ? [`[assets]`, `directory = ${capStr(join(ROOT, "public"))}`, `binding = "ASSETS"`, `run_worker_first = true`] : []),
    ...dos.flatMap(({ binding, className }) =>
      [`[[durable_objects.bindings]]`, `name = ${capStr(binding)}`, `class_name = ${capStr(className)}`]),
    `[[migrations]]`, `tag = "v1"`,
    `new_sqlite_classes = [${dos.map((d) => capStr(d.className)).join(", ")}]`,
    `[vars]`,
    ...Object.entries(vars).map(([k, v]) => `${k} = ${capStr(v)}`),
  ].join("\n") + "\n";
}

/**
 * Starts `kind`. Options: `work` (a temp dir for this run: build snapshot, bundles), `vars`
 * (for the workers), `tail` (count Durable Object events with a tail worker; bare workerd only).
 * Returns { kind, port, base, wsBase, startMs, cpu(), rss(), tailCounts(), stop() }.
 */
export async function startServer(kindArg, { work, vars = benchVars(), tail = false, cpus = SERVER_CPUS } = {}) {
  // Bare workerd keeps Durable Object storage in memory unless the kind ends in "+disk" (or
  // BENCH_DO_STORAGE=disk): local SQLite files on a disk shared with other jobs add fsync noise
  // that says nothing about the code under test. wrangler dev always persists to disk.
  const storage = kindArg.endsWith("+disk") || process.env.BENCH_DO_STORAGE === "disk" ? "disk" : "memory";
  const kind = kindArg.replace(/\+disk$/, "");
  const port = await freePort();
  const dir = mkdtempSync(join(work ?? tmpdir(), `${kind}-`));
  /** What was started: `{pid, output(), running(), stop()}`, and when (a performance.now()). */
  let proc;
  let t0;
  let tailPort = null;
  let healthPath = "/api/health";
  if (kind === "ours" || kind === "partyserver" || kind === "floor" || kind === "floor-rs") {
    if (tail) tailPort = await freePort();
    let worker;
    if (kind === "ours") {
      worker = ourWorker(join(work, "build"));
    } else if (kind === "floor") {
      worker = { name: "floor", modules: [{ name: "floor.js", type: "esModule", path: join(BENCH, "peers", "floor.js") }], doClasses: FLOOR_DOS };
      healthPath = "/";
    } else if (kind === "floor-rs") {
      const build = snapshotFloorRs(join(dir, "floor-rs"));
      worker = {
        name: "floor-rs",
        modules: [
          { name: "index.js", type: "esModule", path: join(build, "index.js") },
          { name: "index_bg.wasm", type: "wasm", path: join(build, "index_bg.wasm") },
        ],
        doClasses: PS_DOS,
      };
    } else {
      worker = { name: "partyserver", modules: [{ name: "room.js", type: "esModule", path: join(work, "partyserver-room.js") }], doClasses: PS_DOS };
    }
    proc = await startWorkerd({
      worker, vars, port, dir, storage, cpus, healthPath: null,
      tail: tail ? { port: tailPort, module: join(BENCH, "peers", "tail.js") } : null,
      // BENCH_WORKERD_INSPECTOR=1: the runtime with an inspector listening, as wrangler dev runs it.
      inspector: process.env.BENCH_WORKERD_INSPECTOR === "1",
    });
    t0 = proc.spawnedAt;
  } else if (kind === "ours-wd" || kind === "partyserver-wd") {
    const dev = new WranglerDev({
      config: devToml(kind === "ours-wd", work, vars), dir, port, cpus, logLevel: "warn",
      // WRANGLER_ENV turns the per-message tracing worker off; BENCH_WD_TRACING=1 measures it on.
      env: process.env.BENCH_WD_TRACING === "1" ? { X_LOCAL_OBSERVABILITY: "true" } : {},
    });
    const spawned = await dev.spawn();
    t0 = dev.spawnedAt;
    proc = { pid: spawned.pid, output: () => dev.output, running: spawned.running, stop: () => dev.dispose("SIGTERM") };
  } else if (kind === "peerjs" || kind === "ywebrtc") {
    healthPath = "/";
    t0 = performance.now();
    const loopback = ["--import", join(BENCH, "peers", "loopback.mjs")];
    proc = kind === "peerjs"
      ? spawnGroup(process.execPath, [...loopback, join(BENCH, "node_modules", "peer", "dist", "bin", "peerjs.js"),
        "--port", String(port), "--host", "127.0.0.1", "--allow_discovery", "--concurrent_limit", "100000"], { cpus })
      : spawnGroup(process.execPath, [...loopback, join(BENCH, "node_modules", "y-webrtc", "bin", "server.js")],
        { cpus, env: { PORT: String(port), HOST: "127.0.0.1" } });
  } else {
    throw new Error(`unknown server kind ${kind}`);
  }
  const base = `http://127.0.0.1:${port}`;
  let startMs;
  try {
    startMs = await waitForHttp(base + healthPath, {
      from: t0, timeoutMs: kind.endsWith("-wd") ? 120_000 : 60_000, everyMs: 2,
      alive: proc.running, describe: () => proc.output().slice(-3000),
    });
  } catch (e) {
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    kind: kindArg,
    storage,
    port,
    base,
    wsBase: `ws://127.0.0.1:${port}`,
    startMs,
    pid: proc.pid,
    output: proc.output,
    cpu: () => cpuSeconds(proc.pid),
    rss: () => rssBytes(proc.pid),
    async tailCounts() {
      if (!tailPort) throw new Error("started without tail");
      const res = await fetch(`http://127.0.0.1:${tailPort}/`);
      return res.json();
    },
    async stop() {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
