// Starts the servers under test on 127.0.0.1, pinned to the server core:
//   ours         our worker (a snapshot of build/) on bare workerd, capnp config generated here
//   partyserver  bench/peers/partyserver/room.js bundled with esbuild, on the same bare workerd
//   ours-wd / partyserver-wd   the same workers under `wrangler dev` (the dev command)
//   peerjs       the `peer` package's own server binary (PeerJS server)
//   ywebrtc      y-webrtc's signalling server (node_modules/y-webrtc/bin/server.js)
// Each start resolves once the server answers HTTP and reports how long that took.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { cpuSeconds, rssBytes, spawnPinned } from "./proc.mjs";

export const BENCH = join(dirname(fileURLToPath(import.meta.url)), "..");
export const ROOT = join(BENCH, "..");
export const SECRET = "bench-secret-0123456789abcdef0123456789abcdef";
export const TURN_SECRET = "bench-turn-secret-0123456789abcdef";
export const SERVER_CPUS = process.env.BENCH_SERVER_CPUS ?? "1";
const WORKERD = join(ROOT, "node_modules", ".bin", "workerd");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");
const ESBUILD = join(BENCH, "node_modules", ".bin", "esbuild");
export const COMPAT_DATE = (/^compatibility_date\s*=\s*"([^"]+)"/m.exec(readFileSync(join(ROOT, "wrangler.toml"), "utf8")) ?? [])[1] ?? "2026-07-30";

/** Channels configured for our worker (it refuses unknown ones): the defaults and r0..r63. */
export const CHANNEL_COUNT = 64;
export const roomName = (i) => `r${i}`;

export const KINDS = {
  ours: { label: "ours (bare workerd)", ours: true, runtime: "workerd" },
  partyserver: { label: "PartyServer (bare workerd)", ours: false, runtime: "workerd" },
  peerjs: { label: "PeerJS server (node)", ours: false, runtime: "node" },
  ywebrtc: { label: "y-webrtc server (node)", ours: false, runtime: "node" },
  floor: { label: "floor: bare JS DO relay (bare workerd)", ours: false, runtime: "workerd" },
  "ours+disk": { label: "ours (bare workerd, localDisk storage)", ours: true, runtime: "workerd" },
  "partyserver+disk": { label: "PartyServer (bare workerd, localDisk storage)", ours: false, runtime: "workerd" },
  "ours-wd": { label: "ours (wrangler dev)", ours: true, runtime: "wrangler" },
  "partyserver-wd": { label: "PartyServer (wrangler dev)", ours: false, runtime: "wrangler" },
};
/** The protocol a kind speaks (wrangler dev and the +disk variants run the same workers). */
export const protocolOf = (kind) => kind.replace(/-wd$/, "").replace(/\+disk$/, "");

// One free-port helper for the whole repo (tests/turn/coturn.mjs).
import { freePort } from "../../tests/turn/coturn.mjs";
export { freePort };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** wrangler.toml's [vars]. */
function wranglerVars() {
  const vars = {};
  let inVars = false;
  for (const line of readFileSync(join(ROOT, "wrangler.toml"), "utf8").split("\n")) {
    const t = line.trim();
    if (t.startsWith("[")) {
      inVars = t === "[vars]";
      continue;
    }
    const m = inVars && /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(t);
    if (m) vars[m[1]] = JSON.parse(`"${m[2]}"`);
  }
  return vars;
}

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
  const src = process.env.BENCH_BUILD_DIR ?? join(ROOT, "build");
  for (const f of ["index.js", "index_bg.wasm"]) {
    if (!existsSync(join(src, f))) throw new Error(`${join(src, f)} is missing: run bash scripts/build.sh`);
  }
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(src, "index.js"), join(dir, "index.js"));
  copyFileSync(join(src, "index_bg.wasm"), join(dir, "index_bg.wasm"));
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

/** A workerd capnp config for one worker with its Durable Objects on local disk. */
function capnpConfig({ dir, modules, vars, doClasses, port, storageDir, tail, storage }) {
  // capnp resolves `embed` paths relative to the config file.
  const rel = (p) => relative(dir, p);
  const bindings = Object.entries(vars).map(([k, v]) => `(name = ${capStr(k)}, text = ${capStr(v)})`);
  for (const { binding, className } of doClasses) {
    bindings.push(`(name = ${capStr(binding)}, durableObjectNamespace = ${capStr(className)})`);
  }
  const namespaces = doClasses.map(({ className }) =>
    `(className = ${capStr(className)}, uniqueKey = ${capStr(`bench-${className}`)}, enableSql = true)`);
  const mods = modules.map((m) => `(name = ${capStr(m.name)}, ${m.type} = embed ${capStr(rel(m.path))})`);
  const services = [
    `(name = "main", worker = .mainWorker)`,
    `(name = "do-disk", disk = (path = ${capStr(storageDir)}, writable = true))`,
  ];
  const sockets = [`(name = "http", address = ${capStr(`127.0.0.1:${port}`)}, http = (), service = "main")`];
  if (tail) {
    services.push(`(name = "tail", worker = .tailWorker)`);
    sockets.push(`(name = "tail-http", address = ${capStr(`127.0.0.1:${tail.port}`)}, http = (), service = "tail")`);
  }
  return `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [${services.join(", ")}],
  sockets = [${sockets.join(", ")}],
);
const mainWorker :Workerd.Worker = (
  modules = [${mods.join(", ")}],
  compatibilityDate = ${capStr(COMPAT_DATE)},
  bindings = [${bindings.join(",\n    ")}],
  durableObjectNamespaces = [${namespaces.join(", ")}],
  durableObjectStorage = ${storage === "disk" ? '(localDisk = "do-disk")' : "(inMemory = void)"},
  ${tail ? 'tails = ["tail"],' : ""}
);
${tail ? `const tailWorker :Workerd.Worker = (
  modules = [(name = "tail.js", esModule = embed ${capStr(rel(join(BENCH, "peers", "tail.js")))})],
  compatibilityDate = ${capStr(COMPAT_DATE)},
);` : ""}
`;
}

/** Polls `url` until it answers (any HTTP status); returns ms since `t0`. */
async function waitHttp(url, t0, proc, timeoutMs = 60_000, everyMs = 2) {
  const deadline = t0 + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status < 500) return performance.now() - t0;
    } catch {
      // not yet
    }
    if (proc.child.exitCode !== null) throw new Error(`server exited (${proc.child.exitCode}) before answering: ${proc.output().slice(-3000)}`);
    if (performance.now() > deadline) throw new Error(`server did not answer ${url} within ${timeoutMs} ms: ${proc.output().slice(-3000)}`);
    await sleep(everyMs);
  }
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
  let proc;
  let tailPort = null;
  let healthPath = "/api/health";
  let t0;
  const ourDOs = [
    { binding: "VOICE_ROOM", className: "VoiceRoom" },
    { binding: "LOBBY", className: "Lobby" },
  ];
  const psDOs = [{ binding: "VoiceRoom", className: "VoiceRoom" }];
  if (kind === "ours" || kind === "partyserver" || kind === "floor") {
    if (tail) tailPort = await freePort();
    let modules;
    if (kind === "ours") {
      const build = join(work, "build");
      modules = [
        { name: "index.js", type: "esModule", path: join(build, "index.js") },
        { name: "index_bg.wasm", type: "wasm", path: join(build, "index_bg.wasm") },
      ];
    } else if (kind === "floor") {
      modules = [{ name: "floor.js", type: "esModule", path: join(BENCH, "peers", "floor.js") }];
      healthPath = "/";
    } else {
      modules = [{ name: "room.js", type: "esModule", path: join(work, "partyserver-room.js") }];
    }
    mkdirSync(join(dir, "do"), { recursive: true });
    const config = capnpConfig({
      dir, modules, vars, doClasses: kind === "ours" ? ourDOs : kind === "floor" ? [{ binding: "ROOM", className: "Room" }] : psDOs, port, storageDir: join(dir, "do"),
      tail: tail ? { port: tailPort } : null, storage,
    });
    writeFileSync(join(dir, "config.capnp"), config);
    t0 = performance.now();
    // BENCH_WORKERD_INSPECTOR=1: the runtime with an inspector listening, as wrangler dev runs it.
    const inspector = process.env.BENCH_WORKERD_INSPECTOR === "1" ? [`--inspector-addr=127.0.0.1:${await freePort()}`] : [];
    proc = spawnPinned(WORKERD, ["serve", join(dir, "config.capnp"), ...inspector], { cpus });
  } else if (kind === "ours-wd" || kind === "partyserver-wd") {
    const isOurs = kind === "ours-wd";
    const main = isOurs ? join(work, "build", "index.js") : join(BENCH, "peers", "partyserver", "room.js");
    const toml = [
      `name = ${capStr(isOurs ? "cromulent-voice" : "partyserver-room")}`,
      `main = ${capStr(main)}`,
      `compatibility_date = ${capStr(COMPAT_DATE)}`,
      ...(isOurs ? [`[assets]`, `directory = ${capStr(join(ROOT, "public"))}`, `binding = "ASSETS"`, `run_worker_first = true`] : []),
      ...(isOurs ? ourDOs : psDOs).flatMap(({ binding, className }) =>
        [`[[durable_objects.bindings]]`, `name = ${capStr(binding)}`, `class_name = ${capStr(className)}`]),
      `[[migrations]]`, `tag = "v1"`,
      `new_sqlite_classes = [${(isOurs ? ourDOs : psDOs).map((d) => capStr(d.className)).join(", ")}]`,
      `[vars]`,
      ...Object.entries(vars).map(([k, v]) => `${k} = ${capStr(v)}`),
    ].join("\n");
    writeFileSync(join(dir, "wrangler.toml"), toml + "\n");
    writeFileSync(join(dir, "empty.env"), "");
    const inspector = await freePort();
    t0 = performance.now();
    proc = spawnPinned(WRANGLER, [
      "dev", "--config", join(dir, "wrangler.toml"), "--port", String(port), "--ip", "127.0.0.1",
      "--inspector-port", String(inspector), "--persist-to", join(dir, "state"), "--env-file", join(dir, "empty.env"),
      "--show-interactive-dev-session=false", "--log-level", "warn",
    ], {
      cpus, cwd: dir,
      // What scripts/env.sh sets for the dev command (TOOLCHAIN.md): no per-message tracing worker.
      env: { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", X_LOCAL_OBSERVABILITY: "false", DO_NOT_TRACK: "1",
        ...(process.env.BENCH_WD_TRACING === "1" ? { X_LOCAL_OBSERVABILITY: "true" } : {}) },
    });
  } else if (kind === "peerjs") {
    healthPath = "/";
    t0 = performance.now();
    proc = spawnPinned(process.execPath, ["--import", join(BENCH, "peers", "loopback.mjs"), join(BENCH, "node_modules", "peer", "dist", "bin", "peerjs.js"),
      "--port", String(port), "--host", "127.0.0.1", "--allow_discovery", "--concurrent_limit", "100000"], { cpus });
  } else if (kind === "ywebrtc") {
    healthPath = "/";
    t0 = performance.now();
    proc = spawnPinned(process.execPath, ["--import", join(BENCH, "peers", "loopback.mjs"), join(BENCH, "node_modules", "y-webrtc", "bin", "server.js")],
      { cpus, env: { PORT: String(port), HOST: "127.0.0.1" } });
  } else {
    throw new Error(`unknown server kind ${kind}`);
  }
  const base = `http://127.0.0.1:${port}`;
  let startMs;
  try {
    startMs = await waitHttp(base + healthPath, t0, proc, kind.endsWith("-wd") ? 120_000 : 60_000);
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
